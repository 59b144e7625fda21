"""Features: MFCC matches librosa with the same conventions; LFCC and log-mel are sane."""

from __future__ import annotations

import numpy as np
import pytest

from spoofvoice import audio
from spoofvoice.features import FeatureConfig, dct_matrix, delta, extract, pad_by_repetition

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
