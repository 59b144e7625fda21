"""One JSON file per experiment (training/configs/NAME.json), read into a checked dataclass.

Plain JSON types only: a boolean written as a string is refused, so a config means what it says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

from spoofvoice.features import FeatureConfig
from training.augment import Augmentation
from training.losses import LossSpec

CONFIG_DIR = Path(__file__).resolve().parent / "configs"


class ConfigError(ValueError):
    """A config that cannot be used, naming the file and the key."""


@dataclass(frozen=True)
class TrainConfig:
    name: str
    architecture: str
    features: FeatureConfig
    window_seconds: float = 4.0
    hop_seconds: float = 2.0
    description: str = ""
    architecture_params: dict = field(default_factory=dict)
    optimizer: dict = field(default_factory=lambda: {"name": "adam", "learning_rate": 0.001})
    epochs: int = 20
    batch_size: int = 32
    seed: int = 0
    folds: int = 1
    early_stopping_patience: int = 5
    class_weights: bool = True
    uncertainty_band: float = 0.0
    data: dict = field(default_factory=lambda: {"train_subset": "train", "dev_subset": "dev", "eval_subset": "eval"})
    augmentation: dict = field(default_factory=dict)
    feature_dtype: str = "float32"  # "float16" halves the training clips in memory (large logspec planes)
    loss: dict = field(default_factory=lambda: {"name": "bce"})  # training/losses.py
    average_checkpoints: int = 1  # > 1: the weights of the epochs with the lowest dev EER, averaged
    # Median-F0 band edges in Hz; when given, both classes weigh the same in every band
    # (training/pitch.py), so a voice's pitch cannot stand in for its label.
    pitch_balance: list = field(default_factory=list)
    # Attack family -> factor on its training clips' weight (say {"S04": 2.0}), the spoof class
    # keeping its total weight (in each pitch band too), so families it fits worst count more.
    attack_weights: dict = field(default_factory=dict)
    # The config this one is another run of (differing only in name, description and seed), so
    # ship.py can judge the recipe by the mean of its runs; "" means a recipe of its own.
    recipe: str = ""
    source: str = ""
    # Intra-op threads for training (training/numerics.py): part of the result, since the thread
    # count decides how sums are split; 2 matches the machines the shipped models came from.
    threads: int = 2
    # Knowledge distillation: {"model": NAME, "weight": W}. Each training clip's loss target
    # becomes (1 - W) * its label + W * the named model's bonafide probability for it, so one
    # network can learn what a mean of several learnt (training/train.py, teacher_targets).
    teacher: dict = field(default_factory=dict)
    # The local corpus this config was made for, a folder beside the one `ship --data` names
    # ("large": corpus/large), so `ship` and `make models` train it on that corpus; "" means
    # whatever corpus it is given. Only the train part may differ: dev and eval must match.
    corpus: str = ""

    @property
    def loss_spec(self) -> LossSpec:
        return LossSpec.from_dict(self.loss)

    def to_dict(self) -> dict:
        """The config as written in the model card."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name not in ("features", "source")}
        out["features"] = self.features.to_dict()
        return out


_TYPES = {
    "name": str, "architecture": str, "description": str, "architecture_params": dict, "optimizer": dict,
    "epochs": int, "batch_size": int, "seed": int, "folds": int, "early_stopping_patience": int,
    "class_weights": bool, "uncertainty_band": (int, float), "data": dict, "augmentation": dict, "feature_dtype": str,
    "loss": dict, "average_checkpoints": int, "pitch_balance": list, "recipe": str,
    "attack_weights": dict, "threads": int, "teacher": dict, "corpus": str,
}

# What may differ between two runs of one recipe.
RUN_KEYS = ("name", "description", "seed", "recipe", "source")


def resolve_config(config: str | Path) -> Path:
    """A config path, or the name of one in training/configs."""
    path = Path(config)
    if path.exists():
        return path
    named = CONFIG_DIR / f"{config}.json"
    if named.exists():
        return named
    known = ", ".join(sorted(p.stem for p in CONFIG_DIR.glob("*.json")))
    raise ConfigError(f"No config called {config}. Known configs: {known}.")


