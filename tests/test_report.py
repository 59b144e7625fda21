"""Report folder and spoken summaries from a small set of scores."""

from __future__ import annotations

import json

import numpy as np
import pytest
from full_disk import full_disk_fdopen

from training import metrics as m
from training.evaluate import compute_metrics
from training.report import (
    ScoredTrial,
    percent,
    read_scores,
    spoken_summary,
    summary_sentences,
    write_report,
    write_scores,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def small_trials() -> list[ScoredTrial]:
    """30 bonafide and three attacks of 10 spoofs each; S03 overlaps bonafide the most."""
    rng = np.random.default_rng(1)
    trials = [ScoredTrial(f"LA_E_{i:07d}", "-", "bonafide", float(s))
              for i, s in enumerate(rng.normal(2.0, 1.0, 30))]
    for attack, centre in (("S01", -3.0), ("S02", -1.0), ("S03", 1.5)):
        trials += [ScoredTrial(f"LA_E_{attack}{i:04d}", attack, "spoof", float(s))
                   for i, s in enumerate(rng.normal(centre, 1.0, 10))]
    return trials


def small_metrics(trials, asv=None):
    predicted = m.decide([t.score for t in trials], 0.0)
    groups = ["seen" if i % 3 else "unseen" for i in range(len(trials))]
    speakers = [f"LA_{i % 4:04d}" for i in range(len(trials))]
    return compute_metrics(trials, predicted, threshold=0.0, speaker_groups=groups,
                           speakers=speakers, seen_attacks={"S01"}, asv=asv)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    trials = small_trials()
    asv = m.AsvScores(target=np.linspace(1, 5, 40), nontarget=np.linspace(-5, 2, 40),
                      spoof=np.linspace(-1, 4, 40))
    result = small_metrics(trials, asv)
    result.update({"model": "seed-mlp", "dataset": "asvspoof2019-la", "subset": "eval"})
    paths = write_report(folder / "out", trials, result)
    return folder / "out", paths, trials, result


def test_report_folder_holds_every_file(report):
    folder, paths, _, _ = report
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["scores.txt", "metrics.json", "summary.txt", "det.png", "roc.png"]
    )
    assert set(paths) == {"scores.txt", "metrics.json", "summary.txt", "det.png", "roc.png"}


def test_plots_are_real_pngs(report):
    folder, _, _, _ = report
    for name in ("det.png", "roc.png"):
        data = (folder / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE)
        assert len(data) > 1000
        width = int.from_bytes(data[16:20], "big")
        height = int.from_bytes(data[20:24], "big")
        assert (width, height) == (500, 500)


def test_scores_file_is_asvspoof_layout_and_round_trips(report):
    folder, _, trials, result = report
    lines = (folder / "scores.txt").read_text().splitlines()
    assert len(lines) == len(trials)
    first_spoof = next(line for line in lines if " spoof " in line).split()
    assert first_spoof[0].startswith("LA_E_S01") and first_spoof[1:3] == ["S01", "spoof"]
    assert lines[0].split()[1:3] == ["-", "bonafide"]
    back = read_scores(folder / "scores.txt")
    assert back == trials
    bona, spoof = m.split_by_label([t.score for t in back], [t.key for t in back])
    assert m.eer(bona, spoof) == result["eer"]


def test_metrics_json_matches_the_computation(report):
    folder, _, trials, result = report
    saved = json.loads((folder / "metrics.json").read_text())
    assert saved["eer"] == pytest.approx(result["eer"])
    assert saved["counts"] == {"bonafide": 30, "spoof": 30}
    assert set(saved["per_attack_eer"]) == {"S01", "S02", "S03"}
    assert saved["per_attack_eer"]["S01"] < saved["per_attack_eer"]["S03"]
    assert saved["attacks"]["seen"]["attacks"] == ["S01"]
    assert saved["attacks"]["unseen"]["attacks"] == ["S02", "S03"]
    assert saved["speakers"]["seen"]["count"] + saved["speakers"]["unseen"]["count"] == 60
    assert sum(v["count"] for v in saved["bonafide_rejected_by_speaker"].values()) == 30
    assert 0 < saved["min_tdcf"] <= 1
    assert saved["positive_class"]["precision_recall"] == "spoof"


def test_summary_sentences_carry_the_numbers(report):
    folder, _, _, result = report
    text = (folder / "summary.txt").read_text()
    lines = text.splitlines()
    assert lines[0].startswith(f"EER {percent(result['eer'])} percent on 60 clips")
    assert f"Accuracy {percent(result['accuracy'])} percent at threshold 0." in text
    assert f"Precision {percent(result['precision'])} percent" in text
    assert f"recall {percent(result['recall'])} percent" in text
    assert "Worst attacks by EER: S03" in text
    assert "Unseen attacks: EER" in text and "Seen speakers: accuracy" in text
    assert "Min t-DCF" in text
    assert all(line.endswith(".") for line in lines)


