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
import zipfile
from pathlib import Path

from spoofvoice.detector import sha256_file

WEIGHT_PRECISIONS = ("float32", "float16")
FLOAT16_LARGEST = 65504.0


def to_tflite(model, precision: str = "float32") -> bytes:
    """Convert a Keras model to a LiteRT flatbuffer. Computation is float32 either way; with
    `precision="float16"` the constant weights are stored as float16 and widened when loaded."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if precision == "float16":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    with contextlib.redirect_stdout(io.StringIO()):  # the converter lists every tensor it saves
        return converter.convert()


def round_weights_to_float16(model) -> None:
    """Round every float32 weight of `model` to the nearest float16 value, in place.

    Why: a mean of seven networks is 12.7 MB in float32, over the 10 MB a model file may take.
    Rounded weights keep the .keras (compressed) and the .tflite (float16 constants) at about
    half that, and the .keras holds the values the .tflite was made from. Refuses a weight
    float16 cannot hold rather than turn it into infinity.
    """
    import numpy as np

    for variable in model.weights:
        value = np.asarray(variable.numpy())
        if value.dtype != np.float32:
            continue
        if value.size and float(np.abs(value).max()) > FLOAT16_LARGEST:
            raise ValueError(f"Weight {variable.path} reaches {float(np.abs(value).max()):.3g}, beyond float16; "
                             "export this model with float32 weights.")
        variable.assign(value.astype(np.float16).astype(np.float32))


def write_model_files(model, name: str, models_dir: Path, precision: str = "float32") -> dict:
    """Save .keras and .tflite; return the card's `files` section. `precision="float16"` rounds
    the model's weights first (round_weights_to_float16) and compresses the .keras archive
    (compress_archive), whose rounded float32 values then take well under half."""
    if precision not in WEIGHT_PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(WEIGHT_PRECISIONS)}, not {precision!r}")
    models_dir.mkdir(parents=True, exist_ok=True)
    keras_path = models_dir / f"{name}.keras"
    tflite_path = models_dir / f"{name}.tflite"
    if precision == "float16":
        round_weights_to_float16(model)
    partial = models_dir / f".{name}-partial.keras"  # Keras wants the suffix; renamed when whole
    try:
        model.save(partial)
        if precision == "float16":
            compress_archive(partial)
        os.replace(partial, keras_path)
    finally:
        partial.unlink(missing_ok=True)
    _write_bytes(tflite_path, to_tflite(model, precision))
    return {
        "weights": precision,
        "tflite": {"file": tflite_path.name, "sha256": sha256_file(tflite_path), "bytes": tflite_path.stat().st_size},
        "keras": {"file": keras_path.name, "sha256": sha256_file(keras_path), "bytes": keras_path.stat().st_size},
    }


def compress_archive(path: Path) -> None:
    """Rewrite a zip archive (a .keras file, which Keras stores uncompressed) with every entry
    compressed by bzip2, in the same order; Keras reads it back unchanged (Python's zipfile
    decompresses it). Why bzip2: float32 weights rounded to float16 end in 13 zero bits, which
    it packs tighter than deflate does (the eleven-network default's .keras: 7.7 MB against
    10.2, over the 10 MB a model file may take); only training and fusion read the .keras."""
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info)) for info in source.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_BZIP2, compresslevel=9) as target:
        for info, data in entries:
            info.compress_type = zipfile.ZIP_BZIP2
            target.writestr(info, data, compress_type=zipfile.ZIP_BZIP2, compresslevel=9)
    _write_bytes(path, buffer.getvalue())


def write_card(card: dict, models_dir: Path) -> Path:
    """Write NAME.json atomically."""
    path = models_dir / f"{card['name']}.json"
    _write_bytes(path, (json.dumps(card, indent=2, sort_keys=False) + "\n").encode("utf-8"))
    return path


def _write_bytes(path: Path, data: bytes) -> None:
    """Write through a temp file and rename: a model file is whole or untouched, and a failed
    write (a full disk) leaves no temp file behind."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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

