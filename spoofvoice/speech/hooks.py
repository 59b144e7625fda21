"""Plain functions behind `spoofvoice say TEXT` and `spoofvoice speech --info|--clear-cache`."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

from spoofvoice.settings import load_settings
from spoofvoice.speech.factory import BACKOFF_STATE, speech_cache
from spoofvoice.speech.player import sound_device_problem

SAY_TIMEOUT_S = 120.0


def say_command(text: str, announcer, wait: bool = True) -> int:
    """Speak text through the configured engine; exit status 0, or 2 if empty.

    The CLI waits until it is said (the process would end first); the session does not, so
    the prompt stays usable while it speaks.
    """
    text = " ".join(text.split())
    status = 0
    if text:
        announcer.say(text, "message")
    else:
        announcer.say("Nothing to say: give the words after say, for example: say hello.")
        status = 2
    if wait:
        announcer.wait_idle(SAY_TIMEOUT_S)
    return status


def _online_voice_resting(state_file: Path) -> bool:
    """True while the online voice is backing off after a network failure."""
    try:
        until = json.loads(state_file.read_text(encoding="utf-8")).get("until", 0)
    except (OSError, ValueError, AttributeError):
        return False
    return isinstance(until, int | float) and until > time.time()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def speech_info_lines() -> list[str]:
    """Plain lines describing voice, cache and sound output, for `speech --info`."""
    settings = load_settings()
    cache = speech_cache(settings)
    files, size = cache.stats()
    espeak = shutil.which("espeak-ng") or shutil.which("espeak")
    spd = shutil.which("spd-say")
    problem = sound_device_problem()
    resting = _online_voice_resting(cache.root.parent / BACKOFF_STATE)
    lines = [
        f"Voice: {settings.voice}. Language: {settings.language}. "
        f"Rate: {settings.rate:g} times. Volume: {round(settings.volume * 100)} percent.",
        f"Verbosity: {settings.verbosity}. Earcons: {'on' if settings.earcons else 'off'}. "
        f"Muted: {'yes' if settings.muted else 'no'}.",
        f"Offline voice: {'espeak-ng ' + settings.offline_voice if espeak else 'not installed'}.",
        f"Screen-reader voice: {'speech-dispatcher (spd-say)' if spd else 'speech-dispatcher is not installed'}.",
        f"Speech cache: {files} files, {_megabytes(size)} of {_megabytes(cache.max_bytes)}, in {cache.root}.",
        f"Sound output: {'available' if problem is None else problem}.",
    ]
    if resting:
        lines.append("Online voice: resting after a network failure; the offline voice is used.")
    return lines


def clear_speech_cache() -> int:
    """Delete the cached speech audio; returns how many files were removed."""
    return speech_cache(load_settings()).clear()
