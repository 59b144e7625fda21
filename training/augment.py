"""Training-time augmentation, drawn afresh each epoch from a seeded generator.

What a config's "augmentation" object may hold (all optional; an empty object means none):

- "crop": true: a random window of each clip instead of its centre;
- "gain_db": G: a random level change in [-G, G] dB, applied exactly in the feature domain
  (a power gain shifts every log band equally: the cepstra's c0, or every log-mel bin; it
  multiplies raw samples, the "waveform" kind);
- "channel_copies": N and "channel_probability": P: N copies of each training clip passed
  once through the corpus channel (training/corpus/channel.py: telephone band, G.711, room,
  noise, level, MP3/OGG), their features cached like any other; each epoch a clip is
  replaced by one of its copies with probability P;
- "speed_copies": N, "speed_probability": P and "speed_range": [LO, HI]: N copies of each
  training clip resampled so that its pitch and formants move by a factor drawn log-uniformly
  from [LO, HI] (and its length by the inverse), the way a shorter or longer vocal tract and
  a higher or lower voice would sound. Unlike a vocoder's pitch shift, resampling keeps the
  waveform's glottal pulses sharp, so a bonafide copy is still bonafide; both classes get
  copies, so the band edge it moves tells neither apart. Each epoch a clip is replaced by one
  of its speed copies with probability P (before the channel copies are considered);
- "eq_db": E and "eq_terms": K: a random equaliser on each window, the way another
  microphone, room or recording chain colours a voice: a smooth gain curve, the sum of K
  cosines over the mel scale (so it can shape the band below 300 Hz on its own), scaled so
  its largest boost or cut is drawn uniformly from [0, E] dB. A filter adds its log gain to
  a log spectrum, so it is applied exactly in the feature domain, like "gain_db" (deltas,
  phase planes and the excitation columns, which the LPC inverse filter keeps free of the
  colouring, do not move);
- "convolutive_probability": P: with probability P a window of raw samples (the "waveform"
  kind) goes through a random recording chain drawn for that epoch: RawBoost's linear and
  nonlinear convolutive noise (training/convolutive_noise.py), so a raw-waveform network
  meets many more recording chains than its real training voices came through (it did not
  stop rawcnn learning those voices: README, "Where the remaining errors are");
- "time_masks"/"time_mask_frames" and "freq_masks"/"freq_mask_bins": SpecAugment masks
  (up to that many frames/bins each), filled with the window's own mean so the masked
  region carries no level.

Everything comes from numpy generators seeded by (seed, epoch), so two runs see the same
windows in the same order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spoofvoice.features import FeatureConfig
from training.convolutive_noise import convolutive_noise

KEYS = {
    "crop": bool, "gain_db": (int, float), "channel_copies": int, "channel_probability": (int, float),
    "time_masks": int, "time_mask_frames": int, "freq_masks": int, "freq_mask_bins": int,
    "speed_copies": int, "speed_probability": (int, float), "speed_range": list,
    "eq_db": (int, float), "eq_terms": int, "convolutive_probability": (int, float),
}


@dataclass(frozen=True)
class Augmentation:
    crop: bool = False
    gain_db: float = 0.0
    channel_copies: int = 0
    channel_probability: float = 0.0
    time_masks: int = 0
    time_mask_frames: int = 0
    freq_masks: int = 0
    freq_mask_bins: int = 0
    speed_copies: int = 0
    speed_probability: float = 0.0
    speed_range: tuple[float, float] = (1.0, 1.0)
    eq_db: float = 0.0
    eq_terms: int = 0
    convolutive_probability: float = 0.0

    @classmethod
    def from_dict(cls, data: dict) -> Augmentation:
        """Checked reading of a config's "augmentation" object; raises ValueError naming the key."""
        for key, value in data.items():
            expected = KEYS.get(key)
            if expected is None:
                raise ValueError(f"unknown augmentation key {key!r}; known: {', '.join(sorted(KEYS))}")
            if isinstance(value, bool) and expected is not bool or not isinstance(value, expected):
                raise ValueError(f"augmentation {key!r} has the wrong type: {value!r}")
        values = dict(data)
        if "speed_range" in values:
            values["speed_range"] = _speed_range(values["speed_range"])
        made = cls(**values)
        for key in ("channel_probability", "speed_probability", "convolutive_probability"):
            if not 0.0 <= getattr(made, key) <= 1.0:
                raise ValueError(f"augmentation {key!r} must lie between 0 and 1")
        if made.eq_db < 0 or made.eq_db > 0 and made.eq_terms < 1:
            raise ValueError("augmentation 'eq_db' must be 0 or more, and with it 'eq_terms' at least 1")
        return made

    @property
    def active(self) -> bool:
        return self != Augmentation()


