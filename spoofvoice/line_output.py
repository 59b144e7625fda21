"""Printing whole lines in the session, from any thread, without losing one or garbling the prompt.

Between prompts (while a command runs) a line is written straight to the terminal. While the
prompt is shown, lines wait in a queue that a task inside the prompt's own event loop empties
every few milliseconds with `in_terminal` (the prompt is lifted, the lines printed, the prompt
drawn again below them). When the prompt ends, whatever is still queued is written at once,
so a message that arrives exactly as Enter is pressed is printed, never dropped. (prompt_toolkit's
patch_stdout hands lines to the loop that is running at that instant; across the end of one
prompt and the start of the next that loop can close first, and the lines are lost.)
"""

from __future__ import annotations

import asyncio
import sys
import threading
from typing import TextIO

RELAY_S = 0.03  # how often the prompt's loop looks for queued lines


class LineOutput:
    """Whole-line output that knows whether a prompt is on screen."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._pending: list[str] = []
        self._prompting = False

    def write_line(self, line: str) -> None:
        """Print one line (it may contain newlines) now, or above the prompt if one is shown."""
        with self._lock:
            if self._prompting:
                self._pending.append(line)
            else:
                self._write([line])

    def prompt_started(self, app) -> None:
        """Called inside the prompt's loop (PromptSession.prompt's pre_run)."""
        with self._lock:
            self._prompting = True
        app.create_background_task(self._relay())

    def prompt_ended(self) -> None:
        """Called when prompt() has returned or raised: print what is still queued."""
        with self._lock:
            self._prompting = False
            lines, self._pending = self._pending, []
            if lines:
                self._write(lines)

    def _write(self, lines: list[str]) -> None:
        """Write under the lock, so lines from different threads never interleave."""
        stream = self._stream or sys.stdout
        stream.write("".join(f"{line}\n" for line in lines))
        stream.flush()

    async def _relay(self) -> None:
        """Runs in the prompt's loop until the prompt ends (then it is cancelled)."""
        from prompt_toolkit.application import in_terminal

        while True:
            await asyncio.sleep(RELAY_S)
            with self._lock:
                waiting = bool(self._pending)
            if not waiting:
                continue
            async with in_terminal():
                with self._lock:
                    lines, self._pending = self._pending, []
                    if lines:
                        self._write(lines)
