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
import gc
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


TRAIN_WINDOWS_KEPT = 2  # training keeps the middle two windows of each clip: crops still vary, memory stays bounded


def keep_centre(features: np.ndarray, frames: int) -> np.ndarray:
    """The middle `frames` frames of a clip as an array of its own (so the rest can be freed);
    shorter clips are returned as they are. The corpus pads clips with up to 0.6 s of silence,
    which is what this drops first."""
    if len(features) <= frames:
        return features
    return np.ascontiguousarray(center_window(features, frames))


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


def learning_rate_for(config: TrainConfig, epoch: int, epochs: int) -> float:
    """The learning rate of `epoch` (from 0): constant, or cosine decay from the configured
    rate towards zero over `epochs` (the optimizer's "schedule" key), so late epochs settle."""
    base = float(config.optimizer.get("learning_rate", 0.001))
    if config.optimizer.get("schedule", "constant") == "constant" or epochs <= 1:
        return base
    return base * 0.5 * (1.0 + math.cos(math.pi * epoch / epochs))


def _optimizer(config: TrainConfig):
    import keras

    options = dict(config.optimizer)
    options.pop("schedule", None)
    name = options.pop("name", "adam").lower()
    if name == "adam":
        return keras.optimizers.Adam(**options)
    if name == "adamw":
        return keras.optimizers.AdamW(**options)
    if name == "sgd":
        return keras.optimizers.SGD(**options)
    raise TrainingError(f"Unknown optimiser {name!r}; use adam, adamw or sgd.")


def _compile(model, config: TrainConfig) -> None:
    from training.losses import keras_loss

    model.compile(optimizer=_optimizer(config), loss=keras_loss(config.loss_spec))


def _eer(scores: np.ndarray, labels: np.ndarray) -> float:
    from training.metrics import eer

    return eer(scores[labels == 1], scores[labels == 0])


# --------------------------------------------------------------------------- distribution


STRATEGIES = ("default", "mirrored", "multi-worker")


def make_strategy(name: str):
    """The tf.distribute strategy for `--strategy`; multi-worker reads the standard TF_CONFIG.

    Created before any other TensorFlow work, as MultiWorkerMirroredStrategy requires.
    """
    quiet_tensorflow()
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multi-worker":
        if not os.environ.get("TF_CONFIG"):
            raise TrainingError("The multi-worker strategy needs TF_CONFIG set, naming the cluster and this worker.")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise TrainingError(f"Unknown strategy {name}; use default, mirrored or multi-worker.")


def is_chief() -> bool:
    """True unless TF_CONFIG names this process a non-chief worker: only the chief writes files."""
    import json

    try:
        config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    except ValueError:
        raise TrainingError("TF_CONFIG is not valid JSON; fix the environment variable.") from None
    task = config.get("task") or {}
    cluster = config.get("cluster") or {}
    if not task:
        return True
    if task.get("type") == "chief":
        return True
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0 and "chief" not in cluster


def _dataset(x: np.ndarray, y: np.ndarray, w: np.ndarray, batch_size: int):
    """A batched tf.data pipeline, sharded by data so every worker of a cluster takes its part."""
    import tensorflow as tf

    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    options.deterministic = True
    return tf.data.Dataset.from_tensor_slices((x, y, w)).batch(batch_size).with_options(options)