def test_spoken_summary_by_verbosity(report):
    _, _, _, result = report
    brief = spoken_summary(result, "brief")
    assert brief == [f"EER {percent(result['eer'])} percent.",
                     f"Accuracy {percent(result['accuracy'])} percent."]
    normal = spoken_summary(result, "normal")
    assert [s.split()[0] for s in normal] == ["Accuracy", "Precision", "Recall", "AUC", "EER"]
    verbose = spoken_summary(result, "verbose")
    assert verbose[:5] == normal
    assert verbose[5].startswith("Min t-DCF ")
    worst = sorted(result["per_attack_eer"].items(), key=lambda kv: -kv[1])
    assert verbose[6] == "Worst attacks: " + ", ".join(
        f"{name} {percent(rate)} percent" for name, rate in worst) + "."
    with pytest.raises(ValueError, match="Verbosity"):
        spoken_summary(result, "chatty")


def test_summary_names_the_voices_most_often_called_spoof():
    scores = {"LA_0001": [1.0, 1.0, 1.0, 1.0], "LA_0002": [-1.0, -1.0, 1.0, 1.0], "LA_0003": [-1.0, 1.0, 1.0, 1.0]}
    trials, speakers = [], []
    for speaker, values in scores.items():
        trials += [ScoredTrial(f"LA_E_{speaker}{i}", "-", "bonafide", v) for i, v in enumerate(values)]
        speakers += [speaker] * len(values)
    trials += [ScoredTrial(f"LA_E_S01{i}", "S01", "spoof", -2.0) for i in range(4)]
    speakers += ["LA_0004"] * 4
    result = compute_metrics(trials, m.decide([t.score for t in trials], 0.0), threshold=0.0, speakers=speakers)
    assert result["bonafide_rejected_by_speaker"]["LA_0002"] == {"rejected": 0.5, "count": 4}
    line = next(s for s in summary_sentences(result) if s.startswith("Bonafide voices"))
    # the worst first; a voice never rejected is not named
    assert line == "Bonafide voices most often called spoof: LA_0002 50 percent of 4, LA_0003 25 percent of 4."


def test_summary_says_what_offsets_between_voices_cost():
    # Voice LA_0002 is scored 2 lower than LA_0001, real and spoof clips alike: pooled EER
    # 0.25, centred voice by voice 0; without speaker ids the sentence is left out.
    trials, speakers = [], []
    for speaker, shift in (("LA_0001", 0.0), ("LA_0002", -2.0)):
        trials += [ScoredTrial(f"LA_E_{speaker}b{i}", "-", "bonafide", v + shift) for i, v in enumerate([1.0, 2.0])]
        trials += [ScoredTrial(f"LA_E_{speaker}s{i}", "S01", "spoof", v + shift) for i, v in enumerate([-1.0, 0.5])]
        speakers += [speaker] * 4
    predicted = m.decide([t.score for t in trials], 0.0)
    result = compute_metrics(trials, predicted, threshold=0.0, speakers=speakers)
    assert result["eer"] == 0.25 and result["voice_centred_eer"] == 0.0
    assert (
        "With each voice's scores centred on their own mean, EER 0 percent: "
        "offsets between voices account for 25 points of it." in summary_sentences(result)
    )
    plain = compute_metrics(trials, predicted, threshold=0.0)
    assert plain["voice_centred_eer"] is None
    assert not any("centred" in line for line in summary_sentences(plain))


def test_verbose_without_asv_scores_leaves_out_tdcf():
    result = small_metrics(small_trials())
    verbose = spoken_summary(result, "verbose")
    assert not any("t-DCF" in s for s in verbose)
    assert verbose[-1].startswith("Worst attacks: S03")
    assert "Min t-DCF" not in " ".join(summary_sentences(result))


def test_percent_is_short():
    assert [percent(x) for x in (0.95, 0.032, 0.0035, 0.0, 1.0)] == ["95", "3.2", "0.35", "0", "100"]


def test_bad_score_file_names_the_line(tmp_path):
    path = tmp_path / "scores.txt"
    write_scores(path, [ScoredTrial("a b", "", "bonafide", 1.0)])
    assert path.read_text() == "a_b - bonafide 1.0\n"
    path.write_text("x - bonafide 1.0\nx - fake 2.0\n")
    with pytest.raises(m.MetricError, match=r"line 2: key 'fake'"):
        read_scores(path)


def test_one_class_only_cannot_be_reported():
    trials = [ScoredTrial("a", "-", "bonafide", 1.0), ScoredTrial("b", "-", "bonafide", 2.0)]
    with pytest.raises(m.MetricError, match="Every clip is bonafide"):
        compute_metrics(trials, ["bonafide", "bonafide"])


def test_a_report_file_that_cannot_be_written_leaves_no_temp_file(tmp_path, monkeypatch):
    """On a full disk the half-written temp files of scores.txt stayed in the report folder."""
    import training.report as report

    monkeypatch.setattr(report.os, "fdopen", full_disk_fdopen(report.os.fdopen))
    with pytest.raises(OSError, match="No space left"):
        write_scores(tmp_path / "scores.txt", [ScoredTrial("LA_E_1", "A01", "spoof", -1.0)])
    assert list(tmp_path.iterdir()) == []
