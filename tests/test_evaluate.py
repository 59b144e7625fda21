"""`spoofvoice eval` end to end: a folder of real speech and espeak-ng clips, a tiny real model.

The model is a logistic regression on clip-mean MFCCs, fitted here with scikit-learn and
exported to .tflite in a subprocess (TensorFlow stays out of the test process, so the
detector's worker processes never fork a TensorFlow runtime).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conftest import ASTERISK_EN, subprocess_env

from training import metrics as m
from training.evaluate import evaluate, read_coverage

pytestmark = pytest.mark.slow

WINDOW_SECONDS = 1.0
BONAFIDE_PROMPTS = [
    "agent-pass", "agent-user", "agent-loginok", "agent-newlocation", "auth-thankyou",
    "conf-onlyperson", "vm-goodbye", "vm-intro", "queue-thankyou", "conf-getpin",
]
SPOOF_TEXTS = [
    ("Please enter your password followed by the pound key.", "en-us"),
    ("Thank you for calling, goodbye.", "en"),
    ("You are the only person in this conference.", "en-gb"),
    ("Your call is important to us, please hold.", "en-us+f3"),
    ("The number you have dialed is not in service.", "en+m3"),
    ("Please leave a message after the tone.", "en-us+m7"),
    ("Welcome to the voice mail system.", "en+f2"),
    ("Agent logged in successfully.", "en-gb+m2"),
    ("Press one to continue in English.", "en-us+f4"),
    ("Goodbye and thank you.", "en+m5"),
]

EXPORT_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf
    spec = json.loads(sys.argv[1])
    inputs = tf.keras.Input(shape=(spec["frames"], spec["dims"]))
    pooled = tf.keras.layers.GlobalAveragePooling1D()(inputs)
    dense = tf.keras.layers.Dense(1)
    model = tf.keras.Model(inputs, dense(pooled))
    dense.set_weights([np.array(spec["weights"], "float32")[:, None],
                       np.array([spec["bias"]], "float32")])
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    open(spec["out"], "wb").write(tflite)
    """
)


def _espeak(text: str, voice: str, out: Path) -> None:
    subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], check=True, timeout=60)


