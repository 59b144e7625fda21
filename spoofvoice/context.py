"""What a command needs from wherever it runs: the CLI process or the interactive session.

Commands never print or speak directly; they go through the context, so the same command
prints plain lines and speaks in the CLI, stays quiet in `--json` mode, and speaks above the
prompt in the session. Models are loaded once and kept.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spoofvoice.jobs import Jobs
from spoofvoice.settings import Settings, load_settings

if TYPE_CHECKING:
    from spoofvoice.detector import Detector


class Context:
    """Announcer, settings and loaded models for one CLI run or one session."""

    def __init__(self, announcer: Any, settings: Settings | None = None, interactive: bool = False) -> None:
        self.announcer = announcer
        self.settings = settings or load_settings()
        self.interactive = interactive
        self.watchers: Any = None  # the session's WatchService (spoofvoice/watch.py), made by its first `watch`
        self.keep_history = False  # the session keeps verdict history; one-off CLI runs do not
        self._detectors: dict[str, Detector] = {}
        self.jobs = Jobs()  # training and evaluation running in the background of a session
        self.last_results: list[str] = []  # the last evaluation summary, for `results`
        self._lock = threading.Lock()
        self._store = None
        self._history_failed = False  # said once: a folder of clips on a full disk is one line, not one per clip

    def say(self, text: str, priority: str = "message", *, display: str | None = None, earcon: str | None = None, final: bool = False) -> None:
        """Print `display or text` as one line and speak `text`."""
        self.announcer.say(text, priority, display=display, earcon=earcon, final=final)

    def show(self, line: str) -> None:
        """Print one line without speaking it (long runs speak only what matters)."""
        self.announcer.show(line)

    @property
    def verbosity(self) -> str:
        return getattr(self.announcer, "verbosity", self.settings.verbosity)

    def detector(self, model: str | None = None) -> Detector:
        """The loaded model called `model` (default: the user's chosen model); loads once."""
        from spoofvoice.detector import Detector, interactive_threads

        name = model or self.settings.model
        with self._lock:
            if name not in self._detectors:
                self._detectors[name] = Detector.load(name, num_threads=interactive_threads())
            return self._detectors[name]

    def record_verdict(self, path: str, verdict: Any, source: str = "check") -> None:
        """Add a verdict to the history store when this context keeps history.

        A history that cannot be written costs one printed line, once, never the verdict
        itself; each later verdict tries again, so freeing space brings the history back.
        """
        if not self.keep_history:
            return
        import sqlite3

        try:
            self.history_store().add_verdict(os.path.abspath(path), verdict, source=source)
        except (OSError, sqlite3.Error) as error:
            if not self._history_failed:
                self.show(f"History not saved for {Path(path).name} ({error}). Verdicts go on without it.")
            self._history_failed = True
        else:
            self._history_failed = False

    def history_store(self):
        """The verdict history store, opened on first use."""
        if self._store is None:
            from spoofvoice.store import Store

            self._store = Store()
        return self._store

    def loaded_models(self) -> list[str]:
        with self._lock:
            return list(self._detectors)
