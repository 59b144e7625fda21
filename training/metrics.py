"""Evaluation metrics for a spoofing countermeasure (CM), as the ASVspoof organisers define them.

Kept apart from models and I/O so every number in a report or model card comes from one place.

Conventions used throughout:
- A score is the CM output in ASVspoof convention: HIGHER means MORE BONAFIDE.
- A clip is accepted as bonafide when its score is at or above the threshold (``score >= t``).
- Labels are the strings ``"bonafide"`` and ``"spoof"``.
- EER, ROC, DET and t-DCF treat BONAFIDE as the positive (target) class, as the organisers do:
  FRR (miss rate) is the share of bonafide clips rejected, FAR (false-alarm rate) the share of
  spoofs accepted.
- Precision and recall (two of the "original four" metrics) treat SPOOF as the positive class,
  as the original design's spoof detector did: recall is the share of spoofs caught, precision
  the share of clips flagged spoof that really are spoofs.
- Rates are fractions in 0..1, never percentages.

Ties: the organisers' ``compute_det_curve`` sorts the scores and puts one operating point between
every pair of neighbouring trials, even when both have the same score, which no threshold can
do. Here operating points exist only between distinct score values, so every point on the DET
curve is one a real threshold reaches, and the EER threshold reproduces its own error rates.
Without ties the curve, the EER and the min t-DCF equal the organisers' to the last bit (the
tests check this against a re-implementation of their method).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

BONAFIDE = "bonafide"
SPOOF = "spoof"

# ASVspoof 2019 t-DCF cost model (evaluation plan; organisers' tDCF_python_v1 code).
P_SPOOF = 0.05
ASVSPOOF2019_COST_MODEL = {
    "Pspoof": P_SPOOF,
    "Ptar": (1 - P_SPOOF) * 0.99,
    "Pnon": (1 - P_SPOOF) * 0.01,
    "Cmiss_asv": 1.0,
    "Cfa_asv": 10.0,
    "Cmiss_cm": 1.0,
    "Cfa_cm": 10.0,
}


class MetricError(ValueError):
    """A metric cannot be computed from these trials (one class only, bad scores, bad file)."""


@dataclass(frozen=True)
class DetCurve:
    """Error rates at every reachable threshold, from "accept all" to "reject all".

    ``thresholds[i]`` accepts scores ``>= thresholds[i]``; the last threshold is ``+inf``.
    """

    frr: np.ndarray
    far: np.ndarray
    thresholds: np.ndarray


@dataclass(frozen=True)
class AsvScores:
    """Scores of an automatic speaker verification (ASV) system, split by trial key."""

    target: np.ndarray
    nontarget: np.ndarray
    spoof: np.ndarray


# --------------------------------------------------------------------------- input checks


def _as_scores(values: Iterable[float], what: str) -> np.ndarray:
    """Scores as a float array; NaN or infinity would silently corrupt every rate."""
    array = np.asarray(list(values) if not isinstance(values, np.ndarray) else values, float)
    array = array.reshape(-1)
    if not np.all(np.isfinite(array)):
        raise MetricError(f"The {what} scores contain NaN or infinity; fix the model output.")
    return array


def _need_both(bonafide: np.ndarray, spoof: np.ndarray) -> None:
    """Error rates between two classes need at least one trial of each."""
    if bonafide.size == 0 or spoof.size == 0:
        present = BONAFIDE if bonafide.size else SPOOF
        if bonafide.size == 0 and spoof.size == 0:
            raise MetricError("There are no trials at all; add bonafide and spoof clips.")
        raise MetricError(
            f"Every clip is {present}; this metric needs both bonafide and spoof clips."
        )


def split_by_label(scores: Sequence[float], labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Return (bonafide scores, spoof scores); an unknown label is an error, not a guess."""
    score_array = _as_scores(scores, "trial")
    label_array = _as_labels(labels)
    if score_array.size != label_array.size:
        raise MetricError(
            f"There are {score_array.size} scores but {label_array.size} labels; "
            "give one label per score."
        )
    return score_array[label_array == BONAFIDE], score_array[label_array == SPOOF]


