"""Training and evaluation from the spoken session: background work, sparse progress, summaries.

A blind researcher trains and evaluates without looking: the session stays usable while a
model trains (`status`, `check`), progress is spoken sparsely, the final line always, and the
evaluation summary matches the report's metrics.json.
"""

from __future__ import annotations

import json
import re

import pytest
from test_repl_session import PROMPT, Session

from spoofvoice.detector import Detector
from training.corpus import build_corpus


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    out = tmp_path_factory.mktemp("session-corpus")
    build_corpus(out, size="small", seed=0, log=lambda line: None)
    return out


@pytest.fixture
def session(private_home, tmp_path):
    config = private_home / ".config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"voice": "espeak"}), encoding="utf-8")
    running = Session(private_home, tmp_path / "spoken", tmp_path / "modules.txt")
    running.child.timeout = 240
    yield running
    if running.child.isalive():
        running.child.terminate(force=True)


@pytest.mark.slow
def test_train_in_background_then_eval(session, small_corpus, tmp_path, real_speech):
    models = tmp_path / "models"
    session.expect(r"Ready\.")
    session.command(f"train --config seed-mlp --dataset asvspoof2019-la --data {small_corpus} --epochs 4 --out tiny --models-dir {models}")
    session.expect(r"Training tiny started in the background")
    session.expect(PROMPT)

    session.command("status")  # while it trains: the job is said first
    session.expect(r"Training tiny\.")
    session.command(f"check {real_speech}")
    session.expect(r"(BONAFIDE|SPOOF|UNCERTAIN) \d+%")

    # seed-mlp is the original k-fold design: the best fold is kept, then scored on dev.
    session.expect(r"Training done\. Dev EER [\d.]+ percent, best of \d+ folds\. Saved as tiny\.")
    final = session.wait_spoken(r"^Training done\. Dev EER", "progress")
    assert len(final) == 1
    progress = [u for u in session.utterances() if u["priority"] == "progress"]
    assert len(progress) <= 12  # sparse: at most every 10 percent, plus the final line
    assert Detector.load(models / "tiny.json").name == "tiny"

    report = tmp_path / "report"
    session.command(f"eval --model {models / 'tiny.json'} --dataset asvspoof2019-la --data {small_corpus} --report {report}")
    session.expect(r"Evaluating tiny started in the background")
    summary = session.wait_spoken(r"EER [\d.]+ percent", "message", timeout=120)[0]["text"]
    metrics = json.loads((report / "metrics.json").read_text())
    spoken = {name: float(value) for name, value in re.findall(r"(EER|Accuracy|Precision|Recall) ([\d.]+) percent", summary)}
    assert spoken["EER"] == pytest.approx(metrics["eer"] * 100, abs=0.06)
    assert spoken["Accuracy"] == pytest.approx(metrics["accuracy"] * 100, abs=0.06)
    assert set(spoken) == {"EER", "Accuracy", "Precision", "Recall"}  # normal verbosity: the original four and EER
    assert str(report) in session.expect(re.escape(str(report)))

    session.command("results")
    assert len(session.wait_spoken(r"EER [\d.]+ percent", count=2)) == 2
    session.command("quit")
    session.expect(r"Goodbye\.")


@pytest.mark.slow
def test_stop_training_keeps_the_best_model(session, small_corpus, tmp_path):
    models = tmp_path / "models"
    session.expect(r"Ready\.")
    session.command(f"train --config lcnn-logmel --dataset asvspoof2019-la --data {small_corpus} --epochs 200 --out long --models-dir {models}")
    session.expect(r"Epoch 1 of 200\.")
    session.command("stop training")
    session.expect(r"Stopping training after the current batch\.")
    session.expect(r"Training stopped at epoch \d+\. Best dev EER [\d.]+ percent at epoch \d+\. Saved as long\.")
    session.wait_spoken(r"^Training stopped at epoch", "progress")
    detector = Detector.load(models / "long.json")
    assert detector.card.raw["training"]["stopped_early_by_user"] is True
    session.command("stop training")
    session.expect(r"No training is running\.")
    session.command("quit")
    session.expect(r"Goodbye\.")
