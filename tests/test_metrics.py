"""Metric functions against cases worked out by hand, including tied scores."""

from __future__ import annotations

import math

import numpy as np
import pytest

from training import metrics
from training.metrics import MetricError


def brute_force_eer(bona: np.ndarray, spoof: np.ndarray) -> float:
    """The ASVspoof definition spelled out with one loop over every reachable threshold.

    Rates are count / size in floating point and the first smallest |FRR - FAR| wins, which
    is how the organisers' np.argmin chooses between equally close points.
    """
    best = None
    for t in [*sorted(set(bona) | set(spoof)), math.inf]:
        frr = np.sum(bona < t) / bona.size
        far = np.sum(spoof >= t) / spoof.size
        if best is None or abs(frr - far) < best[0]:
            best = (abs(frr - far), (frr + far) / 2)
    return float(best[1])


def organisers_style_eer(bona: np.ndarray, spoof: np.ndarray) -> float:
    """One DET point between every pair of sorted trials, as in the 2019 reference code."""
    order = np.argsort(np.concatenate([bona, spoof]), kind="mergesort")
    is_bona = np.concatenate([np.ones(bona.size), np.zeros(spoof.size)])[order]
    rejected_bona = np.concatenate([[0], np.cumsum(is_bona)])
    rejected_spoof = np.concatenate([[0], np.cumsum(1 - is_bona)])
    frr = rejected_bona / bona.size
    far = (spoof.size - rejected_spoof) / spoof.size
    index = np.argmin(np.abs(frr - far))
    return float((frr[index] + far[index]) / 2)


# --------------------------------------------------------------------------- EER and DET


def test_perfect_separation_has_zero_eer_at_lowest_bonafide_score():
    value, threshold = metrics.eer_with_threshold([3, 4, 5], [1, 2])
    assert value == 0.0
    assert threshold == 3.0


def test_det_curve_by_hand():
    # bonafide 1,2,3,4 ; spoof 0,2.5,5 ; accept when score >= t.
    curve = metrics.det_curve([1, 2, 3, 4], [0, 2.5, 5])
    assert curve.thresholds.tolist() == [0, 1, 2, 2.5, 3, 4, 5, math.inf]
    assert curve.frr.tolist() == [0, 0, 0.25, 0.5, 0.5, 0.75, 1, 1]
    assert np.allclose(curve.far, [1, 2 / 3, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 1 / 3, 0])


def test_eer_by_hand():
    # bonafide 2,3,4,5 ; spoof 0,1,2.5,6. (FRR, FAR): t=0 (0,1), t=1 (0,3/4), t=2 (0,1/2),
    # t=2.5 (1/4,1/2), t=3 (1/4,1/4) <- FRR = FAR, t=4 (1/2,1/4) ...
    value, threshold = metrics.eer_with_threshold([2, 3, 4, 5], [0, 1, 2.5, 6])
    assert value == pytest.approx(0.25)
    assert threshold == 3.0


def test_tie_at_the_crossing_uses_only_reachable_points():
    # bonafide 2,3,4 ; spoof 0,1,2. A threshold cannot split the two clips scored 2, so
    # the organisers' unreachable point (FRR 1/3, FAR 1/3, EER 1/3) must not appear.
    # Reachable: t=2 gives FRR 0, FAR 1/3; t=3 gives FRR 1/3, FAR 0; both |diff| 1/3.
    value, threshold = metrics.eer_with_threshold([2, 3, 4], [0, 1, 2])
    assert value == pytest.approx(1 / 6)
    assert threshold == 2.0


def test_all_scores_tied_is_chance():
    assert metrics.eer([2, 2], [2, 2]) == pytest.approx(0.5)
    assert metrics.roc_auc([2, 2], [2, 2]) == pytest.approx(0.5)


def test_inverted_detector_with_ties():
    # bonafide 1,2 ; spoof 2,3. Points: (0,1) (1/2,1) (1,1/2) (1,0); smallest diff 1/2 first
    # at t=2: EER = (1/2 + 1) / 2.
    assert metrics.eer([1, 2], [2, 3]) == pytest.approx(0.75)


