"""Pitch-balanced training weights: take voice pitch away as a cue for the label.

Measured on the corpus (README, "What is still missed"): below 100 Hz the training clips were
mostly spoofs (the stock male TTS voices), and the models learned that a low voice is a
machine, rejecting the low real voices of unseen speakers. Weighting each clip so that, within
every band of median F0, both classes weigh the same removes that shortcut from the loss
without throwing clips away or changing any audio.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

RATE = 16000
FRAME_MS = 5.0


def median_f0(samples: np.ndarray, sample_rate: int = RATE) -> float:
    """Median F0 in Hz of the voiced frames (DIO + StoneMask); 0.0 when nothing is voiced."""
    import pyworld

    x = np.ascontiguousarray(samples, dtype=np.float64)
    if len(x) < sample_rate // 20:
        return 0.0
    f0, times = pyworld.dio(x, sample_rate, frame_period=FRAME_MS)
    f0 = pyworld.stonemask(x, f0, times, sample_rate)
    voiced = f0[f0 > 0]
    return float(np.median(voiced)) if len(voiced) else 0.0


def pitch_band(f0: float, edges: Sequence[float]) -> int:
    """Band index of a median F0: 0 for unvoiced clips, then 1 .. len(edges) + 1 by the edges."""
    if f0 <= 0:
        return 0
    return 1 + int(np.searchsorted(np.asarray(edges, dtype=np.float64), f0, side="right"))


def band_names(edges: Sequence[float]) -> list[str]:
    """Readable names of the bands, in index order ("unvoiced", "below 100 Hz", ...)."""
    cuts = [f"{e:g}" for e in edges]
    names = ["unvoiced", f"below {cuts[0]} Hz"]
    names += [f"{a}-{b} Hz" for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    return names + [f"{cuts[-1]} Hz and above"]


def pitch_balanced_weights(labels: np.ndarray, f0: np.ndarray, edges: Sequence[float]) -> tuple[np.ndarray, list[dict]]:
    """Per-clip weights (labels: 1 bonafide, 0 spoof) under which both classes weigh the same in
    every pitch band, each band keeping the total weight of its clips (so the classes are also
    balanced overall). A band with only one class keeps that class's overall class weight.

    Returns the weights and, per band, its clip counts and the two weights (for the model card).
    """
    labels = np.asarray(labels).astype(int)
    bands = np.array([pitch_band(float(v), edges) for v in f0])
    overall = {c: len(labels) / (2.0 * max(1, int(np.sum(labels == c)))) for c in (0, 1)}
    weights = np.empty(len(labels), dtype=np.float32)
    table = []
    for index, name in enumerate(band_names(edges)):
        in_band = bands == index
        counts = {c: int(np.sum(in_band & (labels == c))) for c in (0, 1)}
        if counts[0] and counts[1]:
            per_class = {c: (counts[0] + counts[1]) / (2.0 * counts[c]) for c in (0, 1)}
        else:
            per_class = dict(overall)
        for c in (0, 1):
            weights[in_band & (labels == c)] = per_class[c]
        table.append({"band": name, "bonafide": counts[1], "spoof": counts[0],
                      "bonafide_weight": round(per_class[1], 4), "spoof_weight": round(per_class[0], 4)})
    return weights, table


def _clip_f0(job: tuple[str, str]) -> float:
    path, folder = job
    from spoofvoice import audio
    from training.feature_cache import file_key

    target = Path(folder) / f"{file_key(Path(path))}.txt"
    if target.exists():
        try:
            return float(target.read_text())
        except ValueError:
            target.unlink(missing_ok=True)
    value = median_f0(audio.load(Path(path), sample_rate=RATE))
    tmp = target.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(repr(value))
    os.replace(tmp, target)
    return value


def clip_pitches(paths: Sequence[Path], workers: int = 0, log: Callable[[str], None] | None = None, root: Path | None = None) -> np.ndarray:
    """Median F0 of every clip, in order, cached on disk by file content like the features."""
    from spoofvoice.paths import cache_dir
    from spoofvoice.worker_signals import ignore_interrupts

    folder = root or cache_dir() / "pitch"
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(str(p), str(folder)) for p in paths]
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(jobs) > 64:
        with ProcessPoolExecutor(workers, initializer=ignore_interrupts) as pool:
            values = list(pool.map(_clip_f0, jobs, chunksize=16))
    else:
        values = [_clip_f0(job) for job in jobs]
    if log:
        log(f"Pitch measured for {len(jobs)} clips.")
    return np.array(values, dtype=np.float64)
