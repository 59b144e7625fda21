"""Training end to end on the small corpus, in subprocesses: determinism, export agreement,
the card, the uncertainty band in check's output, two workers under tf.distribute, and the
GMM baseline (fitted by EM, exported like any other model).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import subprocess_env
from train_support import ROOT, TINY_LCNN, run_training, small_corpus, write_config  # noqa: F401

from spoofvoice.detector import Detector, sha256_file
from spoofvoice.verdict_text import spoken_verdict, verdict_line
from training.datasets import read_dataset

pytestmark = pytest.mark.slow

COMPARE = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from training.architectures import build
    from training.datasets import read_dataset
    from training.export import compare_with_litert
    from training.feature_cache import features_for
    from training.train import center_window
    from spoofvoice.detector import ModelCard
    card_path, corpus = sys.argv[1], sys.argv[2]
    card = ModelCard.read(__import__("pathlib").Path(card_path))
    trials = [t for t in read_dataset("asvspoof2019-la", __import__("pathlib").Path(corpus)) if t.subset == "eval"]
    samples = int(round(card.window_seconds * card.features.sample_rate))
    frames = card.features.frames_for(samples)
    clips = features_for([t.path for t in trials[:50]], card.features, samples, workers=1)
    windows = np.stack([center_window(f, frames) for f in clips])
    shipped = build("lcnn", (197, 40), np.random.default_rng(0).standard_normal((4, 197, 40)).astype("float32"))
    print(json.dumps({"clips": len(windows), "max_diff": compare_with_litert(card.path.with_suffix(".keras"), card.tflite, windows),
                      "lcnn_parameters": int(shipped.count_params())}))
    """
)


@pytest.fixture(scope="module")
def tiny_runs(tmp_path_factory, small_corpus):  # noqa: F811
    """The same config trained twice with the same seed; the second run with a wide band, and
    with the oneDNN instruction set and thread count of another machine in its environment,
    which the pinned numerics (training/numerics.py) must override."""
    folder = tmp_path_factory.mktemp("train")
    config = write_config(folder, TINY_LCNN)
    home = folder / "home"
    first = run_training(home, config, small_corpus, folder / "a")
    elsewhere = subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3", ONEDNN_MAX_CPU_ISA="SSE41", TF_NUM_INTRAOP_THREADS="1")
    second = run_training(home, config, small_corpus, folder / "b", "--band", "100", env=elsewhere)
    return {"a": folder / "a" / "tiny-lcnn.json", "b": folder / "b" / "tiny-lcnn.json", "logs": (first.stdout, second.stdout)}


def test_same_seed_same_model(tiny_runs):
    a, b = (json.loads(tiny_runs[k].read_text()) for k in ("a", "b"))
    assert a["files"]["tflite"]["sha256"] == b["files"]["tflite"]["sha256"]
    assert a["threshold"]["value"] == b["threshold"]["value"]
    assert a["calibration"] == b["calibration"]
    assert a["training"]["history"] == b["training"]["history"]
    assert sha256_file(tiny_runs["a"].with_suffix(".tflite")) == a["files"]["tflite"]["sha256"]
    assert a["training"]["numerics"] == {"onednn_max_cpu_isa": "AVX2", "intra_op_threads": 2, "pinned": True}
    assert "Numerics pinned for repeatable training: oneDNN kernels up to AVX2, 2 threads." in tiny_runs["logs"][1]


def test_second_run_reuses_cached_features(tiny_runs):
    first, second = tiny_runs["logs"]
    assert "Features ready for 100 clips; 0 came from the cache." in first
    assert "Features ready for 100 clips; 100 came from the cache." in second
    assert "Channel copy 1 features ready for 100 clips; 100 came from the cache." in second


