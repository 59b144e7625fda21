"""Attack-family weights (config "attack_weights"): worked out by hand, class totals kept in
every pitch band, and the config check."""

from __future__ import annotations

import numpy as np
import pytest

from training.config import ConfigError, load_config
from training.train import attack_weighted


def test_a_family_counts_its_factor_more_and_the_spoof_total_is_kept():
    y = np.array([1, 1, 0, 0, 0, 0])
    attacks = ["-", "-", "S01", "S01", "S04", "S06"]
    weights = np.array([1.5, 1.5, 0.75, 0.75, 0.75, 0.75], dtype=np.float32)
    out = attack_weighted(weights, y, attacks, {"S04": 3.0})
    # spoofs 1 : 1 : 3 : 1 in proportion, summing to the 3.0 they had
    np.testing.assert_allclose(out, [1.5, 1.5, 0.5, 0.5, 1.5, 0.5], rtol=1e-6)
    assert out[y == 0].sum() == pytest.approx(weights[y == 0].sum())


def test_each_pitch_band_keeps_its_spoof_total_so_the_classes_stay_balanced_there():
    y = np.array([1, 0, 0, 1, 0, 0, 0])
    attacks = ["-", "S04", "S01", "-", "S04", "S01", "S01"]
    bands = np.array([1, 1, 1, 2, 2, 2, 2])
    weights = np.array([2.0, 1.0, 1.0, 1.5, 0.5, 0.5, 0.5], dtype=np.float32)
    out = attack_weighted(weights, y, attacks, {"S04": 2.0}, bands)
    for band in (1, 2):
        inside = bands == band
        assert out[inside & (y == 0)].sum() == pytest.approx(weights[inside & (y == 0)].sum())
        assert out[inside & (y == 1)].sum() == pytest.approx(weights[inside & (y == 1)].sum())
    assert out[1] == pytest.approx(2 * out[2]) and out[4] == pytest.approx(2 * out[5])
    np.testing.assert_allclose(out[[1, 2]], [4 / 3, 2 / 3], rtol=1e-6)  # band 1: 2 of weight split 2 : 1


def test_no_factor_changes_nothing():
    y = np.array([1, 0, 0])
    weights = np.array([1.0, 0.5, 0.5], dtype=np.float32)
    np.testing.assert_allclose(attack_weighted(weights, y, ["-", "S01", "S02"], {"S09": 2.0}), weights)


def test_config_checks_the_attack_weights(tmp_path):
    path = tmp_path / "x.json"
    base = '{"name": "x", "architecture": "lcnn", "features": {"kind": "logmel"}, "attack_weights": %s}'
    path.write_text(base % '{"S04": 2.0, "S06": 2}')
    assert load_config(path).attack_weights == {"S04": 2.0, "S06": 2}
    for bad in ('{"S04": 0}', '{"S04": "2"}', '{"S04": true}', '{"-": 2.0}', '{"S04": -1.0}', '["S04"]'):
        path.write_text(base % bad)
        with pytest.raises(ConfigError, match="x.json: 'attack_weights'"):
            load_config(path)
