"""The announcer: every message printed at once as one plain line, then spoken in turn.

One worker thread speaks; any thread (the REPL, the watch worker, training callbacks) may call
say(). The queue follows speech-dispatcher's priority classes (see priorities.py). Settings
changes (rate, volume, voice, mute...) persist through Settings.save().
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from spoofvoice.settings import Settings, load_settings
from spoofvoice.speech.audio_fx import clamp_rate, clamp_volume
from spoofvoice.speech.capture import AudioCapture
from spoofvoice.speech.earcons import EARCONS, earcon_path
from spoofvoice.speech.engines import VoiceParams, normalise_engine_name
from spoofvoice.speech.factory import build_engine_or_fallback, speech_cache
from spoofvoice.speech.player import Playback, Player
from spoofvoice.speech.priorities import PRIORITIES, SpeechQueue, Utterance

VERBOSITIES = ("brief", "normal", "verbose")
HISTORY_SIZE = 100
POLL_S = 0.01

def playback_limit_s(text: str, rate: float) -> float:
    """How long speaking text may take before the player is presumed hung and stopped:
    generous (about 3x a slow speaker), so a real utterance is never cut."""
    return 30.0 + 0.2 * len(text) / clamp_rate(rate)


Observer = Callable[[str, Utterance], None]


class Announcer:
    """Prints and speaks messages under the priority rules. Thread-safe.

    `observer(event, utterance)` (optional) hears: "dropped", "interrupted" (cut by a newer
    arrival), "start" (playback started), "end" (spoken to the end), "stopped" (cut short).
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        print_line: Callable[[str], None] | None = print,
        engine: object | None = None,
        player: Player | None = None,
        capture: AudioCapture | None = None,
        speech: bool = True,
        persist: bool = True,
        observer: Observer | None = None,
    ) -> None:
        self.settings = settings or load_settings()
        self.speech = speech
        self.persist = persist
        self.observer = observer
        self.capture = capture
        self.history: deque[tuple[str, str]] = deque(maxlen=HISTORY_SIZE)
        self._print_line = print_line
        self._print_lock = threading.Lock()
        self._cond = threading.Condition()
        self._queue = SpeechQueue()
        self._worker: threading.Thread | None = None
        self._closing = False
        self._failure_told = False
        self.player = player or Player(notice=self._print)
        self._early_notices: list[str] = []  # said once the engine exists
        self._engine = None
        if engine is None:
            engine = build_engine_or_fallback(
                self.settings.voice if speech else "none", self.settings, self._notice
            )
        self._engine = engine
        for notice in self._early_notices:
            self._notice(notice)
        if self.speech and engine.name != "none":
            with self._cond:
                self._start_worker()  # warms the player up while the caller gets going

    # ----- the public surface -------------------------------------------------------------

    @property
    def verbosity(self) -> str:
        return self.settings.verbosity

    @property
    def muted(self) -> bool:
        return self.settings.muted

    @property
    def engine_name(self) -> str:
        return self._engine.name

    def say(
        self,
        text: str,
        priority: str = "message",
        *,
        display: str | None = None,
        earcon: str | None = None,
        final: bool = False,
    ) -> None:
        """Print `display or text` now, then queue `text` for speech under its priority."""
        if priority not in PRIORITIES:
            raise ValueError(f"Unknown priority {priority!r}; use one of {', '.join(PRIORITIES)}.")
        if earcon is not None and earcon not in EARCONS:
            raise ValueError(f"Unknown earcon {earcon!r}; use one of {', '.join(EARCONS)}.")
        self._print(display if display is not None else text)
        if not text.strip():
            return  # nothing to speak (a blank line is still printed)
        with self._cond:
            self.history.append((text, priority))
        self._enqueue(Utterance(text, priority, earcon, final))

    def show(self, line: str) -> None:
        """Print one line without speaking it (long runs speak only what matters)."""
        self._print(line)

    def repeat(self) -> None:
        """Say the last message again (spoken even if it was a notification or progress)."""
        with self._cond:
            if not self.history:
                last = None
            else:
                last = self.history[-1]
        if last is None:
            self._print("Nothing to repeat yet.")
            return
        text, priority = last
        self._print(text)
        spoken_priority = "message" if priority in ("notification", "progress") else priority
        self._enqueue(Utterance(text, spoken_priority))

    def stop(self) -> None:
        """Stop speaking now and cancel everything waiting."""
        with self._cond:
            for item in self._queue.clear():
                self._emit("dropped", item)
            self._cond.notify_all()

    def mute(self) -> None:
        self.stop()
        self._update(muted=True)

    def unmute(self) -> None:
        self._update(muted=False)

    def set_rate(self, rate: float) -> float:
        """0.5x .. 2x; returns the rate actually set."""
        value = clamp_rate(rate)
        self._update(rate=value)
        return value

    def set_volume(self, volume: float) -> float:
        """0 .. 1; returns the volume actually set."""
        value = clamp_volume(volume)
        self._update(volume=value)
        return value

    def set_verbosity(self, verbosity: str) -> str:
        key = verbosity.strip().lower()
        if key not in VERBOSITIES:
            raise ValueError(f"Unknown verbosity {verbosity!r}; use brief, normal or verbose.")
        self._update(verbosity=key)
        return key

    def set_earcons(self, on: bool) -> None:
        self._update(earcons=bool(on))

    def set_engine(self, name: str) -> str:
        """Switch voice (gtts, espeak, speechd, none); returns the engine actually in use,
        which is the offline voice when the chosen one cannot run here (said once)."""
        key = normalise_engine_name(name)
        engine = build_engine_or_fallback(key if self.speech else "none", self.settings, self._notice)
        with self._cond:
            self._engine = engine
        self._update(voice=key)
        return engine.name

    def wait_idle(self, timeout: float) -> bool:
        """Block until nothing is waiting or speaking; False if timeout passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while not self._queue.idle():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Let queued speech finish (up to timeout), then stop the worker thread."""
        drained = self.wait_idle(timeout)
        if not drained:
            self.stop()
        with self._cond:
            self._closing = True
            self._cond.notify_all()
            worker = self._worker
        if worker is not None:
            worker.join(timeout=max(1.0, timeout))

    def info(self) -> dict:
        """What `speech --info` shows: engine, cache, player and the voice settings."""
        cache = speech_cache(self.settings)
        files, size = cache.stats()
        return {
            "engine": self._engine.name,
            "voice_setting": self.settings.voice,
            "speech": self.speech,
            "offline_voice": self.settings.offline_voice,
            "language": self.settings.language,
            "muted": self.settings.muted,
            "rate": self.settings.rate,
            "volume": self.settings.volume,
            "verbosity": self.settings.verbosity,
            "earcons": self.settings.earcons,
            "cache_path": str(cache.root),
            "cache_files": files,
            "cache_bytes": size,
            "cache_limit_bytes": cache.max_bytes,
            "player": self.player.describe() if self.speech else "text only (speech is off)",
            "audio_out": str(self.capture.folder) if self.capture else None,
        }

    # ----- internals ----------------------------------------------------------------------

    def _print(self, line: str) -> None:
        if self._print_line is None:
            return
        with self._print_lock:
            self._print_line(line)

    def _notice(self, text: str) -> None:
        """A message from the speech system itself (fallbacks): printed and spoken."""
        if self._engine is None:
            self._early_notices.append(text)
            return
        self.say(text, "message")

    def _update(self, **changes: object) -> None:
        for key, value in changes.items():
            setattr(self.settings, key, value)
        if self.persist:
            try:
                self.settings.save()
            except OSError as exc:
                self._print(f"Could not save speech settings ({exc}); they last this session.")

    def _emit(self, event: str, item: Utterance) -> None:
        if self.observer is not None:
            self.observer(event, item)

    def _enqueue(self, item: Utterance) -> None:
        if not self.speech or self.settings.muted or self._engine.name == "none":
            return
        with self._cond:
            if self._closing:
                return
            decision = self._queue.offer(item)
            for dropped in decision.dropped:
                self._emit("dropped", dropped)
            if decision.interrupted is not None:
                self._emit("interrupted", decision.interrupted)
            self._start_worker()
            self._cond.notify_all()

    def _start_worker(self) -> None:
        if self._worker is None or not self._worker.is_alive():
            self._worker = threading.Thread(target=self._run, name="spoofvoice-speech", daemon=True)
            self._worker.start()

    def _warm_up(self) -> None:
        """Load the player (playsound3 probes for player programs: ~150 ms) and make the
        earcon files before the first message, so that message starts without that delay."""
        try:
            if not self._engine.direct or self.settings.earcons:
                if self.player.available() and self.settings.earcons:
                    for name in EARCONS:
                        earcon_path(name)
        except Exception:  # warming up is an optimisation; the first say() will retry
            pass

    def _run(self) -> None:
        self._warm_up()
        while True:
            with self._cond:
                while not self._queue.pending and not self._closing:
                    self._cond.wait()
                item = self._queue.next()
                if item is None:
                    return
            try:
                self._speak(item)
            except Exception as exc:  # speech must never take the program down
                if not self._failure_told:
                    self._failure_told = True
                    self._print(f"Speech failed ({exc}); the printed text is complete.")
            finally:
                with self._cond:
                    self._queue.finish(item)
                    self._cond.notify_all()

    def _params(self) -> VoiceParams:
        s = self.settings
        return VoiceParams(
            language=s.language,
            rate=clamp_rate(s.rate),
            volume=clamp_volume(s.volume),
            offline_voice=s.offline_voice,
        )

    def _speak(self, item: Utterance) -> None:
        """Earcon, then the words; returns when done or cut."""
        engine = self._engine
        params = self._params()
        if engine.direct:
            self._play_earcon(item)
            if item.cancel.is_set():
                return
            if self.capture is not None:
                self.capture.record(item.text, item.priority, engine.name, None, item.earcon)
            playback = engine.speak(item.text, params, item.priority)
            self._emit("start", item)
            self._wait(playback, item)
            return
        if self.capture is None and not self.player.available():
            return  # text only: nothing to synthesise for
        synthesis = engine.synthesize(item.text, params)
        try:
            if item.cancel.is_set():
                return
            self._play_earcon(item)
            if item.cancel.is_set():
                return
            if self.capture is not None:
                self.capture.record(
                    item.text, item.priority, synthesis.engine, synthesis.path, item.earcon
                )
            playback = self.player.play(synthesis.path)
            self._emit("start", item)
            self._wait(playback, item)
        finally:
            synthesis.discard()

    def _play_earcon(self, item: Utterance) -> None:
        if item.earcon and self.settings.earcons and self.player.available():
            self._wait(self.player.play(earcon_path(item.earcon)), item, emit=False)

    def _wait(self, playback: Playback | None, item: Utterance, emit: bool = True) -> None:
        """Until playback ends, the item is cut, or the safety limit passes."""
        if playback is not None:
            deadline = time.monotonic() + playback_limit_s(item.text, self.settings.rate)
            while playback.is_playing():
                if item.cancel.wait(POLL_S) or time.monotonic() > deadline:
                    playback.stop()
                    break
        if emit:
            self._emit("stopped" if item.cancel.is_set() else "end", item)


def _speech_off_by_env() -> bool:
    return os.environ.get("SPOOFVOICE_SPEECH", "").strip().lower() in {"off", "0", "no", "false"}


def make_announcer(
    speech: bool = True,
    print_line: Callable[[str], None] | None = print,
    settings: Settings | None = None,
) -> Announcer:
    """The announcer for this run, from saved settings and the environment.

    SPOOFVOICE_SPEECH=off or speech=False: text only (lines still printed).
    SPOOFVOICE_AUDIO_OUT=DIR: every utterance's audio is also written into DIR.
    """
    speech_on = speech and not _speech_off_by_env()
    out = os.environ.get("SPOOFVOICE_AUDIO_OUT", "").strip()
    capture = None
    problem = None
    if out and speech_on:
        try:
            capture = AudioCapture(Path(out))
        except OSError as exc:
            problem = (
                f"SPOOFVOICE_AUDIO_OUT folder {out} cannot be used ({exc.strerror or exc}); "
                "speech is not being recorded. Choose a folder you can write to."
            )
    announcer = Announcer(settings, print_line=print_line, capture=capture, speech=speech_on)
    if problem:
        announcer.show(problem)
    return announcer
