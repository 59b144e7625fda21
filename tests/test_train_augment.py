"""Augmentation and the feature cache, without TensorFlow: exact gain, seeded draws, reuse."""

from __future__ import annotations

import numpy as np
import pytest

from spoofvoice import audio
from spoofvoice.features import FeatureConfig, band_frequencies, extract
from training.augment import (
    Augmentation,
    apply_gain,
    change_speed,
    curve_to_features,
    epoch_windows,
    equaliser_basis,
    equaliser_gain_db,
    gain_vector,
    mask,
    speed_factor,
)
from training.config import CONFIG_DIR, ConfigError, load_config
from training.feature_cache import augmented_copies_for, features_for


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


def test_gain_scales_raw_samples_as_the_audio(real_speech):
    """Raw samples (the waveform kind, or waveform columns after a log spectrum) are multiplied
    by the amplitude ratio while the log columns shift: both exactly what a louder clip gives."""
    samples = audio.load(real_speech)
    samples = samples + 1e-3 * np.random.default_rng(0).standard_normal(len(samples)).astype(np.float32)
    for config in (FeatureConfig(kind="waveform"), FeatureConfig(kind="logmel", waveform=True)):
        plain, louder = extract(samples, config), extract(samples * 10 ** (4.0 / 20), config)
        gained = apply_gain(plain, config, 4.0, gain_vector(config))
        np.testing.assert_allclose(gained, louder, rtol=1e-4, atol=1e-4 * np.abs(louder).max())
        np.testing.assert_array_equal(gain_vector(config)[config.dims - 160 :], 0.0)
    with pytest.raises(ValueError, match="waveform"):
        epoch_windows([plain], [], 10, Augmentation(eq_db=3.0, eq_terms=2), FeatureConfig(kind="waveform"), 0, 0)


@pytest.mark.parametrize("kind", ["mfcc", "lfcc", "logmel", "logspec"])
def test_feature_equaliser_equals_filtering_the_audio(real_speech, kind):
    """Adding curve_to_features(the curve at each band) is what passing the audio through a
    filter with that gain does: exact for log spectra, within 10% for the filterbank kinds
    (a band takes the curve's value at its centre). Excitation columns barely move."""
    from scipy.signal import fftconvolve

    config = FeatureConfig(kind=kind, n_filters=40, n_coeffs=20, excitation=True)
    samples = audio.load(real_speech)
    samples = samples + 1e-3 * np.random.default_rng(0).standard_normal(len(samples)).astype(np.float32)
    coefficients = [5.0, -3.0, 2.0, -1.5, 1.0, 0.5, -0.5, 1.0]
    taps = 4096  # a zero-phase FIR with that gain, by frequency sampling
    response = 10 ** (equaliser_gain_db(np.fft.rfftfreq(taps, 1 / 16000), coefficients, 16000) / 20)
    fir = np.fft.fftshift(np.fft.irfft(response, taps)) * np.hanning(taps)
    filtered = fftconvolve(samples, fir, mode="same").astype(np.float32)
    plain, coloured = extract(samples, config), extract(filtered, config)
    shift = curve_to_features(config, equaliser_gain_db(band_frequencies(config), coefficients, 16000))
    inner = slice(30, len(plain) - 30)  # away from the convolution's edges
    static = config.static_dims
    moved = (coloured - plain)[inner, :static]
    error = moved - shift[:static]
    if kind == "logspec":  # bins on the log floor do not move
        away = plain[inner, :static] > np.log(1e-10) + 1.0
        moved, error = moved[away], error[away]
    assert np.linalg.norm(moved) > 5 * np.linalg.norm(error)
    assert np.linalg.norm(error) < 0.1 * np.linalg.norm(moved)
    assert np.abs(coloured[inner, static:] - plain[inner, static:]).mean() < 0.1
    assert not shift[static:].any()


def test_random_equaliser_is_bounded_smooth_and_leaves_time_alone():
    """With only "eq_db", each window moves by one curve for all its frames, at most eq_db dB."""
    config = FeatureConfig(kind="logspec", n_fft=512, deltas=1, excitation=True)
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal((60, config.dims)).astype(np.float32) for _ in range(40)]
    aug = Augmentation.from_dict({"eq_db": 10.0, "eq_terms": 6})
    plain = epoch_windows(clips, [], 50, Augmentation(), config, seed=1, epoch=0)
    windows = epoch_windows(clips, [], 50, aug, config, seed=1, epoch=0)
    assert np.array_equal(windows, epoch_windows(clips, [], 50, aug, config, seed=1, epoch=0))
    shifts = windows - plain
    static = config.static_dims
    assert np.allclose(shifts, shifts[:, :1], atol=1e-5)  # the same for every frame
    assert not shifts[:, :, static:].any()  # deltas and excitation columns stay
    peaks_db = np.abs(shifts[:, 0, :static]).max(axis=1) * 10 / np.log(10)
    assert peaks_db.max() <= 10.0 + 1e-3 and peaks_db.min() < 5.0 < peaks_db.max()
    curves, _ = equaliser_basis(config, 6)
    assert curves.shape == (6, static)


