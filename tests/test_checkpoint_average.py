"""Checkpoint averaging (config key `average_checkpoints`): the mean of the best epochs' weights,
kept only when it is no worse on dev, and what the card and the last spoken line say of it."""

from __future__ import annotations

import numpy as np
import pytest

from training.train import _average_best, average_weights, final_sentence


def test_average_weights_means_floats_and_keeps_other_arrays_from_the_first():
    first = [np.array([1.0, 2.0], dtype=np.float32), np.array([[0.0]], dtype=np.float64), np.array([7, 9], dtype=np.uint32)]
    second = [np.array([3.0, 6.0], dtype=np.float32), np.array([[4.0]], dtype=np.float64), np.array([1, 1], dtype=np.uint32)]
    averaged = average_weights([first, second])
    assert averaged[0].tolist() == [2.0, 4.0] and averaged[0].dtype == np.float32
    assert averaged[1].tolist() == [[2.0]] and averaged[1].dtype == np.float64
    assert averaged[2].tolist() == [7, 9] and averaged[2].dtype == np.uint32
    assert average_weights([first])[0].tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match="no checkpoints"):
        average_weights([])


class LinearModel:
    """A one-weight stand-in for a Keras model: score = w * x."""

    def __init__(self, weight: float) -> None:
        self.weights = [np.array([weight], dtype=np.float32)]

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.weights]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.weights = [w.copy() for w in weights]

    def __call__(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        return x[:, 0] * self.weights[0][0]


# bonafide (1) has positive x, spoof (0) negative: a positive weight separates them (EER 0),
# a negative one ranks every spoof above every bonafide (EER 1).
DEV_X = np.array([[1.0], [2.0], [-1.0], [-2.0]], dtype=np.float32)
DEV_Y = np.array([1, 1, 0, 0])


def test_the_average_is_kept_when_it_is_no_worse_on_dev():
    model = LinearModel(1.0)  # the best epoch's weights are loaded before averaging
    kept = [{"eer": 0.0, "epoch": 7, "weights": [np.array([1.0], np.float32)]},
            {"eer": 0.25, "epoch": 3, "weights": [np.array([3.0], np.float32)]}]
    lines: list[str] = []
    record = _average_best(model, kept, 0.0, DEV_X, DEV_Y, lines.append)
    assert record == {"epochs": [3, 7], "dev_eer": 0.0, "kept": "average"}
    assert model.weights[0].tolist() == [2.0]
    assert lines == ["Averaged epochs 3, 7: dev EER 0.0 percent; the average is kept."]


def test_the_best_epoch_is_restored_when_the_average_is_worse_on_dev():
    model = LinearModel(1.0)
    kept = [{"eer": 0.0, "epoch": 2, "weights": [np.array([1.0], np.float32)]},
            {"eer": 0.5, "epoch": 5, "weights": [np.array([-5.0], np.float32)]}]
    lines: list[str] = []
    record = _average_best(model, kept, 0.0, DEV_X, DEV_Y, lines.append)
    assert record["kept"] == "best epoch" and record["dev_eer"] == 1.0 and record["epochs"] == [2, 5]
    assert model.weights[0].tolist() == [1.0]
    assert lines[-1].endswith("the best single epoch is kept.")


def test_final_sentence_names_the_average_only_when_it_was_kept():
    card = {"name": "m", "metrics": {"dev": {"eer": 0.05}},
            "training": {"best_epoch": 4, "best_dev_eer": 0.061,
                         "checkpoint_average": {"epochs": [2, 3, 4], "dev_eer": 0.052, "kept": "average"}}}
    assert final_sentence(card) == "Training done. Dev EER 5.2 percent, 3 best epochs averaged. Saved as m."
    card["training"]["checkpoint_average"]["kept"] = "best epoch"
    assert final_sentence(card) == "Training done. Best dev EER 6.1 percent at epoch 4. Saved as m."
