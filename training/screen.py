"""Screen a mean of trained runs from their score files, before building it.

`python -m training.screen REPORT[=WEIGHT] REPORT[=WEIGHT] ... [--data CORPUS]`

A mean of runs (`fuse --mean`) scores a clip with the weighted mean of its runs' window
logits, and a report's scores.txt holds each clip's mean window logit, so the weighted mean
of the runs' scores is the score the fused network would give, up to float rounding.
Building and evaluating a fused model takes minutes per subset; this takes a second, so
weightings can be compared before one is built. Choose on dev only; eval and the held-out
voices are for the record, as in `ship`.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from training import metrics as m
from training.evaluate import attack_groups, read_coverage
from training.report import ScoredTrial, read_scores


@dataclass(frozen=True)
class Run:
    """One member of the screened mean: its report folder (or score file) and weight."""

    scores: Path
    weight: float


def parse_run(text: str) -> Run:
    """`DIR=WEIGHT` or `DIR` (weight 1); DIR is a report folder or its scores.txt."""
    path, _, weight = text.rpartition("=") if "=" in text else (text, "", "1")
    try:
        value = float(weight)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text}: the weight after '=' must be a number.") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: the weight must be above zero.")
    scores = Path(path)
    return Run(scores / "scores.txt" if scores.is_dir() else scores, value)


def mean_scores(runs: Sequence[Run]) -> list[ScoredTrial]:
    """The weighted mean of the runs' scores, clip by clip (weights normalised to sum to 1).

    Raises MetricError when the runs did not score the same clips with the same keys, since
    a mean over different clips would not be the fused model's score."""
    total = sum(run.weight for run in runs)
    merged: dict[str, ScoredTrial] | None = None
    for run in runs:
        trials = {t.utt_id: t for t in read_scores(run.scores)}
        share = run.weight / total
        if merged is None:
            merged = {uid: ScoredTrial(uid, t.attack, t.key, share * t.score) for uid, t in trials.items()}
            first = run.scores
            continue
        if trials.keys() != merged.keys() or any(trials[uid].key != merged[uid].key for uid in trials):
            raise m.MetricError(f"{run.scores} and {first} hold different clips; screen runs scored on the same data.")
        merged = {uid: ScoredTrial(uid, t.attack, t.key, t.score + share * trials[uid].score) for uid, t in merged.items()}
    return sorted((merged or {}).values(), key=lambda t: t.utt_id)


def screen(runs: Sequence[Run], seen_attacks: frozenset[str] = frozenset()) -> dict[str, float]:
    """EER of the mean, and EER on the attacks outside `seen_attacks` when any are named."""
    trials = mean_scores(runs)
    scores, labels = [t.score for t in trials], [t.key for t in trials]
    bonafide, spoof = m.split_by_label(scores, labels)
    result = {"eer": m.eer(bonafide, spoof), "clips": float(len(trials))}
    if seen_attacks:
        groups = attack_groups(scores, labels, [t.attack for t in trials], set(seen_attacks))
        if "unseen" in groups:
            result["eer_unseen_attacks"] = groups["unseen"]["eer"]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.screen", description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=parse_run, metavar="REPORT[=WEIGHT]",
                        help="a report folder of `spoofvoice eval` (or its scores.txt), with its weight in the mean")
    parser.add_argument("--data", type=Path, metavar="CORPUS", help="the corpus the runs were trained on, for the EER on unseen attacks")
    parser.add_argument("--dataset", default="asvspoof2019-la", metavar="KIND")
    args = parser.parse_args(argv)
    try:
        coverage = read_coverage(args.dataset, args.data) if args.data else None
        result = screen(args.runs, coverage.attacks if coverage is not None else frozenset())
    except m.MetricError as error:
        print(error)
        return 1
    line = f"Mean of {len(args.runs)}: EER {result['eer'] * 100:.2f} percent on {int(result['clips'])} clips"
    if "eer_unseen_attacks" in result:
        line += f", unseen attacks {result['eer_unseen_attacks'] * 100:.2f} percent"
    print(line + ".")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
