"""The one implementation of acoustic features, shared by training and inference.

Training and the shipped detector must compute exactly the same numbers, so both call
`extract()` with the `FeatureConfig` stored in the model card. numpy and scipy.fft only (no
librosa, no TensorFlow, no scipy.signal): it imports in milliseconds. Conventions follow librosa with
`center=False` and HTK mel: frames of `n_fft` samples, a periodic Hann window of
`win_length` centred in each frame, power spectrum, Slaney-normalised triangular filters.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from functools import lru_cache

import numpy as np

KINDS = ("mfcc", "lfcc", "logmel", "logspec", "waveform")
PHASES = ("none", "gd", "ifd", "gd+ifd")
EXCITATION_COLUMNS = ("voiced", "log_kurtosis", "log_crest")  # appended per frame when excitation is on
LPC_ORDER = 16
IMPLEMENTATION_VERSION = 2  # bump when the numbers change, so cached training features are redone
LOG_FLOOR = 1e-10  # power floor before the log, as librosa.power_to_db's amin


@dataclass(frozen=True)
class FeatureConfig:
    """Everything that changes the numbers; stored in each model card."""

    kind: str = "mfcc"
    sample_rate: int = 16_000
    n_fft: int = 512
    win_length: int = 400
    hop_length: int = 160
    n_filters: int = 40  # ignored by logspec, which keeps every FFT bin from fmin to fmax
    n_coeffs: int = 20  # cepstral coefficients kept (mfcc, lfcc); ignored by logmel and logspec
    deltas: int = 0  # 0: static only, 1: + delta, 2: + delta and delta-delta
    fmin: float = 0.0
    fmax: float | None = None
    preemphasis: float = 0.0
    phase: str = "none"  # logspec only: "gd" group delay, "ifd" instantaneous-frequency deviation, "gd+ifd"
    excitation: bool = False  # append the EXCITATION_COLUMNS of each frame's LPC residual
    waveform: bool = False  # append each frame's first hop_length samples (a waveform member of a fused model)
    residual: bool = False  # the samples (waveform kind, waveform columns) are the LPC residual, whitened

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown feature kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.win_length > self.n_fft:
            raise ValueError("win_length must not exceed n_fft")
        if self.deltas not in (0, 1, 2):
            raise ValueError("deltas must be 0, 1 or 2")
        if self.phase not in PHASES:
            raise ValueError(f"unknown phase features {self.phase!r}; choose one of {', '.join(PHASES)}")
        if self.phase != "none" and self.kind != "logspec":
            raise ValueError("phase features go with the logspec kind only")
        if self.kind == "waveform" and (self.deltas or self.excitation or self.waveform or self.preemphasis):
            raise ValueError("waveform features are the samples themselves: no deltas, excitation, pre-emphasis or waveform columns")
        if self.residual and not (self.kind == "waveform" or self.waveform):
            raise ValueError("residual samples need the waveform kind or waveform columns")

    @property
    def phase_planes(self) -> int:
        """How many bin-sized planes of phase features follow the log spectrum."""
        return 0 if self.phase == "none" else len(self.phase.split("+"))

    @property
    def planes(self) -> int:
        """Bin-sized planes per frame (log spectrum, its deltas, phase) of a logspec config; else 1."""
        return 1 + self.deltas + self.phase_planes if self.kind == "logspec" else 1

    @property
    def static_dims(self) -> int:
        if self.kind == "logspec":
            return len(range(*spectrum_bins(self.sample_rate, self.n_fft, self.fmin, self.fmax).indices(self.n_fft // 2 + 1)))
        if self.kind == "waveform":
            return self.hop_length
        return self.n_filters if self.kind == "logmel" else self.n_coeffs

    @property
    def dims(self) -> int:
        """Values per frame."""
        return self.spectral_dims + self.excitation_dims + self.waveform_dims

    @property
    def spectral_dims(self) -> int:
        """Values per frame before the excitation columns (spectrum or cepstra, deltas, phase)."""
        return self.static_dims * (1 + self.deltas + self.phase_planes)

    @property
    def excitation_dims(self) -> int:
        return len(EXCITATION_COLUMNS) if self.excitation else 0

    @property
    def waveform_dims(self) -> int:
        """Raw samples appended to each frame (last in the frame), for a fused model's waveform member."""
        return self.hop_length if self.waveform else 0

    def frames_for(self, n_samples: int) -> int:
        """Frames that `extract` returns for a signal of `n_samples` (center=False)."""
        return 0 if n_samples < self.n_fft else 1 + (n_samples - self.n_fft) // self.hop_length

    def to_dict(self) -> dict:
        """Every setting; `waveform` and `residual` only when on, so the cards and feature caches
        of models made before they existed keep their exact keys."""
        out = asdict(self)
        for key in ("waveform", "residual"):
            if not out[key]:
                del out[key]
        return out

    @classmethod
    def from_dict(cls, data: dict) -> FeatureConfig:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown feature settings: {', '.join(sorted(unknown))}")
        return cls(**data)


