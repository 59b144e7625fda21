"""Plays audio files without blocking, and degrades to text when there is nothing to play on.

playsound3 gives a stoppable, non-blocking Sound. Its backends start happily on a machine with
no sound card and then fail silently, so before the first play we look for an output device
ourselves. No device or no backend: one clear notice, then text only; never a hang or a crash.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

NO_SOUND_NOTICE = "No sound output: {reason}. Speech continues as text only."


class Playback(Protocol):
    """A sound that is playing: poll it, or stop it."""

    def is_playing(self) -> bool: ...

    def stop(self) -> None: ...


class SoundPlayback:
    """Adapter for a playsound3 Sound."""

    def __init__(self, sound: object) -> None:
        self._sound = sound

    def is_playing(self) -> bool:
        return bool(self._sound.is_alive())

    def stop(self) -> None:
        try:
            self._sound.stop()
        except (OSError, ProcessLookupError):
            pass


def sound_device_problem() -> str | None:
    """Why sound cannot be heard here, or None when an output looks available.

    On Linux an ALSA card (/dev/snd/pcm*) or a PulseAudio/PipeWire server must exist. Other
    systems always have an output device, so only the backend is checked there.
    """
    if sys.platform.startswith("linux"):
        cards = list(Path("/dev/snd").glob("pcm*")) if Path("/dev/snd").is_dir() else []
        runtime = Path(os.environ.get("XDG_RUNTIME_DIR", f"/run/user/{os.getuid()}"))
        servers = [runtime / "pulse" / "native", runtime / "pipewire-0"]
        if not cards and not os.environ.get("PULSE_SERVER") and not any(
            s.exists() for s in servers
        ):
            return "no sound device was found"
    return _backend_problem()


def _backend_problem() -> str | None:
    """None when playsound3 found a player program (gstreamer, ffplay, aplay...)."""
    # playsound3 logs its own "no backend" warning to stderr; our notice says it once, better.
    logging.getLogger("playsound3").setLevel(logging.ERROR)
    try:
        import playsound3  # probes for players when imported: keep it off the start-up path
    except Exception as exc:  # a broken install must not stop the program
        return f"the sound library could not load ({exc})"
    if playsound3.DEFAULT_BACKEND is None:
        return "no audio player program was found (install ffmpeg or gstreamer)"
    return None


class Player:
    """Starts playback of files; after one failure it stays quiet and says so once."""

    def __init__(
        self,
        notice: Callable[[str], None] | None = None,
        probe: Callable[[], str | None] = sound_device_problem,
        backend: str | None = None,
    ) -> None:
        self._notice = notice
        self._probe = probe
        self._backend = backend
        self._lock = threading.Lock()
        self._checked = False
        self._problem: str | None = None

    def available(self) -> bool:
        """True when sound can be played; the first negative answer issues the notice."""
        with self._lock:
            if not self._checked:
                self._checked = True
                problem = self._probe()
                if problem:
                    self._disable(problem)
            return self._problem is None

    def describe(self) -> str:
        """One phrase for `speech --info`."""
        if not self._checked:
            self.available()
        if self._problem:
            return f"text only ({self._problem})"
        if self._backend:
            return f"playsound3 ({self._backend})"
        import playsound3

        return f"playsound3 ({playsound3.DEFAULT_BACKEND})"

    def _disable(self, problem: str) -> None:
        self._problem = problem
        if self._notice:
            self._notice(NO_SOUND_NOTICE.format(reason=problem))

    def play(self, path: Path) -> Playback | None:
        """Start playing path in the background; None when sound is not available."""
        if not self.available():
            return None
        try:
            from playsound3 import playsound

            sound = playsound(str(path), block=False, backend=self._backend)
        except Exception as exc:  # any backend failure means: text only from now on
            with self._lock:
                if self._problem is None:
                    self._disable(f"the audio player failed ({exc})")
            return None
        return SoundPlayback(sound)
