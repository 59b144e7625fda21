"""A random recording chain on raw samples: RawBoost's linear and nonlinear convolutive noise.

Why: a network on the raw waveform learns the few recording chains its real training voices
came through, and then calls a new microphone, room or mastering chain a machine (rawcnn-large
rejected 99% of the held-out Russian prompts). Tak et al. (RawBoost, ICASSP 2022, algorithm 1)
pass each training utterance through a fresh random chain instead: the sum of the signal and
its powers x^2..x^5, each through its own cascade of random notch filters, the linear term at
full gain and the nonlinear ones 5 to 20 dB below it. Unlike the corpus channel copies, made
once per clip, this is drawn again every epoch. Measured (rawcnn-large-convolutive): the
held-out Russian prompts went from 99% to 88% rejected, so the chain was not the main thing
the network had learnt.
"""

from __future__ import annotations

import numpy as np

ORDERS = 5  # x, x^2 .. x^5
NOTCHES = 5  # notch filters in each cascade
CENTRE_HZ = (20.0, 8000.0)
WIDTH_HZ = (100.0, 1000.0)
TAPS = (10, 100)  # made odd: a band-stop FIR passes Nyquist only with an odd length
NONLINEAR_DB = (-20.0, -5.0)  # the gain of x^2..x^5 relative to the linear term


def band_stop(length: int, low_hz: float, high_hz: float, sample_rate: int) -> np.ndarray:
    """A Hamming-windowed sinc band-stop FIR of odd `length` (what scipy's firwin designs with
    two cut-offs), written out because firwin's checks cost more than the filter here."""
    middle = np.arange(length) - (length - 1) / 2.0
    low, high = 2.0 * low_hz / sample_rate, 2.0 * high_hz / sample_rate
    taps = low * np.sinc(low * middle) - high * np.sinc(high * middle)
    taps[(length - 1) // 2] += 1.0
    return taps * np.hamming(length)


def notch_cascade(rng: np.random.Generator, sample_rate: int = 16_000) -> np.ndarray:
    """The taps of NOTCHES random band-stop FIRs in series (not yet scaled)."""
    nyquist = sample_rate / 2.0
    taps = np.ones(1)
    for _ in range(NOTCHES):
        centre = rng.uniform(*CENTRE_HZ)
        width = rng.uniform(*WIDTH_HZ)
        length = int(rng.integers(TAPS[0], TAPS[1] + 1)) | 1
        low = max(centre - width / 2.0, 1e-3)
        high = min(centre + width / 2.0, nyquist - 1e-3)
        if high <= low + 1.0:  # a notch squeezed against Nyquist: leave this one out
            continue
        taps = np.convolve(band_stop(length, low, high, sample_rate), taps)
    return taps


def convolutive_noise(samples: np.ndarray, rng: np.random.Generator, sample_rate: int = 16_000) -> np.ndarray:
    """`samples` through a random chain (module docstring), at their own RMS level.

    The powers are taken of the samples scaled to a peak of 1, so how nonlinear the chain is
    does not depend on how loud the clip was recorded. Only the span from the first to the
    last nonzero sample is processed, its mean removed as RawBoost does: digital silence at
    either end of a window stays exact zeros, so the chain cannot leave a constant offset or a
    filter tail there that no checked clip would have.
    """
    samples = np.asarray(samples, dtype=np.float64)
    nonzero = np.flatnonzero(samples)
    out = np.zeros(len(samples), dtype=np.float32)
    if nonzero.size:
        first, last = int(nonzero[0]), int(nonzero[-1]) + 1
        out[first:last] = _chain(samples[first:last], rng, sample_rate)
    return out


def _chain(samples: np.ndarray, rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """The chain on samples that neither start nor end with a zero."""
    from scipy.fft import irfft, next_fast_len, rfft

    unit = samples / float(np.abs(samples).max())
    filters = [notch_cascade(rng, sample_rate) for _ in range(ORDERS)]
    size = next_fast_len(len(unit) + max(len(f) for f in filters), real=True)
    spectrum = np.zeros(size // 2 + 1, dtype=np.complex128)
    power = np.ones_like(unit)
    for order, taps in enumerate(filters, start=1):
        power *= unit  # unit**order, by products: numpy's float power is many times slower
        gain_db = 0.0 if order == 1 else rng.uniform(*NONLINEAR_DB)
        response = rfft(taps, size)  # each cascade scaled to a peak gain of 1, then by its term's gain
        response *= 10.0 ** (gain_db / 20.0) / max(float(np.abs(response).max()), 1e-9)
        spectrum += rfft(power, size) * response
    delay = (len(filters[0]) - 1) // 2  # the linear term's FIRs are linear-phase: keep it in time
    out = irfft(spectrum, size)[delay : delay + len(unit)]
    out -= out.mean()  # the even powers' DC
    rms_in = float(np.sqrt(np.mean(samples**2)))
    rms_out = float(np.sqrt(np.mean(out**2)))
    return out * (rms_in / rms_out if rms_out > 0 else 0.0)
