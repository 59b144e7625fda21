"""Evaluation reports: score file, metrics.json, plain-sentence summary, DET and ROC plots.

Also turns a metrics dictionary into short spoken sentences, so the session and the CLI say
the same numbers that the report folder holds. Sentences put the important word first.

The metrics dictionary is the one ``training.evaluate.compute_metrics`` returns; rates are
fractions (0..1) and are spoken and written as percentages.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training.metrics import BONAFIDE, SPOOF, MetricError, det_curve

VERBOSITIES = ("brief", "normal", "verbose")
NO_ATTACK = "-"  # the ASVspoof protocols' attack field for bonafide trials
REPORT_FILES = ("scores.txt", "metrics.json", "summary.txt", "det.png", "roc.png")


@dataclass(frozen=True)
class ScoredTrial:
    """One line of an ASVspoof CM score file: ``utt_id attack key score``."""

    utt_id: str
    attack: str
    key: str
    score: float


# --------------------------------------------------------------------------- score files


def _field(text: str | None) -> str:
    """A whitespace-free field; the score file is split on whitespace by every reader."""
    cleaned = re.sub(r"\s+", "_", str(text or "").strip())
    return cleaned or NO_ATTACK


def write_scores(path: Path, trials: Iterable[ScoredTrial]) -> None:
    """Write trials in the ASVspoof 2019 CM score layout (``LA_E_2834763 A11 spoof -4.1``).

    Scores are written with ``repr`` so reading the file back gives the same EER exactly.
    """
    lines = [
        f"{_field(t.utt_id)} {_field(t.attack)} {t.key} {float(t.score)!r}\n" for t in trials
    ]
    _write_text(Path(path), "".join(lines))


def read_scores(path: Path) -> list[ScoredTrial]:
    """Read an ASVspoof CM score file; a malformed line names the file and the line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise MetricError(f"Cannot read the score file {path}: {error.strerror or error}.") from error
    trials = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != 4:
            raise MetricError(
                f"{path}, line {number}: expected 'utt_id attack key score', "
                f"found {len(fields)} columns."
            )
        utt_id, attack, key, raw = fields
        if key not in (BONAFIDE, SPOOF):
            raise MetricError(f"{path}, line {number}: key {key!r} is not bonafide or spoof.")
        try:
            score = float(raw)
        except ValueError:
            raise MetricError(f"{path}, line {number}: score {raw!r} is not a number.") from None
        trials.append(ScoredTrial(utt_id, attack, key, score))
    return trials


# --------------------------------------------------------------------------- numbers in words


def percent(rate: float) -> str:
    """A rate as spoken percent: "3.2", "95", "0.35"; short, never "95.0"."""
    value = rate * 100
    digits = 2 if 0 < abs(value) < 1 else 1
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


def _number(value: float, digits: int = 3) -> str:
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") or "0"


def worst_attacks(metrics: Mapping[str, Any], count: int = 3) -> list[tuple[str, float]]:
    """The attacks with the highest EER, worst first (ties in name order)."""
    per_attack = metrics.get("per_attack_eer") or {}
    return sorted(per_attack.items(), key=lambda item: (-item[1], item[0]))[:count]


# --------------------------------------------------------------------------- spoken summary


def most_rejected_speakers(metrics: Mapping[str, Any], count: int = 3) -> list[tuple[str, dict[str, Any]]]:
    """The `count` speakers whose bonafide clips were most often called spoof (none at 0)."""
    by_speaker = metrics.get("bonafide_rejected_by_speaker") or {}
    ranked = sorted(by_speaker.items(), key=lambda item: (-item[1]["rejected"], -item[1]["count"], item[0]))
    return [(speaker, stats) for speaker, stats in ranked if stats["rejected"] > 0][:count]


