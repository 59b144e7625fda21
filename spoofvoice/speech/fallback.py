"""The default voice: gTTS, falling back to the offline voice at once when the network fails.

After a failure the online voice rests (back-off: 1 minute, doubling up to 15) and every phrase
uses the offline voice or the cache, so no later phrase waits on the network. The back-off is
kept in the cache folder, so the next command does not try the network again either. The user
is told once per session: at start when the voice is resting already, else at the first failure.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from spoofvoice.speech.engines import EspeakEngine, Synthesis, VoiceParams
from spoofvoice.speech.gtts_engine import GttsEngine, OnlineVoiceUnavailable

FALLBACK_NOTICE = "Online voice unavailable; using the offline voice."
FIRST_BACKOFF_S = 60.0
MAX_BACKOFF_S = 900.0


class OnlineWithFallback:
    """gTTS when it works, espeak-ng when it does not."""

    name = "gtts"
    direct = False

    def __init__(
        self,
        online: GttsEngine,
        offline: EspeakEngine,
        state_file: Path,
        notify: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.online = online
        self.offline = offline
        self.state_file = state_file
        self.notify = notify
        self.clock = clock
        self._lock = threading.Lock()
        self._told = False

    def _read_state(self) -> dict:
        try:
            state = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def _write_state(self, state: dict) -> None:
        try:
            self.state_file.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.state_file.parent, prefix=".backoff-")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(state, handle)
            os.replace(tmp, self.state_file)
        except OSError:
            pass  # the back-off then lasts only for this process: harmless

    def resting_until(self) -> float:
        """Epoch seconds until which the online voice is not tried (0: not resting)."""
        until = self._read_state().get("until", 0.0)
        return float(until) if isinstance(until, int | float) else 0.0

    def _record_failure(self) -> None:
        state = self._read_state()
        failures = int(state.get("failures", 0)) + 1 if isinstance(state.get("failures"), int) else 1
        wait = min(FIRST_BACKOFF_S * 2 ** (failures - 1), MAX_BACKOFF_S)
        self._write_state({"failures": failures, "until": self.clock() + wait})

    def _record_success(self) -> None:
        if self._read_state():
            self._write_state({})

    def _tell_once(self) -> None:
        with self._lock:
            if self._told:
                return
            self._told = True
        if self.notify:
            self.notify(FALLBACK_NOTICE)

    def tell_if_resting(self) -> None:
        """Give the notice now when an earlier failure (this process's or another's) has the
        online voice resting. Why: told at the first phrase instead, from the speech thread, it
        could come after the session's last words ("Goodbye.") in a quick or piped session."""
        if self.clock() < self.resting_until():
            self._tell_once()

    def synthesize(self, text: str, params: VoiceParams) -> Synthesis:
        """Cached gTTS audio, else gTTS if not resting, else the offline voice."""
        hit = self.online.cached(text, params)
        if hit is not None:
            return hit
        if self.clock() >= self.resting_until():
            try:
                result = self.online.synthesize(text, params)
            except OnlineVoiceUnavailable:
                self._record_failure()
            else:
                self._record_success()
                return result
        self._tell_once()
        return self.offline.synthesize(text, params)