@pytest.fixture(scope="module")
def folder_dataset(tmp_path_factory) -> Path:
    """DIR/bonafide: Asterisk's recorded prompts; DIR/spoof: espeak-ng saying similar lines."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: run `make test`, which installs it")
    root = tmp_path_factory.mktemp("folder-dataset")
    (root / "bonafide").mkdir()
    (root / "spoof").mkdir()
    for name in BONAFIDE_PROMPTS:
        source = ASTERISK_EN / f"{name}.wav"
        if not source.exists():
            pytest.fail(f"{source} is missing: run `make test` (asterisk-core-sounds-en-wav)")
        shutil.copy(source, root / "bonafide" / source.name)
    for index, (text, voice) in enumerate(SPOOF_TEXTS):
        _espeak(text, voice, root / "spoof" / f"espeak-{index:02d}.wav")
    return root


@pytest.fixture(scope="module")
def tiny_model(folder_dataset, tmp_path_factory) -> Path:
    """A real .tflite model and card that the detector loads like a shipped one."""
    from sklearn.linear_model import LogisticRegression

    from spoofvoice import audio
    from spoofvoice.features import FeatureConfig, extract

    config = FeatureConfig()
    rows, labels = [], []
    for label in ("bonafide", "spoof"):
        for path in sorted((folder_dataset / label).glob("*.wav")):
            rows.append(extract(audio.load(path), config).mean(axis=0))
            labels.append(1 if label == "bonafide" else 0)
    features = np.array(rows)
    mean, scale = features.mean(axis=0), features.std(axis=0) + 1e-6
    fit = LogisticRegression(C=0.1).fit((features - mean) / scale, labels)
    weights = fit.coef_[0] / scale
    bias = float(fit.intercept_[0] - np.dot(fit.coef_[0], mean / scale))

    folder = tmp_path_factory.mktemp("models")
    frames = config.frames_for(int(WINDOW_SECONDS * config.sample_rate))
    spec = {"frames": frames, "dims": config.dims, "weights": weights.tolist(), "bias": bias,
            "out": str(folder / "tiny.tflite")}
    done = subprocess.run([sys.executable, "-c", EXPORT_SCRIPT, json.dumps(spec)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    digest = hashlib.sha256((folder / "tiny.tflite").read_bytes()).hexdigest()
    card = {
        "name": "tiny",
        "features": config.to_dict(),
        "window": {"seconds": WINDOW_SECONDS, "hop_seconds": 0.5},
        "threshold": {"value": 0.0, "how": "fixed for the test"},
        "calibration": {"a": 1.0, "b": 0.0},
        "files": {"tflite": {"file": "tiny.tflite", "sha256": digest}},
    }
    (folder / "tiny.json").write_text(json.dumps(card), encoding="utf-8")
    return folder / "tiny.json"


def test_evaluate_folder_writes_a_consistent_report(folder_dataset, tiny_model, tmp_path):
    lines: list[str] = []
    steps: list[tuple[int, int]] = []
    result = evaluate(str(tiny_model), "folder", folder_dataset, tmp_path / "report", None,
                      log=lines.append, workers=1, progress=lambda done, total: steps.append((done, total)))
    assert lines == ["Evaluating tiny on 20 clips."]
    # Progress after every clip but the last (20 clips: one step each); SparseProgress picks what is spoken.
    assert steps == [(n, 20) for n in range(1, 20)]
    assert result["counts"] == {"bonafide": 10, "spoof": 10}
    assert result["failed"] == []
    assert result["threshold"] == 0.0
    # The model was fitted on these very clips: it must separate them well.
    assert result["eer"] <= 0.2 and result["roc_auc"] >= 0.8

    saved = json.loads((tmp_path / "report" / "metrics.json").read_text())
    assert saved["eer"] == pytest.approx(result["eer"])
    scores = (tmp_path / "report" / "scores.txt").read_text().splitlines()
    assert len(scores) == 20
    first = scores[0].split()
    assert first[0] == "agent-loginok" and first[1:3] == ["-", "bonafide"]
    # Accuracy comes from the detector's own labels at the card threshold (0.0).
    predicted = m.decide([float(s.split()[3]) for s in scores], 0.0)
    truth = [s.split()[2] for s in scores]
    assert result["accuracy"] == pytest.approx(m.accuracy(truth, predicted))
    for name in ("det.png", "roc.png"):
        assert (tmp_path / "report" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scores_already_made_by_the_same_model_are_judged_again_not_scored_again(folder_dataset, tiny_model, tmp_path, monkeypatch):
    """A view model's dev fit scores dev, then its evaluation judged dev again at the new
    threshold: the earlier score file gives the same metrics without scoring a clip, and a
    file that lacks a clip is not trusted (every clip is scored)."""
    import training.evaluate as evaluation

    model = Path(shutil.copytree(tiny_model.parent, tmp_path / "models")) / tiny_model.name
    first = evaluate(str(model), "folder", folder_dataset, tmp_path / "first", None, log=lambda _: None, workers=1)
    earlier = [line.split() for line in (tmp_path / "first" / "scores.txt").read_text().splitlines()]
    card = json.loads(model.read_text())
    card["threshold"]["value"] = max(float(f[3]) for f in earlier if f[2] == "bonafide")  # the fit moved it; the scores stay
    model.write_text(json.dumps(card))
    rescored = evaluate(str(model), "folder", folder_dataset, tmp_path / "rescored", None, log=lambda _: None, workers=1)
    scoring = evaluation._score_trials

    def refuse(*args, **kwargs):
        raise AssertionError("scored again")

    monkeypatch.setattr(evaluation, "_score_trials", refuse)
    judged = evaluate(str(model), "folder", folder_dataset, tmp_path / "judged", None, log=lambda _: None,
                      workers=1, scores_from=tmp_path / "first" / "scores.txt")
    for key in ("eer", "accuracy", "threshold", "counts", "confusion", "per_attack_eer", "bonafide_rejected_by_speaker"):
        assert judged[key] == rescored[key], key
    assert judged["confusion"] != first["confusion"]
    assert (tmp_path / "judged" / "scores.txt").read_text() == (tmp_path / "rescored" / "scores.txt").read_text()

    lacking = tmp_path / "lacking.txt"
    lacking.write_text("".join((tmp_path / "first" / "scores.txt").read_text().splitlines(keepends=True)[1:]))
    monkeypatch.setattr(evaluation, "_score_trials", scoring)
    lines: list[str] = []
    again = evaluate(str(model), "folder", folder_dataset, None, None, log=lines.append, workers=1, scores_from=lacking)
    assert again["eer"] == rescored["eer"] and any("lacks some of the clips" in line for line in lines)
    gone = evaluate(str(model), "folder", folder_dataset, None, None, log=lambda _: None, workers=1, scores_from=tmp_path / "gone.txt")
    assert gone["eer"] == rescored["eer"]


def test_a_bonafide_subfolder_names_the_speaker_in_the_report(folder_dataset, tiny_model, tmp_path):
    """bonafide/SPEAKER/ (how the held-out set is written) lets the report say whose voice is rejected."""
    data = tmp_path / "data"
    shutil.copytree(folder_dataset / "spoof", data / "spoof")
    shutil.copytree(folder_dataset / "bonafide", data / "bonafide" / "allison")
    result = evaluate(str(tiny_model), "folder", data, tmp_path / "report", None, log=lambda _: None, workers=1)
    rejected = result["bonafide_rejected_by_speaker"]
    assert list(rejected) == ["allison"] and rejected["allison"]["count"] == 10
    plain = evaluate(str(tiny_model), "folder", folder_dataset, None, None, log=lambda _: None, workers=1)
    assert plain["bonafide_rejected_by_speaker"] is None


def test_evaluate_with_asv_scores_gives_min_tdcf(folder_dataset, tiny_model, tmp_path):
    asv = tmp_path / "asv.txt"
    asv.write_text("".join(
        [f"bonafide target {3 + i / 10}\n" for i in range(10)]
        + [f"bonafide nontarget {-3 + i / 10}\n" for i in range(10)]
        + [f"A07 spoof {i / 2}\n" for i in range(10)]))
    result = evaluate(str(tiny_model), "folder", folder_dataset, None, asv, log=lambda _: None,
                      workers=1)
    assert result["report"] is None
    assert result["tdcf"]["asv_eer"] == 0.0
    assert 0.0 <= result["min_tdcf"] <= 1.0


def test_cli_eval_json_matches_metrics_file(folder_dataset, tiny_model, tmp_path):
    report = tmp_path / "cli-report"
    done = subprocess.run(
        [sys.executable, "-m", "spoofvoice.cli", "eval", "--model", str(tiny_model),
         "--dataset", "folder", "--data", str(folder_dataset), "--report", str(report),
         "--json", "--workers", "1"],
        capture_output=True, text=True, timeout=300, env=subprocess_env(tmp_path / "home"),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    printed = json.loads(done.stdout)
    assert printed == json.loads((report / "metrics.json").read_text())
    assert printed["dataset"] == "folder" and printed["model"] == "tiny"


def test_cli_eval_speaks_summary_and_rejects_bad_asv_file(folder_dataset, tiny_model, tmp_path):
    env = subprocess_env(tmp_path / "home")
    done = subprocess.run(
        [sys.executable, "-m", "spoofvoice.cli", "eval", "--model", str(tiny_model),
         "--dataset", "folder", "--data", str(folder_dataset), "--workers", "1"],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Evaluating tiny on 20 clips." in done.stdout
    assert "Accuracy " in done.stdout and "EER " in done.stdout
    assert "Traceback" not in done.stdout + done.stderr

    bad = tmp_path / "asv.txt"
    bad.write_text("bonafide target 1.0\nbonafide target\n")
    done = subprocess.run(
        [sys.executable, "-m", "spoofvoice.cli", "eval", "--model", str(tiny_model),
         "--dataset", "folder", "--data", str(folder_dataset), "--asv-scores", str(bad)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert f"{bad}, line 2: expected 'source key score'" in output
    assert "Traceback" not in output


def test_a_report_that_cannot_be_written_still_says_the_results(folder_dataset, tiny_model, tmp_path):
    """A long evaluation whose report folder is unwritable (full disk, a file in the way) once
    ended on a bare 'No space left on device.' and lost what it had measured."""
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder\n")
    report = in_the_way / "report"
    command = [sys.executable, "-m", "spoofvoice.cli", "eval", "--model", str(tiny_model),
               "--dataset", "folder", "--data", str(folder_dataset), "--report", str(report), "--workers", "1"]
    env = subprocess_env(tmp_path / "home")
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 1
    lines = done.stdout.strip().splitlines()
    assert lines[-2].startswith("Accuracy ") and "EER " in lines[-2] and "Report written" not in lines[-2]
    assert lines[-1] == f"Report not written to {report} (not a directory). Choose another --report folder, or free space there."
    assert "Traceback" not in done.stdout + done.stderr
    done = subprocess.run([*command, "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 1
    assert json.loads(done.stdout)["report"] is None and "eer" in json.loads(done.stdout)
    assert done.stderr.strip().splitlines()[-1].startswith(f"Report not written to {report} ")


def test_one_class_folder_is_a_clear_error(folder_dataset, tiny_model, tmp_path):
    only = tmp_path / "only-bonafide"
    shutil.copytree(folder_dataset / "bonafide", only / "bonafide")
    (only / "spoof").mkdir()
    with pytest.raises(m.MetricError, match="Every clip in .*only-bonafide is bonafide"):
        evaluate(str(tiny_model), "folder", only, None, None, log=lambda _: None, workers=1)


def test_coverage_from_corpus_json(tmp_path):
    # The layout training/corpus/build.py writes (trimmed to the keys that matter here).
    (tmp_path / "corpus.json").write_text(json.dumps({
        "families": {
            "S01": {"splits": ["train", "dev", "eval"], "seen_in_train": True},
            "S02": {"splits": ["train", "eval"], "seen_in_train": True},
            "S05": {"splits": ["eval"], "seen_in_train": False},
        },
        "splits": {"train": ["LA_0001", "LA_0002"], "dev": ["LA_0047"], "eval": ["LA_0062"]},
    }))
    coverage = read_coverage("asvspoof2019-la", tmp_path)
    assert coverage.speakers == {"LA_0001", "LA_0002"} and coverage.attacks == {"S01", "S02"}
    assert coverage.source == str(tmp_path / "corpus.json")
    assert read_coverage("folder", tmp_path / "nothing-here") is None


def test_seen_and_unseen_attacks_from_the_train_part(folder_dataset, tiny_model, tmp_path):
    """A folder with train/ and eval/ parts: attacks in train/spoof/ count as seen."""
    root = tmp_path / "split"
    spoofs = sorted((folder_dataset / "spoof").glob("*.wav"))
    bonafide = sorted((folder_dataset / "bonafide").glob("*.wav"))
    layout = {
        "train/bonafide": bonafide[:2],
        "train/spoof/espeak-a": spoofs[:2],
        "eval/bonafide": bonafide[2:],
        "eval/spoof/espeak-a": spoofs[2:6],
        "eval/spoof/espeak-b": spoofs[6:],
    }
    for folder, files in layout.items():
        (root / folder).mkdir(parents=True)
        for source in files:
            shutil.copy(source, root / folder / source.name)
    result = evaluate(str(tiny_model), "folder", root, None, None, log=lambda _: None,
                      subset="eval", workers=1)
    assert result["counts"] == {"bonafide": 8, "spoof": 8}
    assert result["attacks"]["seen"]["attacks"] == ["espeak-a"]
    assert result["attacks"]["unseen"]["attacks"] == ["espeak-b"]
    assert result["attacks"]["unseen"]["count"] == 4
    assert set(result["per_attack_eer"]) == {"espeak-a", "espeak-b"}
    assert result["seen_from"] == "the train split of the same dataset"
    assert result["speakers"] is None  # folders do not name speakers