def extract(audio: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Features of a mono signal at `config.sample_rate`: float32 array (frames, dims)."""
    parts = [_spectral_features(audio, config)]
    if config.excitation:
        parts.append(excitation_features(audio, config))
    if config.waveform:
        parts.append(waveform_frames(audio, config))
    return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]


def waveform_frames(audio: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """The first `hop_length` samples of each analysis frame, float32 (frames, hop_length).

    Laid end to end the rows are the clip itself (all but its last n_fft - hop_length samples),
    on the same frame grid as the spectral features: a network that reads the raw waveform
    (where the smeared glottal pulses of Griffin-Lim and vocoders show as they are) then takes
    the same windows, caches and crops as one that reads the spectrum, and can be fused with it.
    """
    frames = _frames(audio, config)
    if config.residual:
        return residual_frames(frames, config)
    return np.ascontiguousarray(frames[:, : config.hop_length], dtype=np.float32)


def residual_frames(frames: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Each frame's `hop_length` centre samples inverse-filtered by the frame's own order-16 LPC
    (the analysis of `excitation_features`, here for every frame), float32 (frames, hop_length).

    Why: a network on the raw waveform learnt the training voices' recording chains and vocal
    tracts as "real" and called unseen real voices spoof (README, "Where the remaining errors
    are"). The residual keeps what the excitation columns showed to matter, the sharpness of the
    glottal pulses that Griffin-Lim and vocoders smear, and loses the spectral envelope in which
    a voice and its microphone differ. Row f holds samples f*hop + n_fft/2 - hop/2 onwards, so
    the rows laid end to end are one continuous residual signal, as the waveform rows are.
    """
    hop, length = config.hop_length, config.win_length
    if len(frames) == 0:
        return np.zeros((0, hop), dtype=np.float32)
    first = config.n_fft // 2 - hop // 2
    if first < LPC_ORDER or first + hop > config.n_fft:
        raise ValueError("residual samples need n_fft of at least hop_length + 2 * 16")
    start = (config.n_fft - length) // 2
    windowed = np.asarray(frames[:, start : start + length], dtype=np.float32) * hann_window(length, length)
    segments = np.asarray(frames[:, first - LPC_ORDER : first + hop], dtype=np.float32)
    return np.ascontiguousarray(inverse_filter(segments, frame_lpc(windowed)), dtype=np.float32)


def frame_lpc(windowed: np.ndarray) -> np.ndarray:
    """Order-16 autocorrelation LPC polynomials of each windowed frame (rows), float32, with a
    tiny white-noise floor on r0 so that near-silent frames stay stable."""
    length = windowed.shape[1]
    autocorrelation = np.stack(
        [np.einsum("fn,fn->f", windowed[:, : length - lag], windowed[:, lag:], dtype=np.float64) for lag in range(LPC_ORDER + 1)],
        axis=1,
    )
    return levinson(autocorrelation * np.r_[1.0 + 1e-6, np.ones(LPC_ORDER)]).astype(np.float32)


def inverse_filter(segments: np.ndarray, coefficients: np.ndarray) -> np.ndarray:
    """Each row of `segments` after its first LPC_ORDER samples (its filter's history), passed
    through that row's LPC polynomial: the prediction residual."""
    out = segments.shape[1] - LPC_ORDER
    residual = segments[:, LPC_ORDER:].copy()
    for lag in range(1, LPC_ORDER + 1):
        residual += coefficients[:, lag : lag + 1] * segments[:, LPC_ORDER - lag : LPC_ORDER - lag + out]
    return residual


def _spectral_features(audio: np.ndarray, config: FeatureConfig) -> np.ndarray:
    if config.kind == "waveform":
        return waveform_frames(audio, config)
    if config.kind == "logspec":
        return log_spectrum_features(audio, config)
    power = power_spectrogram(audio, config)
    if config.kind == "lfcc":
        bank = linear_filterbank(config.sample_rate, config.n_fft, config.n_filters, config.fmin, config.fmax)
    else:
        bank = mel_filterbank(config.sample_rate, config.n_fft, config.n_filters, config.fmin, config.fmax)
    energies = power @ bank.T
    if config.kind == "mfcc":
        static = (10.0 * np.log10(np.maximum(energies, LOG_FLOOR))) @ dct_matrix(config.n_filters, config.n_coeffs).T
    elif config.kind == "lfcc":
        static = np.log(np.maximum(energies, LOG_FLOOR)) @ dct_matrix(config.n_filters, config.n_coeffs).T
    else:
        static = np.log(np.maximum(energies, LOG_FLOOR))
    return _with_deltas(static, config.deltas)


def _with_deltas(static: np.ndarray, deltas: int) -> np.ndarray:
    """Static frames followed by their deltas (and delta-deltas), float32."""
    parts = [static]
    if deltas >= 1:
        parts.append(delta(static))
    if deltas == 2:
        parts.append(delta(parts[1]))
    return np.concatenate(parts, axis=1).astype(np.float32) if len(parts) > 1 else static.astype(np.float32)


def spectrum_bins(sample_rate: int, n_fft: int, fmin: float = 0.0, fmax: float | None = None) -> slice:
    """The FFT bins from `fmin` to `fmax` (inclusive), as a slice of the power spectrogram.

    The log spectrum keeps the fine harmonic structure that filterbanks average away: where
    phase reconstruction (Griffin-Lim, phase vocoders) smears harmonics, it shows.
    """
    top = sample_rate / 2.0 if fmax is None else fmax
    step = sample_rate / n_fft
    first = int(np.ceil(fmin / step - 1e-9))
    last = min(n_fft // 2, int(np.floor(top / step + 1e-9)))
    return slice(first, last + 1)


def pad_by_repetition(samples: np.ndarray, size: int) -> np.ndarray:
    """Repeat a clip shorter than `size` samples until it fills the model's window.

    Training and inference pad the same way, so a short clip looks the same to both.
    """
    if len(samples) >= size:
        return samples
    repeats = -(-size // max(1, len(samples)))
    return np.tile(samples, repeats)[:size]


def log_spectrum_features(audio: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Log power spectrum (+ deltas), then the phase planes the config asks for, bin by bin.

    Phase is where Griffin-Lim and phase vocoders go wrong while the magnitude stays right:
    - "gd", group delay: Re(X conj Y) / |X|^2 with Y the spectrum of n * x[n] (n counted from
      the window's centre), the delay in samples of each bin's energy inside the frame,
      divided by half the window and clipped to [-2, 2]; bins more than 60 dB below the
      frame's loudest are set to 0, where the phase means nothing.
    - "ifd", instantaneous-frequency deviation: how far each bin's phase advance from the
      previous frame is from the advance of its centre frequency, wrapped, divided by pi.
    """
    frames = _frames(audio, config)
    bins = spectrum_bins(config.sample_rate, config.n_fft, config.fmin, config.fmax)
    if len(frames) == 0:
        return np.zeros((0, config.dims), dtype=np.float32)
    import scipy.fft

    window = hann_window(config.win_length, config.n_fft)
    spectrum = scipy.fft.rfft(frames * window, axis=1)[:, bins]
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    parts = [_with_deltas(np.log(np.maximum(power, LOG_FLOOR)), config.deltas)]
    planes = config.phase.split("+") if config.phase != "none" else []
    if "gd" in planes:
        ramp = np.arange(config.n_fft, dtype=np.float32) - config.n_fft / 2.0
        weighted = scipy.fft.rfft(frames * (window * ramp), axis=1)[:, bins]
        floor = np.maximum(power.max(axis=1, keepdims=True) * 1e-6, LOG_FLOOR)
        delay = (spectrum.real * weighted.real + spectrum.imag * weighted.imag) / np.maximum(power, floor)
        delay = np.clip(delay / (config.win_length / 2.0), -2.0, 2.0)
        parts.append(np.where(power > floor, delay, 0.0).astype(np.float32))
    if "ifd" in planes:
        centres = 2.0 * np.pi * config.hop_length / config.n_fft * np.arange(config.n_fft // 2 + 1)[bins]
        advance = np.diff(np.angle(spectrum), axis=0, prepend=np.angle(spectrum[:1])) - centres
        advance[0] = 0.0
        parts.append((np.angle(np.exp(1j * advance)) / np.pi).astype(np.float32))
    return np.concatenate(parts, axis=1).astype(np.float32) if len(parts) > 1 else parts[0]


def excitation_features(audio: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Per frame: voiced (1 or 0), then log kurtosis and log crest factor of the LPC residual.

    Why: real voiced speech is driven by sharp glottal pulses, so the residual left after
    removing the vocal-tract filter is spiky (high kurtosis). Griffin-Lim and phase vocoders
    rebuild the phase and smear those pulses, while the magnitude spectrum, which is all the
    spectral features see, stays right. Each frame's `win_length` centred samples are
    inverse-filtered with an order-16 autocorrelation LPC (Hann-windowed analysis); frames in
    the loudest third of the clip count as voiced, and the other frames hold zeros.
    """
    frames = _frames(audio, config)
    if len(frames) == 0:
        return np.zeros((0, len(EXCITATION_COLUMNS)), dtype=np.float32)
    start, length = (config.n_fft - config.win_length) // 2, config.win_length
    windowed = np.asarray(frames[:, start : start + length], dtype=np.float32) * hann_window(length, length)
    energy = np.einsum("fn,fn->f", windowed, windowed, dtype=np.float64)
    voiced = (energy >= np.quantile(energy, 2.0 / 3.0)) & (energy > 1e-12)
    columns = np.zeros((len(frames), len(EXCITATION_COLUMNS)), dtype=np.float32)
    if not voiced.any():
        return columns
    # Only the voiced frames are analysed: the others hold zeros whatever their residual.
    segments = np.asarray(frames[voiced, start : start + length], dtype=np.float32)
    windowed = windowed[voiced]
    residual = inverse_filter(segments, frame_lpc(windowed))
    squares = residual * residual
    safe = np.maximum(squares.mean(axis=1), 1e-15)  # float32: its square must stay a normal number
    columns[voiced, 0] = 1.0
    columns[voiced, 1] = np.log(np.maximum((squares * squares).mean(axis=1) / safe / safe, 1e-6))  # level-free
    columns[voiced, 2] = np.log(np.maximum(np.sqrt(squares.max(axis=1) / safe), 1e-6))
    return columns


def levinson(autocorrelation: np.ndarray) -> np.ndarray:
    """LPC polynomials [1, a1..ap] of each row of autocorrelations r0..rp (Levinson-Durbin).

    Rows whose energy r0 is zero get the trivial filter 1 (the residual is the signal).
    """
    r = np.asarray(autocorrelation, dtype=np.float64)
    rows, order = r.shape[0], r.shape[1] - 1
    a = np.zeros((rows, order + 1))
    a[:, 0] = 1.0
    error = r[:, 0].copy()
    live = error > 0
    safe = np.where(live, error, 1.0)
    for i in range(1, order + 1):
        accumulated = np.sum(a[:, :i] * r[:, i:0:-1], axis=1)
        reflection = np.where(live, -accumulated / safe, 0.0)
        a[:, 1 : i + 1] = a[:, 1 : i + 1] + reflection[:, None] * a[:, i - 1 :: -1][:, :i]
        error = error * (1.0 - reflection**2)
        live &= error > 0
        safe = np.where(live, error, 1.0)
    return a


def _frames(audio: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Overlapping frames of `n_fft` samples every `hop_length` (after pre-emphasis), a view."""
    signal = np.asarray(audio, dtype=np.float32)
    if config.preemphasis:
        signal = np.append(signal[:1], signal[1:] - config.preemphasis * signal[:-1])
    n_frames = config.frames_for(len(signal))
    if n_frames == 0:
        return np.zeros((0, config.n_fft), dtype=np.float32)
    return np.lib.stride_tricks.sliding_window_view(signal, config.n_fft)[:: config.hop_length][:n_frames]


def power_spectrogram(audio: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """|STFT|^2, shape (frames, n_fft // 2 + 1); frames start at 0 (no centre padding)."""
    frames = _frames(audio, config)
    if len(frames) == 0:
        return np.zeros((0, config.n_fft // 2 + 1), dtype=np.float32)
    import scipy.fft  # single-precision FFT: six times faster than numpy's float64 one here

    spectrum = scipy.fft.rfft(frames * hann_window(config.win_length, config.n_fft), axis=1)
    return (spectrum.real**2 + spectrum.imag**2).astype(np.float32)


@lru_cache(maxsize=8)
def hann_window(win_length: int, n_fft: int) -> np.ndarray:
    """Periodic Hann window of `win_length`, zero-padded to `n_fft` around the centre."""
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(win_length) / win_length)
    padded = np.zeros(n_fft, dtype=np.float32)
    start = (n_fft - win_length) // 2
    padded[start : start + win_length] = window
    return padded


def hz_to_mel(hz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale."""
    return 2595.0 * np.log10(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_to_hz(mel: np.ndarray | float) -> np.ndarray:
    return 700.0 * (10.0 ** (np.asarray(mel, dtype=np.float64) / 2595.0) - 1.0)


def mel_edges(sample_rate: int, n_filters: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """The n_filters + 2 corner frequencies (Hz) of the mel filterbank's triangles."""
    top = sample_rate / 2.0 if fmax is None else fmax
    return mel_to_hz(np.linspace(hz_to_mel(fmin), hz_to_mel(top), n_filters + 2))


def linear_edges(sample_rate: int, n_filters: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """The n_filters + 2 corner frequencies (Hz) of the linear filterbank's triangles."""
    return np.linspace(fmin, sample_rate / 2.0 if fmax is None else fmax, n_filters + 2)


@lru_cache(maxsize=16)
def mel_filterbank(sample_rate: int, n_fft: int, n_filters: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular filters equally spaced on the HTK mel scale, Slaney area-normalised."""
    return _triangles(mel_edges(sample_rate, n_filters, fmin, fmax), sample_rate, n_fft)


@lru_cache(maxsize=16)
def linear_filterbank(sample_rate: int, n_fft: int, n_filters: int, fmin: float = 0.0, fmax: float | None = None) -> np.ndarray:
    """Triangular filters equally spaced in Hz (LFCC keeps the high band that TTS gets wrong)."""
    return _triangles(linear_edges(sample_rate, n_filters, fmin, fmax), sample_rate, n_fft)


def band_frequencies(config: FeatureConfig) -> np.ndarray:
    """The frequency (Hz) each band of the static features is centred on: FFT bins for
    logspec, filter centres for the filterbank kinds (whose cepstra mix these bands)."""
    if config.kind == "logspec":
        bins = spectrum_bins(config.sample_rate, config.n_fft, config.fmin, config.fmax)
        return np.arange(config.n_fft // 2 + 1)[bins] * (config.sample_rate / config.n_fft)
    edges = linear_edges if config.kind == "lfcc" else mel_edges
    return edges(config.sample_rate, config.n_filters, config.fmin, config.fmax)[1:-1]


def _triangles(edges: np.ndarray, sample_rate: int, n_fft: int) -> np.ndarray:
    bins = np.linspace(0.0, sample_rate / 2.0, n_fft // 2 + 1)
    widths = np.diff(edges)
    ramps = edges[:, None] - bins[None, :]
    n_filters = len(edges) - 2
    lower = -ramps[:n_filters] / widths[:n_filters, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2:] - edges[:n_filters]))[:, None]
    return weights.astype(np.float32)


@lru_cache(maxsize=16)
def dct_matrix(n_inputs: int, n_outputs: int) -> np.ndarray:
    """Orthonormal DCT-II basis (rows = coefficients), as scipy.fft.dct(norm='ortho')."""
    n = np.arange(n_inputs)
    k = np.arange(n_outputs)[:, None]
    basis = np.cos(np.pi * k * (2 * n + 1) / (2 * n_inputs)) * np.sqrt(2.0 / n_inputs)
    basis[0] /= np.sqrt(2.0)
    return basis.astype(np.float32)


def delta(values: np.ndarray, width: int = 2) -> np.ndarray:
    """HTK regression deltas over +-`width` frames, edges repeated."""
    if len(values) == 0:
        return values.copy()
    padded = np.pad(values, ((width, width), (0, 0)), mode="edge")
    n = len(values)
    numerator = sum(k * (padded[width + k : width + k + n] - padded[width - k : width - k + n]) for k in range(1, width + 1))
    return (numerator / (2.0 * sum(k * k for k in range(1, width + 1)))).astype(np.float32)