def test_card_records_training_coverage_and_threshold(tiny_runs, small_corpus):  # noqa: F811
    card = json.loads(tiny_runs["a"].read_text())
    train = [t for t in read_dataset("asvspoof2019-la", small_corpus) if t.subset == "train"]
    assert card["training_data"]["train"]["speaker_ids"] == sorted({t.speaker for t in train})
    assert card["training_data"]["train"]["attack_ids"] == sorted({t.attack for t in train if t.label == "spoof"})
    assert card["threshold"]["dev_speakers_also_in_training"] == 0
    assert "dev subset" in card["threshold"]["method"]
    assert card["calibration"]["method"] == "platt"
    assert card["uncertainty_band"] == TINY_LCNN.get("uncertainty_band", 0.0)
    assert json.loads(tiny_runs["b"].read_text())["uncertainty_band"] == 100.0
    average = card["training"]["checkpoint_average"]  # both epochs averaged, kept if no worse on dev
    assert average["epochs"] == [1, 2] and average["kept"] in ("average", "best epoch")
    assert (average["dev_eer"] <= card["training"]["best_dev_eer"]) == (average["kept"] == "average")
    assert "Averaged epochs 1, 2: dev EER" in tiny_runs["logs"][0]
    pitch = card["training"]["pitch_balance"]  # both classes weigh the same in each F0 band
    assert pitch["edges_hz"] == [120, 200] and [b["band"] for b in pitch["bands"]][1] == "below 120 Hz"
    assert sum(b["bonafide"] + b["spoof"] for b in pitch["bands"]) == len(train)
    assert "Pitch-balanced weights: below 120 Hz" in tiny_runs["logs"][0]
    attack = card["training"]["attack_weights"]  # Griffin-Lim clips count twice, spoofs keep their total
    assert attack["factors"] == {"S04": 2.0} and 0.0 < attack["share_of_spoof_weight"]["S04"] < 1.0
    assert "Attack weights: S04 2 times (" in tiny_runs["logs"][0]


def test_litert_matches_keras_on_50_clips(tiny_runs, small_corpus):  # noqa: F811
    done = subprocess.run([sys.executable, "-c", COMPARE, str(tiny_runs["a"]), str(small_corpus)], cwd=ROOT,
                          env=subprocess_env(Path(os.environ["SPOOFVOICE_HOME"]), TF_CPP_MIN_LOG_LEVEL="3"),
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["clips"] == 50
    assert result["max_diff"] <= 1e-5
    assert 200_000 <= result["lcnn_parameters"] <= 1_000_000  # the shipped LCNN size on 2 s of 40 bands


def test_wide_band_makes_check_say_uncertain(tiny_runs, small_corpus, private_home):  # noqa: F811
    clip = next(t.path for t in read_dataset("asvspoof2019-la", small_corpus) if t.subset == "eval")
    detector = Detector.load(tiny_runs["b"])
    verdict = detector.score_file(clip)
    assert verdict.uncertain
    assert spoken_verdict(verdict, clip.name).startswith(f"Uncertain. {round(verdict.spoof_probability * 100)} percent spoof.")
    assert verdict_line(verdict, clip.name).startswith("UNCERTAIN ")
    command = [sys.executable, "-m", "spoofvoice.cli", "check", "--model", str(tiny_runs["b"])]
    text = subprocess.run([*command, str(clip)], cwd=ROOT, env=subprocess_env(private_home), capture_output=True, text=True, timeout=60)
    assert text.returncode == 0, text.stderr
    assert f"UNCERTAIN {round(verdict.spoof_probability * 100)}% spoof" in text.stdout
    out = subprocess.run([*command, "--json", str(clip)], cwd=ROOT, env=subprocess_env(private_home), capture_output=True, text=True, timeout=60)
    record = json.loads(out.stdout.strip().splitlines()[-1])
    assert record["uncertain"] is True and record["label"] in ("bonafide", "spoof")
    narrow = Detector.load(tiny_runs["a"]).score_file(clip)
    assert not narrow.uncertain and narrow.score == pytest.approx(verdict.score, abs=1e-6)


def test_student_learns_towards_its_teachers_scores(tiny_runs, small_corpus):  # noqa: F811
    """A student of tiny-lcnn (weight 1: its targets are the teacher's probabilities alone): the
    card names the teacher by hash, and the teacher's EER on the training clips, recomputed from
    the scores the targets came from, equals the one the teacher's own card recorded."""
    models = tiny_runs["a"].parent
    folder = models.parent
    home = folder / "home"
    student = {**TINY_LCNN, "name": "tiny-student", "epochs": 1, "augmentation": {}, "average_checkpoints": 1,
               "teacher": {"model": "tiny-lcnn", "weight": 1.0}}
    done = run_training(home, write_config(folder, student), small_corpus, models)
    teacher = json.loads(tiny_runs["a"].read_text())
    record = json.loads((models / "tiny-student.json").read_text())["training"]["teacher"]
    assert record["model"] == "tiny-lcnn" and record["tflite_sha256"] == teacher["files"]["tflite"]["sha256"]
    assert record["weight"] == 1.0 and record["train_eer"] == pytest.approx(teacher["metrics"]["train"]["eer"])
    assert 0.0 < record["mean_target_spoof"] < 1.0 and 0.0 < record["mean_target_bonafide"] < 1.0  # soft, not the labels
    assert "Scoring the 100 training clips with the teacher tiny-lcnn." in done.stdout
    plain = {key: value for key, value in student.items() if key != "teacher"} | {"name": "tiny-no-teacher"}
    run_training(home, write_config(folder, plain), small_corpus, models)
    losses = [json.loads((models / f"{n}.json").read_text())["training"]["history"][0]["loss"] for n in ("tiny-student", "tiny-no-teacher")]
    assert losses[0] != pytest.approx(losses[1], rel=1e-3)  # the same seed and windows: only the targets differ

    other = {**student, "name": "tiny-student-mfcc", "features": {"kind": "mfcc"}}
    refused = subprocess.run([sys.executable, "-m", "training.train", "--config", str(write_config(folder, other)), "--dataset",
                              "asvspoof2019-la", "--data", str(small_corpus), "--models-dir", str(models), "--workers", "1"],
                             cwd=ROOT, env=subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=240)
    assert refused.returncode == 1 and "Traceback" not in refused.stdout + refused.stderr
    assert refused.stdout.strip().splitlines()[-1] == ("The teacher tiny-lcnn uses other features than tiny-student-mfcc; "
                                                       "a teacher must score the features the student learns from.")
    assert not (models / "tiny-student-mfcc.json").exists()


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_two_workers_train_one_epoch(tmp_path, small_corpus, private_home):  # noqa: F811
    config = write_config(tmp_path, {**TINY_LCNN, "name": "two-workers", "epochs": 1, "augmentation": {}})
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(2)]}
    workers = []
    for index in range(2):
        env = subprocess_env(private_home, TF_CPP_MIN_LOG_LEVEL="3",
                             TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}))
        command = [sys.executable, "-m", "training.train", "--config", str(config), "--dataset", "asvspoof2019-la",
                   "--data", str(small_corpus), "--models-dir", str(tmp_path / f"w{index}"), "--workers", "1",
                   "--strategy", "multi-worker"]
        workers.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [w.communicate(timeout=240)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], "\n".join(outputs)
    assert "Epoch 1 of 1." in outputs[0] and "Epoch 1 of 1." in outputs[1]
    card = json.loads((tmp_path / "w0" / "two-workers.json").read_text())
    assert card["training"]["strategy"] == "multi-worker" and card["training"]["replicas"] == 2
    assert not (tmp_path / "w1").exists()  # only the chief writes the model
    Detector.load(tmp_path / "w0" / "two-workers.json")


