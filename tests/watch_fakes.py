"""Helpers for the watch-folder tests: distinct real clips, a recording scorer and context."""

from __future__ import annotations

import os
import struct
import threading
import time
from pathlib import Path

from spoofvoice.verdict import BONAFIDE, SPOOF, Verdict

SOURCE_CLIP = Path("/usr/share/asterisk/sounds/en/activated.wav")  # real speech, about 1 s


def clip_bytes(n: int, source: Path = SOURCE_CLIP) -> bytes:
    """The source WAV with one sample changed to `n`: real audio whose content hash is unique."""
    data = bytearray(source.read_bytes())
    offset = _data_offset(bytes(data))
    struct.pack_into("<H", data, offset + 400, n % 65536)
    struct.pack_into("<H", data, offset + 402, (n // 65536) % 65536)
    return bytes(data)


def _data_offset(wav: bytes) -> int:
    offset = 12
    while offset + 8 <= len(wav):
        chunk, size = struct.unpack_from("<4sI", wav, offset)
        if chunk == b"data":
            return offset + 8
        offset += 8 + size + (size & 1)
    raise ValueError("no data chunk")


def write_slowly(path: Path, data: bytes, chunks: int = 4, pause_s: float = 0.01) -> None:
    """Write through one open handle in several chunks with pauses (a recorder or a download)."""
    step = -(-len(data) // chunks)
    with open(path, "wb") as handle:
        for start in range(0, len(data), step):
            handle.write(data[start : start + step])
            handle.flush()
            os.fsync(handle.fileno())
            time.sleep(pause_s)


class FakeScorer:
    """Stands in for the model: records each call with the file's size at that moment.

    The label comes from the file's bytes, so the same content always gets the same verdict.
    """

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def __call__(self, path: str) -> Verdict:
        from spoofvoice import audio

        size = os.path.getsize(path)
        with self._lock:
            self.calls.append((path, size))
        samples = audio.load(path)  # the real decoder: truncated or corrupt files fail as they would
        if self.delay_s:
            time.sleep(self.delay_s)
        spoof = int(abs(float(samples[100:2000].sum())) * 1e4) % 3 == 0
        return Verdict(SPOOF if spoof else BONAFIDE, -1.0 if spoof else 1.0, 0.9 if spoof else 0.1, len(samples) / 16000, "fake", 0.0)

    def scored(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.calls]


class RecordingContext:
    """Collects what a command says and shows (text, priority, display, earcon)."""

    interactive = True

    def __init__(self) -> None:
        self.said: list[tuple[str, str, str | None, str | None]] = []
        self.shown: list[str] = []
        self.watchers = None
        self._lock = threading.Lock()

    def say(self, text, priority="message", *, display=None, earcon=None, final=False) -> None:
        with self._lock:
            self.said.append((text, priority, display, earcon))

    def show(self, line: str) -> None:
        with self._lock:
            self.shown.append(line)

    def lines(self) -> list[str]:
        """Every printed line: `display or text` of what was said, and what was shown."""
        with self._lock:
            return [display or text for text, _, display, _ in self.said] + list(self.shown)

    def verdict_lines(self) -> list[str]:
        return [line for line in self.lines() if line.split(" ", 1)[0] in ("BONAFIDE", "SPOOF", "UNCERTAIN", "ERROR")]


def wait_for(condition, timeout: float = 30.0, step: float = 0.02) -> bool:
    """Poll until condition() is true; False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())
