"""Train a model from an experiment config and a dataset, then export it with its card.

The steps, each kept small: read the dataset's train and dev trials; compute (or reuse
cached) features; cut one window per clip; fit (k-fold with the best fold kept, or one
split with early stopping on dev EER); export .keras + .tflite; then score the dev set
with the exported LiteRT model itself, so the threshold (dev EER point) and the Platt
calibration in the card are those of the file that ships. Dev speakers are never training
speakers in the corpus layouts, so the threshold is chosen on unseen voices.
"""

from __future__ import annotations

import datetime
import math
import os
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from spoofvoice.paths import MODELS_DIR
from training.config import TrainConfig, load_config

Log = Callable[[str], None]


class TrainingError(Exception):
    """Training cannot go on, said in one sentence."""


def center_window(features: np.ndarray, frames: int) -> np.ndarray:
    """The middle `frames` frames of a clip (clips are padded to at least one window)."""
    start = max(0, (len(features) - frames) // 2)
    return features[start : start + frames]


def labels_of(trials: Sequence) -> np.ndarray:
    """1 for bonafide, 0 for spoof: the model predicts the log-odds of bonafide."""
    return np.array([1.0 if t.label == "bonafide" else 0.0 for t in trials], dtype=np.float32)


def class_weights(labels: np.ndarray) -> dict[int, float]:
    """Weights that give both classes the same total say in the loss."""
    counts = Counter(int(v) for v in labels)
    total = len(labels)
    return {cls: total / (2.0 * count) for cls, count in counts.items()}


def quiet_tensorflow() -> None:
    """TensorFlow's start-up chatter would drown the progress lines a listener relies on."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import absl.logging
    import tensorflow as tf

    absl.logging.set_verbosity(absl.logging.ERROR)
    tf.get_logger().setLevel("ERROR")


def set_seed(seed: int) -> None:
    """Same seed, same model: Python, numpy and TensorFlow seeded, deterministic ops."""
    quiet_tensorflow()
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def split_trials(trials: Sequence, config: TrainConfig, log: Log) -> tuple[list, list]:
    train = [t for t in trials if t.subset == config.data.get("train_subset", "train")]
    dev = [t for t in trials if t.subset == config.data.get("dev_subset", "dev")]
    if not train:
        raise TrainingError("The dataset has no training clips. Check the dataset kind and folder.")
    if not dev:
        speakers = sorted({t.speaker for t in train})
        rng = np.random.default_rng(config.seed)
        held = set(rng.choice(speakers, size=max(1, len(speakers) // 5), replace=False))
        dev = [t for t in train if t.speaker in held]
        train = [t for t in train if t.speaker not in held]
        log(f"No dev subset: {len(held)} training speakers are held out as dev.")
    for name, part in (("training", train), ("dev", dev)):
        if len({t.label for t in part}) < 2:
            raise TrainingError(f"The {name} clips are all of one class. Both bonafide and spoof are needed.")
    return train, dev


def _optimizer(config: TrainConfig):
    import keras

    options = dict(config.optimizer)
    name = options.pop("name", "adam").lower()
    if name == "adam":
        return keras.optimizers.Adam(**options)
    if name == "adamw":
        return keras.optimizers.AdamW(**options)
    if name == "sgd":
        return keras.optimizers.SGD(**options)
    raise TrainingError(f"Unknown optimiser {name!r}; use adam, adamw or sgd.")


def _compile(model, config: TrainConfig) -> None:
    import keras

    model.compile(optimizer=_optimizer(config), loss=keras.losses.BinaryCrossentropy(from_logits=True))


def _eer(scores: np.ndarray, labels: np.ndarray) -> float:
    from training.metrics import eer

    return eer(scores[labels == 1], scores[labels == 0])


def fit_kfold(config: TrainConfig, x: np.ndarray, y: np.ndarray, epochs: int, log: Log) -> tuple[object, dict]:
    """k-fold cross-validation on the training clips; the fold with the lowest EER is kept.

    Folds are stratified by label but not grouped by speaker, as in the original design:
    that is why its cross-validation looked perfect.
    """
    from sklearn.model_selection import StratifiedKFold

    from training.architectures import build
    from training.metrics import roc_auc

    folds = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    results, best, best_eer = [], None, math.inf
    for fold, (fit_idx, val_idx) in enumerate(folds.split(x, y), 1):
        set_seed(config.seed + fold)
        model = build(config.architecture, x.shape[1:], x[fit_idx], **config.architecture_params)
        _compile(model, config)
        weights = class_weights(y[fit_idx]) if config.class_weights else None
        model.fit(x[fit_idx], y[fit_idx], epochs=epochs, batch_size=config.batch_size, class_weight=weights, verbose=0, shuffle=True)
        scores = model.predict(x[val_idx], verbose=0, batch_size=256).reshape(-1)
        fold_eer = _eer(scores, y[val_idx])
        fold_auc = roc_auc(scores[y[val_idx] == 1], scores[y[val_idx] == 0])
        results.append({"fold": fold, "eer": fold_eer, "auc": fold_auc})
        log(f"Fold {fold} of {config.folds}. EER {fold_eer * 100:.1f} percent. AUC {fold_auc:.3f}.")
        if fold_eer < best_eer:
            best, best_eer = model, fold_eer
    summary = {
        "folds": results,
        "best_fold": min(results, key=lambda r: r["eer"])["fold"],
        "mean_eer": float(np.mean([r["eer"] for r in results])),
        "mean_auc": float(np.mean([r["auc"] for r in results])),
    }
    return best, summary


def fit_with_dev(config: TrainConfig, x: np.ndarray, y: np.ndarray, dev_x: np.ndarray, dev_y: np.ndarray, epochs: int, log: Log) -> tuple[object, dict]:
    """One training run, keeping the weights of the epoch with the lowest dev EER."""
    import keras

    from training.architectures import build

    set_seed(config.seed)
    model = build(config.architecture, x.shape[1:], x, **config.architecture_params)
    _compile(model, config)
    history: list[dict] = []
    best = {"eer": math.inf, "epoch": 0, "weights": None}
    patience = config.early_stopping_patience

    class DevEer(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            scores = self.model.predict(dev_x, verbose=0, batch_size=256).reshape(-1)
            dev_eer = _eer(scores, dev_y)
            history.append({"epoch": epoch + 1, "loss": float((logs or {}).get("loss", float("nan"))), "dev_eer": dev_eer})
            log(f"Epoch {epoch + 1} of {epochs}. Dev EER {dev_eer * 100:.1f} percent.")
            if dev_eer < best["eer"]:
                best.update(eer=dev_eer, epoch=epoch + 1, weights=self.model.get_weights())
            elif patience and epoch + 1 - best["epoch"] >= patience:
                self.model.stop_training = True

    weights = class_weights(y) if config.class_weights else None
    model.fit(x, y, epochs=epochs, batch_size=config.batch_size, class_weight=weights, verbose=0, shuffle=True, callbacks=[DevEer()])
    model.set_weights(best["weights"])
    return model, {"history": history, "best_epoch": best["epoch"], "best_dev_eer": best["eer"]}


def calibrate(scores: np.ndarray, labels: np.ndarray) -> dict:
    """Platt scaling: P(bonafide) = sigmoid(a * score + b), fitted on dev scores."""
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), labels.astype(int))
    return {"method": "platt", "a": float(fit.coef_[0][0]), "b": float(fit.intercept_[0]), "fitted_on": "dev"}


def data_summary(trials: Sequence, dataset_kind: str, data_dir: Path) -> dict:
    """Counts per attack and speakers, for the card."""
    return {
        "dataset": dataset_kind,
        "folder": Path(data_dir).name,
        "clips": len(trials),
        "per_attack": dict(sorted(Counter(t.attack for t in trials).items())),
        "speakers": len({t.speaker for t in trials}),
    }


def train(
    config: str | Path,
    dataset_kind: str,
    data_dir: Path,
    *,
    epochs: int | None = None,
    out_name: str | None = None,
    models_dir: Path | None = None,
    log: Log = print,
    workers: int = 0,
) -> dict:
    """Train, export and calibrate one model; returns its card."""
    from spoofvoice.detector import Detector, ModelCard
    from training.datasets import read_dataset
    from training.export import write_card, write_model_files
    from training.feature_cache import features_for

    cfg = load_config(config)
    name = out_name or cfg.name
    models_dir = Path(models_dir or MODELS_DIR)
    epochs = epochs or cfg.epochs
    trials = read_dataset(dataset_kind, Path(data_dir))
    train_trials, dev_trials = split_trials(trials, cfg, log)
    log(f"Training {name}: {len(train_trials)} training clips, {len(dev_trials)} dev clips, {epochs} epochs.")
    window_samples = int(round(cfg.window_seconds * cfg.features.sample_rate))
    frames = cfg.features.frames_for(window_samples)
    train_features = features_for([t.path for t in train_trials], cfg.features, window_samples, workers, log)
    dev_features = features_for([t.path for t in dev_trials], cfg.features, window_samples, workers, log)
    x = np.stack([center_window(f, frames) for f in train_features])
    y = labels_of(train_trials)
    dev_x = np.stack([center_window(f, frames) for f in dev_features])
    dev_y = labels_of(dev_trials)

    if cfg.folds > 1:
        model, fit_summary = fit_kfold(cfg, x, y, epochs, log)
    else:
        model, fit_summary = fit_with_dev(cfg, x, y, dev_x, dev_y, epochs, log)

    files = write_model_files(model, name, models_dir)
    card = {
        "name": name,
        "architecture": cfg.architecture,
        "description": cfg.description,
        "features": cfg.features.to_dict(),
        "window": {"seconds": cfg.window_seconds, "hop_seconds": cfg.hop_seconds, "frames": frames},
        "input": {"shape": [frames, cfg.features.dims], "dtype": "float32", "output": "log-odds of bonafide (higher = more bonafide)"},
        "threshold": {"value": 0.0, "method": "provisional"},
        "uncertainty_band": cfg.uncertainty_band,
        "calibration": {"method": "none", "a": 1.0, "b": 0.0},
        "training_data": {"train": data_summary(train_trials, dataset_kind, data_dir), "dev": data_summary(dev_trials, dataset_kind, data_dir)},
        "training": {"epochs": epochs, "batch_size": cfg.batch_size, "seed": cfg.seed, **fit_summary},
        "metrics": {},
        "files": files,
        "config": cfg.to_dict(),
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    card_path = write_card(card, models_dir)

    detector = Detector(ModelCard.read(card_path))
    dev_scores = np.array([detector.score_features(f, 0.0).score for f in dev_features])
    from training.metrics import eer_with_threshold, roc_auc

    dev_eer, threshold = eer_with_threshold(dev_scores[dev_y == 1], dev_scores[dev_y == 0])
    card["threshold"] = {
        "value": threshold,
        "method": "EER point of the exported model on the dev subset, whose speakers are not in training",
    }
    card["calibration"] = calibrate(dev_scores, dev_y)
    card["metrics"]["dev"] = {
        "eer": dev_eer,
        "auc": roc_auc(dev_scores[dev_y == 1], dev_scores[dev_y == 0]),
        "clips": len(dev_trials),
        "speakers": len({t.speaker for t in dev_trials}),
    }
    write_card(card, models_dir)
    log(f"Training done. Dev EER {dev_eer * 100:.1f} percent. Saved as {name}.")
    return card


def run_train(args, context) -> int:
    """The `train` command: progress lines as `progress`, the result as `message`."""
    from training.config import ConfigError
    from training.datasets import DatasetError

    def log(line: str) -> None:
        context.say(line, "progress", final=line.startswith("Training done"))

    try:
        card = train(
            args.config, args.dataset, Path(args.data),
            epochs=args.epochs, out_name=args.out,
            models_dir=Path(args.models_dir) if args.models_dir else None, log=log,
        )
    except (ConfigError, DatasetError, TrainingError) as error:
        context.say(str(error), "important", earcon="error")
        return 1
    context.say(f"Model saved as {card['name']} in {Path(args.models_dir or MODELS_DIR)}.", "message", earcon="done")
    return 0
