"""Write a trained model as models/NAME.keras, NAME.tflite and the card NAME.json.

The card is what the detector trusts: it records the feature config, the window, the
threshold and calibration, the data and the results, and the SHA-256 of each file.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from pathlib import Path

from spoofvoice.detector import sha256_file


def to_tflite(model) -> bytes:
    """Convert a Keras model to a LiteRT flatbuffer (float32, no quantisation)."""
    import tensorflow as tf

    with contextlib.redirect_stdout(io.StringIO()):  # the converter lists every tensor it saves
        return tf.lite.TFLiteConverter.from_keras_model(model).convert()


def write_model_files(model, name: str, models_dir: Path) -> dict:
    """Save .keras and .tflite; return the card's `files` section."""
    models_dir.mkdir(parents=True, exist_ok=True)
    keras_path = models_dir / f"{name}.keras"
    tflite_path = models_dir / f"{name}.tflite"
    model.save(keras_path)
    _write_bytes(tflite_path, to_tflite(model))
    return {
        "tflite": {"file": tflite_path.name, "sha256": sha256_file(tflite_path), "bytes": tflite_path.stat().st_size},
        "keras": {"file": keras_path.name, "sha256": sha256_file(keras_path), "bytes": keras_path.stat().st_size},
    }


def write_card(card: dict, models_dir: Path) -> Path:
    """Write NAME.json atomically."""
    path = models_dir / f"{card['name']}.json"
    _write_bytes(path, (json.dumps(card, indent=2, sort_keys=False) + "\n").encode("utf-8"))
    return path


def _write_bytes(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def compare_with_litert(keras_path: Path, tflite_path: Path, windows) -> float:
    """Largest absolute difference between the Keras model and its .tflite on `windows`.

    The .keras file is loaded back first (custom layers included), so this also checks that
    the saved model is complete.
    """
    import numpy as np
    from ai_edge_litert.interpreter import Interpreter

    from training.architectures import load_model

    model = load_model(keras_path)
    expected = np.asarray(model.predict(windows, verbose=0, batch_size=64)).reshape(-1)
    interpreter = Interpreter(model_path=str(tflite_path))
    interpreter.allocate_tensors()
    given, taken = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    got = []
    for window in windows:
        interpreter.set_tensor(given["index"], window[None].astype(np.float32))
        interpreter.invoke()
        got.append(float(interpreter.get_tensor(taken["index"]).reshape(-1)[0]))
    return float(np.max(np.abs(np.array(got) - expected)))

