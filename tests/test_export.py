"""Model files with float16 weights (training/export.py): what a fused default is saved as.

TensorFlow runs in a subprocess, as in the other training tests, so the test process never
holds a TensorFlow runtime that scoring workers could inherit.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import subprocess_env

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[1]

EXPORT_BOTH = textwrap.dedent(
    """
    import json, sys, zipfile
    from pathlib import Path
    import numpy as np
    import tensorflow as tf
    from ai_edge_litert.interpreter import Interpreter
    from training.architectures import load_model
    from training.export import write_model_files

    def network():
        tf.keras.utils.set_random_seed(0)
        inputs = tf.keras.Input(shape=(50, 64))
        hidden = tf.keras.layers.Dense(256, activation="relu")(inputs)
        hidden = tf.keras.layers.BatchNormalization()(hidden)
        pooled = tf.keras.layers.GlobalAveragePooling1D()(tf.keras.layers.Dense(256, activation="relu")(hidden))
        return tf.keras.Model(inputs, tf.keras.layers.Dense(1)(pooled))

    out = Path(sys.argv[1])
    windows = np.random.default_rng(1).standard_normal((8, 50, 64)).astype("float32")
    files, scores = {}, {}
    for precision in ("float32", "float16"):
        files[precision] = write_model_files(network(), f"net-{precision}", out, precision)
        keras = load_model(out / f"net-{precision}.keras", compile=False)
        interpreter = Interpreter(model_path=str(out / f"net-{precision}.tflite"))
        interpreter.allocate_tensors()
        given, taken = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
        lite = []
        for window in windows:
            interpreter.set_tensor(given["index"], window[None])
            interpreter.invoke()
            lite.append(float(interpreter.get_tensor(taken["index"]).reshape(-1)[0]))
        scores[precision] = {"keras": np.asarray(keras.predict(windows, verbose=0)).reshape(-1).tolist(), "tflite": lite}
        values = np.concatenate([np.asarray(v.numpy()).reshape(-1) for v in keras.weights])
        files[precision]["keras_exact_in_float16"] = bool(np.array_equal(values, values.astype(np.float16).astype(np.float32)))
        files[precision]["tflite_float16_tensors"] = sum(d["dtype"] == np.float16 for d in interpreter.get_tensor_details())
        with zipfile.ZipFile(out / f"net-{precision}.keras") as archive:
            files[precision]["compressed"] = all(i.compress_type == zipfile.ZIP_BZIP2 for i in archive.infolist())
    huge = network()
    huge.layers[-1].kernel.assign(np.full((256, 1), 1e6, "float32"))
    try:
        write_model_files(huge, "huge", out, "float16")
        refused = ""
    except ValueError as error:
        refused = str(error)
    print(json.dumps({"files": files, "scores": scores, "refused": refused}))
    """
)


def test_float16_weights_halve_the_files_and_keep_the_scores(tmp_path):
    """float16 weights: the .tflite stores float16 constants, the .keras is compressed and holds
    exactly the rounded values, both files shrink by about half, the scores move by rounding
    only, and a weight float16 cannot hold is refused rather than turned into infinity."""
    done = subprocess.run([sys.executable, "-c", EXPORT_BOTH, str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                          env=subprocess_env(tmp_path / "home", TF_CPP_MIN_LOG_LEVEL="3"), timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    full, half = result["files"]["float32"], result["files"]["float16"]
    assert (full["weights"], half["weights"]) == ("float32", "float16")
    assert half["tflite"]["bytes"] < 0.6 * full["tflite"]["bytes"]
    assert half["keras"]["bytes"] < 0.6 * full["keras"]["bytes"]
    assert half["tflite_float16_tensors"] > 0 and full["tflite_float16_tensors"] == 0
    assert half["compressed"] and not full["compressed"]
    assert half["keras_exact_in_float16"] and not full["keras_exact_in_float16"]
    scores = result["scores"]
    assert max(abs(a - b) for a, b in zip(scores["float32"]["keras"], scores["float32"]["tflite"], strict=True)) <= 1e-4
    # float16 storage moves a score by rounding only, in the .keras and in the .tflite alike
    for kind in ("keras", "tflite"):
        gaps = [abs(a - b) for a, b in zip(scores["float32"][kind], scores["float16"][kind], strict=True)]
        assert 0.0 < max(gaps) <= 2e-2, (kind, gaps)
    assert "beyond float16" in result["refused"] and "float32" in result["refused"]


FULL_DISK = textwrap.dedent(
    """
    import hashlib, json, sys
    from pathlib import Path
    import tensorflow as tf
    import training.export as export
    sys.path.insert(0, "tests")
    from full_disk import full_disk_fdopen

    def network(seed):
        tf.keras.utils.set_random_seed(seed)
        inputs = tf.keras.Input(shape=(10, 8))
        pooled = tf.keras.layers.GlobalAveragePooling1D()(tf.keras.layers.Dense(16)(inputs))
        return tf.keras.Model(inputs, tf.keras.layers.Dense(1)(pooled))

    out = Path(sys.argv[1])
    export.write_model_files(network(0), "net", out, "float16")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    export.os.fdopen = full_disk_fdopen(export.os.fdopen)
    try:
        export.write_model_files(network(1), "net", out, "float16")
        error = ""
    except OSError as caught:
        error = caught.strerror
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in out.iterdir()}
    print(json.dumps({"error": error, "unchanged": before == after, "names": sorted(after)}))
    """
)


def test_a_full_disk_leaves_the_previous_model_files_whole(tmp_path):
    """Retraining a model on a full disk once left a half-written .keras over the old one and
    temp files beside it; now both files are whole or untouched."""
    done = subprocess.run([sys.executable, "-c", FULL_DISK, str(tmp_path / "models")], cwd=ROOT, capture_output=True,
                          text=True, env=subprocess_env(tmp_path / "home", TF_CPP_MIN_LOG_LEVEL="3"), timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"error": "No space left on device", "unchanged": True, "names": ["net.keras", "net.tflite"]}