TINY_GMM = {
    "name": "tiny-gmm", "architecture": "gmm", "architecture_params": {"components": 8, "max_frames": 20000},
    "features": {"kind": "lfcc", "n_filters": 30, "n_coeffs": 20, "deltas": 1},
    "window": {"seconds": 1.0, "hop_seconds": 0.5}, "epochs": 1, "seed": 1,
}


def _assert_litert_matches_keras_and_scores(card_path: Path, corpus: Path, tolerance: float = 1e-5) -> None:
    """The exported .tflite agrees with the .keras on 50 eval clips (to `tolerance`), and the detector scores one."""
    compare = subprocess.run([sys.executable, "-c", COMPARE, str(card_path), str(corpus)], cwd=ROOT,
                             env=subprocess_env(Path(os.environ["SPOOFVOICE_HOME"]), TF_CPP_MIN_LOG_LEVEL="3"),
                             capture_output=True, text=True, timeout=180)
    assert compare.returncode == 0, compare.stderr
    result = json.loads(compare.stdout.strip().splitlines()[-1])
    assert result["clips"] == 50 and result["max_diff"] <= tolerance, result
    verdict = Detector.load(card_path).score_file(next((corpus / "LA" / "ASVspoof2019_LA_eval" / "flac").glob("*.flac")))
    assert 0.0 <= verdict.spoof_probability <= 1.0


