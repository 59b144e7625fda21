"""The context of one interactive session: a Context plus what only a running session has.

The announcer is built in a background thread so the prompt appears before numpy is imported;
until it exists, anything said waits for it briefly (it takes about a tenth of a second).
"""

from __future__ import annotations

import threading
from typing import Any

from spoofvoice.context import Context
from spoofvoice.line_output import LineOutput
from spoofvoice.settings import Settings

ANNOUNCER_WAIT_S = 10.0  # longer than building an announcer can take, short enough to never hang

IDLE, LOADING, READY, FAILED = "idle", "loading", "ready", "failed"


class SessionContext(Context):
    """Announcer (once built), settings, model state and the request to leave."""

    def __init__(self, settings: Settings, speech: bool = True, output: LineOutput | None = None) -> None:
        super().__init__(None, settings, interactive=True)
        self.output = output or LineOutput()
        self.keep_history = True
        self.speech = speech
        self.announcer_ready = threading.Event()
        self.model_state = IDLE  # IDLE: the first check loads it
        self.model_problem: str | None = None
        self.quit_requested = False

    def attach_announcer(self, announcer: Any) -> None:
        """Called by the start-up thread once speech is ready."""
        self.announcer = announcer
        self.announcer_ready.set()

    def wait_for_announcer(self) -> Any:
        """The announcer, waiting for the start-up thread if it is still building it."""
        self.announcer_ready.wait(ANNOUNCER_WAIT_S)
        return self.announcer

    def say(self, text: str, priority: str = "message", *, display: str | None = None, earcon: str | None = None, final: bool = False) -> None:
        announcer = self.wait_for_announcer()
        if announcer is None:
            self.output.write_line(display if display is not None else text)
            return
        announcer.say(text, priority, display=display, earcon=earcon, final=final)

    def show(self, line: str) -> None:
        announcer = self.wait_for_announcer()
        if announcer is None:
            self.output.write_line(line)
            return
        announcer.show(line)

    def model_loading(self) -> None:
        self.model_state, self.model_problem = LOADING, None

    def model_ready(self) -> None:
        self.model_state, self.model_problem = READY, None

    def model_failed(self, sentence: str) -> None:
        self.model_state, self.model_problem = FAILED, sentence
