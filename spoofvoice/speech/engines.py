"""Speech engines: turn text into an audio file (espeak-ng, gTTS) or speak it directly
(speech-dispatcher), or do nothing (none).

File engines return a Synthesis that the player plays and the capture folder copies; direct
engines return a Playback handle of their own.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from spoofvoice.speech.player import Playback
from spoofvoice.speech.scratch import ScratchClosed, scratch_file

DEFAULT_OFFLINE_VOICE = "en-us+f3"
ENGINE_NAMES = ("gtts", "espeak", "speechd", "none")
_ALIASES = {
    "google": "gtts",
    "online": "gtts",
    "espeak-ng": "espeak",
    "offline": "espeak",
    "speech-dispatcher": "speechd",
    "spd": "speechd",
    "screen-reader": "speechd",
    "off": "none",
    "text": "none",
}
SYNTH_TIMEOUT_S = 15.0


class EngineUnavailable(RuntimeError):
    """The engine cannot run here; the message says why in one sentence."""


@dataclass(frozen=True)
class VoiceParams:
    """What every engine needs to know about the voice, read fresh for each utterance."""

    language: str = "en"
    rate: float = 1.0
    volume: float = 1.0
    offline_voice: str = DEFAULT_OFFLINE_VOICE
    tld: str = "com"


@dataclass(frozen=True)
class Synthesis:
    """An audio file for one utterance; temporary files are deleted after playback."""

    path: Path
    engine: str
    temporary: bool = False

    def discard(self) -> None:
        if self.temporary:
            self.path.unlink(missing_ok=True)


def normalise_engine_name(name: str) -> str:
    """Accept the names people use ("espeak-ng", "speech-dispatcher", "off")."""
    key = name.strip().lower()
    key = _ALIASES.get(key, key)
    if key not in ENGINE_NAMES:
        raise ValueError(f"Unknown voice {name!r}; choose one of {', '.join(ENGINE_NAMES)}.")
    return key


class EspeakEngine:
    """espeak-ng: offline, instant, native rate. Default voice en-us+f3, which offline
    recognisers (pocketsphinx) understand, unlike espeak-ng's default male voice."""

    name = "espeak"
    direct = False
    BASE_WPM = 175

    def __init__(self) -> None:
        self.executable = shutil.which("espeak-ng") or shutil.which("espeak")
        if not self.executable:
            raise EngineUnavailable(
                "The offline voice needs espeak-ng; install it with: apt-get install espeak-ng."
            )

    def voice_for(self, params: VoiceParams) -> str:
        if params.language.lower().startswith("en"):
            return params.offline_voice
        variant = params.offline_voice.partition("+")[2]
        return f"{params.language}+{variant}" if variant else params.language

    def synthesize(self, text: str, params: VoiceParams) -> Synthesis:
        try:
            out = scratch_file(".wav")
        except (OSError, ScratchClosed) as exc:
            raise EngineUnavailable(f"The offline voice has nowhere to write its audio ({exc}).") from exc
        command = [
            self.executable, "-v", self.voice_for(params),
            "-s", str(int(round(self.BASE_WPM * params.rate))),
            "-a", str(int(round(100 * params.volume))),
            "-w", str(out), "--stdin",
        ]
        try:
            done = subprocess.run(
                command, input=text.encode("utf-8"), capture_output=True, timeout=SYNTH_TIMEOUT_S
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            out.unlink(missing_ok=True)
            raise EngineUnavailable(f"The offline voice failed to run ({exc}).") from exc
        if done.returncode != 0 or out.stat().st_size == 0:
            out.unlink(missing_ok=True)
            reason = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
            raise EngineUnavailable(f"The offline voice failed: {reason}.")
        return Synthesis(out, self.name, temporary=True)


class ProcessPlayback:
    """A speaking child process (spd-say -w): playing until it exits."""

    def __init__(self, process: subprocess.Popen, stop_command: list[str] | None = None) -> None:
        self._process = process
        self._stop_command = stop_command

    def is_playing(self) -> bool:
        return self._process.poll() is None

    def stop(self) -> None:
        if self._stop_command:
            try:
                subprocess.run(self._stop_command, capture_output=True, timeout=2.0)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=1.0)
            except subprocess.TimeoutExpired:
                self._process.kill()


class CallbackPlayback:
    """A message given to the speechd client: playing until speechd reports END or CANCEL."""

    def __init__(self, client: object, done: threading.Event) -> None:
        self._client = client
        self._done = done

    def is_playing(self) -> bool:
        return not self._done.is_set()

    def stop(self) -> None:
        try:
            self._client.stop()
        except Exception:  # a dead connection has stopped speaking anyway
            pass
        self._done.set()


class SpeechDispatcherEngine:
    """speech-dispatcher: the user's own screen-reader voice. Uses the speechd Python client
    when it is importable (events tell us when speech ends), else spd-say; our priority class
    is passed through so speechd arbitrates against the screen reader itself."""

    name = "speechd"
    direct = True

    def __init__(self) -> None:
        self.executable = shutil.which("spd-say")
        try:
            import speechd
        except ImportError:
            speechd = None
        self._speechd = speechd
        self._client = None
        self._lock = threading.Lock()
        if speechd is None and not self.executable:
            raise EngineUnavailable(
                "The screen-reader voice needs speech-dispatcher, which is not installed "
                "(spd-say not found)."
            )

    @staticmethod
    def levels(params: VoiceParams) -> tuple[int, int]:
        """speechd's rate and volume scales (-100..100): rate 2x -> 100, 0.5x -> -100."""
        rate = int(max(-100, min(100, round(100 * math.log2(params.rate)))))
        volume = int(max(-100, min(100, round(200 * params.volume - 100))))
        return rate, volume

    def command(self, text: str, params: VoiceParams, priority: str) -> list[str]:
        rate, volume = self.levels(params)
        return [
            self.executable, "--wait", "-P", priority, "-r", str(rate), "-i", str(volume),
            "-l", params.language, "--", text,
        ]

    def _connected(self) -> object | None:
        """The speechd client, connecting on first use; None when it cannot connect."""
        with self._lock:
            if self._speechd is not None and self._client is None:
                try:
                    self._client = self._speechd.SSIPClient("spoofvoice")
                except Exception:  # no server: spd-say may still autospawn one
                    self._speechd = None
            return self._client

    def speak(self, text: str, params: VoiceParams, priority: str) -> Playback:
        client = self._connected()
        if client is not None:
            rate, volume = self.levels(params)
            done = threading.Event()
            events = self._speechd.CallbackType
            client.set_priority(priority)
            client.set_rate(rate)
            client.set_volume(volume)
            client.set_language(params.language)
            client.speak(text, callback=lambda *_a, **_k: done.set(), event_types=(events.END, events.CANCEL))
            return CallbackPlayback(client, done)
        if not self.executable:
            raise EngineUnavailable("speech-dispatcher cannot be reached and spd-say is not installed.")
        process = subprocess.Popen(
            self.command(text, params, priority),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return ProcessPlayback(process, stop_command=[self.executable, "--stop"])


class SilentEngine:
    """none: text only."""

    name = "none"
    direct = True

    def speak(self, text: str, params: VoiceParams, priority: str) -> Playback | None:
        return None