def load_config(config: str | Path) -> TrainConfig:
    """Read and check an experiment config."""
    path = resolve_config(config)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as error:
        raise ConfigError(f"{path.name}: not valid JSON ({error}).") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: the config must be a JSON object.")
    values: dict = {}
    for key, value in raw.items():
        if key in ("features", "window"):
            continue
        expected = _TYPES.get(key)
        if expected is None:
            raise ConfigError(f"{path.name}: unknown key {key!r}.")
        if isinstance(value, bool) and expected is not bool or not isinstance(value, expected):
            raise ConfigError(f"{path.name}: {key!r} must be of type {getattr(expected, '__name__', 'number')}, not {value!r}.")
        values[key] = value
    for key in ("name", "architecture", "features"):
        if key not in raw:
            raise ConfigError(f"{path.name}: the key {key!r} is required.")
    try:
        features = FeatureConfig.from_dict(raw["features"])
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{path.name}: features: {error}.") from None
    try:
        Augmentation.from_dict(values.get("augmentation", {}))
    except (TypeError, ValueError) as error:
        raise ConfigError(f"{path.name}: {error}.") from None
    try:
        LossSpec.from_dict(values.get("loss", {}))
    except ValueError as error:
        raise ConfigError(f"{path.name}: {error}.") from None
    if values.get("feature_dtype", "float32") not in ("float32", "float16"):
        raise ConfigError(f"{path.name}: 'feature_dtype' must be float32 or float16.")
    schedule = values.get("optimizer", {}).get("schedule", "constant")
    if schedule not in ("constant", "cosine"):
        raise ConfigError(f"{path.name}: optimizer 'schedule' must be constant or cosine, not {schedule!r}.")
    if values.get("average_checkpoints", 1) < 1:
        raise ConfigError(f"{path.name}: 'average_checkpoints' must be at least 1.")
    edges = values.get("pitch_balance", [])
    if not all(isinstance(e, (int, float)) and not isinstance(e, bool) and e > 0 for e in edges) or list(edges) != sorted(set(edges)):
        raise ConfigError(f"{path.name}: 'pitch_balance' must list increasing pitches in Hz, like [100, 130, 170, 220].")
    factors = values.get("attack_weights", {})
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in factors.values()) or "-" in factors:
        raise ConfigError(f"{path.name}: 'attack_weights' must map attack families to positive numbers, like {{\"S04\": 2.0}}.")
    if values.get("threads", 2) < 1:
        raise ConfigError(f"{path.name}: 'threads' must be at least 1.")
    teacher_problem = check_teacher(values.get("teacher", {}), values)
    if teacher_problem:
        raise ConfigError(f"{path.name}: {teacher_problem}")
    if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*|", values.get("corpus", "")):
        raise ConfigError(f"{path.name}: 'corpus' must be a corpus folder's name, like \"large\" for corpus/large.")
    if values.get("uncertainty_band", 0) < 0:
        raise ConfigError(f"{path.name}: 'uncertainty_band' must not be negative.")
    window = raw.get("window", {})
    config = TrainConfig(
        features=features,
        window_seconds=float(window.get("seconds", 4.0)),
        hop_seconds=float(window.get("hop_seconds", window.get("seconds", 4.0) / 2)),
        source=str(path),
        **values,
    )
    if config.recipe:
        check_same_recipe(config, path)
    return config


def check_teacher(teacher: dict, values: dict) -> str:
    """What is wrong with a config's "teacher" object, in one sentence ("" when nothing is)."""
    if not teacher:
        return ""
    unknown = sorted(set(teacher) - {"model", "weight"})
    if unknown:
        return f"unknown teacher key {unknown[0]!r}; known: model, weight."
    model = teacher.get("model")
    if not isinstance(model, str) or not model:
        return "'teacher' must name a model, like {\"model\": \"default\", \"weight\": 0.5}."
    weight = teacher.get("weight", 0.5)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 0.0 < weight <= 1.0:
        return f"teacher 'weight' must be a number above 0 and at most 1, not {weight!r}."
    if values.get("loss", {}).get("name", "bce") != "bce":
        return "a teacher's probabilities are soft targets, which only the bce loss can learn from."
    return ""


def check_same_recipe(config: TrainConfig, path: Path) -> None:
    """Refuse a config that calls itself a run of a recipe it does not follow to the letter.

    Only the seed (with name and description) may differ; anything else would make the mean
    of the runs a mean over different experiments. The recipe is looked for beside the config
    first, then among the shipped configs.
    """
    file_name = path.name
    beside = path.parent / f"{config.recipe}.json"
    try:
        recipe = load_config(beside if beside.exists() else config.recipe)
    except ConfigError as error:
        raise ConfigError(f"{file_name}: 'recipe' names no usable config ({error})") from None
    if recipe.recipe:
        raise ConfigError(f"{file_name}: 'recipe' must name the first run of a recipe; {config.recipe} is itself a run of {recipe.recipe}.")
    mine, theirs = config.to_dict(), recipe.to_dict()
    differing = sorted(k for k in mine if k not in RUN_KEYS and mine[k] != theirs[k])
    if differing:
        raise ConfigError(f"{file_name}: a run of {config.recipe} may differ from it only in its seed, but {', '.join(differing)} differ.")
