"""training.screen: the mean of runs' score files, as a fused mean would score the clips."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from training import metrics as m
from training.report import ScoredTrial, write_scores
from training.screen import Run, mean_scores, parse_run, screen

ROOT = Path(__file__).resolve().parents[1]
TRIALS = [("a", "-", "bonafide"), ("b", "-", "bonafide"), ("c", "S01", "spoof"), ("d", "S03", "spoof")]


def _scores(folder: Path, values: list[float]) -> Path:
    folder.mkdir(parents=True)
    write_scores(folder / "scores.txt", [ScoredTrial(u, a, k, v) for (u, a, k), v in zip(TRIALS, values, strict=True)])
    return folder


def test_weighted_mean_clip_by_clip(tmp_path):
    one = _scores(tmp_path / "one", [2.0, 1.0, -1.0, 4.0])
    two = _scores(tmp_path / "two", [-1.0, 4.0, -4.0, -2.0])
    merged = mean_scores([Run(one / "scores.txt", 2.0), Run(two / "scores.txt", 1.0)])
    assert [t.utt_id for t in merged] == ["a", "b", "c", "d"]
    assert [t.score for t in merged] == pytest.approx([1.0, 2.0, -2.0, 2.0])
    assert [t.attack for t in merged] == ["-", "-", "S01", "S03"]


def test_unseen_attacks_are_scored_apart(tmp_path):
    # Alone, run "one" puts spoof d (S03, unseen) above both bonafide clips: EER 0.5 on unseen, 0 on S01.
    one = _scores(tmp_path / "one", [2.0, 1.0, -1.0, 4.0])
    result = screen([parse_run(str(one))], frozenset({"S01"}))
    assert result["eer_unseen_attacks"] == pytest.approx(m.eer([2.0, 1.0], [4.0]))
    assert result["eer"] == pytest.approx(m.eer([2.0, 1.0], [-1.0, 4.0]))
    assert "eer_unseen_attacks" not in screen([parse_run(str(one))])


def test_runs_on_different_clips_are_refused(tmp_path):
    one = _scores(tmp_path / "one", [2.0, 1.0, -1.0, 4.0])
    other = tmp_path / "other"
    other.mkdir()
    write_scores(other / "scores.txt", [ScoredTrial("z", "-", "bonafide", 1.0), ScoredTrial("c", "S01", "spoof", 0.0)])
    with pytest.raises(m.MetricError, match="hold different clips"):
        mean_scores([Run(one / "scores.txt", 1.0), Run(other / "scores.txt", 1.0)])


@pytest.mark.parametrize("text, message", [("dir=abc", "must be a number"), ("dir=0", "above zero")])
def test_bad_weights_are_named(text, message):
    with pytest.raises(Exception, match=message):
        parse_run(text)


def test_command_reads_unseen_attacks_from_the_corpus(tmp_path):
    one = _scores(tmp_path / "one", [2.0, 1.0, -1.0, 4.0])
    two = _scores(tmp_path / "two", [2.0, 1.0, -4.0, -2.0])
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "corpus.json").write_text(json.dumps({"splits": {"train": ["LA_0001"]},
                                                    "families": {"S01": {"seen_in_train": True}, "S03": {"seen_in_train": False}}}))
    done = subprocess.run([sys.executable, "-m", "training.screen", f"{one}=1", f"{two}=3", "--data", str(corpus)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    # Mean scores: a 2, b 1, c -3.25, d -0.5: every spoof below every bonafide.
    assert done.stdout.strip() == "Mean of 2: EER 0.00 percent on 4 clips, unseen attacks 0.00 percent."
    missing = subprocess.run([sys.executable, "-m", "training.screen", str(tmp_path / "nowhere")],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert missing.returncode == 1 and missing.stdout.startswith("Cannot read the score file") and "Traceback" not in missing.stderr
