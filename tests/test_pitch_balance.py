"""Pitch-balanced training weights (training/pitch.py): the pitch measure, the bands, the
weights worked out by hand, the cache, and the config check."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from training.config import ConfigError, load_config
from training.pitch import band_names, clip_pitches, median_f0, pitch_balanced_weights, pitch_band

RATE = 16000


def pulse_voice(f0: float, seconds: float = 1.0) -> np.ndarray:
    """A glottal-pulse-like train at `f0` through a simple resonance: voiced, known pitch."""
    n = int(seconds * RATE)
    x = np.zeros(n)
    x[(np.arange(0, n, RATE / f0)).astype(int)] = 1.0
    kernel = np.exp(-np.arange(200) / 30.0) * np.sin(2 * np.pi * 700 * np.arange(200) / RATE)
    return (np.convolve(x, kernel)[:n] * 0.3).astype(np.float32)


@pytest.mark.parametrize("f0", [90.0, 140.0, 230.0])
def test_median_f0_finds_the_pitch_of_a_pulse_train(f0):
    assert median_f0(pulse_voice(f0)) == pytest.approx(f0, rel=0.05)


def test_silence_and_noise_have_no_pitch():
    assert median_f0(np.zeros(RATE, np.float32)) == 0.0
    assert median_f0(np.zeros(100, np.float32)) == 0.0  # too short to measure


def test_bands_and_their_names():
    edges = [100, 170]
    assert [pitch_band(f, edges) for f in (0.0, 80.0, 100.0, 150.0, 170.0, 300.0)] == [0, 1, 2, 2, 3, 3]
    assert band_names(edges) == ["unvoiced", "below 100 Hz", "100-170 Hz", "170 Hz and above"]


def test_weights_balance_the_classes_in_every_band_by_hand():
    # below 100 Hz: 1 real, 3 spoof; 100-170: 2 and 2; above: 2 real only; unvoiced: 1 spoof only.
    labels = np.array([1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0])
    f0 = np.array([90, 80, 85, 95, 120, 130, 140, 150, 200, 210, 0.0])
    weights, table = pitch_balanced_weights(labels, f0, [100, 170])
    overall_real, overall_spoof = 11 / (2 * 5), 11 / (2 * 6)  # a one-class band keeps these
    expected = [2.0, 2 / 3, 2 / 3, 2 / 3, 1.0, 1.0, 1.0, 1.0, overall_real, overall_real, overall_spoof]
    np.testing.assert_allclose(weights, expected, rtol=1e-6)
    low = table[1]
    assert low == {"band": "below 100 Hz", "bonafide": 1, "spoof": 3, "bonafide_weight": 2.0, "spoof_weight": 0.6667}
    for band in range(1, 3):  # the two-class bands: equal class totals, band total kept
        in_band = np.array([pitch_band(v, [100, 170]) for v in f0]) == band
        real, spoof = weights[in_band & (labels == 1)].sum(), weights[in_band & (labels == 0)].sum()
        assert real == pytest.approx(spoof) and real + spoof == pytest.approx(in_band.sum())


def test_clip_pitches_are_cached_by_content(tmp_path):
    low, high = tmp_path / "low.wav", tmp_path / "high.wav"
    sf.write(low, pulse_voice(100.0), RATE)
    sf.write(high, pulse_voice(200.0), RATE)
    cache = tmp_path / "cache"
    lines: list[str] = []
    values = clip_pitches([low, high], workers=1, log=lines.append, root=cache)
    np.testing.assert_allclose(values, [100.0, 200.0], rtol=0.05)
    assert lines == ["Pitch measured for 2 clips."] and len(list(cache.iterdir())) == 2
    (cache / next(iter(sorted(p.name for p in cache.iterdir())))).write_text("123.0")
    again = clip_pitches([low, high], workers=1, root=cache)
    assert 123.0 in again  # read back from the cache, not measured again


def test_config_checks_the_band_edges(tmp_path):
    path = tmp_path / "x.json"
    base = '{"name": "x", "architecture": "lcnn", "features": {"kind": "logmel"}, "pitch_balance": %s}'
    path.write_text(base % "[100, 130, 170]")
    assert load_config(path).pitch_balance == [100, 130, 170]
    for bad in ("[170, 100]", "[0, 100]", '["100"]', "[100, 100]", "[true]"):
        path.write_text(base % bad)
        with pytest.raises(ConfigError, match="x.json: 'pitch_balance' must list increasing pitches"):
            load_config(path)
