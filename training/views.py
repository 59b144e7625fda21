"""Make a model that scores each clip through several views (spoofvoice/views.py) from one
that scores it as it is: the same network file, a card that lists the views, and a threshold and
calibration fitted again on dev, since the mean over views moves the scores.

Why no training: the views change how a trained network is asked, not what it learnt, so a
candidate costs one pass over dev to fit and the usual dev and eval passes to judge.

    python -m training.views --model default --views as-is telephone --data corpus/large
"""

from __future__ import annotations

import argparse
import json
import shutil
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from spoofvoice.detector import ModelError, resolve_card, sha256_file
from spoofvoice.paths import MODELS_DIR
from spoofvoice.views import AS_IS, VIEWS
from training.export import write_card
from training.ship import REPORTS

Log = Callable[[str], None]
FIT_REPORT = "dev-fit"  # beside the dev and eval reports of the same model


class ViewError(Exception):
    """A view model that cannot be made, said in one sentence."""


def view_model_name(source: str, views: Sequence[str]) -> str:
    """The candidate's name: its source model and the views it adds, e.g. `NAME-views-as-is-telephone`."""
    return f"{source}-views-{'-'.join(views)}"


def source_of(card: dict) -> str:
    """The trained model a card's network is: a view model names the model it asks, a shipped
    default the candidate it was copied from."""
    return card.get("config", {}).get("views_of") or card.get("selected", {}).get("from") or card["name"]


def view_card(source: dict, views: Sequence[str], name: str) -> dict:
    """The new card before fitting: the source's network, features and training record, its views,
    and none of its threshold-dependent numbers (dev and eval are measured again)."""
    unknown = [view for view in views if view not in VIEWS]
    if unknown or not views:
        raise ViewError(f"Unknown view {', '.join(unknown) or '(none given)'}; the views are {', '.join(VIEWS)}.")
    if len(set(views)) != len(views):
        raise ViewError("Each view may be named once.")
    from_name = source_of(source)
    card = json.loads(json.dumps(source))
    for key in ("selected", "compared_with", "timings"):
        card.pop(key, None)
    card["name"] = name
    card["views"] = list(views)
    config = source.get("config") or {}
    again = "views_of" in config  # views replace views
    trained = config.get("source_config") if again else config
    described = config.get("source_description", "") if again else source.get("description", "")
    card["description"] = (f"{from_name} asked through {len(views)} views of each clip ({', '.join(views)}): a clip's score is "
                           f"the mean of the views' scores. {described}").strip()
    card["config"] = {"recipe": name, "views_of": from_name, "views": list(views), "source_config": trained,
                      "source_description": described}
    card["metrics"] = {}
    return card


def fit_on_dev(scores: np.ndarray, labels: np.ndarray) -> tuple[float, dict, float, float]:
    """The dev EER threshold, Platt calibration, EER and ROC AUC of a model's dev scores
    (labels 1 for bonafide)."""
    from training.metrics import eer_with_threshold, roc_auc
    from training.train import calibrate

    bonafide, spoof = scores[labels == 1], scores[labels == 0]
    dev_eer, threshold = eer_with_threshold(bonafide, spoof)
    return threshold, calibrate(scores, labels), dev_eer, roc_auc(bonafide, spoof)


def make_view_model(model: str, views: Sequence[str], kind: str, data: Path, *, models_dir: Path | None = None,
                    reports: Path = REPORTS, out_name: str | None = None, workers: int = 0,
                    log: Log = print) -> Path:
    """Write models/NAME.{tflite,keras,json} for `model` asked through `views`, fitted on dev;
    returns the card's path."""
    from training.evaluate import evaluate
    from training.report import read_scores

    folder = models_dir or MODELS_DIR
    source_path = resolve_card(model, folder)
    source = json.loads(source_path.read_text(encoding="utf-8"))
    name = out_name or view_model_name(source_of(source), views)
    card = view_card(source, views, name)
    for kind_of_file in ("tflite", "keras"):  # a model exported for inference only has no .keras
        if kind_of_file not in source["files"]:
            continue
        file = source_path.parent / source["files"][kind_of_file]["file"]
        target = folder / f"{name}.{kind_of_file}"
        if file.resolve() != target.resolve():
            shutil.copyfile(file, target)
        card["files"][kind_of_file] = {"file": target.name, "sha256": sha256_file(target), "bytes": target.stat().st_size}
    card_path = write_card(card, folder)  # with the source's threshold until dev has been scored
    log(f"Scoring dev through the views {', '.join(views)} to fit {name}'s threshold.")
    report = reports / name / FIT_REPORT
    evaluate(str(card_path), kind, data, report_dir=report, log=log, subset="dev", workers=workers)
    trials = read_scores(report / "scores.txt")
    scores = np.array([t.score for t in trials], dtype=np.float64)
    labels = np.array([t.key == "bonafide" for t in trials], dtype=int)
    threshold, calibration, dev_eer, auc = fit_on_dev(scores, labels)
    card["threshold"] = {
        "value": threshold,
        "method": "EER point of this model (the mean over its views of the mean of window logits) on the dev subset",
        "dev_speakers": source["threshold"].get("dev_speakers"),
        "dev_speakers_also_in_training": source["threshold"].get("dev_speakers_also_in_training"),
        "alternatives": {},
    }
    card["calibration"] = calibration
    speakers = source.get("metrics", {}).get("dev", {}).get("speakers")
    card["metrics"] = {"dev": {"eer": dev_eer, "auc": auc, "clips": len(trials), "speakers": speakers}}
    card_path = write_card(card, folder)
    log(f"{name}: dev EER {dev_eer * 100:.2f} percent, threshold {threshold:.3f}.")
    return card_path


def main(argv: list[str] | None = None) -> int:
    """`python -m training.views --model M --views V [V ...] --data DIR`: write the view model."""
    from training.datasets import DatasetError
    from training.metrics import MetricError

    parser = argparse.ArgumentParser(prog="python -m training.views", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="default", help="the trained model to ask (default: the shipped default)")
    parser.add_argument("--views", nargs="+", default=[AS_IS, "telephone"], choices=list(VIEWS), metavar="VIEW",
                        help=f"the views, from {', '.join(VIEWS)} (default: as-is telephone)")
    parser.add_argument("--dataset", default="asvspoof2019-la", metavar="KIND")
    parser.add_argument("--data", required=True, type=Path, metavar="DIR", help="the corpus whose dev part fits the threshold")
    parser.add_argument("--out", metavar="NAME", help="the new model's name (default: SOURCE-views-VIEWS)")
    parser.add_argument("--models-dir", type=Path, metavar="DIR")
    parser.add_argument("--workers", type=int, default=0, metavar="N")
    args = parser.parse_args(argv)
    try:
        make_view_model(args.model, args.views, args.dataset, args.data, models_dir=args.models_dir, out_name=args.out,
                        workers=args.workers, log=lambda line: print(line, flush=True))
    except (ViewError, ModelError, DatasetError, MetricError) as error:
        print(error, flush=True)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
