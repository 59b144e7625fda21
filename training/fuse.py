"""Fuse trained models into one network: the members' window logits, weighted and summed.

Score-level fusion is how ASVspoof systems combine front ends that see different things
(log-mel bands, the full log spectrum, its phase). Here the fusion is one Keras model whose
input is the richest member's features (a `logspec` config, phase planes included); every
other member gets its own features computed inside the network from that input (a slice of
the planes, or log-mel bands from the log spectrum), so the exported .tflite runs in the
detector like any single model, with one feature extraction per clip.

The weights come from a logistic regression on the members' dev scores. Dev is then also
where the threshold and the calibration are chosen, from the exported file, as train.py
does; because the weights were fitted on dev too, the card also gives the dev EER of weights
fitted on the other half of the dev speakers (cross-fitted), which is what `ship` compares.

With `mean` (for runs of one recipe, which differ only by chance, or runs and a variant one
setting apart) nothing is fitted: the score is the plain mean of the runs' logits, so the
fused model's dev numbers compare directly with any single model's, and averaging the runs
takes out part of what chance put into each. A member that is itself such a mean counts as
the runs it holds (a mean of four and one new run: weights 4/5 and 1/5, as the default was built),
so a mean grows by one run without its earlier runs' own files, which only the fused copy keeps.
With `per_member` as well, each named member weighs the same whatever its runs: a mean of two
recipes' own means (eight runs of one family and two of another: 1/2 and 1/2, not 8/10 and 2/10),
so the recipe with more runs does not outvote the other; a member that is itself such a mean counts
as the recipes it holds (a mean of two recipes and a third: 2/3 and 1/3). Nothing is fitted then either.

A fused model's files keep float16 weights unless asked otherwise (export.py): it holds several
networks, and seven of them in float32 would not fit the 10 MB a shipped model file may take.
"""

from __future__ import annotations

import argparse
import datetime
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from spoofvoice.detector import Detector, ModelCard, ModelError, interactive_threads, resolve_card
from spoofvoice.features import FeatureConfig
from spoofvoice.paths import MODELS_DIR
from training.export import WEIGHT_PRECISIONS

Log = Callable[[str], None]
GRID = ("sample_rate", "n_fft", "win_length", "hop_length", "preemphasis")
PER_MEMBER_METHOD = "mean of the members' logits, each member (a mean of its own runs) weighing the same"


class FusionError(Exception):
    """Models that cannot be fused, said in one sentence."""


def widest_features(configs: Sequence[FeatureConfig]) -> FeatureConfig:
    """The member features that all the others can be computed from: the most logspec planes,
    with the excitation columns when any member has them and the waveform columns when any
    member reads raw samples (the others simply do not take them)."""
    logspec = [c for c in configs if c.kind == "logspec"]
    if not logspec:
        if all(c == configs[0] for c in configs):
            return configs[0]
        raise FusionError("Fusion needs one member on logspec features, or all members on the same features.")
    samples = [c for c in configs if c.kind == "waveform" or c.waveform]
    if len({c.residual for c in samples}) > 1:
        raise FusionError("Fusion cannot hold members on raw samples and on LPC residual samples together.")
    return replace(max(logspec, key=lambda c: c.planes), excitation=any(c.excitation for c in configs),
                   waveform=bool(samples), residual=any(c.residual for c in samples))


def member_adapter(full: FeatureConfig, member: FeatureConfig, name: str) -> Callable:
    """A function that turns the fused input (`full` features) into what `member` was trained
    on: its spectral values (a slice, or log-mel bands from the log spectrum), then the
    excitation columns when the member has them. Raises FusionError when it cannot."""
    import keras

    from training.architectures import custom_objects

    if member == full:
        return lambda inputs: inputs
    if member.kind == "waveform":
        return _waveform_layer(full, member, name)
    if member.excitation and not full.excitation:
        raise FusionError(f"Model {name}: it needs excitation columns that the fused model's input lacks.")
    spectral = _spectral_layers(replace(full, excitation=False, waveform=False, residual=False), replace(member, excitation=False), name)
    if (full.excitation or full.waveform) and not spectral:
        spectral = [custom_objects()["TakeDims"](0, full.spectral_dims)]
    excitation_end = full.spectral_dims + full.excitation_dims
    excitation = custom_objects()["TakeDims"](full.spectral_dims, excitation_end) if member.excitation else None

    def adapt(inputs):
        x = inputs
        for layer in spectral:
            x = layer(x)
        return keras.layers.Concatenate(axis=-1)([x, excitation(inputs)]) if excitation is not None else x

    return adapt


