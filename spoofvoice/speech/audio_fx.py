"""Tempo and volume changes for recorded speech (gTTS MP3s), keeping the pitch.

ffmpeg's atempo filter does it in one fast call when ffmpeg is installed; otherwise librosa's
phase-vocoder time stretch does the same job in-process (slower, but needs no extra program).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

FFMPEG_TIMEOUT_S = 20.0


def clamp_rate(rate: float) -> float:
    """Speech rate is limited to 0.5x .. 2x: beyond that speech stops being intelligible."""
    return min(max(float(rate), 0.5), 2.0)


def clamp_volume(volume: float) -> float:
    return min(max(float(volume), 0.0), 1.0)


def change_tempo(source: Path, target: Path, rate: float, volume: float = 1.0) -> Path:
    """Write source sped up by `rate` (pitch kept) and scaled by `volume` to target (a .wav)."""
    rate, volume = clamp_rate(rate), clamp_volume(volume)
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg:
        command = [
            ffmpeg, "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(source),
            "-af", f"atempo={rate:.4f},volume={volume:.4f}", "-f", "wav", str(target),
        ]
        done = subprocess.run(command, capture_output=True, timeout=FFMPEG_TIMEOUT_S)
        if done.returncode == 0:
            return target
    return _change_tempo_librosa(source, target, rate, volume)


def _change_tempo_librosa(source: Path, target: Path, rate: float, volume: float) -> Path:
    """Fallback without ffmpeg: decode with soundfile, stretch with librosa."""
    import librosa  # slow import: only on this rare path
    import soundfile as sf

    samples, sample_rate = sf.read(str(source), dtype="float32", always_2d=True)
    mono = samples.mean(axis=1)
    if rate != 1.0:
        mono = librosa.effects.time_stretch(mono, rate=rate)
    mono = np.clip(mono * volume, -1.0, 1.0)
    sf.write(str(target), mono, sample_rate, format="WAV", subtype="PCM_16")
    return target
