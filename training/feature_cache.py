"""Features computed once and kept on disk, keyed by file content and feature config.

A second training run on the same data reads the cached arrays instead of decoding audio.
Files are written to a temporary name and renamed, so an interrupted run never leaves a
broken entry. The cache holds the features of each clip padded to the model window. A cache
that cannot be written (a full disk, a read-only folder) costs speed, never the run: the
features are used without being kept, and the run says so once.
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
from spoofvoice.worker_signals import ignore_interrupts


def config_key(config: FeatureConfig, window_samples: int) -> str:
    text = json.dumps({"features": config.to_dict(), "window": window_samples, "version": IMPLEMENTATION_VERSION}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def file_key(path: Path) -> str:
    """Cache key of a clip: the SHA-256 of its bytes (renamed or moved clips still hit)."""
    return sha256_file(path)


CHANNEL_VERSION = 1  # bump when the channel copies change, so cached copies are redone
SPEED_VERSION = 1  # likewise for the speed copies


def clip_features(path: Path, config: FeatureConfig, window_samples: int, copy: int = -1, seed: int = 0,
                  speed: tuple[float, float] | None = None) -> np.ndarray:
    """Features of one clip, padded by repetition to at least one window.

    With `copy` >= 0 the clip first goes through the corpus channel, or with `speed` (a pitch
    factor range) is played faster or slower (training/augment.py `change_speed`), drawn from a
    generator seeded by (seed, copy, file content), so a copy is the same on every run and machine.
    """
    samples = audio.load(path, sample_rate=config.sample_rate)
    if copy >= 0:
        content = int(file_key(Path(path))[:12], 16)
        if speed is not None:
            from training.augment import change_speed, speed_factor

            rng = np.random.default_rng([seed, copy, content, SPEED_STREAM])
            samples = change_speed(samples, speed_factor(speed, rng), config.sample_rate)
        else:
            from training.corpus.channel import apply_channel, draw_channel

            rng = np.random.default_rng([seed, copy, content])
            samples = apply_channel(samples, draw_channel(rng), rng)
    return extract(pad_by_repetition(samples, window_samples), config)


SPEED_STREAM = 2  # keeps the speed draws apart from the channel draws of the same copy number


def _copy_suffix(copy: int, seed: int, speed: tuple[float, float] | None) -> str:
    if copy < 0:
        return ""
    if speed is not None:
        return f"-sp{SPEED_VERSION}-{speed[0]:g}-{speed[1]:g}-s{seed}-c{copy}"
    return f"-ch{CHANNEL_VERSION}-s{seed}-c{copy}"


def _store(features: np.ndarray, target: Path) -> str:
    """Write one cache entry through a temporary file; return why it failed, or "" when kept.

    A failed write (no space left, no permission) removes its partial temporary file, so a
    full disk is not filled further by a run that cannot use what it writes.
    """
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
    except OSError as error:
        return error.strerror or str(error)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, features)
        os.replace(tmp, target)
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        return error.strerror or str(error)
    return ""


def _cached(job: tuple) -> tuple[np.ndarray, bool, str]:
    """(features, came from the cache, why they could not be kept or "")."""
    path, config, window_samples, folder, copy, seed, speed = job
    suffix = _copy_suffix(copy, seed, speed)
    target = Path(folder) / f"{file_key(Path(path))}{suffix}.npy"
    if target.exists():
        try:
            return np.load(target), True, ""
        except (OSError, ValueError):
            target.unlink(missing_ok=True)
    features = clip_features(Path(path), config, window_samples, copy, seed, speed)
    return features, False, _store(features, target)


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
    speed: tuple[float, float] | None = None,
) -> list[np.ndarray]:
    """Features of every clip, in order, from the cache where possible.

    `copy` >= 0 asks for augmented copy number `copy`: a channel copy, or a speed copy when
    `speed` gives the pitch factor range (see `clip_features`).
    `dtype` "float16" halves what the clips take in memory (the cache stays float32).
    """
    folder = (root or cache_dir() / "features") / config_key(config, window_samples)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        pass  # each write then fails and is counted below, with the reason
    jobs = [(str(p), config, window_samples, str(folder), copy, seed, speed) for p in paths]
    workers = workers or os.cpu_count() or 1
    results: list[np.ndarray] = []
    reused = 0
    unkept: list[str] = []
    step = max(1, len(jobs) // 10)
    if workers > 1 and len(jobs) > 64:
        with ProcessPoolExecutor(workers, initializer=ignore_interrupts) as pool:
            outputs = pool.map(_cached, jobs, chunksize=16)
            for index, (features, hit, failure) in enumerate(outputs, 1):
                results.append(features.astype(dtype, copy=False))
                reused += hit
                unkept += [failure] if failure else []
                if log and index % step == 0:
                    log(f"Features: {index} of {len(jobs)} clips.")
    else:
        for index, job in enumerate(jobs, 1):
            features, hit, failure = _cached(job)
            results.append(features.astype(dtype, copy=False))
            reused += hit
            unkept += [failure] if failure else []
            if log and index % step == 0 and len(jobs) > 64:
                log(f"Features: {index} of {len(jobs)} clips.")
    if log:
        what = "Features" if copy < 0 else f"{'Speed' if speed else 'Channel'} copy {copy + 1} features"
        log(f"{what} ready for {len(jobs)} clips; {reused} came from the cache.")
        if unkept:
            log(f"Cache not written for {len(unkept)} clips ({unkept[0].lower()}) in {folder}: "
                "they were used but not kept; free space there to make the next run faster.")
    return results


def augmented_copies_for(
    paths: Sequence[Path],
    config: FeatureConfig,
    window_samples: int,
    copies: int,
    seed: int,
    workers: int = 0,
    log: Callable[[str], None] | None = None,
    root: Path | None = None,
    dtype: str = "float32",
    speed: tuple[float, float] | None = None,
) -> list[list[np.ndarray]]:
    """Per clip, the features of its `copies` channel-augmented versions, or speed copies when
    `speed` gives the pitch factor range (cached like the rest)."""
    per_copy = [features_for(paths, config, window_samples, workers, log, root, copy=c, seed=seed, dtype=dtype, speed=speed) for c in range(copies)]
    return [[per_copy[c][i] for c in range(copies)] for i in range(len(paths))]
