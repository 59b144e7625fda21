"""Features: MFCC and the log spectrum match librosa with the same conventions; LFCC and log-mel are sane."""

from __future__ import annotations

import numpy as np
import pytest

from spoofvoice import audio
from spoofvoice.features import (
    FeatureConfig,
    dct_matrix,
    delta,
    extract,
    levinson,
    pad_by_repetition,
)

# Single-precision FFT and filterbank: cepstra (magnitudes up to ~600) agree to 0.01 absolute.
MFCC_ATOL = 1e-2


@pytest.fixture(scope="module")
def speech(real_speech):
    return audio.load(real_speech)


@pytest.mark.parametrize("n_filters,n_coeffs", [(40, 20), (64, 40)])
def test_mfcc_matches_librosa(speech, n_filters, n_coeffs):
    import librosa

    config = FeatureConfig(kind="mfcc", n_filters=n_filters, n_coeffs=n_coeffs)
    ours = extract(speech, config)
    power = librosa.feature.melspectrogram(
        y=speech, sr=16000, n_fft=512, win_length=400, hop_length=160, center=False, htk=True, n_mels=n_filters, power=2.0
    )
    reference = librosa.feature.mfcc(S=librosa.power_to_db(power, top_db=None), n_mfcc=n_coeffs).T
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, atol=MFCC_ATOL, rtol=1e-5)


def test_lfcc_has_deltas_and_expected_shape(speech):
    config = FeatureConfig(kind="lfcc", n_filters=60, n_coeffs=20, deltas=2)
    values = extract(speech, config)
    assert values.shape == (config.frames_for(len(speech)), 60)
    assert config.dims == 60
    np.testing.assert_allclose(values[:, 20:40], delta(values[:, :20]), atol=1e-5)
    assert np.isfinite(values).all()


def test_logmel_shape(speech):
    config = FeatureConfig(kind="logmel", n_filters=64)
    assert extract(speech, config).shape == (config.frames_for(len(speech)), 64)


def test_logspec_is_librosas_log_power_spectrum(speech):
    import librosa

    config = FeatureConfig(kind="logspec")
    ours = extract(speech, config)
    power = np.abs(librosa.stft(speech, n_fft=512, win_length=400, hop_length=160, center=False)) ** 2
    reference = np.log(np.maximum(power, 1e-10)).T
    assert ours.shape == reference.shape == (config.frames_for(len(speech)), 257)
    assert config.dims == 257
    # Single precision: bins 90 dB or more below the loudest one lose digits in the log. The
    # clip was recorded at 8 kHz, so the upper half of the spectrum is empty.
    audible = power.T > power.max() * 1e-9
    assert audible.mean() > 0.4
    np.testing.assert_allclose(ours[audible], reference[audible], atol=1e-2)


def test_logspec_band_keeps_the_bins_between_fmin_and_fmax(speech):
    config = FeatureConfig(kind="logspec", fmin=300.0, fmax=4000.0, deltas=1)
    full = extract(speech, FeatureConfig(kind="logspec"))
    values = extract(speech, config)
    # 31.25 Hz bins: 300 Hz rounds up to bin 10, 4000 Hz is bin 128 exactly.
    assert config.static_dims == 119 and values.shape[1] == 238
    np.testing.assert_allclose(values[:, :119], full[:, 10:129], atol=1e-6)
    np.testing.assert_allclose(values[:, 119:], delta(values[:, :119]), atol=1e-5)


def test_group_delay_is_the_position_of_an_impulse_in_the_frame():
    config = FeatureConfig(kind="logspec", phase="gd")
    clip = np.zeros(4000, dtype=np.float32)
    clip[1000] = 1.0
    values = extract(clip, config)
    # Frame 5 starts at sample 800: the impulse lies 200 samples in, 56 before the centre (256).
    np.testing.assert_allclose(values[5, 257:], -56 / 200, atol=1e-4)
    assert config.dims == 514 and config.planes == 2
    silent_frame = values[20, 257:]  # the impulse lies outside this frame: no phase to speak of
    np.testing.assert_array_equal(silent_frame, 0.0)


def test_instantaneous_frequency_deviation_of_a_tone():
    config = FeatureConfig(kind="logspec", phase="ifd")
    rate, bin_hz = 16000, 16000 / 512
    for offset in (0.0, 0.4):  # a tone on bin 64, then 0.4 bins above it
        tone = np.sin(2 * np.pi * (64 + offset) * bin_hz * np.arange(rate) / rate).astype(np.float32)
        values = extract(tone, config)
        # The phase advances 0.4 bins faster per hop: 2 pi 0.4 * 160 / 512, divided by pi.
        np.testing.assert_allclose(values[1:, 257 + 64], offset * 2 * 160 / 512, atol=1e-3)
        assert values[0, 257 + 64] == 0.0  # the first frame has no previous one


