"""Features computed once and kept on disk, keyed by file content and feature config.

A second training run on the same data reads the cached arrays instead of decoding audio.
Files are written to a temporary name and renamed, so an interrupted run never leaves a
broken entry. The cache holds the features of each clip padded to the model window.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from spoofvoice import audio
from spoofvoice.detector import sha256_file
from spoofvoice.features import IMPLEMENTATION_VERSION, FeatureConfig, extract, pad_by_repetition
from spoofvoice.paths import cache_dir


def config_key(config: FeatureConfig, window_samples: int) -> str:
    text = json.dumps({"features": config.to_dict(), "window": window_samples, "version": IMPLEMENTATION_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_key(path: Path) -> str:
    """Cache key of a clip: the SHA-256 of its bytes (renamed or moved clips still hit)."""
    return sha256_file(path)


CHANNEL_VERSION = 1  # bump when the channel copies change, so cached copies are redone


def clip_features(path: Path, config: FeatureConfig, window_samples: int, copy: int = -1, seed: int = 0) -> np.ndarray:
    """Features of one clip, padded by repetition to at least one window.

    With `copy` >= 0 the clip first goes through the corpus channel, drawn from a generator
    seeded by (seed, copy, file content), so a copy is the same on every run and machine.
    """
    samples = audio.load(path, sample_rate=config.sample_rate)
    if copy >= 0:
        from training.corpus.channel import apply_channel, draw_channel

        content = int(file_key(Path(path))[:12], 16)
        rng = np.random.default_rng([seed, copy, content])
        samples = apply_channel(samples, draw_channel(rng), rng)
    return extract(pad_by_repetition(samples, window_samples), config)


def _cached(job: tuple) -> tuple[np.ndarray, bool]:
    path, config, window_samples, folder, copy, seed = job
    suffix = "" if copy < 0 else f"-ch{CHANNEL_VERSION}-s{seed}-c{copy}"
    target = Path(folder) / f"{file_key(Path(path))}{suffix}.npy"
    if target.exists():
        try:
            return np.load(target), True
        except (OSError, ValueError):
            target.unlink(missing_ok=True)
    features = clip_features(Path(path), config, window_samples, copy, seed)
    fd, tmp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        np.save(handle, features)
    os.replace(tmp, target)
    return features, False


def features_for(
    paths: Sequence[Path],
    config: FeatureConfig,
    window_samples: int,
    workers: int = 0,
    log: Callable[[str], None] | None = None,
    root: Path | None = None,
    copy: int = -1,
    seed: int = 0,
    dtype: str = "float32",
) -> list[np.ndarray]:
    """Features of every clip, in order, from the cache where possible.

    `copy` >= 0 asks for channel-augmented copy number `copy` (see `clip_features`).
    `dtype` "float16" halves what the clips take in memory (the cache stays float32).
    """
    folder = (root or cache_dir() / "features") / config_key(config, window_samples)
    folder.mkdir(parents=True, exist_ok=True)
    jobs = [(str(p), config, window_samples, str(folder), copy, seed) for p in paths]
    workers = workers or os.cpu_count() or 1
    results: list[np.ndarray] = []
    reused = 0
    step = max(1, len(jobs) // 10)
    if workers > 1 and len(jobs) > 64:
        with ProcessPoolExecutor(workers) as pool:
            outputs = pool.map(_cached, jobs, chunksize=16)
            for index, (features, hit) in enumerate(outputs, 1):
                results.append(features.astype(dtype, copy=False))
                reused += hit
                if log and index % step == 0:
                    log(f"Features: {index} of {len(jobs)} clips.")
    else:
        for index, job in enumerate(jobs, 1):
            features, hit = _cached(job)
            results.append(features.astype(dtype, copy=False))
            reused += hit
            if log and index % step == 0 and len(jobs) > 64:
                log(f"Features: {index} of {len(jobs)} clips.")
    if log:
        what = "Features" if copy < 0 else f"Channel copy {copy + 1} features"
        log(f"{what} ready for {len(jobs)} clips; {reused} came from the cache.")
    return results


def channel_copies_for(
    paths: Sequence[Path],
    config: FeatureConfig,
    window_samples: int,
    copies: int,
    seed: int,
    workers: int = 0,
    log: Callable[[str], None] | None = None,
    root: Path | None = None,
    dtype: str = "float32",
) -> list[list[np.ndarray]]:
    """Per clip, the features of its `copies` channel-augmented versions (cached like the rest)."""
    per_copy = [features_for(paths, config, window_samples, workers, log, root, copy=c, seed=seed, dtype=dtype) for c in range(copies)]
    return [[per_copy[c][i] for c in range(copies)] for i in range(len(paths))]
