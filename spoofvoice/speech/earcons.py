"""Earcons: tiny tones that say "bonafide", "spoof", "error" or "done" before any word.

Made with numpy so they ship with no sound files. Each differs in pitch AND rhythm (so they stay
distinct for people with pitch-perception loss) and lasts under 300 ms, so it never delays speech.
"""

from __future__ import annotations

import os
import tempfile
import wave
from pathlib import Path

import numpy as np

from spoofvoice.paths import cache_dir

SAMPLE_RATE = 22050
EARCONS = ("bonafide", "spoof", "error", "done")
_VERSION = "1"  # bump when the sounds change, so cached files are rebuilt

# name -> list of (frequency Hz, duration s, gap after s, harmonics)
_DESIGNS: dict[str, list[tuple[float, float, float, int]]] = {
    # Two soft rising notes: a calm "all good".
    "bonafide": [(660.0, 0.09, 0.03, 1), (880.0, 0.11, 0.0, 1)],
    # Three short buzzy falling pulses: an alert.
    "spoof": [(520.0, 0.05, 0.03, 5), (440.0, 0.05, 0.03, 5), (370.0, 0.06, 0.0, 5)],
    # One low, long, rough tone.
    "error": [(196.0, 0.24, 0.0, 7)],
    # One bright ping.
    "done": [(1320.0, 0.16, 0.0, 2)],
}


def _tone(freq: float, duration: float, harmonics: int) -> np.ndarray:
    """A note with odd harmonics (more = buzzier) and a short fade in/out to avoid clicks."""
    t = np.arange(int(duration * SAMPLE_RATE)) / SAMPLE_RATE
    wave_ = np.zeros_like(t)
    for k in range(1, 2 * harmonics, 2):
        wave_ += np.sin(2 * np.pi * freq * k * t) / k
    fade = min(len(t) // 4, int(0.008 * SAMPLE_RATE))
    envelope = np.ones_like(t)
    if fade:
        envelope[:fade] = np.linspace(0.0, 1.0, fade)
        envelope[-fade:] = np.linspace(1.0, 0.0, fade)
    return wave_ * envelope


def earcon_samples(name: str) -> np.ndarray:
    """The earcon as float32 samples at SAMPLE_RATE, peak 0.5."""
    if name not in _DESIGNS:
        raise ValueError(f"Unknown earcon {name!r}; choose one of {', '.join(EARCONS)}.")
    pieces = []
    for freq, duration, gap, harmonics in _DESIGNS[name]:
        pieces.append(_tone(freq, duration, harmonics))
        pieces.append(np.zeros(int(gap * SAMPLE_RATE)))
    samples = np.concatenate(pieces)
    return (0.5 * samples / np.max(np.abs(samples))).astype(np.float32)


def write_wav(path: Path, samples: np.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """16-bit mono WAV, written to a temp file and renamed so readers never see half a file."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".earcon-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle, wave.open(handle, "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(sample_rate)
            out.writeframes(pcm)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def earcon_path(name: str, folder: Path | None = None) -> Path:
    """A WAV file of the earcon, made once and then reused from the cache folder."""
    folder = folder or cache_dir() / "earcons"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-v{_VERSION}.wav"
    if not path.exists():
        write_wav(path, earcon_samples(name))
    return path