def _waveform_layer(full: FeatureConfig, member: FeatureConfig, name: str):
    """The raw samples that end each frame of the fused input, for a member of the waveform kind."""
    from training.architectures import custom_objects

    if not full.waveform or any(getattr(member, key) != getattr(full, key) for key in (*GRID, "residual")):
        raise FusionError(f"Model {name}: the fused model's input holds no raw samples on its frame grid; "
                          "fuse waveform members with members on the same STFT.")
    return custom_objects()["TakeDims"](full.dims - full.waveform_dims, full.dims)


def _spectral_layers(full: FeatureConfig, member: FeatureConfig, name: str) -> list:
    """The layers that compute `member`'s spectral values from `full`'s (neither with excitation)."""
    from training.architectures import custom_objects

    layers = custom_objects()
    if member == full:
        return []
    if any(getattr(member, key) != getattr(full, key) for key in GRID) or member.deltas or full.deltas:
        raise FusionError(f"Model {name}: its frames ({member.kind}) are not on the fused model's grid; fuse models with the same STFT and no deltas.")
    bins = full.static_dims
    if member.kind == "logspec" and (member.fmin, member.fmax) == (full.fmin, full.fmax):
        full_planes = ["spectrum", *([] if full.phase == "none" else full.phase.split("+"))]
        wanted = ["spectrum", *([] if member.phase == "none" else member.phase.split("+"))]
        if wanted == full_planes[: len(wanted)]:
            return [layers["TakeDims"](0, len(wanted) * bins)]
    if member.kind == "logmel" and full.kind == "logspec" and full.fmin == 0.0 and full.fmax is None:
        return [layers["TakeDims"](0, bins),
                layers["LogMelFromLogSpectrum"](member.sample_rate, member.n_fft, member.n_filters, member.fmin, member.fmax)]
    raise FusionError(f"Model {name}: its {member.kind} features cannot be computed from the fused model's {full.kind} input.")


def build_fused_model(members: Sequence[tuple[str, object, FeatureConfig]], full: FeatureConfig, frames: int, weights: np.ndarray, bias: float):
    """One Keras model: the input goes through each member (after its adapter), then one Dense(1)."""
    import keras

    inputs = keras.Input(shape=(frames, full.dims), name="features")
    logits = []
    for index, (name, model, config) in enumerate(members):
        x = member_adapter(full, config, name)(inputs)
        model.name = f"member_{index}_{name.replace('-', '_')}"
        logits.append(model(x))
    joined = keras.layers.Concatenate(name="member_logits")(logits) if len(logits) > 1 else logits[0]
    head = keras.layers.Dense(1, name="bonafide_logit")
    outputs = head(joined)
    head.set_weights([np.asarray(weights, np.float32).reshape(-1, 1), np.array([bias], np.float32)])
    return keras.Model(inputs, outputs, name="fusion")


def fit_weights(scores: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """Logistic-regression weights and bias for the members' scores (columns), bonafide = 1."""
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1.0, max_iter=1000).fit(scores, labels.astype(int))
    return fit.coef_[0].astype(np.float64), float(fit.intercept_[0])


def cross_fitted_scores(scores: np.ndarray, labels: np.ndarray, speakers: Sequence[str]) -> np.ndarray:
    """Fused dev scores from weights fitted on the other half of the dev speakers (two folds),
    so the fused model is compared with single models on speakers its weights never saw."""
    from sklearn.model_selection import GroupKFold

    fused = np.zeros(len(labels))
    for fit_rows, test_rows in GroupKFold(n_splits=2).split(scores, labels, groups=list(speakers)):
        if len(set(labels[fit_rows])) < 2:
            raise FusionError("Half of the dev speakers hold only one class; fusion weights cannot be cross-fitted.")
        weights, bias = fit_weights(scores[fit_rows], labels[fit_rows])
        fused[test_rows] = scores[test_rows] @ weights + bias
    return fused


def cross_fitted_eers(fused: np.ndarray, labels: np.ndarray, attacks: Sequence[str], seen_attacks: set[str]) -> dict:
    """EER of the cross-fitted dev scores, overall and on the attacks unseen in training."""
    from training.metrics import eer

    bonafide = fused[labels == 1]
    unseen = np.array([a not in seen_attacks for a in attacks]) & (labels == 0)
    return {"dev_eer_cross_fitted": eer(bonafide, fused[labels == 0]),
            "dev_eer_unseen_attacks_cross_fitted": eer(bonafide, fused[unseen]) if unseen.any() else None}


