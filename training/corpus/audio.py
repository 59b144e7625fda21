"""Small audio helpers for the corpus builder: decode, resample, measure, write.

Every clip of both classes goes through these same functions, so no label can hide in how a
file was decoded or resampled.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

RATE = 16000
# Headerless sample files some sources ship, all unsigned 8-bit mono: suffix -> sample rate.
RAW_U8_RATES = {".als": 11025}  # Drascula's voice files
EIGHT_BIT_SUBTYPES = frozenset({"PCM_U8", "PCM_S8"})
# Level at which a clip meets an 8-bit chain: the median RMS of Drascula's clips is -20 dBFS.
EIGHT_BIT_LEVEL_DB = -20.0


class SourceAudioError(Exception):
    """A source file could not be decoded; the builder skips it and says so."""


def _ffmpeg_decode(path: Path) -> tuple[np.ndarray, int]:
    """Decode what libsndfile cannot (raw GSM prompts, for instance) through ffmpeg."""
    if shutil.which("ffmpeg") is None:
        raise SourceAudioError(f"{path}: needs ffmpeg to decode (apt-get install ffmpeg)")
    cmd = ["ffmpeg", "-v", "error", "-nostdin"]
    if path.suffix.lower() == ".gsm":
        cmd += ["-f", "gsm"]
    cmd += [
        "-i",
        str(path),
        "-f",
        "f32le",
        "-ac",
        "1",
        "-ar",
        "8000" if path.suffix.lower() == ".gsm" else "16000",
        "-",
    ]
    proc = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    if proc.returncode != 0 or not proc.stdout:
        raise SourceAudioError(f"{path}: ffmpeg could not decode it")
    rate = 8000 if path.suffix.lower() == ".gsm" else RATE
    return np.frombuffer(proc.stdout, dtype=np.float32).copy(), rate


def load_mono(path: Path) -> tuple[np.ndarray, int]:
    """Read any source file as float32 mono at its own rate."""
    raw_rate = RAW_U8_RATES.get(path.suffix.lower())
    if raw_rate is not None:
        data = np.frombuffer(path.read_bytes(), dtype=np.uint8)
        return (data.astype(np.float32) - 128.0) / 128.0, raw_rate
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
        return data.mean(axis=1), int(rate)
    except (sf.LibsndfileError, RuntimeError, ValueError):
        return _ffmpeg_decode(path)


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """One resampler (soxr, high quality) for every conversion in the corpus."""
    if rate_in == rate_out:
        return x.astype(np.float32, copy=False)
    return soxr.resample(x.astype(np.float32, copy=False), rate_in, rate_out, quality="HQ")


def to_rate(x: np.ndarray, rate: int) -> np.ndarray:
    """Bring a clip to 16 kHz."""
    return resample(x, rate, RATE)


def native_format(path: str | Path) -> tuple[int, int]:
    """Sample rate (at most 64 kHz) and bits per sample a source file was stored with."""
    path = Path(path)
    raw_rate = RAW_U8_RATES.get(path.suffix.lower())
    if raw_rate is not None:
        return raw_rate, 8
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError):  # raw GSM: 8 kHz telephone prompts
        return 8000, 16
    return min(RATE * 4, int(info.samplerate)), 8 if info.subtype in EIGHT_BIT_SUBTYPES else 16


def requantise_8bit(x: np.ndarray) -> np.ndarray:
    """Store a clip as unsigned 8-bit would at the level 8-bit sources were recorded, and bring
    it back to its own level: the same quantisation noise relative to the speech."""
    gain = 10 ** (EIGHT_BIT_LEVEL_DB / 20) / (10 ** (rms_db(x) / 20))
    stored = np.clip(np.round(x * gain * 128.0), -128, 127) / 128.0
    return (stored / gain).astype(np.float32)


def through_native_rate(x: np.ndarray, native: int, bits: int = 16) -> np.ndarray:
    """Pass a 16 kHz clip down to `native` Hz (and `bits` per sample) and back, so its band and
    noise floor match a source stored that way."""
    if native >= RATE and bits > 8:
        return x
    rate = min(native, RATE)
    stored = resample(x, RATE, rate)
    if bits <= 8:
        stored = requantise_8bit(stored)
    return resample(stored, rate, RATE)[: len(x)]


def rms_db(x: np.ndarray) -> float:
    """Root-mean-square level in dBFS (floor at -120)."""
    value = float(np.sqrt(np.mean(np.square(x, dtype=np.float64)) + 1e-12))
    return 20.0 * np.log10(max(value, 1e-6))


def active_mask(x: np.ndarray, frame: int = 320, top_db: float = 35.0) -> np.ndarray:
    """Frames (20 ms) within `top_db` of the loudest frame: where speech is."""
    if not len(x):  # an empty file (two of Fish Fillets' Dutch clips): no speech, no warning
        return np.zeros(1, dtype=bool)
    n = max(1, len(x) // frame)
    frames = x[: n * frame].reshape(n, frame) if len(x) >= frame else x.reshape(1, -1)
    energy = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    return energy > energy.max() - top_db


def trim(x: np.ndarray, frame: int = 320, top_db: float = 35.0) -> np.ndarray:
    """Cut leading and trailing silence (20 ms resolution)."""
    mask = active_mask(x, frame, top_db)
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return x
    return x[idx[0] * frame : min(len(x), (idx[-1] + 1) * frame)]


def write_flac(path: Path, x: np.ndarray) -> None:
    """Write 16 kHz 16-bit FLAC, as ASVspoof ships."""
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.clip(x, -1.0, 1.0), RATE, format="FLAC", subtype="PCM_16")
