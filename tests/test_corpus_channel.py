"""The shared channel and the per-family generators on real speech."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from training.corpus.audio import RATE, active_mask, load_mono, through_native_rate, to_rate
from training.corpus.channel import ChannelSpec, apply_channel, draw_channel, normalise
from training.corpus.families import FAMILIES

SPEECH = Path("/usr/share/asterisk/sounds/en_US_f_Allison/agent-alreadyon.wav")


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    x, rate = load_mono(SPEECH)
    return to_rate(x, rate)


def _band_share_above(x: np.ndarray, hz: float) -> float:
    spec = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    return float(spec[freqs > hz].sum() / spec.sum())


def _spec(**kw) -> ChannelSpec:
    base = dict(band="wide", g711="-", rt60=0.0, snr_db=40.0, lead_s=0.2, trail_s=0.3, level_db=-24.0, lossy="-")
    base.update(kw)
    return ChannelSpec(**base)


def test_level_is_normalised_on_active_speech(speech):
    for scale in (0.01, 1.0):
        for level in (-32.0, -20.0):
            y = normalise(speech * scale, level)
            mask = np.repeat(active_mask(y), 320)
            active = y[: len(mask)][mask]
            assert np.max(np.abs(y)) <= 0.98
            assert abs(20 * np.log10(np.sqrt(np.mean(active**2))) - level) < 0.5


def test_telephone_band_removes_energy_above_4k():
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(RATE * 2).astype(np.float32) * 0.1
    for g711 in ("-", "ulaw", "alaw"):
        y = apply_channel(noise, _spec(band="tel", g711=g711), rng)
        assert _band_share_above(y, 4100) < 0.01
    assert _band_share_above(apply_channel(noise, _spec(), rng), 4100) > 0.3


def test_silence_is_trimmed_and_repadded(speech):
    rng = np.random.default_rng(1)
    padded = np.concatenate([np.zeros(RATE, np.float32), speech, np.zeros(RATE, np.float32)])
    y = apply_channel(padded, _spec(lead_s=0.1, trail_s=0.1), rng)
    assert len(y) < len(padded) - RATE
    assert np.abs(y[:800]).max() > 0  # the padding carries a noise floor, never digital silence


@pytest.mark.parametrize("lossy", ["mp3", "ogg"])
def test_lossy_round_trip_keeps_length(speech, lossy):
    y = apply_channel(speech, _spec(lossy=lossy), np.random.default_rng(2))
    ref = apply_channel(speech, _spec(), np.random.default_rng(2))
    assert len(y) == len(ref)
    assert np.corrcoef(y, ref)[0, 1] > 0.8


def test_reverberation_lengthens_the_tail(speech):
    dry = apply_channel(speech, _spec(), np.random.default_rng(3))
    wet = apply_channel(speech, _spec(rt60=0.6), np.random.default_rng(3))
    assert len(wet) > len(dry)


def test_channel_draw_depends_only_on_the_generator():
    a = [draw_channel(np.random.default_rng(5)) for _ in range(2)]
    assert a[0] == a[1]
    draws = [draw_channel(np.random.default_rng(i)) for i in range(300)]
    assert 0.25 < np.mean([d.band == "tel" for d in draws]) < 0.45
    assert 0.1 < np.mean([d.lossy != "-" for d in draws]) < 0.3


def test_native_rate_limits_the_band(speech):
    wide = np.random.default_rng(0).standard_normal(RATE).astype(np.float32)
    assert _band_share_above(through_native_rate(wide, 8000), 4100) < 0.01
    assert np.array_equal(through_native_rate(wide, 16000), wide)


@pytest.mark.parametrize("family", [f for f in FAMILIES if f.derive is not None], ids=lambda f: f.attack)
def test_signal_families_make_speech_like_audio(speech, family):
    y = family.derive(speech, np.random.default_rng(0))
    assert y.dtype == np.float32 and np.all(np.isfinite(y))
    assert 0.6 * len(speech) < len(y) < 1.6 * len(speech)
    assert np.sqrt(np.mean(y**2)) > 1e-4
    assert not np.allclose(y[: len(speech)], speech[: len(y)], atol=1e-3)