def is_mean(card: ModelCard) -> bool:
    """Whether a model is a plain mean of runs (`fuse --mean`: nothing fitted on dev)."""
    raw = card.raw
    return raw.get("architecture") == "fusion" and raw.get("training", {}).get("fusion", {}).get("fitted_on") == "nothing"


def runs_in(card: ModelCard) -> int:
    """How many trained runs a model averages: a mean's members' runs added up, else 1."""
    return sum(int(member.get("runs", 1)) for member in card.raw.get("members", [])) if is_mean(card) else 1


def recipes_in(card: ModelCard) -> int:
    """How many recipes a model stands for under equal weights per recipe (`per_member`): a mean
    of recipes' means counts the recipes it already weighs the same, any other model one."""
    fusion = card.raw.get("training", {}).get("fusion", {})
    if not is_mean(card):
        return 1
    if "recipes" in fusion:
        return int(fusion["recipes"])
    return len(card.raw.get("members", [])) if fusion.get("method") == PER_MEMBER_METHOD else 1


def run_names(card: ModelCard) -> list[str]:
    """The trained runs a model stands for: a mean's runs, else the model itself."""
    if not is_mean(card):
        return [member_name(card)]
    config = card.raw.get("config", {})
    config = config.get("source_config", config)  # a model asked through views: the network's own config
    return list(config.get("runs") or config.get("members") or [])


def member_name(card: ModelCard) -> str:
    """A model's own name; the shipped default (a copy) is named by the model it copies, and a
    model asked through views by the network it asks (the views are added to a fusion afterwards)."""
    name = card.raw.get("selected", {}).get("from", card.name) if card.name == "default" else card.name
    return card.raw.get("config", {}).get("views_of", name)


def _member_scores(card: ModelCard, paths: Sequence[Path], workers: int, log: Log) -> np.ndarray:
    from training.feature_cache import features_for

    detector = Detector(card, num_threads=interactive_threads())  # one process scores every clip: let it use the cores
    features = features_for(paths, card.features, detector.window_samples, workers, log, dtype="float16")
    return np.array([detector.score_features(f, 0.0).score for f in features])