def test_gmm_trains_exports_and_matches_litert(tmp_path, small_corpus):  # noqa: F811
    config = write_config(tmp_path, TINY_GMM)
    done = run_training(tmp_path / "home", config, small_corpus, tmp_path / "m")
    assert "Fitted by expectation-maximisation" in done.stdout
    card_path = tmp_path / "m" / "tiny-gmm.json"
    card = json.loads(card_path.read_text())
    assert card["architecture"] == "gmm" and card["training"]["fitted_by"] == "expectation-maximisation"
    # The score is the difference of two mixtures' log-likelihoods, each a log-sum-exp over
    # many frames and components, and float32 rounds each term: the two runtimes differed by
    # 1.04e-5 on one AMD EPYC (2026-12-08; scores up to 20), where LCNN logits agree to 1e-5.
    _assert_litert_matches_keras_and_scores(card_path, small_corpus, tolerance=1e-4)


TINY_LOGSPEC = {
    "name": "tiny-logspec", "architecture": "lcnn",
    "architecture_params": {"widths": [4, 8, 8], "embedding": 8, "stem_pool": 2, "pooling": "mean+std"},
    "features": {"kind": "logspec", "fmax": 4000.0, "phase": "gd+ifd", "excitation": True},
    "window": {"seconds": 1.0, "hop_seconds": 0.5}, "epochs": 2, "batch_size": 16, "seed": 2,
    "optimizer": {"name": "adam", "learning_rate": 0.002, "schedule": "cosine"}, "feature_dtype": "float16",
    "augmentation": {"crop": True, "gain_db": 3.0, "freq_masks": 1, "freq_mask_bins": 8},
}


def test_logspec_with_phase_planes_trains_exports_and_matches_litert(tmp_path, small_corpus):  # noqa: F811
    """The log spectrum with group delay and IF deviation as image channels, the excitation
    columns beside them, statistics pooling, a cosine schedule and float16 clips in memory:
    the .tflite agrees with Keras on 50 clips."""
    config = write_config(tmp_path, TINY_LOGSPEC)
    run_training(tmp_path / "home", config, small_corpus, tmp_path / "m")
    card_path = tmp_path / "m" / "tiny-logspec.json"
    card = json.loads(card_path.read_text())
    assert card["input"]["shape"] == [97, 3 * 129 + 3] and card["features"]["phase"] == "gd+ifd"
    assert card["features"]["excitation"] is True
    assert card["config"]["optimizer"]["schedule"] == "cosine" and len(card["training"]["history"]) == 2
    _assert_litert_matches_keras_and_scores(card_path, small_corpus)


TINY_ONE_CLASS = {
    "name": "tiny-one-class", "architecture": "lcnn",
    "architecture_params": {"widths": [4, 8, 8], "embedding": 8, "stem_pool": 2, "pooling": "mean+std"},
    "features": {"kind": "logspec", "fmax": 4000.0, "excitation": True},
    "window": {"seconds": 1.0, "hop_seconds": 0.5}, "epochs": 2, "batch_size": 16, "seed": 4,
    "loss": {"name": "oc-softmax", "scale": 20.0, "margins": [0.9, 0.2]}, "augmentation": {"crop": True},
}


def test_one_class_softmax_lcnn_trains_exports_and_matches_litert(tmp_path, small_corpus):  # noqa: F811
    """The one-class softmax head (a custom layer) survives .keras and .tflite export, and its
    scores stay inside the cosine's bounds, scale * (cos - centre) for cos in [-1, 1]."""
    config = write_config(tmp_path, TINY_ONE_CLASS)
    run_training(tmp_path / "home", config, small_corpus, tmp_path / "m")
    card_path = tmp_path / "m" / "tiny-one-class.json"
    card = json.loads(card_path.read_text())
    assert card["config"]["loss"]["name"] == "oc-softmax" and len(card["training"]["history"]) == 2
    _assert_litert_matches_keras_and_scores(card_path, small_corpus)
    detector = Detector.load(card_path)
    scores = [detector.score_file(p).score for p in sorted((small_corpus / "LA" / "ASVspoof2019_LA_dev" / "flac").glob("*.flac"))[:20]]
    assert all(20.0 * (-1 - 0.55) - 1e-3 <= s <= 20.0 * (1 - 0.55) + 1e-3 for s in scores)


