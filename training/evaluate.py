"""`spoofvoice eval`: score a labelled dataset with a model and measure it the ASVspoof way.

Reading, scoring and measuring are kept in separate functions: ``compute_metrics`` works on
scores alone (so training can reuse it on dev scores), ``evaluate`` adds the dataset and the
detector, and ``run_eval`` is the command that prints, speaks and sets the exit status.

Seen and unseen: a speaker or an attack is "seen" when the data it was trained on held it.
That is read from the dataset's ``corpus.json`` when there is one, otherwise from the train
split of the same dataset (the ASVspoof 2019 LA layout and the local corpus both ship one).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spoofvoice.jobs import Job, Stopped, run_job
from spoofvoice.progress import SparseProgress
from training import metrics as m
from training.report import (
    NO_ATTACK,
    ScoredTrial,
    metrics_json,
    read_scores,
    spoken_summary,
    write_report,
)

# The ASVspoof layouts hold train/dev/eval parts: evaluation means the eval part.
DEFAULT_SUBSET = {
    "asvspoof2019-la": "eval",
    "asvspoof2019-pa": "eval",
    "asvspoof2021-la": "eval",
    "asvspoof2021-df": "eval",
    "asvspoof5": "eval",
}
# Progress lines are sparse: at most one per 10 percent of the clips AND per 30 seconds.
PROGRESS_UPDATES = 100  # progress callbacks per run; SparseProgress decides what is spoken

Log = Callable[[str], None]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TrainingCoverage:
    """What the model saw in training: speaker ids and attack ids."""

    speakers: frozenset[str]
    attacks: frozenset[str]
    source: str  # where this came from, said in the report


# --------------------------------------------------------------------------- metrics


def compute_metrics(
    trials: Sequence[ScoredTrial],
    predicted: Sequence[str],
    *,
    threshold: float | None = None,
    speaker_groups: Sequence[str] | None = None,
    speakers: Sequence[str] | None = None,
    seen_attacks: Iterable[str] | None = None,
    asv: m.AsvScores | None = None,
) -> dict[str, Any]:
    """Every metric of the report from scored trials and the labels the detector gave.

    ``predicted`` holds the detector's label per trial (its shipped threshold applied), so
    accuracy, precision and recall are exactly what a user of the model would have seen.
    ``speaker_groups`` names each trial's group ("seen" or "unseen"); ``seen_attacks`` lists
    the attack ids of the training data; ``speakers`` holds each trial's speaker id ("" when
    unknown), for the share of each voice's bonafide clips called spoof. Rates are fractions;
    see training.metrics for the positive-class conventions.
    """
    if len(predicted) != len(trials):
        raise m.MetricError(f"There are {len(trials)} trials but {len(predicted)} predictions.")
    labels = [t.key for t in trials]
    scores = [t.score for t in trials]
    attacks = [t.attack for t in trials]
    bonafide, spoof = m.split_by_label(scores, labels)
    eer, eer_threshold = m.eer_with_threshold(bonafide, spoof)  # raises on one class
    result: dict[str, Any] = {
        "counts": {"bonafide": int(bonafide.size), "spoof": int(spoof.size)},
        "threshold": threshold,
        "positive_class": {"precision_recall": m.SPOOF, "eer_roc_tdcf": m.BONAFIDE},
        "accuracy": m.accuracy(labels, predicted),
        "precision": m.precision(labels, predicted),
        "recall": m.recall(labels, predicted),
        "confusion": m.confusion(labels, predicted),
        "roc_auc": m.roc_auc(bonafide, spoof),
        "eer": eer,
        "eer_threshold": eer_threshold,
        "per_attack_eer": m.per_attack_eer(scores, labels, attacks),
        "speakers": None,
        "bonafide_rejected_by_speaker": None,
        "voice_centred_eer": None,
        "attacks": None,
        "min_tdcf": None,
        "tdcf": None,
    }
    if speaker_groups is not None:
        result["speakers"] = m.accuracy_by_group(labels, predicted, speaker_groups)
    if speakers is not None and any(speakers):
        result["bonafide_rejected_by_speaker"] = m.bonafide_rejection_by_speaker(labels, predicted, speakers)
        result["voice_centred_eer"] = m.voice_centred_eer(scores, labels, speakers)
    if seen_attacks is not None:
        result["attacks"] = attack_groups(scores, labels, attacks, set(seen_attacks))
    if asv is not None:
        tdcf = m.min_tdcf(bonafide, spoof, asv)
        result["tdcf"] = tdcf
        result["min_tdcf"] = tdcf["min_tdcf"]
    return result


def attack_groups(
    scores: Sequence[float], labels: Sequence[str], attacks: Sequence[str], seen: set[str]
) -> dict[str, dict[str, Any]]:
    """EER of seen-attack spoofs and of unseen-attack spoofs, each against all bonafide."""
    bonafide = [s for s, k in zip(scores, labels, strict=True) if k == m.BONAFIDE]
    groups: dict[str, dict[str, Any]] = {}
    for name, wanted in (("seen", True), ("unseen", False)):
        chosen = [
            (s, a)
            for s, k, a in zip(scores, labels, attacks, strict=True)
            if k == m.SPOOF and (a in seen) == wanted
        ]
        if chosen:
            groups[name] = {
                "eer": m.eer(bonafide, [s for s, _ in chosen]),
                "attacks": sorted({a for _, a in chosen}),
                "count": len(chosen),
            }
    return groups


# --------------------------------------------------------------------------- training coverage


def read_coverage(kind: str, root: Path) -> TrainingCoverage | None:
    """Speakers and attacks of the training data, or None when the dataset cannot say."""
    from_file = _coverage_from_corpus_json(root)
    if from_file is not None:
        return from_file
    from training.datasets import DatasetError, read_dataset

    try:
        train = list(read_dataset(kind, root, subset="train"))
    except DatasetError:  # no train part (2021 keys, In-the-Wild, a plain folder): no split
        return None
    if not train:
        return None
    return TrainingCoverage(
        speakers=frozenset(_speaker_id(t.speaker) for t in train) - {""},
        attacks=frozenset(_attack_id(t.attack) for t in train if t.label == m.SPOOF),
        source="the train split of the same dataset",
    )


def _coverage_from_corpus_json(root: Path) -> TrainingCoverage | None:
    """The local corpus builder's record (corpus.json) of what went into its train split.

    Speakers: ``splits.train`` (a list of speaker ids). Attacks: the ``families`` whose
    ``seen_in_train`` is true. None when the file is absent or holds neither.
    """
    path = root / "corpus.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise m.MetricError(f"{path} is not readable JSON ({error}); rebuild the corpus.") from None
    if not isinstance(data, Mapping):
        return None
    splits = data.get("splits")
    train = splits.get("train") if isinstance(splits, Mapping) else None
    families = data.get("families")
    if not isinstance(train, list) and not isinstance(families, Mapping):
        return None
    speakers = [str(s) for s in train] if isinstance(train, list) else []
    attacks = [
        str(attack)
        for attack, info in (families.items() if isinstance(families, Mapping) else ())
        if isinstance(info, Mapping) and info.get("seen_in_train") is True
    ]
    return TrainingCoverage(frozenset(speakers), frozenset(attacks), source=str(path))


def _speaker_id(speaker: Any) -> str:
    """A speaker id, or "" when the reader does not know it ("-" in folders)."""
    text = str(speaker).strip() if speaker is not None else ""
    return "" if text == "-" else text


def _attack_id(attack: Any) -> str:
    """The attack field of a score-file line: '-' for bonafide or a missing id."""
    text = str(attack).strip() if attack is not None else ""
    return text or NO_ATTACK


# --------------------------------------------------------------------------- evaluate


def _score_trials(
    detector, trials: Sequence[Any], progress: Progress | None, workers: int, stop: threading.Event | None = None
) -> tuple[list[ScoredTrial], list[str], list[str], list[dict[str, str]]]:
    """Score clips in dataset order (worker processes for many); unreadable ones are listed.

    `progress(done, total)` is called about a hundred times; `stop` ends the run early.

    Returns the scored trials, the detector's label for each, each speaker id ("" when
    unknown) and the failures as {"path", "error"}.
    """
    from spoofvoice.check import score_paths

    scored: list[ScoredTrial] = []
    predicted: list[str] = []
    speakers: list[str] = []
    failed: list[dict[str, str]] = []
    step = max(1, -(-len(trials) // PROGRESS_UPDATES))
    outcomes = score_paths(str(detector.card.path), [str(t.path) for t in trials], workers=workers, loaded=detector)
    for done, (trial, outcome) in enumerate(zip(trials, outcomes, strict=True), start=1):
        if outcome.verdict is None:
            failed.append({"path": outcome.path, "error": outcome.error or "unreadable"})
        else:
            scored.append(
                ScoredTrial(
                    utt_id=Path(trial.path).stem,
                    attack=_attack_id(trial.attack) if trial.label == m.SPOOF else NO_ATTACK,
                    key=trial.label,
                    score=outcome.verdict.score,
                )
            )
            predicted.append(outcome.verdict.label)
            speakers.append(_speaker_id(trial.speaker))
        if stop is not None and stop.is_set():
            outcomes.close()
            raise Stopped(f"Evaluation stopped after {done} of {len(trials)} clips.")
        if progress is not None and done % step == 0 and done < len(trials):
            progress(done, len(trials))
    return scored, predicted, speakers, failed


def _scores_already_made(
    trials: Sequence[Any], scores_file: Path, threshold: float, log: Log
) -> tuple[list[ScoredTrial], list[str], list[str], list[dict[str, str]]] | None:
    """The trials' scores read from an earlier run's score file and judged at `threshold`, in the
    dataset's order, as `_score_trials` returns them; None when the file lacks any of the clips.
    Why: a view model's dev fit has just scored dev with the same file, and scoring dev again
    through two views took six minutes of each build."""
    by_id = {t.utt_id: t for t in read_scores(scores_file)} if scores_file.is_file() else {}
    found = [by_id.get(Path(t.path).stem) for t in trials]
    if any(t is None for t in found):
        log(f"{scores_file} is missing or lacks some of the clips; scoring them all.")
        return None
    scored = [ScoredTrial(t.utt_id, _attack_id(trial.attack) if trial.label == m.SPOOF else NO_ATTACK, trial.label, t.score)
              for t, trial in zip(found, trials, strict=True)]
    return scored, m.decide([t.score for t in scored], threshold), [_speaker_id(t.speaker) for t in trials], []


def evaluate(
    model: str,
    dataset_kind: str,
    data: Path,
    report_dir: Path | None = None,
    asv_scores: Path | None = None,
    log: Log = print,
    *,
    subset: str | None = None,
    workers: int = 0,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    scores_from: Path | None = None,
) -> dict[str, Any]:
    """Score every clip of a labelled dataset with a model; return (and optionally write) metrics.

    ``subset`` defaults to "eval" for the ASVspoof layouts and to everything otherwise.
    ``scores_from`` is the ``scores.txt`` of an earlier run of this same model file on these
    clips (a view model's dev fit): each clip is judged again at the card's threshold, not
    scored again; when the file lacks any clip, every clip is scored.
    ``log`` receives the opening line, ``progress(done, total)`` the scoring progress, and
    ``stop`` (when set) ends the run with ``Stopped``. Raises MetricError, the dataset reader's error or
    the detector's ModelError with a sentence a person can act on.
    """
    from spoofvoice.detector import Detector
    from training.datasets import read_dataset

    data = Path(data)
    asv = m.read_asv_scores(Path(asv_scores)) if asv_scores is not None else None
    detector = Detector.load(model)
    chosen_subset = subset if subset is not None else DEFAULT_SUBSET.get(dataset_kind)
    trials = list(read_dataset(dataset_kind, data, subset=chosen_subset))
    if not trials:
        where = f" in its {chosen_subset} part" if chosen_subset else ""
        raise m.MetricError(f"{data} has no clips{where}; check the folder and the dataset kind.")
    log(f"Evaluating {detector.name} on {len(trials)} clips.")

    earlier = _scores_already_made(trials, Path(scores_from), detector.threshold, log) if scores_from is not None else None
    scored, predicted, speakers, failed = earlier or _score_trials(detector, trials, progress, workers, stop)
    if not scored:
        raise m.MetricError(
            f"None of the {len(trials)} clips in {data} could be read; first error: "
            f"{failed[0]['error']}"
        )

    classes = {t.key for t in scored}
    if len(classes) == 1:
        raise m.MetricError(
            f"Every clip in {data} is {classes.pop()}; evaluation needs both bonafide and "
            "spoof clips."
        )
    coverage = read_coverage(dataset_kind, data)
    groups = None
    if coverage is not None and coverage.speakers:
        groups = [
            "unknown" if not s else "seen" if s in coverage.speakers else "unseen"
            for s in speakers
        ]
    result = compute_metrics(
        scored,
        predicted,
        threshold=detector.threshold,
        speaker_groups=groups,
        speakers=speakers,
        seen_attacks=coverage.attacks if coverage is not None and coverage.attacks else None,
        asv=asv,
    )
    result.update(
        {
            "model": detector.name,
            "dataset": dataset_kind,
            "data": str(data),
            "subset": chosen_subset,
            "seen_from": coverage.source if coverage is not None else None,
            "asv_scores": str(asv_scores) if asv_scores is not None else None,
            "failed": failed,
            "report": None,
        }
    )
    if report_dir is not None:
        result["report"] = str(report_dir)
        try:
            write_report(Path(report_dir), scored, result)
        except OSError as error:
            result["report"] = None
            raise ReportNotWritten(Path(report_dir), error, result) from error
    return result


class ReportNotWritten(OSError):
    """The metrics were computed but the report folder could not be written (a full disk, no
    permission); it carries the result, so a long evaluation still says what it measured."""

    def __init__(self, folder: Path, error: OSError, result: dict[str, Any]) -> None:
        from spoofvoice.paths import failure_reason

        super().__init__(f"Report not written to {folder} ({failure_reason(error)}). Choose another --report folder, or free space there.")
        self.result = result


# --------------------------------------------------------------------------- the command


def run_eval(args: argparse.Namespace, context) -> int:
    """The `eval` command (arguments in spoofvoice/commands.py): exit 0 with metrics, else 1.

    In the session it runs in the background; progress is sparse and the summary is spoken
    at the length the user's verbosity asks for (`results` says it again).
    """
    model = args.model or context.settings.model
    job = Job("evaluation", f"evaluating {Path(model).stem}")  # a card path is said by its name
    return run_job(context, job, lambda running: _evaluate_and_report(args, context, model, running))


def _evaluate_and_report(args: argparse.Namespace, context, model: str, job: Job) -> int:
    from spoofvoice.detector import ModelError
    from training.datasets import DatasetError

    errors = (m.MetricError, ModelError, DatasetError, OSError)
    quiet = bool(args.json)  # standard output carries only metrics.json then

    def log(line: str) -> None:
        if not quiet:
            context.say(line, "progress")

    def progress(done: int, total: int) -> None:
        if quiet:
            return
        if job.progress is None:
            job.progress = SparseProgress(context, total)
        job.progress.update(done, f"Scored {done} of {total} clips.")

    try:
        result = evaluate(
            model,
            args.dataset,
            Path(args.data),
            Path(args.report) if args.report else None,
            Path(args.asv_scores) if args.asv_scores else None,
            log=log,
            subset=args.subset,
            workers=args.workers,
            progress=progress,
            stop=job.stop_event,
        )
    except Stopped as stopped:
        context.say(str(stopped), "important")
        return 130
    except ReportNotWritten as error:
        if quiet:
            sys.stdout.write(metrics_json(error.result))
            sys.stdout.flush()
            print(str(error), file=sys.stderr, flush=True)
        else:
            _say_results(context, error.result)
            context.say(str(error), "important", earcon="error")
        return 1
    except errors as error:
        if quiet:  # standard output stays pure JSON; the reason still reaches the user
            print(_sentence(error), file=sys.stderr, flush=True)
        context.say(_sentence(error), "important", earcon="error")
        return 1
    if quiet:
        sys.stdout.write(metrics_json(result))
        sys.stdout.flush()
        return 0
    _say_results(context, result)
    return 0


def _say_results(context, result: dict[str, Any]) -> None:
    """The spoken summary, kept for `results`."""
    sentences = spoken_summary(result, context.verbosity)
    if result["report"]:
        sentences.append(f"Report written to {result['report']}.")
    if result["failed"]:
        sentences.append(f"{len(result['failed'])} clips could not be read and were left out.")
    context.last_results = sentences
    context.say(" ".join(sentences), "message", earcon="done")


def _sentence(error: BaseException) -> str:
    if isinstance(error, OSError) and not str(error).endswith("."):
        name = getattr(error, "filename", None)
        reason = error.strerror or str(error)
        return f"Cannot read {name}: {reason}." if name else f"{reason}."
    return str(error)