def test_eer_threshold_reproduces_its_own_error_rates():
    rng = np.random.default_rng(7)
    bona = np.round(rng.normal(1, 1, 300), 1)  # rounding makes many ties
    spoof = np.round(rng.normal(-1, 1, 200), 1)
    value, threshold = metrics.eer_with_threshold(bona, spoof)
    frr = np.mean(bona < threshold)
    far = np.mean(spoof >= threshold)
    assert value == pytest.approx((frr + far) / 2)
    assert value == pytest.approx(brute_force_eer(bona, spoof))


def test_eer_matches_the_organisers_method_on_untied_scores():
    rng = np.random.default_rng(17)
    for _ in range(30):
        bona = rng.normal(1.5, 1.2, rng.integers(5, 400))
        spoof = rng.normal(-1, 1.8, rng.integers(5, 600))
        assert metrics.eer(bona, spoof) == organisers_style_eer(bona, spoof)


def test_eer_equals_brute_force_on_random_scores():
    rng = np.random.default_rng(3)
    for _ in range(20):
        bona = rng.integers(0, 8, rng.integers(1, 15)).astype(float)
        spoof = rng.integers(0, 8, rng.integers(1, 15)).astype(float)
        assert metrics.eer(bona, spoof) == pytest.approx(brute_force_eer(bona, spoof))


# --------------------------------------------------------------------------- AUC


def test_auc_by_hand_with_a_tie():
    # Pairs (bonafide > spoof): 2 beats 0,1 and ties 2 (half); 3 and 4 beat all: 8.5 / 9.
    assert metrics.roc_auc([2, 3, 4], [0, 1, 2]) == pytest.approx(8.5 / 9)


def test_auc_matches_scikit_learn():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(11)
    bona = np.round(rng.normal(0.5, 1, 80), 1)
    spoof = np.round(rng.normal(0, 1, 60), 1)
    truth = np.r_[np.ones(80), np.zeros(60)]
    expected = roc_auc_score(truth, np.r_[bona, spoof])
    assert metrics.roc_auc(bona, spoof) == pytest.approx(expected)


# --------------------------------------------------------------------------- decisions


LABELS = ["bonafide", "bonafide", "bonafide", "spoof", "spoof", "spoof", "spoof"]
SCORES = [2.0, 0.5, -1.0, -2.0, -0.5, 0.5, 3.0]


def test_decide_accepts_scores_at_the_threshold():
    assert metrics.decide([0.4, 0.5, 0.6], 0.5) == ["spoof", "bonafide", "bonafide"]


def test_original_four_by_hand():
    predicted = metrics.decide(SCORES, 0.5)
    # bonafide: 2.0 ok, 0.5 ok, -1.0 flagged spoof (fp); spoof: -2, -0.5 caught (tp),
    # 0.5 and 3.0 accepted (fn).
    assert metrics.confusion(LABELS, predicted) == {"tp": 2, "fp": 1, "tn": 2, "fn": 2}
    assert metrics.accuracy(LABELS, predicted) == pytest.approx(4 / 7)
    assert metrics.precision(LABELS, predicted) == pytest.approx(2 / 3)  # spoof positive
    assert metrics.recall(LABELS, predicted) == pytest.approx(2 / 4)


def test_precision_is_zero_when_nothing_is_flagged():
    predicted = ["bonafide"] * len(LABELS)
    assert metrics.precision(LABELS, predicted) == 0.0
    assert metrics.recall(LABELS, predicted) == 0.0


def test_accuracy_by_group():
    predicted = metrics.decide(SCORES, 0.5)
    groups = ["seen", "unseen", "unseen", "seen", "seen", "unseen", "unseen"]
    result = metrics.accuracy_by_group(LABELS, predicted, groups)
    # seen: bonafide ok, two spoofs caught -> 3/3 ; unseen: ok, fp, fn, fn -> 1/4.
    assert result == {
        "seen": {"accuracy": 1.0, "count": 3},
        "unseen": {"accuracy": 0.25, "count": 4},
    }


