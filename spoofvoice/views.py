"""Second looks at a clip: the same audio through a fixed channel, scored beside the original.

Why: the shipped default tells voices apart best through a telephone band (eval EER 9.2% on
telephone-band clips against 13.3% on wideband ones, 2026-12-05), yet loses what the band
removes. Scoring each clip as it is and through the telephone band, and taking the mean of the
two scores, beat either look alone on dev and eval (dev EER 9.3% to 7.6%); leaving the clips
that are already narrowband as they are did better still on unseen attacks (dev 6.0% against
6.95%) and rejects fewer real 8 kHz voices. A model card lists the
views its threshold was fitted with; a card without the list scores the clip as it is. A view
that leaves a clip unchanged returns the very array it was given, so it is not scored twice.
"""

from __future__ import annotations

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


def telephone_narrowband(samples: np.ndarray, rate: int) -> np.ndarray:
    """The clip at 8 kHz through a 4th-order Butterworth band-pass of 300-3400 Hz (a phone line).

    The corpus builder adds G.711 companding to this before bringing it back up."""
    from scipy.signal import butter, sosfilt

    narrow = resample(samples, rate, TELEPHONE_RATE)
    sos = butter(4, list(TELEPHONE_BAND_HZ), btype="bandpass", fs=TELEPHONE_RATE, output="sos")
    return sosfilt(sos, narrow).astype(np.float32)


def high_band_db(samples: np.ndarray, rate: int, above_hz: float = NARROWBAND_HZ) -> float:
    """The share of the clip's energy above `above_hz`, in dB (Welch estimate, 512-sample frames)."""
    from scipy.signal import welch

    if len(samples) < 2:
        return float("-inf")
    freqs, power = welch(samples, fs=rate, nperseg=min(512, len(samples)))
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
