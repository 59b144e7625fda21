"""Benchmark: time from say() to playback start.

Targets: a cached online-voice phrase at most 150 ms; the offline voice (espeak-ng) at most
300 ms for a one-sentence verdict. Playback start is when the player has started the audio
process (playsound3's backend); without a sound card that process exits at once, which does not
change the time to start it. Prints median, 90th percentile and the cold first call.
"""

from __future__ import annotations

import statistics
import subprocess
import threading
import time

import pytest

from spoofvoice.settings import Settings
from spoofvoice.speech.announcer import Announcer
from spoofvoice.speech.cache import SpeechCache, cache_key
from spoofvoice.speech.phrasing import spoken_verdict
from spoofvoice.speech.player import Player

ROUNDS = 25


def _mp3(tmp_path, text: str) -> bytes:
    wav, mp3 = tmp_path / "v.wav", tmp_path / "v.mp3"
    subprocess.run(["espeak-ng", "-v", "en-us+f3", "-w", str(wav), text], check=True)
    subprocess.run(["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), str(mp3)], check=True)
    return mp3.read_bytes()


def _measure(announcer: Announcer, started: dict, texts: list[str]) -> list[float]:
    delays = []
    for text in texts:
        event = threading.Event()
        started.clear()
        started["want"], started["event"] = text, event
        t0 = time.perf_counter()
        announcer.say(text)
        assert event.wait(10), f"playback of {text!r} never started"
        delays.append((started["at"] - t0) * 1000)
        assert announcer.wait_idle(10)
    return delays


def _announcer(voice: str) -> tuple[Announcer, dict]:
    started: dict = {}

    def observer(name, item):
        if name == "start" and item.text == started.get("want"):
            started["at"] = time.perf_counter()
            started["event"].set()

    player = Player(probe=lambda: None)  # measure the real start of the real player
    announcer = Announcer(Settings(voice=voice, earcons=False), print_line=None, player=player,
                          persist=False, observer=observer)
    return announcer, started


def _report(name: str, target: float, delays: list[float]) -> None:
    cold, warm = delays[0], sorted(delays[1:])
    p90 = warm[int(0.9 * (len(warm) - 1))]
    median = statistics.median(warm)
    verdict = "meets" if p90 <= target else "MISSES"
    print(f"\n{name}: median {median:.1f} ms, p90 {p90:.1f} ms, cold first call {cold:.1f} ms "
          f"({verdict} the {target:.0f} ms target; {len(warm)} rounds)")


@pytest.mark.parametrize("rounds", [ROUNDS])
def test_cached_phrase_say_to_playback_start(tmp_path, rounds):
    text = spoken_verdict("spoof", 0.97, "interview.wav")
    SpeechCache().store(cache_key("gtts", "en", "com", False, text), _mp3(tmp_path, text), ".mp3")
    announcer, started = _announcer("gtts")
    delays = _measure(announcer, started, [text] * (rounds + 1))
    announcer.close()
    _report("cached online-voice phrase, say() to playback start", 150, delays)


@pytest.mark.parametrize("rounds", [ROUNDS])
def test_offline_voice_say_to_playback_start(rounds):
    texts = [spoken_verdict("bonafide", n / 100, f"call_{n}.wav") for n in range(rounds + 1)]
    announcer, started = _announcer("espeak")
    delays = _measure(announcer, started, texts)
    announcer.close()
    _report("offline voice (espeak-ng en-us+f3) verdict, say() to playback start", 300, delays)