def _speed_range(value: list) -> tuple[float, float]:
    """[LO, HI] with 0.5 <= LO <= HI <= 2: beyond an octave a voice stops sounding like a person."""
    if len(value) != 2 or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
        raise ValueError(f"augmentation 'speed_range' must be two numbers [low, high], not {value!r}")
    low, high = float(value[0]), float(value[1])
    if not 0.5 <= low <= high <= 2.0:
        raise ValueError(f"augmentation 'speed_range' must satisfy 0.5 <= low <= high <= 2, not {value!r}")
    return low, high


def speed_factor(speed_range: tuple[float, float], rng: np.random.Generator) -> float:
    """A pitch factor drawn log-uniformly, so a range like [0.8, 1.25] goes down as often as up."""
    low, high = speed_range
    return float(math.exp(rng.uniform(math.log(low), math.log(high))))


def change_speed(samples: np.ndarray, factor: float, sample_rate: int = 16000) -> np.ndarray:
    """The clip played `factor` times faster: pitch and formants times `factor`, length divided by it.

    Resampling from `sample_rate` to `sample_rate / factor` and keeping the original rate is
    what a tape played at another speed does; the waveform's shape (its glottal pulses) is
    kept, only stretched in time.
    """
    from spoofvoice.audio import resample

    return resample(samples, sample_rate, int(round(sample_rate / factor)))


def gain_vector(config: FeatureConfig) -> np.ndarray:
    """How each feature dimension moves for a +1 dB power gain (exact away from the log floor).
    Raw samples (the "waveform" kind, waveform columns) are scaled instead: see `apply_gain`."""
    vector = np.zeros(config.dims, dtype=np.float32)
    if config.kind == "waveform":
        return vector
    if config.kind in ("logmel", "logspec"):
        vector[: config.static_dims] = math.log(10.0) / 10.0
    elif config.kind == "lfcc":  # natural log, orthonormal DCT: c0 moves by sqrt(n_filters)
        vector[0] = math.log(10.0) / 10.0 * math.sqrt(config.n_filters)
    else:  # mfcc: 10 log10, orthonormal DCT
        vector[0] = math.sqrt(config.n_filters)
    return vector


def apply_gain(window: np.ndarray, config: FeatureConfig, gain_db: float, shift: np.ndarray) -> np.ndarray:
    """A window `gain_db` louder: log features move by `shift` * gain_db (`gain_vector`), raw
    samples are multiplied by the amplitude ratio."""
    out = window + shift * gain_db
    samples = config.static_dims if config.kind == "waveform" else config.waveform_dims  # they end each frame
    if samples:
        out[:, config.dims - samples :] *= 10.0 ** (gain_db / 20.0)
    return out


def equaliser_gain_db(frequencies: np.ndarray, coefficients: Sequence[float], sample_rate: int) -> np.ndarray:
    """The equaliser's gain in dB at each frequency (Hz): sum over k of a_k cos(pi k mel(f) / mel(nyquist))."""
    from spoofvoice.features import hz_to_mel

    position = hz_to_mel(np.asarray(frequencies, dtype=np.float64)) / hz_to_mel(sample_rate / 2.0)
    orders = np.arange(1, len(coefficients) + 1)[:, None]
    return np.asarray(coefficients, dtype=np.float64) @ np.cos(np.pi * orders * position[None, :])


def curve_to_features(config: FeatureConfig, curve_db: np.ndarray) -> np.ndarray:
    """How each feature dimension moves when every static band's power changes by `curve_db`.

    Log spectra and log-mel take the natural log of the power; MFCCs are an orthonormal DCT
    of 10 log10 band energies, LFCCs of natural-log ones, so a band-wise change enters
    their cepstra through the same DCT.
    """
    from spoofvoice.features import dct_matrix

    vector = np.zeros(config.dims, dtype=np.float32)
    nats = np.asarray(curve_db, dtype=np.float64) * math.log(10.0) / 10.0
    if config.kind in ("logmel", "logspec"):
        vector[: config.static_dims] = nats
    elif config.kind == "lfcc":
        vector[: config.static_dims] = dct_matrix(config.n_filters, config.n_coeffs) @ nats
    else:
        vector[: config.static_dims] = dct_matrix(config.n_filters, config.n_coeffs) @ np.asarray(curve_db)
    return vector


