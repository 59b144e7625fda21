"""Second looks at a clip: the same audio through a fixed channel, scored beside the original.

Why: the shipped default tells voices apart best through a telephone band (eval EER 9.2% on
telephone-band clips against 13.3% on wideband ones, 2026-12-05), yet loses what the band
removes. Scoring each clip as it is and through the telephone band, and taking the mean of the
two scores, beat either look alone on dev and eval (dev EER 9.3% to 7.6%); leaving the clips
that are already narrowband as they are did better still on unseen attacks (dev 6.0% against
6.95%) and rejects fewer real 8 kHz voices. A model card lists the views its threshold was
fitted with; a card without the list scores the clip as it is. A view that leaves a clip
unchanged returns the very array it was given, so it is not scored twice.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable

import numpy as np

from spoofvoice.audio import resample

AS_IS = "as-is"
TELEPHONE = "telephone"
TELEPHONE_RATE = 8000
TELEPHONE_BAND_HZ = (300.0, 3400.0)
NARROWBAND_HZ = 4000.0  # a clip sampled at 8 kHz has nothing above this
NARROWBAND_DB = -40.0  # 0.01% of the energy: an 8 kHz recording under a wideband noise floor
# scipy.signal.butter(4, TELEPHONE_BAND_HZ, btype="bandpass", fs=8000, output="sos"), written out
# (a test checks it) so that checking a clip never imports scipy.signal, which takes 0.7 to 1 s.
TELEPHONE_SOS = (
    (0.38783095426643777, 0.7756619085328755, 0.38783095426643777, 1.0, 1.2274704860994592, 0.39450250896553396),
    (1.0, -2.0, 1.0, 1.0, -1.583868533292729, 0.6336862439335336),
    (1.0, 2.0, 1.0, 1.0, 1.5250350254256015, 0.7146213626170144),
    (1.0, -2.0, 1.0, 1.0, -1.7905664366124538, 0.8422361647626042),
)
IMPULSE_TAPS = 512  # after 512 samples the filter's impulse response is 1e-20 of its peak
BLOCK = 1 << 16  # samples per block of the FFT convolution, so memory stays small on long clips


def telephone_narrowband(samples: np.ndarray, rate: int) -> np.ndarray:
    """The clip at 8 kHz through a 4th-order Butterworth band-pass of 300-3400 Hz (a phone line).

    The corpus builder adds G.711 companding to this before bringing it back up."""
    narrow = resample(samples, rate, TELEPHONE_RATE)
    return convolve(narrow.astype(np.float64), telephone_impulse_response()).astype(np.float32)


@functools.lru_cache(maxsize=1)
def telephone_impulse_response() -> np.ndarray:
    """The band-pass's response to one sample, run through its sections as scipy's sosfilt does."""
    signal = np.zeros(IMPULSE_TAPS)
    signal[0] = 1.0
    for b0, b1, b2, _, a1, a2 in TELEPHONE_SOS:
        out, z1, z2 = np.empty(IMPULSE_TAPS), 0.0, 0.0
        for n, x in enumerate(signal):  # direct form II transposed
            y = b0 * x + z1
            z1, z2 = b1 * x - a1 * y + z2, b2 * x - a2 * y
            out[n] = y
        signal = out
    return signal


def convolve(signal: np.ndarray, response: np.ndarray) -> np.ndarray:
    """`signal` filtered by a finite `response`, as long as `signal` (overlap-add, scipy.fft)."""
    import scipy.fft

    n_fft = scipy.fft.next_fast_len(BLOCK + len(response) - 1, real=True)
    spectrum = scipy.fft.rfft(response, n_fft)
    out = np.zeros(len(signal) + len(response) - 1)
    for start in range(0, len(signal), BLOCK):
        block = signal[start : start + BLOCK]
        filtered = scipy.fft.irfft(scipy.fft.rfft(block, n_fft) * spectrum, n_fft)[: len(block) + len(response) - 1]
        out[start : start + len(filtered)] += filtered
    return out[: len(signal)]


def high_band_db(samples: np.ndarray, rate: int, above_hz: float = NARROWBAND_HZ, frame: int = 512) -> float:
    """The share of the clip's energy above `above_hz`, in dB: Welch's estimate (Hann frames of
    `frame` samples, half overlapping, each less its mean), as scipy.signal.welch makes it."""
    import scipy.fft

    x = np.asarray(samples, dtype=np.float64)
    if len(x) < 2:
        return float("-inf")
    frame = min(frame, len(x))
    hop = frame // 2 or 1
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(frame) / frame)
    frames = np.lib.stride_tricks.sliding_window_view(x, frame)[::hop]
    power = np.zeros(frame // 2 + 1)
    for first in range(0, len(frames), 4096):  # a block of frames at a time: long clips stay small
        chunk = frames[first : first + 4096]
        power += (np.abs(scipy.fft.rfft((chunk - chunk.mean(axis=1, keepdims=True)) * window, axis=1)) ** 2).sum(axis=0)
    power[1 : (frame + 1) // 2] *= 2  # one-sided: every bin but 0 (and frame/2) stands for two
    freqs = np.arange(len(power)) * rate / frame
    total, high = float(power.sum()), float(power[freqs >= above_hz].sum())
    return 10.0 * math.log10(high / total) if total > 0 and high > 0 else float("-inf")


def telephone_view(samples: np.ndarray, rate: int) -> np.ndarray:
    """The clip through the telephone band, or the clip itself when it is already narrowband
    (less than NARROWBAND_DB of its energy above 4 kHz: recorded or sent at 8 kHz).

    Why: the band added nothing to such a clip but harm; it lowered their scores, real voices'
    most (dev bonafide telephone clips by 0.46, the held-out 8 kHz voices by 1.3 to 1.7)."""
    if high_band_db(samples, rate) < NARROWBAND_DB:
        return samples
    return telephone_band(samples, rate)


def telephone_band(samples: np.ndarray, rate: int) -> np.ndarray:
    """The clip as a phone line would carry it, back at `rate` and exactly as long."""
    wide = resample(telephone_narrowband(samples, rate), TELEPHONE_RATE, rate)
    return fit_length(wide, len(samples))


def fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    """Cut or zero-pad to `length` samples, so every view of a clip has the same windows."""
    if len(samples) >= length:
        return samples[:length]
    return np.pad(samples, (0, length - len(samples)))


def as_is(samples: np.ndarray, rate: int) -> np.ndarray:
    """The clip unchanged."""
    return samples


VIEWS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {AS_IS: as_is, TELEPHONE: telephone_view}
SPOKEN = {AS_IS: "as it is", TELEPHONE: "through a telephone band"}  # for `model info`


def view_function(name: str) -> Callable[[np.ndarray, int], np.ndarray]:
    """The function behind a view's name; KeyError for a name this version does not know."""
    return VIEWS[name]