def predict(model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Logits of `x`, computed locally (also inside a multi-worker strategy)."""
    if len(x) == 0:
        return np.zeros(0, dtype=np.float32)
    return np.concatenate([np.asarray(model(x[i : i + batch_size].astype(np.float32), training=False)).reshape(-1) for i in range(0, len(x), batch_size)])


def sample_weights(y: np.ndarray, use_weights: bool) -> np.ndarray:
    """Per-clip weights from `class_weights`, so both classes count equally in the loss."""
    if not use_weights:
        return np.ones(len(y), dtype=np.float32)
    weights = class_weights(y)
    return np.array([weights[int(v)] for v in y], dtype=np.float32)


def attack_weighted(weights: np.ndarray, y: np.ndarray, attacks: Sequence[str], factors: dict, groups: np.ndarray | None = None) -> np.ndarray:
    """Spoof clips of the families in `factors` count that many times more, and the spoofs of
    each group (a pitch band, or all when `groups` is None) are rescaled to keep their total, so
    the families a model fits worst weigh more without moving the balance of the classes."""
    out = np.asarray(weights, dtype=np.float64).copy()
    groups = np.zeros(len(y), dtype=int) if groups is None else np.asarray(groups)
    scale = np.array([float(factors.get(a, 1.0)) if label == 0 else 1.0 for a, label in zip(attacks, y, strict=True)])
    for group in np.unique(groups):
        spoof = (groups == group) & (np.asarray(y) == 0)
        scaled = out[spoof] * scale[spoof]
        if scaled.sum() > 0:
            out[spoof] = scaled * out[spoof].sum() / scaled.sum()
    return out.astype(np.float32)


# --------------------------------------------------------------------------- fitting


class Windows:
    """The training windows of each epoch: centre windows, or augmented ones drawn for that epoch."""

    def __init__(self, clips: Sequence[np.ndarray], copies: Sequence, frames: int, config: TrainConfig, speed_copies: Sequence = ()) -> None:
        from training.augment import Augmentation

        self.clips, self.copies, self.frames, self.config = clips, copies, frames, config
        self.speed_copies = speed_copies
        self.augmentation = Augmentation.from_dict(config.augmentation)
        self.centre = np.stack([center_window(f, frames) for f in clips]) if clips else np.zeros((0, frames, config.features.dims), np.float32)

    def for_epoch(self, epoch: int, rows: np.ndarray | None = None) -> np.ndarray:
        from training.augment import epoch_windows

        if not self.augmentation.active:
            return self.centre if rows is None else self.centre[rows]
        chosen = range(len(self.clips)) if rows is None else rows
        clips = [self.clips[i] for i in chosen]
        copies = [self.copies[i] for i in chosen] if self.copies else []
        speed = [self.speed_copies[i] for i in chosen] if self.speed_copies else []
        return epoch_windows(clips, copies, self.frames, self.augmentation, self.config.features, self.config.seed, epoch, speed)


def fit_epochs(model, windows: Windows, y: np.ndarray, rows: np.ndarray, epochs: int, config: TrainConfig, strategy, after_epoch: Callable[[int, float], bool] | None = None, stop=None, clip_weights: np.ndarray | None = None, targets: np.ndarray | None = None) -> None:
    """Train for `epochs`, one Keras fit per epoch on that epoch's windows, shuffled by the seed.

    Under a distribution strategy the epoch runs through `distributed_epoch`, because Keras 3's
    fit() breaks with MultiWorkerMirroredStrategy across workers (keras-team/keras#20585).

    `after_epoch(epoch, loss)` may return True to stop early; `stop` (a threading.Event) ends
    training after the current batch. A model with nothing to learn by gradient (the GMM) is
    left as it is. `clip_weights` (one per training clip, e.g. pitch-balanced) replace the
    class weights; `targets` (soft, from a teacher) replace the labels in the loss.
    """
    if not model.trainable_weights:
        return
    weights = sample_weights(y[rows], config.class_weights) if clip_weights is None else clip_weights[rows]
    wanted = (y if targets is None else targets)[rows].astype(np.float32)
    for epoch in range(epochs):
        if stop is not None and stop.is_set():
            break
        if config.optimizer.get("schedule", "constant") != "constant":
            model.optimizer.learning_rate.assign(learning_rate_for(config, epoch, epochs))
        loss = _fit_one_epoch(model, windows, wanted, weights, rows, epoch, config, strategy, stop)
        if after_epoch and after_epoch(epoch, loss):
            break


def _fit_one_epoch(model, windows: Windows, y: np.ndarray, weights: np.ndarray, rows: np.ndarray, epoch: int, config: TrainConfig, strategy, stop) -> float:
    """One pass over this epoch's windows, shuffled by the seed; returns the mean loss.

    The windows are drawn in shuffled order (no second copy) and live only in this call, so a
    large log-spectrum epoch is freed before the next one is drawn.
    """
    order = np.random.default_rng([config.seed, epoch, 1]).permutation(len(rows))
    dataset = _dataset(windows.for_epoch(epoch, rows[order]), y[order], weights[order], config.batch_size)
    if _is_default(strategy):
        loss = float(model.fit(dataset, epochs=1, verbose=0, shuffle=False, callbacks=_stop_callbacks(stop)).history["loss"][-1])
    else:
        loss = distributed_epoch(model, dataset, strategy, config.batch_size, stop, config.loss_spec)
    del dataset
    gc.collect()
    return loss


def _is_default(strategy) -> bool:
    import tensorflow as tf

    return strategy is tf.distribute.get_strategy()


_STEPS: dict[int, object] = {}


def _stop_callbacks(stop) -> list:
    """A Keras callback that ends fit() after the batch during which `stop` was set."""
    if stop is None:
        return []
    import keras

    class StopAfterBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if stop.is_set():
                self.model.stop_training = True

    return [StopAfterBatch()]


def distributed_epoch(model, dataset, strategy, batch_size: int, stop=None, loss_spec=None) -> float:
    """One epoch of a custom training loop: strategy.run per batch, gradients all-reduced.

    The loss is the config's (training/losses.py), class-weighted and averaged over the global
    batch, as Keras' fit would compute it; returns the mean batch loss.
    """
    import tensorflow as tf

    if id(model) not in _STEPS:
        from training.losses import LossSpec, per_window_loss

        per_window = per_window_loss(loss_spec or LossSpec())
        with strategy.scope():
            model.optimizer.build(model.trainable_variables)

        def replica_step(x, y, w):
            with tf.GradientTape() as tape:
                logits = tf.reshape(model(x, training=True), [-1])
                per_clip = per_window(y, logits)
                loss = tf.nn.compute_average_loss(per_clip * w, global_batch_size=batch_size * strategy.num_replicas_in_sync)
            gradients = tape.gradient(loss, model.trainable_variables)
            model.optimizer.apply_gradients(zip(gradients, model.trainable_variables, strict=True))
            return loss

        @tf.function
        def step(batch):
            losses = strategy.run(replica_step, args=batch)
            return strategy.reduce(tf.distribute.ReduceOp.SUM, losses, axis=None)

        _STEPS[id(model)] = step
    step = _STEPS[id(model)]
    losses = []
    for batch in strategy.experimental_distribute_dataset(dataset):
        losses.append(float(step(batch)))
        if stop is not None and stop.is_set():
            break
    return float(np.mean(losses)) if losses else float("nan")


def _build(config: TrainConfig, windows: Windows, y: np.ndarray, rows: np.ndarray, strategy, seed: int):
    from training.architectures import build

    set_seed(seed)
    x = windows.centre[rows]
    with strategy.scope():
        model = build(config.architecture, x.shape[1:], x, labels=y[rows], seed=seed, planes=config.features.planes,
                      excitation_dims=config.features.excitation_dims, loss=config.loss_spec, **config.architecture_params)
        _compile(model, config)
    return model


def fit_kfold(config: TrainConfig, windows: Windows, y: np.ndarray, epochs: int, log: Log, strategy, stop=None, progress=None, clip_weights: np.ndarray | None = None, targets: np.ndarray | None = None) -> tuple[object, dict]:
    """k-fold cross-validation on the training clips; the fold with the lowest EER is kept.

    Folds are stratified by label but not grouped by speaker, as in the original design:
    that is why its cross-validation looked perfect.
    """
    from sklearn.model_selection import StratifiedKFold

    from training.metrics import roc_auc

    folds = StratifiedKFold(n_splits=config.folds, shuffle=True, random_state=config.seed)
    results, best, best_eer = [], None, math.inf
    for fold, (fit_idx, val_idx) in enumerate(folds.split(windows.centre, y), 1):
        if stop is not None and stop.is_set() and best is not None:
            break  # the folds done so far stand; the best of them is kept
        model = _build(config, windows, y, fit_idx, strategy, config.seed + fold)
        fit_epochs(model, windows, y, fit_idx, epochs, config, strategy, stop=stop, clip_weights=clip_weights, targets=targets)
        scores = predict(model, windows.centre[val_idx])
        fold_eer = _eer(scores, y[val_idx])
        fold_auc = roc_auc(scores[y[val_idx] == 1], scores[y[val_idx] == 0])
        results.append({"fold": fold, "eer": fold_eer, "auc": fold_auc})
        log(f"Fold {fold} of {config.folds}. EER {fold_eer * 100:.1f} percent. AUC {fold_auc:.3f}.")
        if fold_eer < best_eer or best is None:
            best, best_eer = model, fold_eer
        if progress is not None:
            progress(fold, config.folds)
    summary = {
        "folds": results,
        "best_fold": min(results, key=lambda r: r["eer"])["fold"],
        "mean_eer": float(np.mean([r["eer"] for r in results])),
        "mean_auc": float(np.mean([r["auc"] for r in results])),
    }
    return best, summary


def average_weights(checkpoints: Sequence[list[np.ndarray]]) -> list[np.ndarray]:
    """Element-wise mean of several checkpoints of one model (checkpoint averaging).

    Floating arrays, batch-norm statistics included, are averaged; any other array (a random
    generator's state) is taken from the first checkpoint.
    """
    if not checkpoints:
        raise ValueError("no checkpoints to average")
    averaged = []
    for arrays in zip(*checkpoints, strict=True):
        first = arrays[0]
        if np.issubdtype(first.dtype, np.floating):
            averaged.append(np.mean(np.stack(arrays), axis=0).astype(first.dtype))
        else:
            averaged.append(first.copy())
    return averaged


def _average_best(model, kept: list[dict], best_eer: float, dev_x: np.ndarray, dev_y: np.ndarray, log: Log) -> dict:
    """Try the mean of the kept checkpoints; it stays only if its dev EER is no worse than the best epoch's."""
    epochs = sorted(entry["epoch"] for entry in kept)
    best_weights = model.get_weights()
    model.set_weights(average_weights([entry["weights"] for entry in kept]))
    dev_eer = _eer(predict(model, dev_x), dev_y)
    kept_average = dev_eer <= best_eer
    if not kept_average:
        model.set_weights(best_weights)
    listed = ", ".join(str(e) for e in epochs)
    log(f"Averaged epochs {listed}: dev EER {dev_eer * 100:.1f} percent; "
        + ("the average is kept." if kept_average else "the best single epoch is kept."))
    return {"epochs": epochs, "dev_eer": dev_eer, "kept": "average" if kept_average else "best epoch"}


def fit_with_dev(config: TrainConfig, windows: Windows, y: np.ndarray, dev_x: np.ndarray, dev_y: np.ndarray, epochs: int, log: Log, strategy, stop=None, progress=None, clip_weights: np.ndarray | None = None, targets: np.ndarray | None = None) -> tuple[object, dict]:
    """One training run, keeping the weights of the epoch with the lowest dev EER.

    With `average_checkpoints` = K > 1 the K epochs with the lowest dev EER are also averaged
    (as AASIST and ESPnet do), which smooths out the epoch-to-epoch noise of a small dev set;
    the average replaces the best epoch only if it is no worse on dev.
    """
    rows = np.arange(len(y))
    model = _build(config, windows, y, rows, strategy, config.seed)
    history: list[dict] = []
    keep = max(config.average_checkpoints, 1)
    kept: list[dict] = []  # the `keep` epochs of lowest dev EER so far, best (then earliest) first
    patience = config.early_stopping_patience

    def after_epoch(epoch: int, loss: float) -> bool:
        dev_eer = _eer(predict(model, dev_x), dev_y)
        history.append({"epoch": epoch + 1, "loss": loss, "dev_eer": dev_eer})
        log(f"Epoch {epoch + 1} of {epochs}. Dev EER {dev_eer * 100:.1f} percent.")
        if progress is not None:
            progress(epoch + 1, epochs)
        improved = not kept or dev_eer < kept[0]["eer"]
        if len(kept) < keep or dev_eer < kept[-1]["eer"]:
            kept.append({"eer": dev_eer, "epoch": epoch + 1, "weights": model.get_weights()})
            kept.sort(key=lambda entry: (entry["eer"], entry["epoch"]))
            del kept[keep:]
        return not improved and bool(patience) and epoch + 1 - kept[0]["epoch"] >= patience

    if model.trainable_weights:
        fit_epochs(model, windows, y, rows, epochs, config, strategy, after_epoch, stop, clip_weights, targets)
        if not kept:  # stopped inside the first epoch: what it learnt so far
            after_epoch(len(history), float("nan"))
        best = kept[0]
        model.set_weights(best["weights"])
        summary = {"history": history, "best_epoch": best["epoch"], "best_dev_eer": best["eer"]}
        if len(kept) > 1:
            summary["checkpoint_average"] = _average_best(model, kept, best["eer"], dev_x, dev_y, log)
        return model, summary
    dev_eer = _eer(predict(model, dev_x), dev_y)
    log(f"Fitted by expectation-maximisation; no gradient epochs. Dev EER {dev_eer * 100:.1f} percent.")
    return model, {"history": [], "best_epoch": 0, "best_dev_eer": dev_eer, "fitted_by": "expectation-maximisation"}


def plain_copy(model, strategy):
    """The trained model outside any distribution strategy, for saving and conversion."""
    import keras
    import tensorflow as tf

    if strategy is tf.distribute.get_strategy():
        return model
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def calibrate(scores: np.ndarray, labels: np.ndarray) -> dict:
    """Platt scaling: P(bonafide) = sigmoid(a * score + b), fitted on dev scores."""
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), labels.astype(int))
    return {"method": "platt", "a": float(fit.coef_[0][0]), "b": float(fit.intercept_[0]), "fitted_on": "dev"}


def data_summary(trials: Sequence, dataset_kind: str, data_dir: Path, ids: bool = False) -> dict:
    """Counts per attack and speakers, for the card; with `ids`, the speaker and attack ids too.

    The training part lists its speaker ids and spoof attack ids, so an evaluation can tell
    seen speakers and attacks from unseen ones from the card alone.
    """
    summary = {
        "dataset": dataset_kind,
        "folder": Path(data_dir).name,
        "clips": len(trials),
        "per_attack": dict(sorted(Counter(t.attack for t in trials).items())),
        "speakers": len({t.speaker for t in trials}),
    }
    if ids:
        summary["speaker_ids"] = sorted({str(t.speaker) for t in trials})
        summary["attack_ids"] = sorted({str(t.attack) for t in trials if t.label != "bonafide"})
    return summary


def _features(cfg: TrainConfig, train_trials: Sequence, dev_trials: Sequence, window_samples: int, workers: int, log: Log):
    """Cached features of train and dev clips, plus the channel and speed copies augmentation asks for."""
    from training.augment import Augmentation
    from training.feature_cache import augmented_copies_for, features_for

    dtype = cfg.feature_dtype
    paths = [t.path for t in train_trials]
    train_features = features_for(paths, cfg.features, window_samples, workers, log, dtype=dtype)
    dev_features = features_for([t.path for t in dev_trials], cfg.features, window_samples, workers, log, dtype=dtype)
    aug = Augmentation.from_dict(cfg.augmentation)
    copies = augmented_copies_for(paths, cfg.features, window_samples, aug.channel_copies, cfg.seed, workers, log, dtype=dtype) if aug.channel_copies else []
    speed = (augmented_copies_for(paths, cfg.features, window_samples, aug.speed_copies, cfg.seed, workers, log, dtype=dtype, speed=aug.speed_range)
             if aug.speed_copies else [])
    return train_features, dev_features, copies, speed


def pitch_weights(cfg: TrainConfig, train_trials: Sequence, y: np.ndarray, workers: int, log: Log) -> tuple[np.ndarray | None, dict, np.ndarray | None]:
    """With `pitch_balance` set: per-clip weights under which both classes weigh the same in
    each median-F0 band, the card's record of the bands, and each clip's band; otherwise
    (None, {}, None)."""
    if not cfg.pitch_balance:
        return None, {}, None
    from training.pitch import clip_pitches, pitch_balanced_weights, pitch_band

    f0 = clip_pitches([t.path for t in train_trials], workers, log)
    weights, bands = pitch_balanced_weights(y, f0, cfg.pitch_balance)
    lowest = bands[1]
    log(f"Pitch-balanced weights: {lowest['band']}, {lowest['bonafide']} real and {lowest['spoof']} spoof clips, "
        f"weighted {lowest['bonafide_weight']:.2f} and {lowest['spoof_weight']:.2f}.")
    return weights, {"edges_hz": list(cfg.pitch_balance), "bands": bands}, np.array([pitch_band(float(v), cfg.pitch_balance) for v in f0])


def clip_weights_for(cfg: TrainConfig, train_trials: Sequence, y: np.ndarray, workers: int, log: Log) -> tuple[np.ndarray | None, dict]:
    """The loss weight of each training clip (None: the class weights) and the card's record:
    pitch-balanced when `pitch_balance` is set, then scaled by family when `attack_weights` is."""
    weights, pitch_record, bands = pitch_weights(cfg, train_trials, y, workers, log)
    record = {"pitch_balance": pitch_record} if pitch_record else {}
    if not cfg.attack_weights:
        return weights, record
    base = sample_weights(y, cfg.class_weights) if weights is None else weights
    attacks = np.array([t.attack for t in train_trials])
    weights = attack_weighted(base, y, attacks, cfg.attack_weights, bands)
    spoof = y == 0
    shares = {a: round(float(weights[spoof & (attacks == a)].sum() / weights[spoof].sum()), 4) for a in sorted(cfg.attack_weights)}
    log("Attack weights: " + ", ".join(f"{a} {f:g} times ({100 * shares[a]:.0f} percent of the spoof weight)" for a, f in sorted(cfg.attack_weights.items())) + ".")
    return weights, {**record, "attack_weights": {"factors": dict(cfg.attack_weights), "share_of_spoof_weight": shares}}


def soft_targets(labels: np.ndarray, teacher_scores: np.ndarray, weight: float) -> np.ndarray:
    """(1 - weight) * label + weight * sigmoid(score): labels 1 for bonafide, scores as log-odds of bonafide."""
    probability = 1.0 / (1.0 + np.exp(-np.asarray(teacher_scores, dtype=np.float64)))
    return ((1.0 - weight) * np.asarray(labels, dtype=np.float64) + weight * probability).astype(np.float32)


def load_teacher(cfg: TrainConfig, models_dir: Path):
    """The config's teacher as a Detector (None without one), checked before any feature is
    computed, so a teacher that cannot be used is said at once."""
    if not cfg.teacher:
        return None
    from spoofvoice.detector import Detector, ModelError

    name = cfg.teacher["model"]
    try:
        teacher = Detector.load(name, models_dir)
    except ModelError as error:
        raise TrainingError(f"The teacher cannot be used: {error}") from None
    if teacher.card.features != cfg.features:
        raise TrainingError(f"The teacher {name} uses other features than {cfg.name}; a teacher must score the features the student learns from.")
    return teacher


def teacher_targets(teacher, cfg: TrainConfig, train_features: Sequence[np.ndarray], y: np.ndarray, log: Log) -> tuple[np.ndarray | None, dict]:
    """With a teacher: each training clip's loss target, (1 - W) * label + W * the teacher's
    bonafide probability (the sigmoid of its clip score), and the card's record of it; otherwise
    (None, {}).

    Why: a mean of five networks scores better than any one of them but costs five times as
    much per check; a single network trained towards its scores (knowledge distillation) can
    learn what the mean agrees on, where the hard labels alone teach each run its own guesses.
    The teacher scores the same cached features the student trains on.
    """
    if teacher is None:
        return None, {}
    from training.metrics import eer

    name, weight = teacher.card.name, float(cfg.teacher.get("weight", 0.5))
    log(f"Scoring the {len(train_features)} training clips with the teacher {cfg.teacher['model']}.")
    scores = np.array([teacher.score_features(f, 0.0).score for f in train_features], dtype=np.float64)
    targets = soft_targets(y, scores, weight)
    teacher_eer = eer(scores[y == 1], scores[y == 0])
    log(f"Teacher {name}: EER {teacher_eer * 100:.1f} percent on the training clips; targets are {weight:g} of its probability.")
    return targets, {"teacher": {"model": name, "tflite_sha256": teacher.card.tflite_sha256, "weight": weight,
                                 "train_eer": teacher_eer, "mean_target_bonafide": float(targets[y == 1].mean()),
                                 "mean_target_spoof": float(targets[y == 0].mean())}}


def _threshold_card(detector, train_features, train_y, dev_scores, dev_y, train_trials, dev_trials) -> tuple[float, dict]:
    """The training-set EER, and the threshold section of the card: the dev-EER threshold, how it
    was chosen, and the training-set EER point (the wrong-speaker-mix choice) for comparison."""
    from training.metrics import eer_with_threshold

    _, threshold = eer_with_threshold(dev_scores[dev_y == 1], dev_scores[dev_y == 0])
    overlap = {t.speaker for t in dev_trials} & {t.speaker for t in train_trials}
    train_scores = np.array([detector.score_features(f, 0.0).score for f in train_features])
    train_eer, on_train = eer_with_threshold(train_scores[train_y == 1], train_scores[train_y == 0])
    return train_eer, {
        "value": threshold,
        "method": "EER point of the exported model (mean of window logits) on the dev subset",
        "dev_speakers": len({t.speaker for t in dev_trials}),
        "dev_speakers_also_in_training": len(overlap),
        "alternatives": {"train_eer_point": on_train},
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
    strategy: str = "default",
    band: float | None = None,
    threads: int | None = None,
    stop=None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Train, export and calibrate one model; returns its card (only the chief writes files).

    `stop` (a threading.Event) ends training after the current batch and keeps the best model
    so far; `progress(done, total)` hears each finished epoch (or fold, for k-fold). `threads`
    overrides the config's TensorFlow thread count.
    """
    from spoofvoice.detector import Detector, ModelCard
    from training import numerics
    from training.datasets import read_dataset
    from training.export import write_card, write_model_files

    cfg = load_config(config)
    if threads is not None and threads < 1:
        raise TrainingError("The number of threads must be at least 1.")
    pinned = numerics.pin(cfg.threads if threads is None else threads)
    log(numerics.describe(pinned))
    distribution = make_strategy(strategy)
    name = out_name or cfg.name
    models_dir = Path(models_dir or MODELS_DIR)
    epochs = cfg.epochs if epochs is None else epochs
    if band is not None and band < 0:
        raise TrainingError("The uncertainty band must not be negative.")
    teacher = load_teacher(cfg, models_dir)
    trials = read_dataset(dataset_kind, Path(data_dir))
    train_trials, dev_trials = split_trials(trials, cfg, log)
    log(f"Training {name}: {len(train_trials)} training clips, {len(dev_trials)} dev clips, {epochs} epochs.")
    window_samples = int(round(cfg.window_seconds * cfg.features.sample_rate))
    frames = cfg.features.frames_for(window_samples)
    train_features, dev_features, copies, speed = _features(cfg, train_trials, dev_trials, window_samples, workers, log)
    train_features = [keep_centre(f, TRAIN_WINDOWS_KEPT * frames) for f in train_features]
    copies = [[keep_centre(c, TRAIN_WINDOWS_KEPT * frames) for c in clip_copies] for clip_copies in copies]
    speed = [[keep_centre(c, TRAIN_WINDOWS_KEPT * frames) for c in clip_copies] for clip_copies in speed]
    windows = Windows(train_features, copies, frames, cfg, speed)
    y = labels_of(train_trials)
    dev_x = np.stack([center_window(f, frames) for f in dev_features])
    dev_y = labels_of(dev_trials)

    clip_weights, weight_record = clip_weights_for(cfg, train_trials, y, workers, log)
    targets, teacher_record = teacher_targets(teacher, cfg, train_features, y, log)
    if cfg.folds > 1:
        model, fit_summary = fit_kfold(cfg, windows, y, epochs, log, distribution, stop, progress, clip_weights, targets)
    else:
        model, fit_summary = fit_with_dev(cfg, windows, y, dev_x, dev_y, epochs, log, distribution, stop, progress, clip_weights, targets)
    fit_summary.update(weight_record)
    fit_summary.update(teacher_record)
    fit_summary["stopped_early_by_user"] = bool(stop is not None and stop.is_set())
    model = plain_copy(model, distribution)
    card = {
        "name": name,
        "architecture": cfg.architecture,
        "description": cfg.description,
        "parameters": int(model.count_params()),
        "features": cfg.features.to_dict(),
        "window": {"seconds": cfg.window_seconds, "hop_seconds": cfg.hop_seconds, "frames": frames},
        "input": {"shape": [frames, cfg.features.dims], "dtype": "float32", "output": "log-odds of bonafide (higher = more bonafide)"},
        "threshold": {"value": 0.0, "method": "provisional"},
        "uncertainty_band": float(cfg.uncertainty_band if band is None else band),
        "uncertainty_band_units": "score (log-odds); a score this close to the threshold is reported as uncertain",
        "calibration": {"method": "none", "a": 1.0, "b": 0.0},
        "training_data": {
            "train": data_summary(train_trials, dataset_kind, data_dir, ids=True),
            "dev": data_summary(dev_trials, dataset_kind, data_dir),
        },
        "training": {"epochs": epochs, "batch_size": cfg.batch_size, "seed": cfg.seed, "strategy": strategy,
                     "replicas": int(distribution.num_replicas_in_sync), "numerics": pinned, **fit_summary},
        "metrics": {},
        "files": {},
        "config": cfg.to_dict(),
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    if not is_chief():
        log(f"Training done on this worker. The chief saves {name}.")
        return card
    try:
        card["files"] = write_model_files(model, name, models_dir)
        card_path = write_card(card, models_dir)
    except OSError as error:
        raise _not_saved(name, models_dir, error) from error

    detector = Detector(ModelCard.read(card_path))
    dev_scores = np.array([detector.score_features(f, 0.0).score for f in dev_features])
    from training.metrics import eer, roc_auc

    train_eer, card["threshold"] = _threshold_card(detector, train_features, y, dev_scores, dev_y, train_trials, dev_trials)
    card["metrics"]["train"] = {"eer": train_eer, "clips": len(train_trials), "note": f"the training clips themselves (seen speakers; their middle {TRAIN_WINDOWS_KEPT} windows at most), scored like any clip, without augmentation"}
    card["calibration"] = calibrate(dev_scores, dev_y)
    card["metrics"]["dev"] = {
        "eer": eer(dev_scores[dev_y == 1], dev_scores[dev_y == 0]),
        "auc": roc_auc(dev_scores[dev_y == 1], dev_scores[dev_y == 0]),
        "clips": len(dev_trials),
        "speakers": len({t.speaker for t in dev_trials}),
    }
    try:
        write_card(card, models_dir)
    except OSError as error:
        raise _not_saved(name, models_dir, error) from error
    count = len(fit_summary.get("folds", []))
    folds = f", best of {count} fold{'s' if count != 1 else ''}" if count else ""
    log(f"Training done. Dev EER {card['metrics']['dev']['eer'] * 100:.1f} percent{folds}. Saved as {name}.")
    return card


def run_train(args, context) -> int:
    """The `train` command: in the session it runs in the background (`status`, `stop training`);
    in the CLI the first Ctrl-C stops after the current batch and keeps the best model."""
    from spoofvoice.jobs import Job, run_job

    name = args.out or Path(args.config).stem
    return run_job(context, Job("training", f"training {name}"), lambda job: _train_and_report(args, context, job))


def _train_and_report(args, context, job) -> int:
    """Train with sparse spoken progress; the final line is always spoken."""
    from spoofvoice.progress import SparseProgress
    from training.config import ConfigError
    from training.datasets import DatasetError

    step_line = {"text": ""}

    def log(line: str) -> None:
        if line.startswith("Training done"):
            return  # the final sentence below says it, with the best epoch
        if line.startswith(("Epoch ", "Fold ")):
            step_line["text"] = line  # printed and maybe spoken by progress(), which follows
        else:
            context.show(line)

    def progress(done: int, total: int) -> None:
        """Every epoch (or fold) is printed; SparseProgress decides which are spoken."""
        if job.progress is None:
            job.progress = SparseProgress(context, total)
        job.progress.update(done, step_line["text"] or f"Step {done} of {total}.")

    try:
        card = train(
            args.config, args.dataset, Path(args.data),
            epochs=args.epochs, out_name=args.out,
            models_dir=Path(args.models_dir) if args.models_dir else None, log=log,
            strategy=args.strategy, band=args.band, workers=args.workers, threads=args.threads,
            stop=job.stop_event, progress=progress,
        )
    except (ConfigError, DatasetError, TrainingError) as error:
        context.say(str(error), "important", earcon="error")
        return 1
    sentence = final_sentence(card)
    if job.progress is None:
        job.progress = SparseProgress(context, 1)
    job.progress.finish(sentence)
    context.show(f"Model files: {Path(args.models_dir or MODELS_DIR) / card['name']}.tflite, .keras and .json.")
    return 130 if card["training"].get("stopped_early_by_user") else 0


def _not_saved(name: str, models_dir: Path, error: OSError) -> TrainingError:
    """A model trained but not written (a full disk, a read-only models folder), in one sentence."""
    from spoofvoice.paths import failure_reason

    return TrainingError(f"{name} was trained but could not be saved in {models_dir} ({failure_reason(error)}). "
                         "Free space there, then train again; its features are cached, so it starts sooner.")


def final_sentence(card: dict) -> str:
    """"Training done. Best dev EER 2.3 percent at epoch 14. Saved as lcnn-2." and its variants."""
    training = card["training"]
    dev_eer = f"{card['metrics']['dev']['eer'] * 100:.1f}"
    if training.get("folds"):
        count = len(training["folds"])
        result = f"Dev EER {dev_eer} percent, best of {count} fold{'s' if count != 1 else ''}."
    elif training.get("checkpoint_average", {}).get("kept") == "average":
        count = len(training["checkpoint_average"]["epochs"])
        result = f"Dev EER {training['checkpoint_average']['dev_eer'] * 100:.1f} percent, {count} best epochs averaged."
    elif training.get("best_epoch"):
        result = f"Best dev EER {training['best_dev_eer'] * 100:.1f} percent at epoch {training['best_epoch']}."
    else:
        result = f"Dev EER {dev_eer} percent."
    if training.get("stopped_early_by_user"):
        epochs_run = len(training.get("history") or training.get("folds") or [])
        unit = "fold" if training.get("folds") else "epoch"
        return f"Training stopped at {unit} {epochs_run}. {result} Saved as {card['name']}."
    return f"Training done. {result} Saved as {card['name']}."


def main(argv: list[str] | None = None) -> int:
    """`python -m training.train`: the train command without the session around it (plain lines)."""
    import argparse

    from training.config import ConfigError
    from training.datasets import DatasetError

    parser = argparse.ArgumentParser(prog="python -m training.train", description="Train, export and calibrate one model.")
    from spoofvoice.commands import train_arguments

    train_arguments(parser)
    args = parser.parse_args(argv)
    try:
        card = train(
            args.config, args.dataset, Path(args.data), epochs=args.epochs, out_name=args.out,
            models_dir=Path(args.models_dir) if args.models_dir else None, log=lambda line: print(line, flush=True),
            strategy=args.strategy, band=args.band, workers=args.workers, threads=args.threads,
        )
    except (ConfigError, DatasetError, TrainingError) as error:
        print(error, flush=True)
        return 1
    print(f"Model {card['name']} trained.", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