@pytest.mark.parametrize("value", [{"eq_db": 6.0}, {"eq_db": -1.0, "eq_terms": 4}, {"eq_db": True, "eq_terms": 4}])
def test_equaliser_keys_are_checked(value):
    with pytest.raises(ValueError, match="eq_"):
        Augmentation.from_dict(value)


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
    """Every experiment file in training/configs loads, is named after its file, and its augmentation parses."""
    names = sorted(path.stem for path in CONFIG_DIR.glob("*.json"))
    assert {"seed-mlp", "lcnn-logspec-excite-seed1", "lcnn-logspec-excite-ocsoftmax-speed"} <= set(names)
    for name in names:
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
    copies = augmented_copies_for(paths, config, 16000, 2, seed=5, workers=1, root=tmp_path)
    again = augmented_copies_for(paths, config, 16000, 2, seed=5, workers=1, log=lines.append, root=tmp_path)
    assert lines[-2:] == [f"Channel copy {c} features ready for 3 clips; 3 came from the cache." for c in (1, 2)]
    assert all(np.array_equal(a[c], b[c]) for a, b in zip(copies, again, strict=True) for c in range(2))
    assert not np.array_equal(copies[0][0], copies[0][1])  # two different channel draws


def test_full_disk_costs_the_cache_not_the_run(tmp_path, real_speech, monkeypatch):
    """A training run on a full disk once crashed with a traceback and left .tmp files behind."""
    import errno

    import training.feature_cache as feature_cache

    paths = [real_speech, real_speech.with_name("agent-user.wav")]
    config = FeatureConfig(kind="lfcc", n_filters=30, n_coeffs=20)
    expected = features_for(paths, config, 16000, workers=1, root=tmp_path / "writable")

    def full_disk(handle, array):
        handle.write(b"\x93NUMPY partial")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(feature_cache.np, "save", full_disk)
    lines: list[str] = []
    got = features_for(paths, config, 16000, workers=1, log=lines.append, root=tmp_path / "full")
    assert all(np.array_equal(a, b) for a, b in zip(expected, got, strict=True))
    assert lines[0] == "Features ready for 2 clips; 0 came from the cache."
    assert lines[1].startswith("Cache not written for 2 clips (no space left on device) in ")
    assert lines[1].endswith("free space there to make the next run faster.")
    assert len(lines) == 2
    assert not [p for p in (tmp_path / "full").rglob("*") if p.is_file()]  # no partial entries, no .tmp
    monkeypatch.undo()
    lines.clear()
    features_for(paths, config, 16000, workers=1, log=lines.append, root=tmp_path / "full")
    assert lines == ["Features ready for 2 clips; 0 came from the cache."]
    assert len(list((tmp_path / "full").rglob("*.npy"))) == 2


def _pulse_train(f0: float, seconds: float = 1.0, rate: int = 16000) -> np.ndarray:
    """Glottal-pulse-like excitation: one sharp click every 1/f0 s through a short decay."""
    x = np.zeros(int(seconds * rate), dtype=np.float32)
    x[(np.arange(0, seconds, 1.0 / f0) * rate).astype(int)] = 1.0
    return np.convolve(x, np.exp(-np.arange(40) / 6.0).astype(np.float32))[: len(x)]


def _kurtosis(x: np.ndarray) -> float:
    x = x - x.mean()
    return float(np.mean(x**4) / np.mean(x**2) ** 2)


def test_change_speed_moves_pitch_and_length_and_keeps_pulses_sharp():
    """Played 0.8 times as fast: 200 Hz becomes 160 Hz, 1 s becomes 1.25 s, and the pulses
    stay pulses (a Griffin-Lim or phase-vocoder shift would smear them towards a Gaussian)."""
    tone = np.sin(2 * np.pi * 200 * np.arange(16000) / 16000).astype(np.float32)
    slower = change_speed(tone, 0.8)
    assert len(slower) == 20000
    spectrum = np.abs(np.fft.rfft(slower[2000:18000]))
    assert np.argmax(spectrum) == 160  # 1 Hz bins over 16,000 samples
    faster = change_speed(tone, 1.25)
    assert len(faster) == 12800
    pulses = _pulse_train(100.0)
    moved = change_speed(pulses, 1.25)
    peaks = np.flatnonzero((moved[1:-1] > moved[:-2]) & (moved[1:-1] >= moved[2:]) & (moved[1:-1] > 0.5)) + 1
    assert np.allclose(np.diff(peaks), 16000 / 125, atol=1.0)  # 125 pulses per second now
    assert _kurtosis(moved) > 0.8 * _kurtosis(pulses) > 10.0