def fuse(
    member_names: Sequence[str],
    dataset_kind: str,
    data_dir: Path,
    *,
    out_name: str = "fusion",
    models_dir: Path | None = None,
    band: float = 0.5,
    workers: int = 0,
    mean: bool = False,
    per_member: bool = False,
    precision: str = "float16",
    log: Log = print,
) -> dict:
    """Fuse the named models (cards in `models_dir`), export NAME.* and return the card.
    `mean`: equal weights per run and no bias instead of weights fitted on dev; `per_member`: equal
    weights per named member (a mean of recipes' means). `precision`: that of the
    weights the files keep (float16 by default: a fused model holds several networks, and what ships
    must stay under 10 MB a file; training/export.py)."""
    from training.train import data_summary, labels_of, quiet_tensorflow

    models_dir = Path(models_dir or MODELS_DIR)
    if len(member_names) < 2:
        raise FusionError("Fusion needs at least two models.")
    if per_member and not mean:
        raise FusionError("Equal weights per member (per_member) are a kind of mean; ask for mean too.")
    cards = [ModelCard.read(resolve_card(name, models_dir)) for name in member_names]
    windows = {(c.window_seconds, c.hop_seconds) for c in cards}
    if len(windows) > 1:
        raise FusionError("The models to fuse must score the same windows (seconds and hop).")
    full = widest_features([c.features for c in cards])
    for card in cards:
        member_adapter(full, card.features, card.name)  # refuse before any work is done
    train_trials, dev_trials = train_and_dev(dataset_kind, data_dir, "Fusion")
    dev_y = labels_of(dev_trials)
    names = [member_name(c) for c in cards]
    log(f"Fusing {', '.join(names)} on {len(dev_trials)} dev clips.")
    member_dev = np.stack([_member_scores(c, [t.path for t in dev_trials], workers, log) for c in cards], axis=1)
    runs = [runs_in(c) if mean else 1 for c in cards]
    if per_member:
        recipes = [recipes_in(c) for c in cards]
        weights, bias, crossed = np.array(recipes, dtype=np.float64) / sum(recipes), 0.0, {}
        how = {"fitted_on": "nothing", "method": PER_MEMBER_METHOD, "recipes": sum(recipes)}
    elif mean:
        weights, bias, crossed = np.array(runs, dtype=np.float64) / sum(runs), 0.0, {}
        how = {"fitted_on": "nothing", "method": "mean of the runs' logits (a member that is a mean counts as its runs)"}
    else:
        weights, bias = fit_weights(member_dev, dev_y)
        seen_attacks = {str(t.attack) for t in train_trials if t.label != "bonafide"}
        crossed = cross_fitted_eers(cross_fitted_scores(member_dev, dev_y, [str(t.speaker) for t in dev_trials]), dev_y,
                                    [str(t.attack) for t in dev_trials], seen_attacks)
        how = {"fitted_on": "dev", "method": "logistic regression on the members' clip scores"}

    quiet_tensorflow()
    from training.architectures import load_model

    members = [(name, load_model(c.path.with_suffix(".keras"), compile=False), c.features) for name, c in zip(names, cards, strict=True)]
    window_seconds, hop_seconds = windows.pop()
    window_samples = int(round(window_seconds * full.sample_rate))
    frames = full.frames_for(window_samples)
    model = build_fused_model(members, full, frames, weights, bias)
    from training.export import write_card
    from training.metrics import eer

    card = {
        "name": out_name,
        "architecture": "fusion",
        "description": "Score-level fusion in one network of " + ", ".join(names)
                       + (f": the mean of the members' window logits, each of {sum(recipes)} recipes weighing the same ({sum(runs)} runs in all)."
                          if per_member
                          else f": the mean of the window logits of {sum(runs)} runs." if mean
                          else ": each member's window logit, weighted by a logistic regression fitted on dev."),
        "parameters": int(model.count_params()),
        "features": full.to_dict(),
        "window": {"seconds": window_seconds, "hop_seconds": hop_seconds, "frames": frames},
        "input": {"shape": [frames, full.dims], "dtype": "float32", "output": "log-odds of bonafide (higher = more bonafide)"},
        "threshold": {"value": 0.0, "method": "provisional"},
        "uncertainty_band": float(band),
        "uncertainty_band_units": "score (log-odds); a score this close to the threshold is reported as uncertain",
        "calibration": {"method": "none", "a": 1.0, "b": 0.0},
        "members": [
            {"model": name, "weight": float(w), "runs": k, "architecture": c.raw.get("architecture"), "features": c.raw.get("features", {}).get("kind"),
             "tflite_sha256": c.tflite_sha256, "dev_eer": eer(s[dev_y == 1], s[dev_y == 0])}
            for name, c, w, k, s in zip(names, cards, weights, runs, member_dev.T, strict=True)
        ],
        "training_data": {
            "train": data_summary(train_trials, dataset_kind, data_dir, ids=True),
            "dev": data_summary(dev_trials, dataset_kind, data_dir),
        },
        "training": {"fusion": {"bias": bias, **how, **crossed}},
        "metrics": {},
        "files": {},
        "config": {"members": names, **({"runs": [run for c in cards for run in run_names(c)]} if mean else {})},
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    card = settle_card(card, model, models_dir, full, window_samples, train_trials, dev_trials, workers, log, precision)
    if crossed:
        card["threshold"]["method"] += " (fusion weights fitted on the same dev clips)"
        card["metrics"]["dev"]["eer_cross_fitted"] = crossed["dev_eer_cross_fitted"]
        write_card(card, models_dir)
    crossed_note = f" ({crossed['dev_eer_cross_fitted'] * 100:.1f} with weights from the other dev speakers)" if crossed else ""
    log(f"Fusion done. Dev EER {card['metrics']['dev']['eer'] * 100:.1f} percent{crossed_note}. Saved as {out_name}.")
    return card


def train_and_dev(dataset_kind: str, data_dir: Path, task: str) -> tuple[list, list]:
    """The dataset's train and dev trials: the threshold is chosen on dev, the train EER reported."""
    from training.datasets import read_dataset

    trials = read_dataset(dataset_kind, Path(data_dir))
    train_trials = [t for t in trials if t.subset == "train"]
    dev_trials = [t for t in trials if t.subset == "dev"]
    if not dev_trials or not train_trials:
        raise FusionError(f"{task} needs the dataset's train and dev parts.")
    return train_trials, dev_trials


TRAIN_CLIPS_SCORED = 2000


def train_sample(trials: Sequence, limit: int = TRAIN_CLIPS_SCORED) -> list:
    """At most `limit` training trials, evenly spaced within each label (the corpus order kept),
    for the training-set EER a fused or extracted model's card reports. Why: that number is a
    check, not a choice (the threshold is chosen on dev), and scoring every one of 10,400 training
    clips with a model of many networks took most of a 33-minute fusion."""
    if len(trials) <= limit:
        return list(trials)
    by_label: dict[str, list[int]] = {}
    for index, trial in enumerate(trials):
        by_label.setdefault(trial.label, []).append(index)
    kept: list[int] = []
    for indices in by_label.values():
        share = max(1, round(limit * len(indices) / len(trials)))
        kept += [indices[int(i * len(indices) / share)] for i in range(share)]
    return [trials[i] for i in sorted(kept)]


def settle_card(card: dict, model, models_dir: Path, full: FeatureConfig, window_samples: int,
                train_trials: Sequence, dev_trials: Sequence, workers: int, log: Log, precision: str) -> dict:
    """Export the network (weights kept in `precision`), then choose its threshold and
    calibration on dev from the exported file (as train.py does) and write the card with its
    train and dev EER."""
    from training.export import write_card, write_model_files
    from training.feature_cache import features_for
    from training.metrics import eer, roc_auc
    from training.train import _threshold_card, calibrate, labels_of

    card["files"] = write_model_files(model, card["name"], models_dir, precision)
    detector = Detector(ModelCard.read(write_card(card, models_dir)), num_threads=interactive_threads())
    dev_y = labels_of(dev_trials)
    dev_features = features_for([t.path for t in dev_trials], full, window_samples, workers, log, dtype="float16")
    dev_scores = np.array([detector.score_features(f, 0.0).score for f in dev_features])
    del dev_features
    scored = train_sample(train_trials)
    train_features = features_for([t.path for t in scored], full, window_samples, workers, log, dtype="float16")
    train_eer, card["threshold"] = _threshold_card(detector, train_features, labels_of(scored), dev_scores, dev_y, train_trials, dev_trials)
    del train_features
    card["calibration"] = calibrate(dev_scores, dev_y)
    card["metrics"]["train"] = {"eer": train_eer, "clips": len(scored), "of": len(train_trials),
                                "note": "the training clips themselves (seen speakers)"
                                        + (f"; an even sample of {len(scored)} of them, each label keeping its share" if len(scored) < len(train_trials) else "")}
    card["metrics"]["dev"] = {"eer": eer(dev_scores[dev_y == 1], dev_scores[dev_y == 0]), "auc": roc_auc(dev_scores[dev_y == 1], dev_scores[dev_y == 0]),
                              "clips": len(dev_trials), "speakers": len({t.speaker for t in dev_trials})}
    write_card(card, models_dir)
    return card


def find_member(model, name: str):
    """The network a fused model holds for its member `name`, at any depth (a mean inside a mean)."""
    wanted = re.compile(r"member_\d+_" + re.escape(name.replace("-", "_")))
    for layer in getattr(model, "layers", []):
        if wanted.fullmatch(layer.name):
            return layer
        if layer.name.startswith("member_"):
            found = find_member(layer, name)
            if found is not None:
                return found
    return None


def extract(
    container_name: str,
    member: str,
    dataset_kind: str,
    data_dir: Path,
    *,
    models_dir: Path | None = None,
    workers: int = 0,
    log: Log = print,
) -> dict:
    """Take one run out of a fused model as a model of its own, NAME.* named after the run.

    Only the fused copy keeps the runs of a grown mean (the shipped default holds runs whose own
    files are gone), so a new mean of some of them starts here. The network is the member's
    own, weights untouched (kept in the container's precision); its threshold and calibration
    are chosen on dev again."""
    from training.train import data_summary, quiet_tensorflow

    models_dir = Path(models_dir or MODELS_DIR)
    container = ModelCard.read(resolve_card(container_name, models_dir))
    if container.raw.get("architecture") != "fusion":
        raise FusionError(f"Model {container.name} is a single network; there is no member to take out.")
    if (models_dir / f"{member}.json").exists():
        raise FusionError(f"Model {member} already exists in {models_dir}; move it away first.")
    train_trials, dev_trials = train_and_dev(dataset_kind, data_dir, "Taking a member out")
    quiet_tensorflow()
    from training.architectures import load_model

    network = find_member(load_model(container.path.with_suffix(".keras"), compile=False), member)
    if network is None:
        raise FusionError(f"Model {container.name} holds no member named {member}.")
    if any(layer.name.startswith("member_") for layer in network.layers):
        raise FusionError(f"Member {member} of {container.name} is itself a fused model; take out its runs one by one.")
    full = container.features
    frames = int(container.raw["window"]["frames"])
    if tuple(network.inputs[0].shape[1:]) != (frames, full.dims):
        raise FusionError(f"Member {member} of {container.name} takes features computed inside the network; "
                          "only a member on the fused model's own features can be taken out.")
    recorded = _recorded_member(container.raw, member)
    log(f"Taking {member} out of {container.name}.")
    card = {
        "name": member,
        "architecture": recorded.get("architecture") or ("lcnn" if any("Conv" in type(layer).__name__ for layer in network.layers) else "mlp"),
        "description": f"{member}, taken out of {member_name(container)} (one of the runs it averages): the same network, "
                       "its threshold and calibration chosen on dev again.",
        "parameters": int(network.count_params()),
        "features": full.to_dict(),
        "window": dict(container.raw["window"]),
        "input": dict(container.raw["input"]),
        "threshold": {"value": 0.0, "method": "provisional"},
        "uncertainty_band": container.raw.get("uncertainty_band", 0.5),
        "uncertainty_band_units": container.raw.get("uncertainty_band_units", ""),
        "calibration": {"method": "none", "a": 1.0, "b": 0.0},
        "training_data": {
            "train": data_summary(train_trials, dataset_kind, data_dir, ids=True),
            "dev": data_summary(dev_trials, dataset_kind, data_dir),
        },
        "training": {"extracted": {"from": member_name(container), "from_tflite_sha256": container.tflite_sha256,
                                   "recorded_tflite_sha256": recorded.get("tflite_sha256")}},
        "metrics": {},
        "files": {},
        "config": {"name": member, "extracted_from": member_name(container)},
        "created": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    card = settle_card(card, network, models_dir, full, int(round(container.window_seconds * full.sample_rate)),
                       train_trials, dev_trials, workers, log, container.raw["files"].get("weights", "float32"))
    log(f"Taken out. Dev EER {card['metrics']['dev']['eer'] * 100:.1f} percent. Saved as {member}.")
    return card


def _recorded_member(card: dict, member: str) -> dict:
    """What a fused card (or a mean nested in it, as far as it records) says of one member."""
    for entry in card.get("members", []):
        if entry.get("model") == member:
            return entry
    return {}


def main(argv: list[str] | None = None) -> int:
    """`python -m training.fuse --members A B [C] --data DIR`: fuse trained models into one;
    `--members FUSED --extract RUN`: take one run out of a fused model as a model of its own."""
    from training.datasets import DatasetError

    parser = argparse.ArgumentParser(prog="python -m training.fuse", description=main.__doc__)
    parser.add_argument("--members", nargs="+", required=True, metavar="MODEL", help="models to fuse (names in the models folder)")
    parser.add_argument("--dataset", default="asvspoof2019-la", metavar="KIND")
    parser.add_argument("--data", required=True, type=Path, metavar="DIR")
    parser.add_argument("--out", default="fusion", metavar="NAME")
    parser.add_argument("--models-dir", type=Path, metavar="DIR")
    parser.add_argument("--band", type=float, default=0.5, metavar="B", help="uncertainty band around the threshold")
    parser.add_argument("--workers", type=int, default=0, metavar="N")
    parser.add_argument("--mean", action="store_true", help="average the members' logits (runs of one recipe, or variants one setting apart) instead of fitting weights on dev")
    parser.add_argument("--per-member", action="store_true",
                        help="with --mean: each named member weighs the same, however many runs it holds (a mean of recipes' means)")
    parser.add_argument("--weights", choices=WEIGHT_PRECISIONS, default="float16",
                        help="precision of the fused model's stored weights (default float16: half the size, scores within about 0.01)")
    parser.add_argument("--extract", metavar="RUN", help="take this run out of the one fused model named by --members, as a model of its own")
    args = parser.parse_args(argv)
    if args.extract and len(args.members) != 1:
        parser.error("--extract takes one fused model in --members.")
    try:
        if args.extract:
            extract(args.members[0], args.extract, args.dataset, args.data, models_dir=args.models_dir, workers=args.workers,
                    log=lambda line: print(line, flush=True))
            return 0
        fuse(args.members, args.dataset, args.data, out_name=args.out, models_dir=args.models_dir, band=args.band,
             workers=args.workers, mean=args.mean, per_member=args.per_member, precision=args.weights, log=lambda line: print(line, flush=True))
    except (FusionError, DatasetError, ModelError) as error:
        print(error, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