def _as_labels(labels: Sequence[str]) -> np.ndarray:
    array = np.asarray(list(labels), dtype=object)
    unknown = sorted({str(x) for x in array if x not in (BONAFIDE, SPOOF)})
    if unknown:
        raise MetricError(
            f"Unknown label {unknown[0]!r}; labels must be 'bonafide' or 'spoof'."
        )
    return array


# --------------------------------------------------------------------------- decisions


def decide(scores: Sequence[float], threshold: float) -> list[str]:
    """Labels a detector with this threshold gives: bonafide when ``score >= threshold``."""
    return [BONAFIDE if s >= threshold else SPOOF for s in _as_scores(scores, "trial")]


def confusion(labels: Sequence[str], predicted: Sequence[str]) -> dict[str, int]:
    """Counts with SPOOF as positive: tp = spoof caught, fp = bonafide flagged spoof, ..."""
    truth = _as_labels(labels)
    guess = _as_labels(predicted)
    if truth.size != guess.size:
        raise MetricError(
            f"There are {truth.size} labels but {guess.size} predictions; give one each."
        )
    return {
        "tp": int(np.sum((truth == SPOOF) & (guess == SPOOF))),
        "fp": int(np.sum((truth == BONAFIDE) & (guess == SPOOF))),
        "tn": int(np.sum((truth == BONAFIDE) & (guess == BONAFIDE))),
        "fn": int(np.sum((truth == SPOOF) & (guess == BONAFIDE))),
    }