def test_levinson_solves_the_normal_equations():
    from scipy.linalg import solve_toeplitz

    rng = np.random.default_rng(3)
    signals = rng.standard_normal((4, 400)) + np.sin(np.arange(400) / 7.0)
    r = np.array([np.correlate(x, x, "full")[399 : 399 + 17] for x in signals])
    ours = levinson(r)
    assert np.all(ours[:, 0] == 1.0)
    for row, expected in zip(ours, r, strict=True):  # predictor p solves R p = r; A(z) = 1 - sum p z^-k
        np.testing.assert_allclose(-row[1:], solve_toeplitz(expected[:16], expected[1:]), atol=1e-9)
    np.testing.assert_array_equal(levinson(np.zeros((1, 17)))[0], np.r_[1.0, np.zeros(16)])


def _voiced_and_smeared(seconds: float = 2.0) -> tuple[np.ndarray, np.ndarray]:
    """A 125 Hz pulse train through two formant resonators, and the same signal with every
    Fourier phase drawn at random: the same magnitude spectrum, the glottal pulses smeared."""
    from scipy.signal import lfilter

    rate = 16000
    pulses = np.zeros(int(rate * seconds))
    pulses[::128] = 1.0
    voiced = pulses
    for hz, bandwidth in ((700.0, 90.0), (1200.0, 110.0)):
        radius = np.exp(-np.pi * bandwidth / rate)
        voiced = lfilter([1.0], [1.0, -2 * radius * np.cos(2 * np.pi * hz / rate), radius**2], voiced)
    spectrum = np.fft.rfft(voiced)
    phases = np.exp(2j * np.pi * np.random.default_rng(0).random(len(spectrum)))
    smeared = np.fft.irfft(np.abs(spectrum) * phases, n=len(voiced))
    return voiced.astype(np.float32), smeared.astype(np.float32)


def test_excitation_columns_see_pulses_that_the_spectrum_does_not():
    voiced, smeared = _voiced_and_smeared()
    config = FeatureConfig(kind="logspec", excitation=True)
    assert config.dims == 257 + 3 and config.spectral_dims == 257 and config.excitation_dims == 3
    pulse, noise = extract(voiced, config), extract(smeared, config)
    kurtosis = {name: np.median(values[values[:, 257] == 1.0, 258]) for name, values in (("pulse", pulse), ("noise", noise))}
    # Pulses leave a spiky residual, log kurtosis far above a Gaussian's log 3 = 1.1; random
    # phases leave a Gaussian one.
    assert kurtosis["pulse"] > 3.0 and abs(kurtosis["noise"] - np.log(3.0)) < 0.5
    spectra_gap = np.abs(np.median(pulse[:, :257], axis=0) - np.median(noise[:, :257], axis=0))
    assert np.median(spectra_gap) < 1.0  # the log spectra are alike: this is what they miss


def test_excitation_marks_the_loudest_third_as_voiced_and_zeroes_the_rest(speech):
    values = extract(speech, FeatureConfig(kind="mfcc", excitation=True))
    assert values.shape[1] == 20 + 3
    voiced = values[:, 20] == 1.0
    assert abs(voiced.mean() - 1 / 3) < 0.02
    np.testing.assert_array_equal(values[~voiced, 20:], 0.0)
    np.testing.assert_allclose(values[:, :20], extract(speech, FeatureConfig(kind="mfcc")), atol=1e-6)
    louder = extract(speech * 3.0, FeatureConfig(kind="mfcc", excitation=True))
    both = voiced & (louder[:, 20] == 1.0)  # a frame right at the loudest-third line may flip
    assert both.sum() >= 0.98 * voiced.sum()
    np.testing.assert_allclose(louder[both, 20:], values[both, 20:], atol=1e-3)  # level does not move them


