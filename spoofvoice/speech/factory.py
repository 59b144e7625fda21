"""Builds an engine by name, falling back to the offline voice when the choice cannot run."""

from __future__ import annotations

from collections.abc import Callable

from spoofvoice.paths import cache_dir
from spoofvoice.settings import Settings
from spoofvoice.speech.cache import SpeechCache
from spoofvoice.speech.engines import (
    EngineUnavailable,
    EspeakEngine,
    SilentEngine,
    SpeechDispatcherEngine,
    normalise_engine_name,
)
from spoofvoice.speech.fallback import OnlineWithFallback
from spoofvoice.speech.gtts_engine import GttsEngine

BACKOFF_STATE = "online-voice-backoff.json"


def speech_cache(settings: Settings) -> SpeechCache:
    """The gTTS cache with the user's size bound."""
    return SpeechCache(max_bytes=max(1, int(settings.speech_cache_mb)) * 1024 * 1024)


def build_engine(name: str, settings: Settings, notify: Callable[[str], None] | None = None):
    """The engine called `name`; raises EngineUnavailable (one sentence) when it cannot run."""
    key = normalise_engine_name(name)
    if key == "none":
        return SilentEngine()
    if key == "speechd":
        return SpeechDispatcherEngine()
    if key == "espeak":
        return EspeakEngine()
    cache = speech_cache(settings)
    try:
        offline = EspeakEngine()
    except EngineUnavailable:
        raise EngineUnavailable(
            "The online voice needs the offline voice as its fallback; "
            "install espeak-ng with: apt-get install espeak-ng."
        ) from None
    engine = OnlineWithFallback(GttsEngine(cache), offline, cache_dir() / BACKOFF_STATE, notify=notify)
    engine.tell_if_resting()
    return engine


def build_engine_or_fallback(
    name: str, settings: Settings, notify: Callable[[str], None] | None = None
):
    """build_engine, but an engine that cannot run here is replaced (offline voice, else none)
    with one notice, because speech must never stop the program."""
    try:
        return build_engine(name, settings, notify)
    except EngineUnavailable as exc:
        for substitute in ("espeak", "none"):
            try:
                engine = build_engine(substitute, settings, notify)
            except EngineUnavailable:
                continue
            if notify:
                what = "the offline voice" if substitute == "espeak" else "text only"
                notify(f"{exc} Using {what}.")
            return engine
        raise