def spoken_summary(metrics: Mapping[str, Any], verbosity: str = "normal") -> list[str]:
    """Short sentences to speak after an evaluation, by the user's verbosity.

    brief: EER and accuracy. normal: accuracy, precision, recall, AUC and EER.
    verbose: also min t-DCF when an ASV score file was given, and the three worst attacks.
    """
    if verbosity not in VERBOSITIES:
        raise ValueError(f"Verbosity must be one of {', '.join(VERBOSITIES)}, not {verbosity!r}.")
    if verbosity == "brief":
        return [
            f"EER {percent(metrics['eer'])} percent.",
            f"Accuracy {percent(metrics['accuracy'])} percent.",
        ]
    sentences = [
        f"Accuracy {percent(metrics['accuracy'])} percent.",
        f"Precision {percent(metrics['precision'])} percent.",
        f"Recall {percent(metrics['recall'])} percent.",
        f"AUC {_number(metrics['roc_auc'])}.",
        f"EER {percent(metrics['eer'])} percent.",
    ]
    if verbosity == "verbose":
        if metrics.get("min_tdcf") is not None:
            sentences.append(f"Min t-DCF {_number(metrics['min_tdcf'], 4)}.")
        worst = worst_attacks(metrics)
        if worst:
            listed = ", ".join(f"{name} {percent(rate)} percent" for name, rate in worst)
            sentences.append(f"Worst attacks: {listed}.")
    return sentences


# --------------------------------------------------------------------------- summary.txt


def summary_sentences(metrics: Mapping[str, Any]) -> list[str]:
    """Every headline number of the report, one plain sentence each."""
    counts = metrics["counts"]
    total = counts["bonafide"] + counts["spoof"]
    lines = [
        f"EER {percent(metrics['eer'])} percent on {total} clips "
        f"({counts['bonafide']} bonafide, {counts['spoof']} spoof).",
    ]
    threshold = metrics.get("threshold")
    where = f" at threshold {_number(threshold, 4)}" if threshold is not None else ""
    lines.append(f"Accuracy {percent(metrics['accuracy'])} percent{where}.")
    lines.append(
        f"Precision {percent(metrics['precision'])} percent and recall "
        f"{percent(metrics['recall'])} percent, counting spoof as the positive class."
    )
    lines.append(f"ROC AUC {_number(metrics['roc_auc'], 4)}.")
    if metrics.get("min_tdcf") is not None:
        lines.append(
            f"Min t-DCF {_number(metrics['min_tdcf'], 4)}, with the ASVspoof 2019 cost model."
        )
    worst = worst_attacks(metrics)
    if worst:
        listed = ", ".join(f"{name} {percent(rate)} percent" for name, rate in worst)
        lines.append(f"Worst attacks by EER: {listed}.")
    for group, stats in (metrics.get("speakers") or {}).items():
        lines.append(
            f"{group.capitalize()} speakers: accuracy {percent(stats['accuracy'])} percent "
            f"on {stats['count']} clips."
        )
    rejected = most_rejected_speakers(metrics)
    if rejected:
        listed = ", ".join(
            f"{speaker} {percent(stats['rejected'])} percent of {stats['count']}" for speaker, stats in rejected
        )
        lines.append(f"Bonafide voices most often called spoof: {listed}.")
    centred = metrics.get("voice_centred_eer")
    if centred is not None:
        offsets = max(0.0, metrics["eer"] - centred)
        lines.append(
            f"With each voice's scores centred on their own mean, EER {percent(centred)} percent: "
            f"offsets between voices account for {percent(offsets)} points of it."
        )
    for group, stats in (metrics.get("attacks") or {}).items():
        names = ", ".join(stats["attacks"])
        lines.append(f"{group.capitalize()} attacks: EER {percent(stats['eer'])} percent ({names}).")
    if metrics.get("seen_from") and (metrics.get("speakers") or metrics.get("attacks")):
        lines.append(f"Seen means present in training, as recorded in {metrics['seen_from']}.")
    if metrics.get("failed"):
        lines.append(f"Skipped {len(metrics['failed'])} files that could not be scored.")
    source = ", ".join(
        f"{name} {metrics[key]}"
        for name, key in (("model", "model"), ("dataset", "dataset"), ("subset", "subset"))
        if metrics.get(key)
    )
    if source:
        lines.append(f"Evaluated {source}.")
    return lines


