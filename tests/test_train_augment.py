"""Augmentation and the feature cache, without TensorFlow: exact gain, seeded draws, reuse."""

from __future__ import annotations

import numpy as np
import pytest

from spoofvoice import audio
from spoofvoice.features import FeatureConfig, extract
from training.augment import Augmentation, epoch_windows, gain_vector, mask
from training.config import ConfigError, load_config
from training.feature_cache import channel_copies_for, features_for


@pytest.mark.parametrize("kind,phase", [("mfcc", "none"), ("lfcc", "none"), ("logmel", "none"), ("logspec", "none"), ("logspec", "gd+ifd")])
def test_feature_gain_equals_audio_gain(real_speech, kind, phase):
    """Shifting features by gain_vector * dB is what scaling the audio does (away from the floor).

    Phase planes do not move with the level at all.
    """
    config = FeatureConfig(kind=kind, n_filters=40, n_coeffs=20, deltas=1, phase=phase)
    samples = audio.load(real_speech)  # a little noise keeps silent frames off the log floor
    samples = samples + 1e-3 * np.random.default_rng(0).standard_normal(len(samples)).astype(np.float32)
    louder = extract(samples * 10 ** (4.0 / 20), config)
    plain = extract(samples, config)
    shifted = plain + 4.0 * gain_vector(config)
    away = np.ones_like(plain, dtype=bool)
    if kind == "logspec":  # single bins can sit on the log floor, where a gain changes nothing
        static = config.static_dims
        floor = plain[:, :static] <= np.log(1e-10) + 1.0
        near = np.array([floor[max(0, t - 2) : t + 3].any(axis=0) for t in range(len(floor))])  # the deltas' reach
        away[:, :static] = away[:, static : 2 * static] = ~near
        assert away.mean() > 0.99
    assert np.allclose(louder[away], shifted[away], atol=1e-3 * np.abs(louder).max())


def test_epoch_windows_are_seeded_and_vary_by_epoch():
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal((50 + i, 8)).astype(np.float32) for i in range(6)]
    copies = [[c + 1.0] for c in clips]
    aug = Augmentation.from_dict({"crop": True, "gain_db": 3.0, "channel_copies": 1, "channel_probability": 0.5,
                                  "time_masks": 1, "time_mask_frames": 5, "freq_masks": 1, "freq_mask_bins": 2})
    config = FeatureConfig(kind="logmel", n_filters=8)
    first = epoch_windows(clips, copies, 40, aug, config, seed=1, epoch=0)
    assert first.shape == (6, 40, 8)
    assert np.array_equal(first, epoch_windows(clips, copies, 40, aug, config, seed=1, epoch=0))
    assert not np.array_equal(first, epoch_windows(clips, copies, 40, aug, config, seed=1, epoch=1))
    assert not np.array_equal(first, epoch_windows(clips, copies, 40, aug, config, seed=2, epoch=0))


def test_frequency_masks_hide_the_same_bins_in_every_plane():
    window = np.arange(10 * 12, dtype=np.float32).reshape(10, 12)  # 3 planes of 4 bins
    aug = Augmentation(freq_masks=1, freq_mask_bins=2)
    for seed in range(20):
        masked = mask(window, aug, np.random.default_rng(seed), planes=3)
        hidden = np.flatnonzero((masked != window).any(axis=0))
        bins = sorted({int(column) % 4 for column in hidden})
        assert len(hidden) == 3 * len(bins)  # each hidden bin is hidden in all three planes
        np.testing.assert_allclose(masked[:, hidden], np.broadcast_to(window.mean(axis=0)[hidden], (10, len(hidden))))


def test_masks_leave_the_excitation_columns_alone():
    window = np.arange(30 * 11, dtype=np.float32).reshape(30, 11)  # 8 spectral values, 3 excitation columns
    aug = Augmentation(time_masks=2, time_mask_frames=10, freq_masks=2, freq_mask_bins=4)
    changed = False
    for seed in range(20):
        masked = mask(window, aug, np.random.default_rng(seed), spectral_dims=8)
        np.testing.assert_array_equal(masked[:, 8:], window[:, 8:])
        changed |= not np.array_equal(masked[:, :8], window[:, :8])
    assert changed


def test_augmentation_keys_are_checked(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{"name": "x", "architecture": "lcnn", "features": {"kind": "logmel"}, "augmentation": {"crop": "true"}}')
    with pytest.raises(ConfigError, match="crop"):
        load_config(path)
    path.write_text('{"name": "x", "architecture": "lcnn", "features": {"kind": "logmel"}, "augmentation": {"mixup": 1}}')
    with pytest.raises(ConfigError, match="mixup"):
        load_config(path)


def test_learning_rate_schedule_is_checked_and_decays(tmp_path):
    from training.train import learning_rate_for

    path = tmp_path / "cos.json"
    path.write_text('{"name": "x", "architecture": "lcnn", "features": {"kind": "logmel"}, "optimizer": {"name": "adam", "learning_rate": 0.002, "schedule": "cosine"}}')
    config = load_config(path)
    rates = [learning_rate_for(config, epoch, 10) for epoch in range(10)]
    assert rates[0] == pytest.approx(0.002) and rates[5] == pytest.approx(0.001)
    assert all(a > b for a, b in zip(rates, rates[1:], strict=False)) and rates[-1] > 0
    assert learning_rate_for(load_config("lcnn-logmel"), 7, 10) == pytest.approx(0.001)  # constant by default
    path.write_text('{"name": "x", "architecture": "lcnn", "features": {"kind": "logmel"}, "optimizer": {"name": "adam", "schedule": "step"}}')
    with pytest.raises(ConfigError, match="schedule"):
        load_config(path)


def test_shipped_configs_load():
    for name in ("seed-mlp", "lcnn-logmel", "lcnn-lfcc", "gmm-lfcc", "lcnn-logspec", "lcnn-logspec-seed1", "lcnn-logspec-phase",
                 "lcnn-logspec-excite", "lcnn-logspec-excite-seed1", "lcnn-logmel-excite"):
        config = load_config(name)
        assert config.name == name
        Augmentation.from_dict(config.augmentation)


def test_second_run_reuses_cached_features_and_channel_copies(tmp_path, real_speech):
    paths = [real_speech, real_speech.with_name("agent-user.wav"), real_speech.with_name("vm-goodbye.wav")]
    config = FeatureConfig(kind="lfcc", n_filters=30, n_coeffs=20)
    lines: list[str] = []
    first = features_for(paths, config, 16000, workers=1, log=lines.append, root=tmp_path)
    second = features_for(paths, config, 16000, workers=1, log=lines.append, root=tmp_path)
    assert lines == ["Features ready for 3 clips; 0 came from the cache.", "Features ready for 3 clips; 3 came from the cache."]
    assert all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))
    copies = channel_copies_for(paths, config, 16000, 2, seed=5, workers=1, root=tmp_path)
    again = channel_copies_for(paths, config, 16000, 2, seed=5, workers=1, log=lines.append, root=tmp_path)
    assert lines[-2:] == [f"Channel copy {c} features ready for 3 clips; 3 came from the cache." for c in (1, 2)]
    assert all(np.array_equal(a[c], b[c]) for a, b in zip(copies, again, strict=True) for c in range(2))
    assert not np.array_equal(copies[0][0], copies[0][1])  # two different channel draws