def test_speed_factors_are_log_uniform_in_the_range():
    rng = np.random.default_rng(0)
    factors = np.array([speed_factor((0.8, 1.25), rng) for _ in range(4000)])
    assert factors.min() >= 0.8 and factors.max() <= 1.25
    assert abs(np.mean(factors < 1.0) - 0.5) < 0.03  # as often down as up
    assert speed_factor((0.9, 0.9), rng) == pytest.approx(0.9)


@pytest.mark.parametrize("value,message", [
    ([0.8], "two numbers"), (["0.8", 1.2], "two numbers"), ([1.2, 0.8], "low <= high"), ([0.3, 1.0], "low <= high"),
    ([True, 1.0], "two numbers"),
])
def test_speed_range_is_checked(value, message):
    with pytest.raises(ValueError, match=message):
        Augmentation.from_dict({"speed_copies": 1, "speed_probability": 0.5, "speed_range": value})
    with pytest.raises(ValueError, match="speed_probability"):
        Augmentation.from_dict({"speed_copies": 1, "speed_probability": 1.5, "speed_range": [0.8, 1.25]})
    assert Augmentation.from_dict({"speed_range": [0.8, 1.25]}).speed_range == (0.8, 1.25)


def test_epoch_windows_take_speed_copies_as_often_as_asked():
    """Each window comes from the clip itself, its speed copy or its channel copy (told apart by
    their values here); without speed copies the draws are exactly those of before."""
    clips = [np.zeros((40, 4), np.float32) for _ in range(2000)]
    channel = [[np.ones((40, 4), np.float32)] for _ in clips]
    speed = [[np.full((40, 4), 2.0, np.float32)] for _ in clips]
    config = FeatureConfig(kind="logmel", n_filters=4)
    aug = Augmentation.from_dict({"channel_copies": 1, "channel_probability": 0.5, "speed_copies": 1, "speed_probability": 0.4,
                                  "speed_range": [0.8, 1.25]})
    windows = epoch_windows(clips, channel, 40, aug, config, seed=3, epoch=0, speed_copies=speed)
    source = windows[:, 0, 0]
    assert abs(np.mean(source == 2.0) - 0.4) < 0.04
    assert abs(np.mean(source == 1.0) - 0.3) < 0.04  # half of the other 60 percent
    assert np.array_equal(windows, epoch_windows(clips, channel, 40, aug, config, seed=3, epoch=0, speed_copies=speed))
    plain = Augmentation.from_dict({"channel_copies": 1, "channel_probability": 0.5})
    assert np.array_equal(epoch_windows(clips, channel, 40, plain, config, seed=3, epoch=0),
                          epoch_windows(clips, channel, 40, aug, config, seed=3, epoch=0, speed_copies=()))  # no draw spent on absent copies


def test_speed_copies_are_cached_apart_from_channel_copies(tmp_path, real_speech):
    """A speed copy is the clip resampled by its drawn factor (the number of frames says by how
    much), the same on a second run, and cached under its own name beside the channel copies."""
    paths = [real_speech, real_speech.with_name("vm-goodbye.wav")]
    config = FeatureConfig(kind="logmel", n_filters=40)
    lines: list[str] = []
    plain = features_for(paths, config, 16000, workers=1, root=tmp_path)
    speed = augmented_copies_for(paths, config, 16000, 2, seed=5, workers=1, log=lines.append, root=tmp_path, speed=(0.8, 1.25))
    channel = augmented_copies_for(paths, config, 16000, 1, seed=5, workers=1, root=tmp_path)
    again = augmented_copies_for(paths, config, 16000, 2, seed=5, workers=1, log=lines.append, root=tmp_path, speed=(0.8, 1.25))
    assert lines[-2:] == [f"Speed copy {c} features ready for 2 clips; 2 came from the cache." for c in (1, 2)]
    assert all(np.array_equal(a[c], b[c]) for a, b in zip(speed, again, strict=True) for c in range(2))
    for clip, copies in zip(plain, speed, strict=True):
        ratios = [len(clip) / len(copy) for copy in copies]
        assert all(0.78 <= r <= 1.27 for r in ratios) and abs(ratios[0] - ratios[1]) > 1e-3  # two draws
    assert not np.array_equal(channel[0][0][: len(speed[0][0])], speed[0][0][: len(channel[0][0])])
    other = augmented_copies_for(paths, config, 16000, 1, seed=5, workers=1, log=lines.append, root=tmp_path, speed=(0.9, 0.9))
    assert lines[-1] == "Speed copy 1 features ready for 2 clips; 0 came from the cache."  # another range, another entry
    assert abs(len(plain[0]) / len(other[0][0]) - 0.9) < 0.01
