"""The one randomised channel that every clip, bonafide or spoof, passes through.

Its settings are drawn from the same distribution for both classes, so band limit, codec,
reverberation, noise floor, silence and level carry no label (the nuisance test checks this).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from spoofvoice.views import TELEPHONE_RATE, telephone_narrowband
from training.corpus.audio import RATE, active_mask, resample, trim


@dataclass(frozen=True)
class ChannelSpec:
    """One draw of the channel; `describe()` goes into clips.tsv."""

    band: str  # "wide" or "tel" (300-3400 Hz at 8 kHz)
    g711: str  # "-", "ulaw" or "alaw" (telephone band only)
    rt60: float  # 0.0: no room
    snr_db: float  # noise floor under the speech
    lead_s: float
    trail_s: float
    level_db: float  # RMS of the active speech, dBFS
    lossy: str  # "-", "mp3" or "ogg"

    def describe(self) -> str:
        return (
            f"band={self.band},g711={self.g711},rt60={self.rt60:.2f},snr={self.snr_db:.0f},"
            f"lead={self.lead_s:.2f},trail={self.trail_s:.2f},level={self.level_db:.1f},lossy={self.lossy}"
        )


def draw_channel(rng: np.random.Generator) -> ChannelSpec:
    """Draw channel settings; the caller uses one generator per clip, whatever its class."""
    band = "tel" if rng.random() < 0.35 else "wide"
    g711 = str(rng.choice(["-", "ulaw", "alaw"])) if band == "tel" else "-"
    rt60 = float(rng.uniform(0.15, 0.7)) if rng.random() < 0.2 else 0.0
    lossy = str(rng.choice(["mp3", "ogg"])) if rng.random() < 0.2 else "-"
    return ChannelSpec(
        band=band,
        g711=g711,
        rt60=rt60,
        snr_db=float(rng.uniform(28.0, 55.0)),
        lead_s=float(rng.uniform(0.05, 0.6)),
        trail_s=float(rng.uniform(0.05, 0.6)),
        level_db=float(rng.uniform(-32.0, -18.0)),
        lossy=lossy,
    )


def room_impulse(rt60: float, rng: np.random.Generator) -> np.ndarray:
    """A synthetic room: a direct path plus exponentially decaying noise (decay set by RT60)."""
    n = int(RATE * min(1.0, rt60 * 1.2))
    t = np.arange(n) / RATE
    tail = rng.standard_normal(n) * np.exp(-6.9 * t / rt60)
    delay = int(RATE * rng.uniform(0.002, 0.01))
    tail[:delay] = 0.0
    tail *= float(rng.uniform(0.15, 0.5)) / (np.sqrt(np.sum(tail**2)) + 1e-9)
    tail[0] = 1.0
    return tail.astype(np.float32)


def reverberate(x: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """Convolve with a synthetic room impulse response."""
    from scipy.signal import fftconvolve

    return fftconvolve(x, room_impulse(rt60, rng))[: len(x) + int(0.3 * rt60 * RATE)].astype(
        np.float32
    )


def _mu_law(x: np.ndarray) -> np.ndarray:
    mu = 255.0
    y = np.sign(x) * np.log1p(mu * np.abs(x)) / np.log1p(mu)
    y = np.round(y * 127.0) / 127.0
    return (np.sign(y) * np.expm1(np.abs(y) * np.log1p(mu)) / mu).astype(np.float32)


def _a_law(x: np.ndarray) -> np.ndarray:
    a = 87.6
    ax = np.abs(x)
    small = ax < 1.0 / a
    y = np.where(
        small, a * ax / (1 + np.log(a)), (1 + np.log(np.maximum(a * ax, 1e-12))) / (1 + np.log(a))
    )
    y = np.round(y * 127.0) / 127.0
    back = np.where(
        y < 1.0 / (1 + np.log(a)), y * (1 + np.log(a)) / a, np.exp(y * (1 + np.log(a)) - 1) / a
    )
    return (np.sign(x) * back).astype(np.float32)


def telephone(x: np.ndarray, g711: str) -> np.ndarray:
    """8 kHz telephone band (300-3400 Hz, the one the detector's telephone view uses), optionally
    through G.711 companding, back at 16 kHz."""
    narrow = telephone_narrowband(x, RATE)
    peak = float(np.max(np.abs(narrow))) + 1e-9
    if g711 == "ulaw":
        narrow = _mu_law(narrow / peak * 0.9) * peak / 0.9
    elif g711 == "alaw":
        narrow = _a_law(narrow / peak * 0.9) * peak / 0.9
    return resample(narrow, TELEPHONE_RATE, RATE)[: len(x)]


def _lossy_round_trip(x: np.ndarray, kind: str) -> np.ndarray:
    """Encode to MP3 or OGG Vorbis in memory and decode again (libsndfile does both)."""
    buf = io.BytesIO()
    if kind == "mp3":
        sf.write(buf, x, RATE, format="MP3", subtype="MPEG_LAYER_III")
    else:
        sf.write(buf, x, RATE, format="OGG", subtype="VORBIS")
    buf.seek(0)
    y, _ = sf.read(buf, dtype="float32")
    return y[: len(x)] if len(y) >= len(x) else np.pad(y, (0, len(x) - len(y)))


def normalise(x: np.ndarray, level_db: float) -> np.ndarray:
    """Set the RMS of the active (speech) frames to `level_db`; keep peaks below full scale."""
    mask = np.repeat(active_mask(x), 320)
    active = x[: len(mask)][mask] if mask.any() else x
    rms = float(np.sqrt(np.mean(active.astype(np.float64) ** 2)) + 1e-9)
    y = x * (10 ** (level_db / 20.0) / rms)
    peak = float(np.max(np.abs(y)))
    if peak > 0.98:
        y = y * (0.98 / peak)
    return y.astype(np.float32)


def apply_channel(x: np.ndarray, spec: ChannelSpec, rng: np.random.Generator) -> np.ndarray:
    """Run a 16 kHz clip through the channel described by `spec`."""
    x = trim(x)
    if spec.rt60 > 0:
        x = reverberate(x, spec.rt60, rng)
    x = np.concatenate(
        [
            np.zeros(int(spec.lead_s * RATE), np.float32),
            x,
            np.zeros(int(spec.trail_s * RATE), np.float32),
        ]
    )
    speech_rms = float(np.sqrt(np.mean(x.astype(np.float64) ** 2)) + 1e-9)
    noise = rng.standard_normal(len(x)).astype(np.float32)
    noise = noise + 2.0 * np.convolve(
        noise, np.ones(8, np.float32) / 8, mode="same"
    )  # tilt to low frequencies
    noise -= noise.mean()
    noise *= speech_rms * 10 ** (-spec.snr_db / 20.0) / (float(np.std(noise)) + 1e-9)
    x = x + noise
    if spec.band == "tel":
        x = telephone(x, spec.g711)
    x = normalise(x, spec.level_db)
    if spec.lossy != "-":
        x = _lossy_round_trip(x, spec.lossy)
    return np.clip(x, -1.0, 1.0).astype(np.float32)