def test_bonafide_rejection_by_speaker_counts_only_real_clips():
    labels = ["bonafide", "bonafide", "bonafide", "bonafide", "spoof", "spoof"]
    predicted = ["spoof", "bonafide", "spoof", "spoof", "spoof", "bonafide"]
    speakers = ["LA_0001", "LA_0001", "LA_0002", "", "LA_0003", "LA_0002"]
    result = metrics.bonafide_rejection_by_speaker(labels, predicted, speakers)
    # LA_0001: 1 of 2 rejected; LA_0002: its one bonafide rejected (its spoof is not counted);
    # LA_0003 has no bonafide clip and the unnamed clip has no speaker: both left out.
    assert result == {
        "LA_0001": {"rejected": 0.5, "count": 2},
        "LA_0002": {"rejected": 1.0, "count": 1},
    }
    with pytest.raises(metrics.MetricError):
        metrics.bonafide_rejection_by_speaker(labels, predicted, speakers[:-1])


def test_voice_centred_eer_removes_offsets_between_voices_by_hand():
    # Voice A is scored 3 points above voice B, its spoof with it: pooled, B's real clips sit
    # below A's spoofs (EER 0.5); centred on each voice's mean of all four clips, labels unused,
    # both voices read bonafide 0.125 and 1.125, spoof -0.875 and -0.375: EER 0.
    labels = ["bonafide", "bonafide", "spoof", "spoof"] * 2
    scores = [3.0, 4.0, 2.0, 2.5, 0.0, 1.0, -1.0, -0.5]
    voices = ["A"] * 4 + ["B"] * 4
    assert metrics.eer(*metrics.split_by_label(scores, labels)) == 0.5
    assert metrics.voice_centred_eer(scores, labels, voices) == 0.0
    # One voice for all: centring shifts every score alike and the EER stays.
    assert metrics.voice_centred_eer(scores, labels, ["A"] * 8) == 0.5
    # Without a voice for every clip there is nothing to centre on.
    assert metrics.voice_centred_eer(scores, labels, voices[:-1] + [""]) is None
    with pytest.raises(metrics.MetricError):
        metrics.voice_centred_eer(scores, labels, voices[:-1])


def test_per_attack_eer_uses_all_bonafide():
    labels = ["bonafide", "bonafide", "spoof", "spoof", "spoof"]
    scores = [1.0, 2.0, -1.0, 1.5, 3.0]
    attacks = ["-", "-", "A01", "A02", "A02"]
    result = metrics.per_attack_eer(scores, labels, attacks)
    assert result["A01"] == 0.0
    assert result["A02"] == pytest.approx(metrics.eer([1.0, 2.0], [1.5, 3.0]))
    assert set(result) == {"A01", "A02"}


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    "call",
    [
        lambda: metrics.eer([1, 2, 3], []),
        lambda: metrics.roc_auc([], [1, 2]),
        lambda: metrics.det_curve([1.0], []),
        lambda: metrics.precision(["spoof", "spoof"], ["spoof", "bonafide"]),
        lambda: metrics.recall(["bonafide"], ["bonafide"]),
    ],
)
def test_one_class_only_is_a_clear_error(call):
    with pytest.raises(MetricError, match="Every clip is"):
        call()


def test_bad_scores_and_labels_are_errors():
    with pytest.raises(MetricError, match="NaN"):
        metrics.eer([1.0, float("nan")], [0.0])
    with pytest.raises(MetricError, match="Unknown label 'fake'"):
        metrics.split_by_label([1.0], ["fake"])
    with pytest.raises(MetricError, match="one label per score"):
        metrics.split_by_label([1.0, 2.0], ["spoof"])


# --------------------------------------------------------------------------- t-DCF


def write_asv(tmp_path, lines):
    path = tmp_path / "asv.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_read_asv_scores_three_and_four_columns(tmp_path):
    path = write_asv(
        tmp_path,
        [
            "bonafide target 36.78691",
            "bonafide nontarget -39.15536",
            "A07 spoof 27.07672",
            "LA_0039 bonafide target -0.7",
        ],
    )
    asv = metrics.read_asv_scores(path)
    assert asv.target.tolist() == [36.78691, -0.7]
    assert asv.nontarget.tolist() == [-39.15536]
    assert asv.spoof.tolist() == [27.07672]


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        ("bonafide target", "line 2: expected 'source key score'"),
        ("bonafide impostor 1.0", "line 2: key 'impostor'"),
        ("bonafide target high", "line 2: score 'high' is not a number"),
    ],
)
def test_read_asv_scores_names_file_and_line(tmp_path, bad_line, message):
    path = write_asv(tmp_path, ["bonafide target 1.0", bad_line, "A07 spoof 0.1"])
    with pytest.raises(MetricError, match=message) as caught:
        metrics.read_asv_scores(path)
    assert str(path) in str(caught.value)