def equaliser_basis(config: FeatureConfig, terms: int) -> tuple[np.ndarray, np.ndarray]:
    """Per cosine term: its gain in dB at each band (terms, bands) and its feature shift (terms, dims)."""
    from spoofvoice.features import band_frequencies

    frequencies = band_frequencies(config)
    curves = np.stack([equaliser_gain_db(frequencies, np.eye(terms)[k], config.sample_rate) for k in range(terms)])
    return curves, np.stack([curve_to_features(config, curve) for curve in curves])


def random_equaliser(curves: np.ndarray, shifts: np.ndarray, max_db: float, rng: np.random.Generator) -> np.ndarray:
    """One draw of the equaliser's feature shift: random cosine weights, scaled so the curve's
    largest boost or cut over the bands is uniform in [0, max_db] dB."""
    weights = rng.uniform(-1.0, 1.0, len(curves))
    peak = float(np.abs(weights @ curves).max())
    depth = float(rng.uniform(0.0, max_db))
    return ((weights * (depth / peak if peak > 0 else 0.0)) @ shifts).astype(np.float32)


def crop(features: np.ndarray, frames: int, rng: np.random.Generator | None) -> np.ndarray:
    """A random window (or the centre one when rng is None) of `frames` frames."""
    spare = len(features) - frames
    start = spare // 2 if rng is None or spare <= 0 else int(rng.integers(0, spare + 1))
    return features[max(0, start) : max(0, start) + frames]


def mask(window: np.ndarray, aug: Augmentation, rng: np.random.Generator, planes: int = 1, spectral_dims: int | None = None) -> np.ndarray:
    """SpecAugment time and frequency masks, filled with the window's mean per dimension.

    With `planes` > 1 (a log spectrum followed by its phase planes) a frequency mask hides
    the same bins in every plane. Only the first `spectral_dims` values of a frame are masked
    (all when None): excitation columns after them are left as they are.
    """
    out = window.copy()
    fill = window.mean(axis=0)
    spectral = out.shape[1] if spectral_dims is None else spectral_dims
    for _ in range(aug.time_masks):
        width = int(rng.integers(0, aug.time_mask_frames + 1))
        start = int(rng.integers(0, max(1, len(out) - width + 1)))
        out[start : start + width, :spectral] = fill[:spectral]
    bins = spectral // planes
    for _ in range(aug.freq_masks):
        width = int(rng.integers(0, aug.freq_mask_bins + 1))
        start = int(rng.integers(0, max(1, bins - width + 1)))
        for plane in range(planes):
            first = plane * bins + start
            out[:, first : first + width] = fill[first : first + width]
    return out


def epoch_windows(
    clips: Sequence[np.ndarray],
    copies: Sequence[Sequence[np.ndarray]],
    frames: int,
    aug: Augmentation,
    features: FeatureConfig,
    seed: int,
    epoch: int,
    speed_copies: Sequence[Sequence[np.ndarray]] = (),
) -> np.ndarray:
    """One training window per clip for this epoch: (clips, frames, dims) float32.

    A clip is first replaced by one of its `speed_copies` (probability speed_probability);
    if it was not, by one of its channel `copies` (probability channel_probability).
    """
    if features.kind == "waveform" and (aug.eq_db or aug.freq_masks):
        raise ValueError("an equaliser or frequency masks need spectral features, not the waveform")
    if aug.convolutive_probability and features.kind != "waveform":
        raise ValueError("convolutive noise needs raw samples: the waveform feature kind")
    rng = np.random.default_rng([seed, epoch])
    gain = gain_vector(features)
    equaliser = equaliser_basis(features, aug.eq_terms) if aug.eq_db else None
    out = np.empty((len(clips), frames, features.dims), dtype=np.float32)
    for index, clip in enumerate(clips):
        source = clip
        if speed_copies and speed_copies[index] and rng.random() < aug.speed_probability:
            source = speed_copies[index][int(rng.integers(0, len(speed_copies[index])))]
        elif copies and copies[index] and rng.random() < aug.channel_probability:
            source = copies[index][int(rng.integers(0, len(copies[index])))]
        window = crop(source, frames, rng if aug.crop else None)
        if aug.convolutive_probability and rng.random() < aug.convolutive_probability:
            window = convolutive_noise(window.reshape(-1), rng, features.sample_rate).reshape(window.shape)
        if aug.gain_db:
            window = apply_gain(window, features, float(rng.uniform(-aug.gain_db, aug.gain_db)), gain)
        if equaliser is not None:
            window = window + random_equaliser(*equaliser, aug.eq_db, rng)
        if aug.time_masks or aug.freq_masks:
            window = mask(window, aug, rng, features.planes, features.spectral_dims)
        out[index] = window
    return out
