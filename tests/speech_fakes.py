"""Test doubles for the speech tests: an engine that records what it 'spoke' and when."""

from __future__ import annotations

import threading
import time

from spoofvoice.settings import Settings
from spoofvoice.speech.announcer import Announcer
from spoofvoice.speech.player import Player


class FakePlayback:
    """Plays for a fixed time unless stopped."""

    def __init__(self, duration: float) -> None:
        self.ends = time.monotonic() + duration
        self.stopped = False

    def is_playing(self) -> bool:
        return not self.stopped and time.monotonic() < self.ends

    def stop(self) -> None:
        self.stopped = True


class FakeEngine:
    """A direct engine: records (text, priority, start time); each utterance lasts `duration`."""

    name = "fake"
    direct = True

    def __init__(self, duration: float = 0.2) -> None:
        self.duration = duration
        self.spoken: list[tuple[str, str, float]] = []
        self._lock = threading.Lock()

    def speak(self, text, params, priority):
        with self._lock:
            self.spoken.append((text, priority, time.monotonic()))
        return FakePlayback(self.duration)

    def texts(self) -> list[str]:
        with self._lock:
            return [text for text, _, _ in self.spoken]


class Events:
    """Observer that keeps (event, text) pairs in order."""

    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, event, item) -> None:
        with self._lock:
            self.items.append((event, item.text))

    def of(self, event: str) -> list[str]:
        with self._lock:
            return [text for name, text in self.items if name == event]


def silent_player(notices: list[str] | None = None) -> Player:
    """A player that reports no sound device (tests never need a sound card)."""
    return Player(notice=(notices.append if notices is not None else None), probe=lambda: "tests run without sound")


def fake_announcer(duration: float = 0.2, **kwargs):
    """(announcer, engine, events, printed lines) wired to fakes; settings never saved."""
    lines: list[str] = []
    engine = FakeEngine(duration)
    events = Events()
    announcer = Announcer(
        kwargs.pop("settings", Settings()),
        print_line=lines.append,
        engine=engine,
        player=kwargs.pop("player", silent_player()),
        persist=False,
        observer=events,
        **kwargs,
    )
    return announcer, engine, events, lines


def wait_until(condition, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.005)
    return False
