"""The losses of training/losses.py: config checking, and the one-class softmax written on the
cosine head's score equals the loss as its authors define it on the cosine itself."""

from __future__ import annotations

import numpy as np
import pytest

from training.config import ConfigError, load_config
from training.losses import LossSpec


def test_loss_spec_defaults_and_checks():
    assert LossSpec.from_dict({}) == LossSpec("bce", 20.0, (0.9, 0.2))
    spec = LossSpec.from_dict({"name": "oc-softmax", "scale": 10, "margins": [0.8, -0.2]})
    assert spec.centre == pytest.approx(0.3) and spec.margin == pytest.approx(5.0)
    for bad, message in (({"name": "focal"}, "unknown loss"), ({"gamma": 2}, "unknown loss key"),
                         ({"name": "oc-softmax", "scale": 0}, "scale"), ({"name": "oc-softmax", "scale": True}, "scale"),
                         ({"name": "oc-softmax", "margins": [0.2, 0.9]}, "margins"), ({"name": "oc-softmax", "margins": [0.9]}, "margins")):
        with pytest.raises(ValueError, match=message):
            LossSpec.from_dict(bad)


def test_a_config_with_a_bad_loss_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "x.json"
    path.write_text('{"name": "x", "architecture": "lcnn", "features": {"kind": "logmel"}, "loss": {"name": "oc-softmax", "margins": [0.1, 0.5]}}')
    with pytest.raises(ConfigError, match="x.json: loss 'margins'"):
        load_config(path)
    assert load_config("lcnn-logspec-excite-ocsoftmax").loss_spec.name == "oc-softmax"
    assert load_config("lcnn-logspec-excite-seed1").loss_spec.name == "bce"


@pytest.mark.slow
def test_one_class_softmax_on_the_score_is_the_published_loss_on_the_cosine():
    from training.architectures import custom_objects
    from training.losses import per_window_loss

    spec = LossSpec.from_dict({"name": "oc-softmax", "scale": 20.0, "margins": [0.9, 0.2]})
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 12)).astype(np.float32)
    y = (rng.random(64) < 0.5).astype(np.float32)
    head = custom_objects()["CosineScore"](spec.scale, spec.centre)
    score = np.asarray(head(x)).reshape(-1)
    direction = np.asarray(head.direction).reshape(-1)
    cosine = x @ direction / np.linalg.norm(x, axis=1) / np.linalg.norm(direction)
    np.testing.assert_allclose(score, spec.scale * (cosine - spec.centre), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(np.asarray(head(3.0 * x)).reshape(-1), score, rtol=1e-5, atol=1e-4)  # the norm does not count
    published = np.where(y == 1, np.logaddexp(0, 20.0 * (0.9 - cosine)), np.logaddexp(0, 20.0 * (cosine - 0.2)))
    got = np.asarray(per_window_loss(spec)(y, score))
    np.testing.assert_allclose(got, published, rtol=1e-4, atol=1e-4)
    assert score.min() >= spec.scale * (-1 - spec.centre) - 1e-4 and score.max() <= spec.scale * (1 - spec.centre) + 1e-4


@pytest.mark.slow
def test_bce_is_keras_binary_cross_entropy_on_logits():
    import keras

    from training.losses import keras_loss, per_window_loss

    rng = np.random.default_rng(1)
    logits = rng.standard_normal(32).astype(np.float32) * 3
    y = (rng.random(32) < 0.5).astype(np.float32)
    expected = np.logaddexp(0, -logits) * y + np.logaddexp(0, logits) * (1 - y)
    np.testing.assert_allclose(np.asarray(per_window_loss(LossSpec())(y, logits)), expected, rtol=1e-5)
    assert isinstance(keras_loss(LossSpec()), keras.losses.BinaryCrossentropy)