FUSE_CHECK = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    import numpy as np
    from spoofvoice import audio
    from spoofvoice.detector import Detector
    from spoofvoice.features import FeatureConfig, extract, mel_filterbank
    from training.architectures import custom_objects
    card = json.loads(Path(sys.argv[1]).read_text())
    clips = sorted(Path(sys.argv[2]).glob("LA/ASVspoof2019_LA_eval/flac/*.flac"))[:10]
    fused = Detector.load(sys.argv[1])
    members = [Detector.load(Path(sys.argv[1]).parent / f"{m['model']}.json") for m in card["members"]]
    gaps = []
    for clip in clips:
        combined = sum(m["weight"] * d.score_file(clip).score for m, d in zip(card["members"], members)) + card["training"]["fusion"]["bias"]
        gaps.append(abs(fused.score_file(clip).score - combined))
    samples = audio.load(clips[0])
    logspec = extract(samples, FeatureConfig(kind="logspec"))
    layer = custom_objects()["LogMelFromLogSpectrum"](16000, 512, 24)
    in_graph = np.asarray(layer(logspec[None]))[0]
    print(json.dumps({"max_gap": max(gaps), "logmel_gap": float(np.abs(in_graph - extract(samples, FeatureConfig(kind="logmel", n_filters=24))).max())}))
    """
)


def test_fusion_is_one_network_that_equals_the_weighted_members(tmp_path, small_corpus):  # noqa: F811
    """A log-mel and a log-spectrum member (with excitation columns) fused: one .tflite on the
    richer input whose score is the dev-fitted weighted sum of the members' scores; log-mel
    bands computed in the graph match spoofvoice.features."""
    home, models = tmp_path / "home", tmp_path / "m"
    logmel = {**TINY_LCNN, "name": "tiny-mel", "epochs": 1, "augmentation": {}}
    logspec = {**TINY_LOGSPEC, "name": "tiny-spec", "epochs": 1, "features": {"kind": "logspec", "phase": "gd", "excitation": True},
               "window": TINY_LCNN["window"]}
    for config in (logmel, logspec):
        run_training(home, write_config(tmp_path, config), small_corpus, models)
    done = subprocess.run([sys.executable, "-m", "training.fuse", "--members", "tiny-mel", "tiny-spec", "--data", str(small_corpus),
                           "--models-dir", str(models), "--out", "tiny-fusion", "--workers", "1"],
                          cwd=ROOT, env=subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Fusion done. Dev EER" in done.stdout
    card = json.loads((models / "tiny-fusion.json").read_text())
    assert card["architecture"] == "fusion" and [m["model"] for m in card["members"]] == ["tiny-mel", "tiny-spec"]
    assert card["features"]["kind"] == "logspec" and card["features"]["phase"] == "gd" and card["input"]["shape"] == [97, 514 + 3]
    assert card["threshold"]["dev_speakers_also_in_training"] == 0 and card["calibration"]["method"] == "platt"
    assert 0.0 <= card["metrics"]["dev"]["eer_cross_fitted"] <= 1.0
    assert card["metrics"]["train"]["clips"] == card["metrics"]["train"]["of"] > 0  # a small corpus: every training clip
    check = subprocess.run([sys.executable, "-c", FUSE_CHECK, str(models / "tiny-fusion.json"), str(small_corpus)], cwd=ROOT,
                           env=subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=180)
    assert check.returncode == 0, check.stderr
    result = json.loads(check.stdout.strip().splitlines()[-1])
    assert result["max_gap"] <= 1e-4, result
    assert result["logmel_gap"] <= 1e-3, result
    (models / "tiny-mel.json").unlink()
    refused = _extract(home, models, small_corpus, "tiny-fusion", "tiny-mel")  # fed log-mel made inside the graph
    assert refused.returncode == 1 and "takes features computed inside the network" in refused.stdout
    assert "Traceback" not in refused.stdout + refused.stderr


def _fuse_mean(home, models, corpus, members, out, weights: str | None = "float32", extra: tuple[str, ...] = ()):
    """A mean of runs, float32 weights (so its scores can be checked to 1e-4); None: fuse's default."""
    return subprocess.run([sys.executable, "-m", "training.fuse", "--members", *members, "--mean", "--data", str(corpus),
                           "--models-dir", str(models), "--out", out, "--workers", "1", *(["--weights", weights] if weights else []),
                           *extra],
                          cwd=ROOT, env=subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300)


def _fused_gap(home, models, corpus, name):
    check = subprocess.run([sys.executable, "-c", FUSE_CHECK, str(models / f"{name}.json"), str(corpus)], cwd=ROOT,
                           env=subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=180)
    assert check.returncode == 0, check.stderr
    return json.loads(check.stdout.strip().splitlines()[-1])["max_gap"]