def accuracy(labels: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of clips labelled correctly. Defined for one class too (e.g. a speaker group)."""
    counts = confusion(labels, predicted)
    total = sum(counts.values())
    if total == 0:
        raise MetricError("There are no trials at all; accuracy needs at least one clip.")
    return (counts["tp"] + counts["tn"]) / total


def _require_both_labels(labels: Sequence[str]) -> None:
    truth = _as_labels(labels)
    _need_both(truth[truth == BONAFIDE], truth[truth == SPOOF])


def precision(labels: Sequence[str], predicted: Sequence[str]) -> float:
    """SPOOF is positive: of the clips flagged spoof, the share that are spoofs.

    0.0 when nothing was flagged spoof (scikit-learn's zero-division convention).
    """
    _require_both_labels(labels)
    counts = confusion(labels, predicted)
    flagged = counts["tp"] + counts["fp"]
    return counts["tp"] / flagged if flagged else 0.0


def recall(labels: Sequence[str], predicted: Sequence[str]) -> float:
    """SPOOF is positive: the share of spoofs the detector caught (1 - FAR at its threshold)."""
    _require_both_labels(labels)
    counts = confusion(labels, predicted)
    return counts["tp"] / (counts["tp"] + counts["fn"])


# --------------------------------------------------------------------------- ranking metrics


def roc_auc(bonafide_scores: Sequence[float], spoof_scores: Sequence[float]) -> float:
    """Probability that a random bonafide clip outscores a random spoof; ties count one half.

    Computed from average ranks (Mann-Whitney U), so it is exact with ties. The same number
    is the AUC of spoof probability for detecting spoofs, since only the ordering matters.
    """
    from scipy.stats import rankdata

    bona = _as_scores(bonafide_scores, "bonafide")
    spoof = _as_scores(spoof_scores, "spoof")
    _need_both(bona, spoof)
    ranks = rankdata(np.concatenate([bona, spoof]))
    u_stat = ranks[: bona.size].sum() - bona.size * (bona.size + 1) / 2
    return float(u_stat / (bona.size * spoof.size))


def det_curve(bonafide_scores: Sequence[float], spoof_scores: Sequence[float]) -> DetCurve:
    """FRR and FAR at every threshold a real decision rule can reach.

    The thresholds are the distinct scores in ascending order, then ``+inf``: the first point
    accepts everything (FRR 0, FAR 1), the last rejects everything (FRR 1, FAR 0).
    """
    bona = _as_scores(bonafide_scores, "bonafide")
    spoof = _as_scores(spoof_scores, "spoof")
    _need_both(bona, spoof)
    distinct = np.unique(np.concatenate([bona, spoof]))
    thresholds = np.concatenate([distinct, [np.inf]])
    # Rejected = score < threshold; searchsorted(..., "left") counts exactly those.
    bona_rejected = np.searchsorted(np.sort(bona), thresholds, side="left")
    spoof_accepted = spoof.size - np.searchsorted(np.sort(spoof), thresholds, side="left")
    return DetCurve(
        frr=bona_rejected / bona.size, far=spoof_accepted / spoof.size, thresholds=thresholds
    )


def eer_with_threshold(
    bonafide_scores: Sequence[float], spoof_scores: Sequence[float]
) -> tuple[float, float]:
    """(EER, threshold): the DET point where |FRR - FAR| is smallest, EER = (FRR + FAR) / 2.

    The point is chosen as in the organisers' code (see ``_eer_index``). The threshold
    accepts ``score >= threshold``.
    """
    curve = det_curve(bonafide_scores, spoof_scores)
    index = _eer_index(curve)
    eer = float((curve.frr[index] + curve.far[index]) / 2)
    return eer, float(curve.thresholds[index])


def _eer_index(curve: DetCurve) -> int:
    """Index of the DET point with the smallest |FRR - FAR|, as the organisers pick it.

    The rates are the same floating-point numbers as in their ``compute_det_curve`` (count
    divided by class size), and ``np.argmin`` runs on the same differences, so when two
    points are equally close the same one wins: results match their script to the last bit
    on untied scores.
    """
    return int(np.argmin(np.abs(curve.frr - curve.far)))


def eer(bonafide_scores: Sequence[float], spoof_scores: Sequence[float]) -> float:
    """Equal error rate as a fraction (0.05 is 5 percent)."""
    return eer_with_threshold(bonafide_scores, spoof_scores)[0]


def per_attack_eer(
    scores: Sequence[float], labels: Sequence[str], attacks: Sequence[str]
) -> dict[str, float]:
    """EER of each attack's spoofs against ALL bonafide clips, as the organisers break it down."""
    bona, _ = split_by_label(scores, labels)
    score_array = _as_scores(scores, "trial")
    label_array = _as_labels(labels)
    attack_array = np.asarray([str(a) for a in attacks], dtype=object)
    if attack_array.size != score_array.size:
        raise MetricError(
            f"There are {score_array.size} scores but {attack_array.size} attack names."
        )
    spoof_mask = label_array == SPOOF
    result = {}
    for attack in sorted(set(attack_array[spoof_mask])):
        attack_scores = score_array[spoof_mask & (attack_array == attack)]
        result[attack] = eer(bona, attack_scores)
    return result


def accuracy_by_group(
    labels: Sequence[str], predicted: Sequence[str], groups: Sequence[str]
) -> dict[str, dict[str, float | int]]:
    """Accuracy and clip count for each group (e.g. "seen" and "unseen" speakers)."""
    truth = _as_labels(labels)
    guess = _as_labels(predicted)
    group_array = np.asarray([str(g) for g in groups], dtype=object)
    if not truth.size == guess.size == group_array.size:
        raise MetricError("Labels, predictions and groups must have one entry per clip.")
    result: dict[str, dict[str, float | int]] = {}
    for group in sorted(set(group_array)):
        mask = group_array == group
        result[group] = {
            "accuracy": accuracy(list(truth[mask]), list(guess[mask])),
            "count": int(mask.sum()),
        }
    return result


def bonafide_rejection_by_speaker(
    labels: Sequence[str], predicted: Sequence[str], speakers: Sequence[str]
) -> dict[str, dict[str, float | int]]:
    """Per speaker, the fraction of their bonafide clips the detector called spoof.

    Why: one overall accuracy hides a voice the detector keeps rejecting; a real person
    with that voice would be told, clip after clip, that they are a machine. Speakers with
    no id ("") and speakers with no bonafide clips are left out.
    """
    if not len(labels) == len(predicted) == len(speakers):
        raise MetricError("Labels, predictions and speakers must have one entry per clip.")
    truth = _as_labels(labels)
    real = [i for i, speaker in enumerate(speakers) if truth[i] == BONAFIDE and str(speaker)]
    by_speaker = accuracy_by_group(
        [truth[i] for i in real], [predicted[i] for i in real], [str(speakers[i]) for i in real]
    )
    return {
        speaker: {"rejected": 1.0 - stats["accuracy"], "count": stats["count"]}
        for speaker, stats in by_speaker.items()
    }


def voice_centred_eer(
    scores: Sequence[float], labels: Sequence[str], speakers: Sequence[str]
) -> float | None:
    """EER after each voice's scores are moved to a common mean; None without a voice per clip.

    Why: it splits the EER in two. Part of it is offsets between voices (one real voice
    scored lower than another as a whole, its spoofs with it), part is failing to tell a
    spoof from the real clips of its own voice. Centring uses every clip of a voice, real
    and spoof alike, and no label, so the gap to the plain EER is what voice offsets cost;
    what remains is the detector's own blindness to the attacks. A deployed detector sees
    one clip and cannot centre, so this is a diagnosis, never a result.
    """
    score_array = _as_scores(scores, "trial")
    voices = [str(speaker) for speaker in speakers]
    if len(voices) != score_array.size:
        raise MetricError(f"There are {score_array.size} scores but {len(voices)} speaker ids.")
    if not voices or not all(voices):
        return None
    voice_array = np.asarray(voices, dtype=object)
    centred = score_array.copy()
    for voice in set(voices):
        mask = voice_array == voice
        centred[mask] -= score_array[mask].mean()
    return eer(*split_by_label(list(centred), labels))


# --------------------------------------------------------------------------- tandem (t-DCF)


def read_asv_scores(path: Path) -> AsvScores:
    """Read an ASVspoof 2019 ASV score file.

    The organisers' ``ASVspoof2019.LA.asv.eval.gi.trl.scores.txt`` has three columns,
    ``source key score`` (``bonafide target 36.78691``, ``A07 spoof 27.07672``); some copies
    carry a leading speaker id (four columns). The key is target, nontarget or spoof.
    """
    path = Path(path)
    groups: dict[str, list[float]] = {"target": [], "nontarget": [], "spoof": []}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise MetricError(
            f"Cannot read the ASV score file {path}: {error.strerror or error}."
        ) from error
    except UnicodeDecodeError as error:
        raise MetricError(f"The ASV score file {path} is not text; give the .txt score file.") from error
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) not in (3, 4):
            raise MetricError(
                f"{path}, line {number}: expected 'source key score' (3 or 4 columns), "
                f"found {len(fields)} columns."
            )
        key, raw_score = fields[-2], fields[-1]
        if key not in groups:
            raise MetricError(
                f"{path}, line {number}: key {key!r} is not target, nontarget or spoof."
            )
        try:
            score = float(raw_score)
        except ValueError:
            raise MetricError(
                f"{path}, line {number}: score {raw_score!r} is not a number."
            ) from None
        if not math.isfinite(score):
            raise MetricError(f"{path}, line {number}: score {raw_score!r} is not finite.")
        groups[key].append(score)
    for key, values in groups.items():
        if not values:
            raise MetricError(
                f"The ASV score file {path} has no {key} trials; "
                "use the organisers' file with target, nontarget and spoof lines."
            )
    return AsvScores(**{key: np.asarray(values) for key, values in groups.items()})


def asv_error_rates(asv: AsvScores) -> dict[str, float]:
    """ASV operating point fixed at its EER threshold, placed exactly as the 2019 organisers do.

    Their threshold is the HIGHEST score REJECTED at the EER point of the DET curve (or
    0.001 below the lowest score when nothing is rejected), and the rates then count
    ``score >= threshold`` as accepted. Where the threshold sits inside the gap between two
    target/nontarget scores decides how many spoof trials the ASV rejects, so this placement
    is kept to reproduce the published min t-DCF values.

    Returns the ASV EER and threshold, Pfa (nontargets accepted), Pmiss (targets rejected)
    and Pmiss_spoof (spoofs rejected by the ASV).
    """
    curve = det_curve(asv.target, asv.nontarget)
    index = _eer_index(curve)
    asv_eer = float((curve.frr[index] + curve.far[index]) / 2)
    if index == 0:
        threshold = float(curve.thresholds[0]) - 0.001
    else:
        threshold = float(curve.thresholds[index - 1])
    return {
        "eer": asv_eer,
        "threshold": threshold,
        "pfa": float(np.mean(asv.nontarget >= threshold)),
        "pmiss": float(np.mean(asv.target < threshold)),
        "pmiss_spoof": float(np.mean(asv.spoof < threshold)),
    }


def tdcf_curve(
    bonafide_scores: Sequence[float],
    spoof_scores: Sequence[float],
    asv_rates: Mapping[str, float],
    cost_model: Mapping[str, float] = ASVSPOOF2019_COST_MODEL,
) -> tuple[np.ndarray, np.ndarray]:
    """Normalised t-DCF at every CM threshold, as in the organisers' 2019 ``compute_tDCF``.

    t-DCF(s) = C1 * Pmiss_cm(s) + C2 * Pfa_cm(s), divided by min(C1, C2), with
    C1 = Ptar * (Cmiss_cm - Cmiss_asv * Pmiss_asv) - Pnon * Cfa_asv * Pfa_asv and
    C2 = Cfa_cm * Pspoof * (1 - Pmiss_spoof_asv). A value above 1 means the CM hurts.
    """
    priors = cost_model["Ptar"] + cost_model["Pnon"] + cost_model["Pspoof"]
    if abs(priors - 1) > 1e-10:
        raise MetricError("The t-DCF priors Ptar, Pnon and Pspoof must sum to one.")
    c1 = cost_model["Ptar"] * (
        cost_model["Cmiss_cm"] - cost_model["Cmiss_asv"] * asv_rates["pmiss"]
    ) - cost_model["Pnon"] * cost_model["Cfa_asv"] * asv_rates["pfa"]
    c2 = cost_model["Cfa_cm"] * cost_model["Pspoof"] * (1 - asv_rates["pmiss_spoof"])
    if c1 <= 0 or c2 <= 0:
        raise MetricError(
            "The ASV error rates give a non-positive t-DCF weight; check the ASV score file."
        )
    curve = det_curve(bonafide_scores, spoof_scores)
    tdcf = (c1 * curve.frr + c2 * curve.far) / min(c1, c2)
    return tdcf, curve.thresholds


def min_tdcf(
    bonafide_scores: Sequence[float],
    spoof_scores: Sequence[float],
    asv: AsvScores,
    cost_model: Mapping[str, float] = ASVSPOOF2019_COST_MODEL,
) -> dict[str, float | None]:
    """Minimum normalised t-DCF over CM thresholds, with the ASV at its EER threshold.

    Returns ``min_tdcf``, the CM ``threshold`` reaching it, and the ASV rates used.
    """
    rates = asv_error_rates(asv)
    curve, thresholds = tdcf_curve(bonafide_scores, spoof_scores, rates, cost_model)
    index = int(np.argmin(curve))
    threshold = float(thresholds[index])
    return {
        "min_tdcf": float(curve[index]),
        # None when rejecting every clip is cheapest: +inf has no JSON spelling.
        "threshold": threshold if math.isfinite(threshold) else None,
        "asv_eer": rates["eer"],
        "asv_pfa": rates["pfa"],
        "asv_pmiss": rates["pmiss"],
        "asv_pmiss_spoof": rates["pmiss_spoof"],
    }
