"""Pinned training numerics (training/numerics.py): the things that differ between machines,
oneDNN's instruction set and the thread count, change a trained network unless pinned.

This machine cannot become another one, so a narrower vector unit (ONEDNN_MAX_CPU_ISA=SSE41)
and one thread (TF_NUM_INTRAOP_THREADS=1) stand in for it. The first test shows the stand-in
changes the weights when nothing is pinned, so the second, which finds them unchanged once
pinned, is not passing by default.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest
from conftest import subprocess_env
from train_support import ROOT

from training.config import ConfigError, load_config

pytestmark = pytest.mark.slow

# Two epochs of a narrow LCNN on fixed random windows; prints a hash of the weights.
STEPS = textwrap.dedent(
    """
    import hashlib, json, os, sys
    record = None
    if sys.argv[1] == "pin":
        from training import numerics
        record = numerics.pin(2)
    import keras, numpy as np, tensorflow as tf
    keras.utils.set_random_seed(0)
    tf.config.experimental.enable_op_determinism()
    from training.architectures import build
    x = np.random.default_rng(0).standard_normal((32, 197, 40)).astype("float32")
    y = (np.arange(32) % 2).astype("float32")
    model = build("lcnn", (197, 40), x, widths=[8, 16, 16], embedding=16)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=keras.losses.BinaryCrossentropy(from_logits=True))
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, shuffle=False)
    digest = hashlib.sha256(b"".join(np.ascontiguousarray(w).tobytes() for w in model.get_weights())).hexdigest()
    print(json.dumps({"weights": digest, "record": record}))
    """
)
ANOTHER_MACHINE = {"ONEDNN_MAX_CPU_ISA": "SSE41", "TF_NUM_INTRAOP_THREADS": "1"}


def _train_steps(tmp_path, mode: str, **env: str) -> dict:
    done = subprocess.run([sys.executable, "-c", STEPS, mode], cwd=ROOT, capture_output=True, text=True, timeout=180,
                          env=subprocess_env(tmp_path, TF_CPP_MIN_LOG_LEVEL="3", **env))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_unpinned_training_changes_with_the_machine(tmp_path):
    here = _train_steps(tmp_path, "free")
    elsewhere = _train_steps(tmp_path, "free", **ANOTHER_MACHINE)
    assert here["weights"] != elsewhere["weights"]


def test_pinned_training_does_not(tmp_path):
    here = _train_steps(tmp_path, "pin")
    elsewhere = _train_steps(tmp_path, "pin", **ANOTHER_MACHINE)
    assert here["weights"] == elsewhere["weights"]
    assert here["record"] == {"onednn_max_cpu_isa": "AVX2", "intra_op_threads": 2, "pinned": True}


def test_threads_in_a_config_must_be_positive(tmp_path):
    path = tmp_path / "x.json"
    path.write_text(json.dumps({"name": "x", "architecture": "lcnn", "features": {"kind": "logmel"}, "threads": 0}))
    with pytest.raises(ConfigError, match="x.json: 'threads' must be at least 1"):
        load_config(path)
    path.write_text(json.dumps({"name": "x", "architecture": "lcnn", "features": {"kind": "logmel"}, "threads": 4}))
    assert load_config(path).threads == 4
    assert load_config("seed-mlp").threads == 2


def test_the_log_line_says_what_was_pinned():
    from training.numerics import describe

    assert describe({"onednn_max_cpu_isa": "AVX2", "intra_op_threads": 1, "pinned": True}) == \
        "Numerics pinned for repeatable training: oneDNN kernels up to AVX2, 1 thread."
    assert describe({"onednn_max_cpu_isa": "AVX2", "intra_op_threads": 0, "pinned": False}).startswith(
        "TensorFlow was already running with its default threads, so this run may not repeat exactly elsewhere")


def test_a_second_pin_in_a_running_process_says_it_could_not(tmp_path):
    """In the session a second training shares TensorFlow's pools with the first: its card must
    not claim a thread count it did not get."""
    script = ("import json, tensorflow as tf\n"
              "from training import numerics\n"
              "first = numerics.pin(2)\n"
              "tf.reduce_sum(tf.ones((4, 4))).numpy()\n"
              "print(json.dumps([first, numerics.pin(1)]))\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                          env=subprocess_env(tmp_path, TF_CPP_MIN_LOG_LEVEL="3"))
    assert done.returncode == 0, done.stderr[-3000:]
    first, second = json.loads(done.stdout.strip().splitlines()[-1])
    assert first["pinned"] and first["intra_op_threads"] == 2
    assert second == {"onednn_max_cpu_isa": "AVX2", "intra_op_threads": 2, "pinned": False}


def test_train_refuses_zero_threads_in_one_sentence(tmp_path, capsys):
    from training.train import main

    assert main(["--config", "seed-mlp", "--dataset", "folder", "--data", str(tmp_path), "--threads", "0"]) == 1
    assert capsys.readouterr().out.strip() == "The number of threads must be at least 1."