def test_waveform_network_trains_and_fuses_with_a_spectral_one(tmp_path, small_corpus):  # noqa: F811
    """A raw-waveform CNN trains on the waveform kind, its .tflite agrees with Keras, and a mean
    of it and a log-spectrum LCNN is one network on the spectrum with the samples appended,
    whose score is the mean of the two members' own scores."""
    home, models = tmp_path / "home", tmp_path / "m"
    raw = {"name": "tiny-raw", "architecture": "rawcnn", "architecture_params": {"widths": [8, 8], "stem_filters": 8, "stem_kernel": 16},
           "features": {"kind": "waveform"}, "window": TINY_LCNN["window"], "epochs": 1, "batch_size": 16, "seed": 6,
           "feature_dtype": "float16", "augmentation": {"crop": True, "gain_db": 6.0}}
    spec = {**TINY_LOGSPEC, "name": "tiny-spec-x", "epochs": 1, "features": {"kind": "logspec", "fmax": 4000.0, "excitation": True},
            "augmentation": {"crop": True}}
    for config in (raw, spec):
        run_training(home, write_config(tmp_path, config), small_corpus, models)
    raw_card = json.loads((models / "tiny-raw.json").read_text())
    assert raw_card["input"]["shape"] == [97, 160] and raw_card["features"]["kind"] == "waveform"
    _assert_litert_matches_keras_and_scores(models / "tiny-raw.json", small_corpus)
    done = _fuse_mean(home, models, small_corpus, ["tiny-spec-x", "tiny-raw"], "tiny-spec-raw", extra=("--per-member",))
    assert done.returncode == 0, done.stdout + done.stderr
    fused = json.loads((models / "tiny-spec-raw.json").read_text())
    assert fused["features"]["waveform"] is True and fused["input"]["shape"] == [97, 129 + 3 + 160]
    assert [m["weight"] for m in fused["members"]] == [0.5, 0.5]
    assert _fused_gap(home, models, small_corpus, "tiny-spec-raw") <= 1e-4


