"""`spoofvoice` with no command: the spoken, keyboard-driven session.

At a terminal it is a prompt_toolkit PromptSession, line by line: no full-screen layout, no
toolbar, no colours, so screen readers and braille displays read it like any shell. The
prompt comes first; speech and the model start in a background thread and announce
themselves above the prompt (line_output.py). With standard input from a pipe or a file it
reads commands line by line without prompt_toolkit, so scripts can drive it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from pathlib import Path

from spoofvoice.paths import data_dir
from spoofvoice.session_context import SessionContext
from spoofvoice.session_dispatch import run_line
from spoofvoice.settings import load_settings

PROMPT = "spoofvoice> "
HISTORY_FILE = "session-history"
CLOSE_WAIT_S = 3.0  # how long "Goodbye." may take before the process leaves
JOB_STOP_WAIT_S = 10.0  # how long quitting waits for background training to stop
MODULES_ENV = "SPOOFVOICE_DEBUG_MODULES"  # FILE: on leaving, write the imported module names there


class SessionSignalled(SystemExit):
    """SIGTERM (`kill`, a shutdown) or SIGHUP (the terminal closed) ended the session. Raised in
    the main thread, it unwinds like an exit, not like an error that a command would report, so
    the session still closes its watch queue, stops its background job and runs its exit hooks
    (the offline voice's audio is removed). Exit status 128 + the signal number, as a shell's."""


ENDING_SIGNALS = ("SIGTERM", "SIGHUP")


def run_session(speech: bool = True) -> int:
    """Run the session until quit, Ctrl-D, end of input or SIGTERM/SIGHUP; returns the exit status."""
    context = SessionContext(load_settings(), speech=speech)
    previous = _end_on_signals()
    try:
        if sys.stdin.isatty() and sys.stdout.isatty():
            return _interactive(context)
        return _scripted(context)
    except SessionSignalled as ended:
        _restore_signals(previous)  # a second signal while closing ends the process at once
        _close(context, speech_wait_s=0.0)
        return int(ended.code)
    finally:
        _restore_signals(previous)
        _finish(context)


def _end_on_signals() -> dict:
    """Make SIGTERM and SIGHUP raise SessionSignalled; returns the handlers they replaced."""
    if threading.current_thread() is not threading.main_thread():
        return {}

    def end(signum, _frame) -> None:
        raise SessionSignalled(128 + signum)

    previous = {}
    for name in ENDING_SIGNALS:
        number = getattr(signal, name, None)
        if number is not None:
            previous[number] = signal.signal(number, end)
    return previous


def _restore_signals(previous: dict) -> None:
    for number, handler in previous.items():
        signal.signal(number, handler)


def _interactive(context: SessionContext) -> int:
    from spoofvoice import startup

    session = _prompt_session(context)
    prompt_drawn = threading.Event()
    session.app.after_render += lambda _app: prompt_drawn.set()
    startup.start(context, after=prompt_drawn)
    while not context.quit_requested:
        try:
            line = session.prompt(pre_run=lambda: context.output.prompt_started(session.app))
        except KeyboardInterrupt:  # Ctrl-C at the prompt: clear the line, hush
            _stop_speech(context)
            continue
        except EOFError:  # Ctrl-D
            context.say("Goodbye.")
            break
        finally:
            context.output.prompt_ended()
        run_line(line, context)
    _close(context)
    return 0


def _scripted(context: SessionContext) -> int:
    """Commands from a pipe: one per line, no prompt, no welcome; a bad line never stops it."""
    from spoofvoice import startup

    context.attach_announcer(startup.build_announcer(context))
    status = 0
    try:
        for line in sys.stdin:
            result = run_line(line, context)
            if result:
                status = 1
            if context.quit_requested:
                break
    except KeyboardInterrupt:
        status = 130
    _close(context)
    return status


def _prompt_session(context: SessionContext):
    """A PromptSession with no toolbar, no colour, readline-style completion lists."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.output.color_depth import ColorDepth
    from prompt_toolkit.shortcuts import CompleteStyle

    from spoofvoice.completion import SessionCompleter
    from spoofvoice.keys import ESCAPE_WAIT_S, key_bindings

    session = PromptSession(
        PROMPT,
        history=FileHistory(str(data_dir() / HISTORY_FILE)),
        completer=SessionCompleter(),
        complete_style=CompleteStyle.READLINE_LIKE,
        complete_while_typing=False,
        key_bindings=key_bindings(
            stop=lambda: _stop_speech(context),
            repeat=lambda: _when_ready(context, "repeat"),
            speak_help=lambda: _speak_help(context),
        ),
        color_depth=ColorDepth.MONOCHROME if os.environ.get("NO_COLOR") else None,
        mouse_support=False,
        enable_suspend=True,
    )
    session.app.ttimeoutlen = ESCAPE_WAIT_S  # Escape alone stops speech without a half-second wait
    session.default_buffer.on_text_insert += lambda _buffer: _typed(context)
    return session


def _speak_help(context: SessionContext) -> None:
    """F1: the same as typing help (imported on first use, to keep it off the start-up path)."""
    from spoofvoice.session_commands import speak_overview

    speak_overview(context)


def _typed(context: SessionContext) -> None:
    """Typing interrupts speech, as with a screen reader, unless the user turned that off."""
    if context.settings.typing_interrupts:
        _stop_speech(context)


def _stop_speech(context: SessionContext) -> None:
    if context.announcer is not None:
        context.announcer.stop()


def _when_ready(context: SessionContext, action: str) -> None:
    """Run an announcer action from a key; before speech has started there is nothing to do."""
    if context.announcer is not None:
        getattr(context.announcer, action)()


def _close(context: SessionContext, speech_wait_s: float = CLOSE_WAIT_S) -> None:
    """Finish the clip being watched, let the last words (Goodbye) be heard, then stop speech.

    A training run in the background is asked to stop after its batch; its best model so
    far is kept only if it finishes within the wait (quitting never hangs on it). After a
    signal nothing waits to be heard: `speech_wait_s` is 0.
    """
    if context.watchers is not None:
        context.watchers.close()
    if context.jobs.stop() is not None:
        context.jobs.wait(JOB_STOP_WAIT_S)
    announcer = context.wait_for_announcer()
    if announcer is not None:
        announcer.close(speech_wait_s)


def _finish(context: SessionContext) -> None:
    """Debug aid for the start-up test: which modules this process imported."""
    target = os.environ.get(MODULES_ENV)
    if target:
        Path(target).write_text("\n".join(sorted(sys.modules)) + "\n", encoding="utf-8")
