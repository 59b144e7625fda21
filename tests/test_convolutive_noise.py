"""The random recording chain for raw-waveform training (RawBoost's convolutive noise)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import firwin

from spoofvoice import audio
from spoofvoice.features import FeatureConfig, extract
from training.augment import Augmentation, epoch_windows
from training.convolutive_noise import band_stop, convolutive_noise, notch_cascade

RATE = 16_000


def _band_db(samples: np.ndarray, low: float, high: float) -> float:
    spectrum = np.abs(np.fft.rfft(samples)) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1.0 / RATE)
    return 10.0 * np.log10(spectrum[(freqs >= low) & (freqs < high)].sum() + 1e-30)


def test_band_stop_is_scipys_firwin_notch():
    """firwin scales a band-stop filter to unit gain at DC; apart from that the taps agree."""
    for length, low, high in ((11, 300.0, 900.0), (51, 1000.0, 2000.0), (101, 6500.0, 7900.0)):
        ours = band_stop(length, low, high, RATE)
        np.testing.assert_allclose(ours / ours.sum(), firwin(length, [low, high], window="hamming", fs=RATE), atol=1e-9)


def test_chain_keeps_length_level_silence_and_no_dc(real_speech):
    samples = audio.load(real_speech)[: 2 * RATE]
    out = convolutive_noise(samples, np.random.default_rng(3))
    assert out.shape == samples.shape and out.dtype == np.float32
    assert np.sqrt(np.mean(out**2)) == pytest.approx(np.sqrt(np.mean(samples**2)), rel=1e-4)
    assert abs(out.mean()) < 1e-3 * np.sqrt(np.mean(out**2))
    assert not np.allclose(out, samples, atol=1e-3)
    np.testing.assert_array_equal(out, convolutive_noise(samples, np.random.default_rng(3)))
    np.testing.assert_array_equal(convolutive_noise(np.zeros(400, np.float32), np.random.default_rng(0)), 0.0)
    padded = np.concatenate([samples[:RATE], np.zeros(RATE, np.float32)])  # a clip ending in digital silence
    chained = convolutive_noise(padded, np.random.default_rng(4))
    np.testing.assert_array_equal(chained[RATE:], 0.0)  # the silence stays exact zeros
    assert np.abs(chained[RATE - 400 : RATE]).max() > 0.0


def test_chain_colours_the_spectrum_with_notches():
    """White noise comes out with bands cut by several dB: the chain is a filter, not a gain."""
    noise = np.random.default_rng(0).standard_normal(4 * RATE).astype(np.float32)
    out = convolutive_noise(noise, np.random.default_rng(1))
    edges = np.linspace(100, 7900, 40)
    change = np.array([_band_db(out, a, b) - _band_db(noise, a, b) for a, b in zip(edges[:-1], edges[1:], strict=True)])
    assert change.max() - change.min() > 6.0
    cascades = [notch_cascade(np.random.default_rng(seed)) for seed in range(5)]
    assert len({len(taps) for taps in cascades}) > 1  # lengths drawn, not fixed


def test_chain_is_nonlinear():
    """A pure 440 Hz tone gains harmonics (x^2 gives 880 Hz, x^3 1320 Hz), which no filter can make."""
    tone = np.sin(2 * np.pi * 440.0 * np.arange(2 * RATE) / RATE).astype(np.float32)
    harmonics = []
    for seed in range(6):
        out = convolutive_noise(tone, np.random.default_rng(seed))
        harmonics.append(max(_band_db(out, 860, 900), _band_db(out, 1300, 1340)) - _band_db(out, 420, 460))
    assert max(harmonics) > -40.0
    assert _band_db(tone, 860, 900) - _band_db(tone, 420, 460) < -100.0


def test_epoch_windows_pass_waveform_windows_through_the_chain(real_speech):
    config = FeatureConfig(kind="waveform")
    clip = extract(audio.load(real_speech), config)
    clips = [clip, clip[::-1].copy()]
    plain = epoch_windows(clips, [], 100, Augmentation(), config, seed=1, epoch=0)
    chained = epoch_windows(clips, [], 100, Augmentation(convolutive_probability=1.0), config, seed=1, epoch=0)
    assert chained.shape == plain.shape
    for before, after in zip(plain, chained, strict=True):
        assert not np.allclose(before, after, atol=1e-3)
        assert np.sqrt(np.mean(after**2)) == pytest.approx(np.sqrt(np.mean(before**2)), rel=1e-3)
    np.testing.assert_array_equal(chained, epoch_windows(clips, [], 100, Augmentation(convolutive_probability=1.0), config, seed=1, epoch=0))
    assert not np.array_equal(chained, epoch_windows(clips, [], 100, Augmentation(convolutive_probability=1.0), config, seed=1, epoch=1))
    with pytest.raises(ValueError, match="waveform"):
        epoch_windows(clips, [], 100, Augmentation(convolutive_probability=0.5), FeatureConfig(kind="logmel"), 0, 0)
    with pytest.raises(ValueError, match="convolutive_probability"):
        Augmentation.from_dict({"convolutive_probability": 1.5})
