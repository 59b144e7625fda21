"""Score clips with a shipped model through LiteRT, never TensorFlow.

A model is three files in `models/`: NAME.tflite (what runs), NAME.keras (to retrain) and
NAME.json (the card). The card says which features the model was trained on, where its
threshold lies and how its scores are calibrated; the detector refuses a model without a
card or whose file does not match the card's hash, so a user never gets verdicts from a
model other than the one they think. Long clips are scored in overlapping windows and the
window scores are kept in the verdict. A card may ask for several views of each clip
(spoofvoice/views.py); the clip's score is then the mean of the views' scores.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spoofvoice import audio
from spoofvoice.features import FeatureConfig, extract, pad_by_repetition
from spoofvoice.paths import MODELS_DIR
from spoofvoice.verdict import BONAFIDE, SPOOF, Segment, Verdict
from spoofvoice.views import AS_IS, VIEWS, view_function


class ModelError(Exception):
    """A model that cannot be used, said in one sentence."""


@dataclass(frozen=True)
class ModelCard:
    """The parts of `models/NAME.json` that inference needs (the rest is for people)."""

    name: str
    path: Path
    features: FeatureConfig
    window_seconds: float
    hop_seconds: float
    threshold: float
    uncertainty_band: float
    platt_a: float
    platt_b: float
    tflite: Path
    tflite_sha256: str
    raw: dict
    views: tuple[str, ...] = (AS_IS,)

    @classmethod
    def read(cls, card_path: Path) -> ModelCard:
        name = card_path.stem
        try:
            raw = json.loads(card_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"Model {name} has no card ({card_path.name}); it cannot be trusted. Re-export it.") from None
        except (OSError, ValueError) as error:
            raise ModelError(f"Model {name}: its card {card_path.name} is unreadable ({error}). Re-export it.") from None
        try:
            listed = raw.get("views") or [AS_IS]
            views = (listed,) if isinstance(listed, str) else tuple(str(view) for view in listed)
            unknown = [view for view in views if view not in VIEWS]
            if unknown:
                raise ModelError(f"Model {name} asks for a view this version cannot make ({', '.join(unknown)}). "
                                 "Update spoofvoice or choose another model.")
            window = raw["window"]
            calibration = raw.get("calibration") or {}
            tflite = raw["files"]["tflite"]
            return cls(
                name=raw.get("name", name),
                path=card_path,
                features=FeatureConfig.from_dict(raw["features"]),
                window_seconds=float(window["seconds"]),
                hop_seconds=float(window.get("hop_seconds", window["seconds"] / 2)),
                threshold=float(raw["threshold"]["value"]),
                uncertainty_band=float(raw.get("uncertainty_band", 0.0)),
                platt_a=float(calibration.get("a", 1.0)),
                platt_b=float(calibration.get("b", 0.0)),
                tflite=card_path.parent / tflite["file"],
                tflite_sha256=str(tflite["sha256"]),
                raw=raw,
                views=views,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ModelError(f"Model {name}: its card is incomplete ({error}). Re-export it.") from None


def resolve_card(model: str | os.PathLike, models_dir: Path | None = None) -> Path:
    """Find a model's card from a name in models/ or a path to its .json or .tflite.

    A card may be an alias (`{"alias_of": "seed-mlp"}`), which is how `default` names the
    model that ships as the default.
    """
    folder = models_dir or MODELS_DIR
    text = str(model)
    candidate = Path(text)
    if candidate.suffix in (".json", ".tflite", ".keras") or os.sep in text:
        card = candidate.with_suffix(".json")
    else:
        card = folder / f"{text}.json"
    for _ in range(4):
        if not card.exists() and card.with_suffix(".tflite").exists():
            raise ModelError(f"Model {card.stem} has no card ({card.name}); it cannot be trusted. Re-export it.")
        if not card.exists():
            known = ", ".join(list_models(folder)) or "none"
            raise ModelError(f"No model called {card.stem}. Models available: {known}.")
        try:
            raw = json.loads(card.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return card  # ModelCard.read says what is wrong
        if not isinstance(raw, dict) or "alias_of" not in raw:
            return card
        card = card.parent / f"{raw['alias_of']}.json"
    raise ModelError(f"Model {model}: its aliases go round in a circle. Fix the card.")


def list_models(models_dir: Path | None = None) -> list[str]:
    """Names of the models that have a card in the folder."""
    folder = models_dir or MODELS_DIR
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def sha256_file(path: Path) -> str:
    """SHA-256 of a file, read in 1 MB blocks (model files, cached clips)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def interactive_threads() -> int:
    """Threads for a detector that scores one clip at a time while a person waits (the session,
    the watched folder, a short check): the machine's cores, up to four. Measured on 2 cores: a
    four-second clip through the ten-network default takes 0.16 s with two threads against 0.30 s
    with one, to the same score. Worker processes keep one thread each: they fill the cores."""
    return max(1, min(os.cpu_count() or 1, 4))


