"""Benchmarks for `spoofvoice check` (run with `make bench`; they print, they never assert on time).

- cold start: one process, one clip, wall time from launch to exit (target at most 1.0 s);
- throughput: a folder of 200 four-second clips (target at least 300 clips/s on 2 cores), once
  of Asterisk's 8 kHz prompts and once of wideband speech (espeak-ng at 16 kHz), which the
  default also hears through its telephone view and so scores twice.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.conftest import ASTERISK_EN, subprocess_env

SPOOFVOICE = [sys.executable, "-m", "spoofvoice.cli"]


def _four_second_clips(folder, count=200):
    """Real speech cut into four-second clips, each different."""
    speech = np.concatenate([soundfile.read(p, dtype="float32")[0] for p in sorted(ASTERISK_EN.glob("*.wav"))[:80]])
    size = 4 * 8000
    for index in range(count):
        start = (index * 7919) % (len(speech) - size)
        soundfile.write(folder / f"clip{index:03d}.wav", speech[start : start + size], 8000)
    return folder


SENTENCES = [
    "The quick brown fox jumps over the lazy dog while six sea shells sit on the shore.",
    "Please check this recording and tell me whether a person or a machine is speaking.",
    "Seventeen fresh strawberries fell from the kitchen shelf onto the freshly swept floor.",
    "She said the station would close at half past seven, so we should hurry home.",
]


def _four_second_wideband_clips(folder, count=200):
    """espeak-ng speech (22 kHz, energy above 4 kHz) at 16 kHz, cut into different four-second clips."""
    from spoofvoice import audio

    parts = []
    with tempfile.TemporaryDirectory() as scratch:
        for index, sentence in enumerate(SENTENCES * 3):
            wav = Path(scratch) / f"{index}.wav"
            voice = ["en", "en-us", "en+f3", "en-gb+m3"][index % 4]
            subprocess.run(["espeak-ng", "-v", voice, "-s", str(140 + 10 * index), "-w", str(wav), sentence], check=True, timeout=60)
            parts.append(audio.load(wav))
    speech = np.concatenate(parts)
    size = 4 * 16000
    for index in range(count):
        start = (index * 7919) % (len(speech) - size)
        soundfile.write(folder / f"clip{index:03d}.wav", speech[start : start + size], 16000)
    return folder


def _timed(args, env) -> float:
    start = time.perf_counter()
    subprocess.run(SPOOFVOICE + args, check=False, capture_output=True, env=env)
    return time.perf_counter() - start


def test_cold_check_one_clip(tmp_path):
    env = subprocess_env(tmp_path)
    clip = str(ASTERISK_EN / "agent-pass.wav")
    _timed(["check", clip], env)  # warm the disk cache
    times = [_timed(["check", clip], env) for _ in range(7)]
    print(f"\nBENCH cold check one clip: median {statistics.median(times):.3f} s, max {max(times):.3f} s (target <= 1.0 s)")


@pytest.mark.parametrize("kind, make_clips", [("8 kHz", _four_second_clips), ("wideband", _four_second_wideband_clips)])
def test_throughput_200_four_second_clips(tmp_path, kind, make_clips):
    env = subprocess_env(tmp_path)
    folder = tmp_path / "clips"
    folder.mkdir()
    make_clips(folder)
    for workers in (1, 2):
        times = [_timed(["check", "--json", "--workers", str(workers), str(folder)], env) for _ in range(3)]
        best = min(times)
        print(f"\nBENCH check 200 x 4 s {kind} clips, {workers} worker(s): {best:.2f} s wall including start-up, {200 / best:.0f} clips/s (target >= 300)")