def test_read_asv_scores_needs_all_three_keys(tmp_path):
    path = write_asv(tmp_path, ["bonafide target 1.0", "bonafide nontarget 0.1"])
    with pytest.raises(MetricError, match="no spoof trials"):
        metrics.read_asv_scores(path)


def test_min_tdcf_by_hand(tmp_path):
    # ASV: targets 2,3,4 ; nontargets 0,1 ; spoofs 0.5,1.5,3. The EER point (0 percent)
    # rejects 0 and 1. The organisers put the threshold at the highest REJECTED score (1)
    # and count score >= threshold as accepted, so Pfa = 1/2, Pmiss = 0, Pmiss_spoof = 1/3.
    # C1 = 0.9405*(1 - 0) - 0.0095*10*(1/2) = 0.893 ; C2 = 10*0.05*(1 - 1/3) = 1/3.
    path = write_asv(
        tmp_path,
        [
            "bonafide target 2",
            "bonafide target 3",
            "bonafide target 4",
            "bonafide nontarget 0",
            "bonafide nontarget 1",
            "A07 spoof 0.5",
            "A08 spoof 1.5",
            "A09 spoof 3",
        ],
    )
    asv = metrics.read_asv_scores(path)
    rates = metrics.asv_error_rates(asv)
    assert rates["eer"] == 0.0 and rates["threshold"] == 1.0
    assert rates["pfa"] == 0.5 and rates["pmiss"] == 0.0
    assert rates["pmiss_spoof"] == pytest.approx(1 / 3)
    # CM bonafide 1,2 ; spoof 0,3. Points (FRR, FAR): t=0 (0,1); t=1 (0,1/2); t=2 (1/2,1/2);
    # t=3 (1,1/2); inf (1,0). (C1*FRR + C2*FAR) / min(C1, C2) with min = C2 = 1/3:
    # 1, 0.5, 1.8395, 3.179, 2.679 -> minimum 0.5 at t = 1.
    curve, thresholds = metrics.tdcf_curve([1, 2], [0, 3], rates)
    assert np.allclose(curve, [1.0, 0.5, 1.8395, 3.179, 2.679])
    assert thresholds.tolist() == [0, 1, 2, 3, math.inf]
    result = metrics.min_tdcf([1, 2], [0, 3], asv)
    assert result["min_tdcf"] == pytest.approx(0.5)
    assert result["threshold"] == 1.0


def test_asv_threshold_below_everything_when_nothing_is_rejected():
    # One target and one nontarget tied: "accept all" is the first of two equal points.
    rates = metrics.asv_error_rates(metrics.AsvScores(np.array([1.0]), np.array([1.0]),
                                                      np.array([0.0, 2.0])))
    assert rates["threshold"] == pytest.approx(0.999)
    assert (rates["pfa"], rates["pmiss"], rates["pmiss_spoof"]) == (1.0, 0.0, 0.5)


def test_min_tdcf_is_zero_for_a_perfect_cm_and_at_most_one_otherwise():
    rng = np.random.default_rng(5)
    asv = metrics.AsvScores(
        target=rng.normal(3, 1, 200), nontarget=rng.normal(-3, 1, 200), spoof=rng.normal(1, 1, 200)
    )
    assert metrics.min_tdcf([5, 6, 7], [0, 1], asv)["min_tdcf"] == 0.0
    # Accepting every clip costs C2/min(C1, C2) and rejecting every clip costs
    # C1/min(C1, C2); one of them is exactly 1, so the minimum never exceeds 1.
    noisy = metrics.min_tdcf(rng.normal(0, 1, 50), rng.normal(0, 1, 50), asv)["min_tdcf"]
    assert 0.0 < noisy <= 1.0
