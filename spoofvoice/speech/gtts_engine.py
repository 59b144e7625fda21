"""gTTS, the default voice: natural speech from Google's online service, cached on disk.

A phrase is fetched once, whole, into memory and only then written to the cache (temp file and
rename), so a dropped connection never leaves a broken entry. Every request has a timeout.
Rate and volume changes are applied to a derived, also cached, copy (tempo without pitch).
"""

from __future__ import annotations

import io
from pathlib import Path

from spoofvoice.speech.audio_fx import change_tempo
from spoofvoice.speech.cache import SpeechCache, cache_key
from spoofvoice.speech.engines import Synthesis, VoiceParams

CONNECT_TIMEOUT_S = 1.0
READ_TIMEOUT_S = 4.0


class OnlineVoiceUnavailable(RuntimeError):
    """gTTS could not deliver audio (no network, HTTP 429, bad reply)."""


def _looks_like_mp3(data: bytes) -> bool:
    return data[:3] == b"ID3" or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0)


class GttsEngine:
    """Text -> cached MP3 via gTTS."""

    name = "gtts"
    direct = False

    def __init__(
        self,
        cache: SpeechCache,
        slow: bool = False,
        timeout: tuple[float, float] = (CONNECT_TIMEOUT_S, READ_TIMEOUT_S),
    ) -> None:
        self.cache = cache
        self.slow = slow
        self.timeout = timeout

    def _key(self, text: str, params: VoiceParams) -> str:
        return cache_key(self.name, params.language, params.tld, self.slow, text)

    def cached(self, text: str, params: VoiceParams) -> Synthesis | None:
        """The phrase from the cache (rate and volume applied), or None: never touches the net."""
        key = self._key(text, params)
        original = self.cache.lookup(key, ".mp3")
        if original is None:
            return None
        return Synthesis(self._adjusted(key, original, params), self.name)

    def synthesize(self, text: str, params: VoiceParams) -> Synthesis:
        """Cached audio, or fetch it; raises OnlineVoiceUnavailable when the service fails."""
        hit = self.cached(text, params)
        if hit is not None:
            return hit
        key = self._key(text, params)
        data = self.fetch(text, params)
        original = self.cache.store(key, data, ".mp3")
        return Synthesis(self._adjusted(key, original, params), self.name)

    def fetch(self, text: str, params: VoiceParams) -> bytes:
        """The MP3 bytes for text from the gTTS service."""
        import requests
        from gtts import gTTS
        from gtts.tts import gTTSError

        buffer = io.BytesIO()
        try:
            tts = gTTS(
                text, lang=params.language, tld=params.tld, slow=self.slow,
                lang_check=False, timeout=self.timeout,
            )
            tts.write_to_fp(buffer)
        except gTTSError as exc:
            status = getattr(getattr(exc, "rsp", None), "status_code", None)
            reason = "too many requests (HTTP 429)" if status == 429 else str(exc)
            raise OnlineVoiceUnavailable(reason) from exc
        except (requests.RequestException, OSError, ValueError) as exc:
            raise OnlineVoiceUnavailable(str(exc)) from exc
        data = buffer.getvalue()
        if not _looks_like_mp3(data):
            raise OnlineVoiceUnavailable("the service sent no audio")
        return data

    def _adjusted(self, key: str, original: Path, params: VoiceParams) -> Path:
        """The original MP3 at normal rate and volume, else a cached tempo/volume-changed WAV."""
        if abs(params.rate - 1.0) < 1e-3 and abs(params.volume - 1.0) < 1e-3:
            return original
        suffix = f"-r{params.rate:.2f}-v{params.volume:.2f}.wav"
        derived = self.cache.lookup(key, suffix)
        if derived is not None:
            return derived
        temp = self.cache.temp_path(".wav")
        try:
            change_tempo(original, temp, params.rate, params.volume)
            return self.cache.commit(temp, key, suffix)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