class Detector:
    """A loaded model: turns audio into a `Verdict`."""

    def __init__(self, card: ModelCard, num_threads: int = 1) -> None:
        from ai_edge_litert.interpreter import Interpreter

        self.card = card
        self.num_threads = num_threads
        self.name = card.name
        self.threshold = card.threshold
        self._lock = threading.Lock()  # one interpreter, callers on several threads
        with _quiet_stderr():  # LiteRT announces its CPU delegate on stderr; a listener needs none of it
            self._interpreter = Interpreter(model_path=str(card.tflite), num_threads=num_threads)
            self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]
        self.window_frames = card.features.frames_for(self.window_samples)
        expected = (self.window_frames, card.features.dims)
        if tuple(self._input["shape"][1:]) != expected:
            raise ModelError(
                f"Model {self.name}: the network expects input {tuple(self._input['shape'][1:])} "
                f"but its card's features give {expected}. Re-export the model."
            )

    @classmethod
    def load(cls, model: str | os.PathLike = "default", models_dir: Path | None = None, num_threads: int = 1) -> Detector:
        """Load by name (`default`, `seed-mlp`) or path, checking the card and the file hash."""
        card = ModelCard.read(resolve_card(model, models_dir))
        if not card.tflite.exists():
            raise ModelError(f"Model {card.name}: its file {card.tflite.name} is missing. Re-install or re-export it.")
        if sha256_file(card.tflite) != card.tflite_sha256:
            raise ModelError(
                f"Model {card.name}: {card.tflite.name} does not match its card (hash differs); "
                "it may be damaged or replaced. Re-install or re-export it."
            )
        return cls(card, num_threads)

    @property
    def window_samples(self) -> int:
        return int(round(self.card.window_seconds * self.card.features.sample_rate))

    def score_file(self, path: str | os.PathLike, max_seconds: float = audio.DEFAULT_MAX_SECONDS, threshold: float | None = None) -> Verdict:
        """Decode and score one file; raises `audio.AudioError` for unusable input."""
        return self.score(audio.load(path, sample_rate=self.card.features.sample_rate, max_seconds=max_seconds), threshold)

    def score(self, samples: np.ndarray, threshold: float | None = None) -> Verdict:
        """Score 16 kHz mono audio through every view the card names; `threshold` overrides the
        card's for this call."""
        rate = self.card.features.sample_rate
        features, made = [], {}
        for name in self.card.views:
            view = view_function(name)(samples, rate)
            if id(view) not in made:  # a view that left the clip as it is costs nothing more
                made[id(view)] = extract(pad_by_repetition(view, self.window_samples), self.card.features)
            features.append(made[id(view)])
        return self.score_views(features, len(samples) / rate, threshold)

    def score_features(self, features: np.ndarray, duration_s: float, threshold: float | None = None) -> Verdict:
        """Score one view's features (already padded to a window): the mean of window logits.

        Training scores its cached as-is features this way; a card with several views is only
        scored as it ships through `score`, which makes the other views from the audio."""
        return self.score_views([features], duration_s, threshold)

    def score_views(self, features: list[np.ndarray], duration_s: float, threshold: float | None = None) -> Verdict:
        """Score a clip from the features of each of its views (all the same length): each
        window's score is the mean over the views of its logit, the clip's the mean of its windows."""
        starts = self.window_starts(len(features[0]))
        logits_of: dict[int, list[float]] = {}
        with self._lock:
            for view in features:
                if id(view) not in logits_of:
                    logits_of[id(view)] = [self._logit(view[start : start + self.window_frames]) for start in starts]
        logits = np.array([logits_of[id(view)] for view in features])
        window_scores = logits.mean(axis=0)
        score = float(window_scores.mean())
        cut = self.threshold if threshold is None else float(threshold)
        rate, hop = self.card.features.sample_rate, self.card.features.hop_length
        segments = tuple(
            Segment(
                start_s=round(start * hop / rate, 3),
                end_s=round(min(duration_s, (start * hop + self.window_samples) / rate), 3),
                score=float(s),
            )
            for start, s in zip(starts, window_scores, strict=True)
        )
        return Verdict(
            label=BONAFIDE if score >= cut else SPOOF,
            score=score,
            spoof_probability=1.0 - _sigmoid(self.card.platt_a * score + self.card.platt_b),
            duration_s=duration_s,
            model=self.name,
            threshold=cut,
            uncertain=abs(score - cut) < self.card.uncertainty_band,
            segments=segments,
        )

    def window_starts(self, n_frames: int) -> list[int]:
        """First frame of each overlapping window; the last window ends with the clip."""
        hop_frames = max(1, int(round(self.card.hop_seconds * self.card.features.sample_rate / self.card.features.hop_length)))
        last = max(0, n_frames - self.window_frames)
        starts = list(range(0, last + 1, hop_frames))
        if starts[-1] != last:
            starts.append(last)
        return starts

    def _logit(self, window: np.ndarray) -> float:
        self._interpreter.set_tensor(self._input["index"], window[None].astype(np.float32))
        self._interpreter.invoke()
        return float(self._interpreter.get_tensor(self._output["index"]).reshape(-1)[0])


@contextlib.contextmanager
def _quiet_stderr():
    """Silence native-library chatter written straight to file descriptor 2."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