def test_excitation_of_silence_and_a_burst_is_finite_without_warnings():
    import warnings

    config = FeatureConfig(kind="logspec", excitation=True)
    burst = np.zeros(16000, dtype=np.float32)
    burst[8000:8400] = 0.1 * np.sin(np.arange(400) / 5.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0/0 in float32 would warn, then hand the model a NaN
        for clip in (np.zeros(16000, dtype=np.float32), burst):
            values = extract(clip, config)
            assert np.isfinite(values).all()
    assert values[:, 257].sum() > 0  # the burst's frames are voiced


def test_phase_features_need_the_log_spectrum():
    with pytest.raises(ValueError):
        FeatureConfig(kind="logmel", phase="gd")
    with pytest.raises(ValueError):
        FeatureConfig(kind="logspec", phase="cepstrum")


def test_dct_matrix_is_orthonormal():
    basis = dct_matrix(40, 40)
    np.testing.assert_allclose(basis @ basis.T, np.eye(40), atol=1e-5)


def test_pad_by_repetition_repeats_short_clips():
    clip = np.arange(5, dtype=np.float32)
    np.testing.assert_array_equal(pad_by_repetition(clip, 12), np.array([0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1], dtype=np.float32))
    assert pad_by_repetition(clip, 3) is clip


def test_config_round_trip_and_validation():
    config = FeatureConfig(kind="lfcc", n_filters=60, deltas=2)
    assert FeatureConfig.from_dict(config.to_dict()) == config
    with pytest.raises(ValueError):
        FeatureConfig(kind="cqcc")
    with pytest.raises(ValueError):
        FeatureConfig.from_dict({"kind": "mfcc", "colour": "blue"})


def test_waveform_frames_laid_end_to_end_are_the_clip(speech):
    """The waveform kind is each frame's first hop of samples, on the spectral frame grid."""
    config = FeatureConfig(kind="waveform")
    frames = extract(speech, config)
    assert frames.shape == (config.frames_for(len(speech)), 160) == (config.frames_for(len(speech)), config.dims)
    np.testing.assert_array_equal(frames.reshape(-1), speech[: frames.size].astype(np.float32))
    for wrong in ({"deltas": 1}, {"excitation": True}, {"preemphasis": 0.97}, {"waveform": True}):
        with pytest.raises(ValueError, match="waveform"):
            FeatureConfig(kind="waveform", **wrong)


def test_waveform_columns_end_each_frame_and_stay_out_of_older_cards(speech):
    """`waveform=True` appends those samples after the spectrum and excitation columns; a config
    without it writes the same dict as before the setting existed, so old cache keys still hit."""
    spec = FeatureConfig(kind="logspec", excitation=True)
    both = FeatureConfig(kind="logspec", excitation=True, waveform=True)
    combined = extract(speech, both)
    assert both.dims == spec.dims + 160 and both.waveform_dims == 160 and spec.waveform_dims == 0
    np.testing.assert_array_equal(combined[:, : spec.dims], extract(speech, spec))
    np.testing.assert_array_equal(combined[:, spec.dims :], extract(speech, FeatureConfig(kind="waveform")))
    assert "waveform" not in spec.to_dict() and both.to_dict()["waveform"] is True
    assert FeatureConfig.from_dict(both.to_dict()) == both and FeatureConfig.from_dict(spec.to_dict()) == spec


def test_residual_samples_are_the_excitation_laid_end_to_end():
    """`residual=True` whitens each frame's centre samples with the frame's own LPC: for noise
    coloured by a resonance, the rows laid end to end give back the white noise that drove it
    (from sample n_fft/2 - hop/2 on), and the same clip louder gives a proportionally louder
    residual, so a network that scales windows to unit RMS ignores the level."""
    import scipy.signal

    rng = np.random.default_rng(0)
    drive = rng.standard_normal(32_000)
    coloured = scipy.signal.lfilter([1.0], [1.0, -1.6, 0.9], drive).astype(np.float32)
    config = FeatureConfig(kind="waveform", residual=True)
    rows = extract(coloured, config)
    assert rows.shape == (config.frames_for(len(coloured)), 160) and rows.dtype == np.float32
    flat = rows.reshape(-1)
    first = config.n_fft // 2 - config.hop_length // 2
    assert np.corrcoef(flat, drive[first : first + flat.size])[0, 1] > 0.95
    assert np.corrcoef(flat, coloured[: flat.size])[0, 1] < 0.5  # not the samples themselves
    assert flat.std() < 0.5 * coloured.std()  # the resonance's gain is gone
    np.testing.assert_allclose(extract(coloured * 4.0, config), 4.0 * rows, rtol=1e-3, atol=1e-4)
    assert np.all(extract(np.zeros(4000, dtype=np.float32), config) == 0)  # silence: no NaN


def test_residual_is_a_setting_of_raw_samples_only_and_stays_out_of_older_cards(speech):
    """Residual columns of a fused config replace its raw samples; a config without the setting
    writes the dict it always wrote, so cached features and cards stay valid."""
    raw, residual = FeatureConfig(kind="waveform"), FeatureConfig(kind="waveform", residual=True)
    assert "residual" not in raw.to_dict() and residual.to_dict()["residual"] is True
    assert FeatureConfig.from_dict(residual.to_dict()) == residual
    columns = FeatureConfig(kind="logspec", excitation=True, waveform=True, residual=True)
    spec = FeatureConfig(kind="logspec", excitation=True)
    np.testing.assert_array_equal(extract(speech, columns)[:, spec.dims :], extract(speech, residual))
    with pytest.raises(ValueError, match="residual"):
        FeatureConfig(kind="logspec", residual=True)