def test_mean_fusion_of_runs_fits_nothing_on_dev(tmp_path, small_corpus):  # noqa: F811
    """Two runs of one recipe (seeds 3 and 4) averaged: equal weights, no bias, no cross-fitted
    numbers (there is nothing fitted to cross-fit), and the .tflite scores the plain mean. A
    third run then joins that mean as a member: the mean counts as its two runs (weights 2/3
    and 1/3), so the result is the plain mean of three runs without the first two's files."""
    home, models = tmp_path / "home", tmp_path / "m"
    first = {**TINY_LCNN, "name": "tiny-run1", "epochs": 1, "augmentation": {}}
    second = {**first, "name": "tiny-run2", "seed": 4, "recipe": "tiny-run1"}
    third = {**first, "name": "tiny-run3", "seed": 5, "recipe": "tiny-run1"}
    for config in (first, second, third):
        run_training(home, write_config(tmp_path, config), small_corpus, models)
    done = _fuse_mean(home, models, small_corpus, ["tiny-run1", "tiny-run2"], "tiny-mean")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "with weights from the other dev speakers" not in done.stdout and "Fusion done. Dev EER" in done.stdout
    card = json.loads((models / "tiny-mean.json").read_text())
    assert [m["weight"] for m in card["members"]] == [0.5, 0.5] and card["training"]["fusion"]["bias"] == 0.0
    assert card["training"]["fusion"]["fitted_on"] == "nothing" and "eer_cross_fitted" not in card["metrics"]["dev"]
    assert "fitted on the same dev clips" not in card["threshold"]["method"]
    assert _fused_gap(home, models, small_corpus, "tiny-mean") <= 1e-4
    assert card["files"]["weights"] == "float32"

    # As shipped (fuse's default): float16 weights, the same scores to within rounding.
    done = _fuse_mean(home, models, small_corpus, ["tiny-run1", "tiny-run2"], "tiny-mean-half", weights=None)
    assert done.returncode == 0, done.stdout + done.stderr
    half = json.loads((models / "tiny-mean-half.json").read_text())
    assert half["files"]["weights"] == "float16"
    assert half["files"]["tflite"]["bytes"] < card["files"]["tflite"]["bytes"]
    assert _score_gap(home, small_corpus, models / "tiny-mean-half.json", models / "tiny-mean.json") <= 1e-2

    (models / "tiny-run1.keras").unlink()  # the grown mean needs only the earlier mean's files
    done = _fuse_mean(home, models, small_corpus, ["tiny-mean", "tiny-run3"], "tiny-mean3")
    assert done.returncode == 0, done.stdout + done.stderr
    grown = json.loads((models / "tiny-mean3.json").read_text())
    assert [(m["model"], m["runs"]) for m in grown["members"]] == [("tiny-mean", 2), ("tiny-run3", 1)]
    assert [m["weight"] for m in grown["members"]] == pytest.approx([2 / 3, 1 / 3])
    assert grown["config"]["runs"] == ["tiny-run1", "tiny-run2", "tiny-run3"]
    assert "3 runs" in grown["description"]
    assert _fused_gap(home, models, small_corpus, "tiny-mean3") <= 1e-4

    # A mean of recipes, each recipe weighing the same (--per-member): the two-run mean and the
    # third run at 1/2 and 1/2, not 2/3 and 1/3, still fitting nothing on dev.
    done = _fuse_mean(home, models, small_corpus, ["tiny-mean", "tiny-run3"], "tiny-halves", extra=("--per-member",))
    assert done.returncode == 0, done.stdout + done.stderr
    halves = json.loads((models / "tiny-halves.json").read_text())
    assert [(m["model"], m["runs"], m["weight"]) for m in halves["members"]] == [("tiny-mean", 2, 0.5), ("tiny-run3", 1, 0.5)]
    assert halves["training"]["fusion"]["fitted_on"] == "nothing" and halves["training"]["fusion"]["bias"] == 0.0
    assert halves["config"]["runs"] == ["tiny-run1", "tiny-run2", "tiny-run3"] and "each of 2 recipes weighing the same" in halves["description"]
    assert halves["training"]["fusion"]["recipes"] == 2
    assert _fused_gap(home, models, small_corpus, "tiny-halves") <= 1e-4
    # That mean of two recipes beside one more recipe counts as its two: 2/3 and 1/3.
    done = _fuse_mean(home, models, small_corpus, ["tiny-halves", "tiny-run2"], "tiny-thirds", extra=("--per-member",))
    assert done.returncode == 0, done.stdout + done.stderr
    thirds = json.loads((models / "tiny-thirds.json").read_text())
    assert [m["weight"] for m in thirds["members"]] == pytest.approx([2 / 3, 1 / 3]) and thirds["training"]["fusion"]["recipes"] == 3
    assert _fused_gap(home, models, small_corpus, "tiny-thirds") <= 1e-4
    alone = subprocess.run([sys.executable, "-m", "training.fuse", "--members", "tiny-mean", "tiny-run3", "--per-member", "--data",
                            str(small_corpus), "--models-dir", str(models), "--out", "tiny-no"], cwd=ROOT,
                           env=subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300)
    assert alone.returncode == 1 and alone.stdout.strip().splitlines()[-1] == (
        "Equal weights per member (per_member) are a kind of mean; ask for mean too.")

    # Only the grown mean still holds tiny-run1 (its .keras is gone): take it out, two levels deep.
    apart = tmp_path / "apart"
    apart.mkdir()
    for suffix in (".json", ".tflite", ".keras"):
        shutil.copyfile(models / f"tiny-mean3{suffix}", apart / f"tiny-mean3{suffix}")
    done = _extract(home, apart, small_corpus, "tiny-mean3", "tiny-run1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Taken out. Dev EER" in done.stdout
    taken = json.loads((apart / "tiny-run1.json").read_text())
    assert taken["training"]["extracted"]["from"] == "tiny-mean3" and taken["architecture"] == "lcnn"
    assert taken["parameters"] == json.loads((models / "tiny-run1.json").read_text())["parameters"]
    assert taken["calibration"]["method"] == "platt" and taken["threshold"]["dev_speakers_also_in_training"] == 0
    assert _score_gap(home, small_corpus, apart / "tiny-run1.json", models / "tiny-run1.json") <= 1e-4
    missing = _extract(home, apart, small_corpus, "tiny-mean3", "tiny-run9")
    assert missing.returncode == 1 and missing.stdout.strip().splitlines()[-1] == "Model tiny-mean3 holds no member named tiny-run9."
    nested = _extract(home, apart, small_corpus, "tiny-mean3", "tiny-mean")
    assert nested.returncode == 1 and nested.stdout.strip().splitlines()[-1] == "Member tiny-mean of tiny-mean3 is itself a fused model; take out its runs one by one."
    again = _extract(home, apart, small_corpus, "tiny-mean3", "tiny-run1")
    assert again.returncode == 1 and "already exists" in again.stdout and "Traceback" not in again.stdout + again.stderr


SCORE_GAP = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from spoofvoice.detector import Detector
    clips = sorted(Path(sys.argv[1]).glob("LA/ASVspoof2019_LA_eval/flac/*.flac"))[:10]
    first, second = Detector.load(sys.argv[2]), Detector.load(sys.argv[3])
    print(max(abs(first.score_file(clip).score - second.score_file(clip).score) for clip in clips))
    """
)


def _extract(home, models, corpus, container, run):
    return subprocess.run([sys.executable, "-m", "training.fuse", "--members", container, "--extract", run, "--data", str(corpus),
                           "--models-dir", str(models), "--workers", "1"],
                          cwd=ROOT, env=subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300)


def _score_gap(home, corpus, first: Path, second: Path) -> float:
    """The largest difference between two models' scores on ten eval clips."""
    check = subprocess.run([sys.executable, "-c", SCORE_GAP, str(corpus), str(first), str(second)], cwd=ROOT,
                           env=subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=180)
    assert check.returncode == 0, check.stderr
    return float(check.stdout.strip().splitlines()[-1])


def test_fusion_refuses_members_it_cannot_feed(tmp_path, small_corpus):  # noqa: F811
    home, models = tmp_path / "home", tmp_path / "m"
    hop = {**TINY_LCNN, "name": "tiny-hop", "epochs": 1, "augmentation": {}, "features": {"kind": "logmel", "n_filters": 24, "hop_length": 128}}
    spec = {**TINY_LOGSPEC, "name": "tiny-spec", "epochs": 1, "window": TINY_LCNN["window"]}
    for config in (hop, spec):
        run_training(home, write_config(tmp_path, config), small_corpus, models)
    done = subprocess.run([sys.executable, "-m", "training.fuse", "--members", "tiny-hop", "tiny-spec", "--data", str(small_corpus),
                           "--models-dir", str(models), "--workers", "1"],
                          cwd=ROOT, env=subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert done.stdout.strip().splitlines()[-1] == "Model tiny-hop: its frames (logmel) are not on the fused model's grid; fuse models with the same STFT and no deltas."
    assert "Traceback" not in done.stdout + done.stderr


def test_fuse_names_a_missing_model_in_one_line(tmp_path):
    """A misspelt member (or a models folder without the fused model) is a sentence, not a traceback."""
    home, models = tmp_path / "home", tmp_path / "m"
    models.mkdir()
    for args in (["--members", "nosuch", "--extract", "run"], ["--members", "nosuch", "other", "--mean"]):
        done = subprocess.run([sys.executable, "-m", "training.fuse", *args, "--data", str(tmp_path), "--models-dir", str(models)],
                              cwd=ROOT, env=subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"), capture_output=True, text=True, timeout=120)
        assert done.returncode == 1
        assert done.stdout.strip().splitlines() == ["No model called nosuch. Models available: none."]
        assert "Traceback" not in done.stdout + done.stderr


def test_a_model_that_cannot_be_saved_is_one_sentence(tmp_path, small_corpus):  # noqa: F811
    """A trained model whose models folder cannot be written (full disk, a file in the way)
    ended on a traceback; now training says what happened and what to do."""
    in_the_way = tmp_path / "a-file"
    in_the_way.write_text("not a folder\n")
    config = write_config(tmp_path, {**TINY_LCNN, "epochs": 1, "average_checkpoints": 1})
    command = [sys.executable, "-m", "training.train", "--config", str(config), "--dataset", "asvspoof2019-la",
               "--data", str(small_corpus), "--models-dir", str(in_the_way / "models"), "--workers", "1"]
    done = subprocess.run(command, cwd=ROOT, env=subprocess_env(tmp_path / "home", TF_CPP_MIN_LOG_LEVEL="3"),
                          capture_output=True, text=True, timeout=240)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.strip().splitlines()[-1] == (
        f"tiny-lcnn was trained but could not be saved in {in_the_way / 'models'} (not a directory). "
        "Free space there, then train again; its features are cached, so it starts sooner.")
    assert "Traceback" not in done.stderr
