"""Benchmarks for `spoofvoice watch` (run with `make bench`; they print, they never assert on time).

- latency: from a clip's close-write to its verdict line on stdout, one clip at a time into an
  idle queue (target p95 at most 0.5 s);
- burst: 1,000 four-second clips renamed into the folder at once: clips per second from the first
  rename to the last verdict line, and the watcher's peak memory (VmHWM).
"""

from __future__ import annotations

import os
import queue
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import soundfile

from tests.conftest import ASTERISK_EN, subprocess_env

SPOOFVOICE = [sys.executable, "-m", "spoofvoice.cli"]


class Watcher:
    """`spoofvoice watch DIR` in a subprocess, its stdout lines timestamped as they arrive."""

    def __init__(self, folder: Path, home: Path) -> None:
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.process = subprocess.Popen(
            [*SPOOFVOICE, "watch", str(folder)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, bufsize=1, env=subprocess_env(home),
        )
        threading.Thread(target=self._read, daemon=True).start()
        self.wait_for(lambda line: line.startswith("Press Ctrl-C"), 60)

    def _read(self) -> None:
        for line in self.process.stdout:
            self.lines.put((time.perf_counter(), line.rstrip("\n")))

    def wait_for(self, match, timeout: float) -> tuple[float, str]:
        deadline = time.perf_counter() + timeout
        while True:
            stamp, line = self.lines.get(timeout=max(0.01, deadline - time.perf_counter()))
            if match(line):
                return stamp, line

    def peak_memory_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
        return kb / 1024

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)


def _speech(count: int) -> np.ndarray:
    return np.concatenate([soundfile.read(p, dtype="float32")[0] for p in sorted(ASTERISK_EN.glob("*.wav"))[:count]])


def _four_second_clips(folder: Path, count: int) -> list[Path]:
    """Real speech cut into distinct four-second clips (8 kHz, as the Asterisk prompts are)."""
    speech = _speech(80)
    size = 4 * 8000
    paths = []
    for index in range(count):
        start = (index * 7919) % (len(speech) - size)
        clip = speech[start : start + size].copy()
        clip[0] = (index + 1) * 1e-4  # distinct content even where the cuts repeat
        path = folder / f"clip{index:04d}.wav"
        soundfile.write(path, clip, 8000)
        paths.append(path)
    return paths


def test_close_write_to_verdict_latency(tmp_path):
    folder, staging = tmp_path / "drop", tmp_path / "staging"
    folder.mkdir()
    staging.mkdir()
    clips = _four_second_clips(staging, 60)
    watcher = Watcher(folder, tmp_path / "home")
    latencies = []
    try:
        for clip in clips:
            data = clip.read_bytes()
            target = folder / clip.name
            with open(target, "wb") as handle:
                handle.write(data)
            closed = time.perf_counter()  # the close-write happens as the with-block ends
            stamp, _ = watcher.wait_for(lambda line, name=clip.name: line.endswith(" " + name), 30)
            latencies.append(stamp - closed)
            time.sleep(0.05)  # idle queue before the next clip
    finally:
        watcher.stop()
    latencies = latencies[5:]  # the first clips warm caches
    cuts = statistics.quantiles(latencies, n=20)
    print(
        f"\nBENCH watch close-write -> verdict line ({len(latencies)} four-second clips, idle queue): "
        f"p50 {statistics.median(latencies) * 1000:.0f} ms, p95 {cuts[18] * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms (target p95 <= 500 ms)"
    )


def test_burst_of_1000_four_second_clips(tmp_path):
    folder, staging = tmp_path / "drop", tmp_path / "staging"
    folder.mkdir()
    staging.mkdir()
    clips = _four_second_clips(staging, 1000)
    watcher = Watcher(folder, tmp_path / "home")
    try:
        start = time.perf_counter()
        for clip in clips:
            os.rename(clip, folder / clip.name)
        renamed = time.perf_counter() - start
        last, _ = watcher.wait_for(lambda line: line.endswith(" clip0999.wav"), 900)
        memory = watcher.peak_memory_mb()
    finally:
        watcher.stop()
    elapsed = last - start
    print(
        f"\nBENCH watch burst of 1000 four-second clips: {1000 / elapsed:.1f} clips/s "
        f"({elapsed:.1f} s from the first rename to the last verdict; renames took {renamed:.2f} s), "
        f"peak memory {memory:.0f} MB, {os.cpu_count()} CPUs"
    )