# --------------------------------------------------------------------------- plots


def _figure():
    """A figure on the Agg canvas, made without pyplot so no GUI backend is ever touched."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MetricError(
            "The report plots need matplotlib; install it with: pip install 'spoofvoice[train]'."
        ) from None

    figure = Figure(figsize=(5, 5), dpi=100)
    FigureCanvasAgg(figure)
    return figure


def plot_det(path: Path, bonafide: Sequence[float], spoof: Sequence[float], eer: float) -> None:
    """DET curve on normal-deviate axes, as NIST and ASVspoof draw it, with the EER point."""
    import numpy as np
    from scipy.stats import norm

    curve = det_curve(bonafide, spoof)
    low, high = 0.0005, 0.9995
    figure = _figure()
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(
        norm.ppf(np.clip(curve.far, low, high)),
        norm.ppf(np.clip(curve.frr, low, high)),
        color="black",
        label="DET curve",
    )
    point = norm.ppf(min(max(eer, low), high))
    axes.plot([point], [point], "o", markerfacecolor="none", color="black",
              label=f"EER {percent(eer)}%")
    ticks = [0.001, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 0.95, 0.99]
    positions = norm.ppf(ticks)
    labels = [percent(t) for t in ticks]
    axes.set_xticks(positions, labels)
    axes.set_yticks(positions, labels)
    axes.set_xlim(norm.ppf(low), norm.ppf(high))
    axes.set_ylim(norm.ppf(low), norm.ppf(high))
    axes.set_xlabel("False acceptance rate, spoofs accepted (%)")
    axes.set_ylabel("False rejection rate, bonafide rejected (%)")
    axes.set_title("DET curve")
    axes.grid(True, linestyle=":")
    axes.legend(loc="upper right")
    figure.savefig(path, format="png")


def plot_roc(path: Path, bonafide: Sequence[float], spoof: Sequence[float], auc: float) -> None:
    """ROC curve with bonafide as the positive class, and the chance line dashed."""
    curve = det_curve(bonafide, spoof)
    figure = _figure()
    axes = figure.add_subplot(1, 1, 1)
    axes.plot(curve.far, 1 - curve.frr, color="black", label=f"ROC, AUC {_number(auc, 4)}")
    axes.plot([0, 1], [0, 1], linestyle="--", color="grey", label="Chance")
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.set_xlabel("False acceptance rate (spoofs accepted)")
    axes.set_ylabel("True acceptance rate (bonafide accepted)")
    axes.set_title("ROC curve")
    axes.grid(True, linestyle=":")
    axes.legend(loc="lower right")
    figure.savefig(path, format="png")


# --------------------------------------------------------------------------- the folder


def _write_text(path: Path, text: str) -> None:
    """Write through a temp file and rename, so a crash never leaves half a report file, and
    a failed write (a full disk) leaves no temp file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def metrics_json(metrics: Mapping[str, Any]) -> str:
    """metrics.json text: strict JSON (no NaN or Infinity), stable key order."""
    return json.dumps(_json_safe(metrics), indent=2, sort_keys=True, allow_nan=False) + "\n"


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return _json_safe(value.item())
    return value


def write_report(
    report_dir: Path, trials: Sequence[ScoredTrial], metrics: Mapping[str, Any]
) -> dict[str, Path]:
    """Write scores.txt, metrics.json, summary.txt, det.png and roc.png; return their paths."""
    folder = Path(report_dir)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / name for name in REPORT_FILES}
    write_scores(paths["scores.txt"], trials)
    _write_text(paths["metrics.json"], metrics_json(metrics))
    _write_text(paths["summary.txt"], "\n".join(summary_sentences(metrics)) + "\n")
    bonafide = [t.score for t in trials if t.key == BONAFIDE]
    spoof = [t.score for t in trials if t.key == SPOOF]
    plot_det(paths["det.png"], bonafide, spoof, metrics["eer"])
    plot_roc(paths["roc.png"], bonafide, spoof, metrics["roc_auc"])
    return paths
