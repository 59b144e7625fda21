"""Knowledge distillation (config "teacher"): the soft targets worked out by hand, and the config check."""

from __future__ import annotations

import numpy as np
import pytest

from training.config import ConfigError, load_config
from training.train import soft_targets


def test_soft_targets_mix_the_label_and_the_teachers_probability():
    labels = np.array([1, 1, 0, 0])
    scores = np.array([0.0, np.log(3.0), np.log(3.0), -50.0])  # probabilities 1/2, 3/4, 3/4, ~0
    np.testing.assert_allclose(soft_targets(labels, scores, 0.5), [0.75, 0.875, 0.375, 0.0], atol=1e-6)
    np.testing.assert_allclose(soft_targets(labels, scores, 1.0), [0.5, 0.75, 0.75, 0.0], atol=1e-6)
    assert soft_targets(labels, scores, 0.5).dtype == np.float32


def test_config_checks_the_teacher(tmp_path):
    path = tmp_path / "x.json"
    base = '{"name": "x", "architecture": "lcnn", "features": {"kind": "logmel"}, "teacher": %s%s}'
    path.write_text(base % ('{"model": "default", "weight": 0.25}', ""))
    assert load_config(path).teacher == {"model": "default", "weight": 0.25}
    bad = {
        '{"model": "default", "weight": 0}': "teacher 'weight' must be a number above 0 and at most 1, not 0.",
        '{"model": "default", "weight": 1.5}': "teacher 'weight' must be a number above 0 and at most 1, not 1.5.",
        '{"model": "default", "weight": true}': "teacher 'weight' must be a number above 0 and at most 1, not True.",
        '{"weight": 0.5}': "'teacher' must name a model",
        '{"model": "default", "temperature": 2}': "unknown teacher key 'temperature'; known: model, weight.",
    }
    for teacher, message in bad.items():
        path.write_text(base % (teacher, ""))
        with pytest.raises(ConfigError, match="x.json: " + message.replace("(", r"\(").replace(".", r"\.")):
            load_config(path)
    path.write_text(base % ('{"model": "default"}', ', "loss": {"name": "oc-softmax"}'))
    with pytest.raises(ConfigError, match="only the bce loss"):
        load_config(path)
