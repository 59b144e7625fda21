"""The FOTAQ probe: real voices from a recording chain that no corpus voice has.

Why: the corpus's real voices are studio and telephone prompts and children's-software
recordings, and a detector that learns those chains calls other real voices spoof. Flight of
the Amazon Queen (Debian package `flight-of-the-amazon-queen`, 1995) holds 6,745 lines of a
professional English cast, stored as MP3 at 11,025 Hz inside one resource file; it is in no
split, so how many of its clips a model calls spoof measures how far "real" reaches. It is
bonafide only (no EER): check it with `spoofvoice check DIR`.

`queen.1c` starts with "QTBL", a version string, a compression byte (offset 12) and a
big-endian uint16 entry count (offset 13); then one 21-byte entry per resource: a NUL-padded
12-byte name, a bundle byte and big-endian uint32 offset and size, both absolute. Speech
lines are the `*.SB` entries.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from training.corpus.build import CorpusError

PACKAGE = "flight-of-the-amazon-queen"
RESOURCE = Path("/usr/share/scummvm/flight-of-the-amazon-queen/queen.1c")
MAGIC = b"QTBL"
COUNT_AT, TABLE_AT, ENTRY_BYTES = 13, 15, 21
EVERY = 22  # every 22nd speech line: 300 lines spread over the whole cast
LINES = 300
MIN_SECONDS = 1.5  # as long as the corpus's shortest clips
MIN_PEAK = 0.05  # a line that quiet is a breath or a grunt, not speech
RATE = 16_000


@dataclass(frozen=True)
class Entry:
    """One resource inside queen.1c."""

    name: str
    offset: int
    size: int


def read_table(data: bytes) -> list[Entry]:
    """Every entry of the resource table; CorpusError when `data` is not a queen.1c file."""
    if data[: len(MAGIC)] != MAGIC or len(data) < TABLE_AT:
        raise CorpusError("The FOTAQ resource file does not start with QTBL; reinstall " + PACKAGE + ".")
    (count,) = struct.unpack(">H", data[COUNT_AT:TABLE_AT])
    if len(data) < TABLE_AT + count * ENTRY_BYTES:
        raise CorpusError("The FOTAQ resource table is cut short; reinstall " + PACKAGE + ".")
    entries = []
    for k in range(count):
        raw = data[TABLE_AT + k * ENTRY_BYTES : TABLE_AT + (k + 1) * ENTRY_BYTES]
        name = raw[:12].split(b"\0")[0].decode("ascii", "replace")
        offset, size = struct.unpack(">II", raw[13:21])
        entries.append(Entry(name, offset, size))
    return entries


def probe_lines(entries: list[Entry], every: int = EVERY, lines: int = LINES) -> list[Entry]:
    """The speech lines the probe decodes: every `every`-th `*.SB` entry, `lines` at most."""
    speech = [e for e in entries if e.name.upper().endswith(".SB")]
    return speech[::every][:lines]


def decode_mp3(blob: bytes) -> np.ndarray:
    """An MP3 stream as 16-bit mono at 16 kHz (ffmpeg through pipes); empty when undecodable.

    ffmpeg rounds to 16 bits itself, so the clips are the ones the README's numbers were
    measured on, sample for sample (rounding them another way flips 4 of the 223 verdicts)."""
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-i", "-", "-f", "s16le", "-ac", "1", "-ar", str(RATE), "-"]
    proc = subprocess.run(cmd, input=blob, capture_output=True, timeout=60, check=False)
    if proc.returncode != 0:
        return np.zeros(0, dtype=np.int16)
    return np.frombuffer(proc.stdout, dtype="<i2").copy()


def build_fotaq(
    out: Path,
    resource: Path | None = None,
    log: Callable[[str], None] = print,
    every: int = EVERY,
    lines: int = LINES,
) -> list[Path]:
    """Write the probe's clips to `out`/bonafide/fotaq/NAME.wav (16 kHz, 16-bit) and return
    them: the chosen lines of 1.5 s or more whose peak is at least 0.05."""
    resource = resource or RESOURCE
    if not resource.is_file():
        raise CorpusError(f"{resource} is missing; run: apt-get install {PACKAGE}")
    if shutil.which("ffmpeg") is None:
        raise CorpusError("The FOTAQ probe needs ffmpeg to decode MP3; run: apt-get install ffmpeg")
    data = resource.read_bytes()
    folder = Path(out) / "bonafide" / "fotaq"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    written = []
    chosen = probe_lines(read_table(data), every, lines)
    for entry in chosen:
        samples = decode_mp3(data[entry.offset : entry.offset + entry.size])
        if len(samples) < MIN_SECONDS * RATE or np.abs(samples.astype(np.float32)).max() / 32768 < MIN_PEAK:
            continue
        path = folder / (Path(entry.name).stem + ".wav")
        sf.write(path, samples, RATE, subtype="PCM_16")
        written.append(path)
    log(f"corpus: done, FOTAQ probe: {len(written)} of {len(chosen)} lines kept (1.5 s or more) in {folder}")
    return written
