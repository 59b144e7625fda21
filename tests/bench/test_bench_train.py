"""Training throughput per shipped architecture on 2 cores, features already cached (run with
`make bench`; it prints, it never asserts on time).

Each config's own window, features, batch size and augmentation are used on cached-feature
stand-ins (4-second clips of random frames of the right shape): the per-epoch augmentation
draw is timed with the fitting. The projection is for ASVspoof 2019 LA train (25,380 clips).
"""

from __future__ import annotations

import os
import time

import numpy as np

ASVSPOOF_2019_LA_TRAIN = 25_380
CLIPS = 512
CONFIGS = ("seed-mlp", "lcnn-logmel", "lcnn-logspec", "lcnn-logspec-excite", "lcnn-logspec-excite-speed",
           "lcnn-logspec-excite-ocsoftmax", "lcnn-logspec-excite-gcin-pitch-fine", "lcnn-logspec-excite-gcin-pitch-max",
           "lcnn-logspec-phase", "lcnn-lfcc", "gmm-lfcc")


def _throughput(name: str) -> tuple[float, int]:
    """Clips per second of one timed epoch (after one warm-up epoch), and the parameter count."""
    from training.config import load_config
    from training.train import Windows, _build, fit_epochs, make_strategy

    config = load_config(name)
    strategy = make_strategy("default")
    samples = int(round(config.window_seconds * config.features.sample_rate))
    frames = config.features.frames_for(samples)
    clip_frames = config.features.frames_for(4 * config.features.sample_rate)
    rng = np.random.default_rng(0)
    clips = [rng.standard_normal((max(frames, clip_frames), config.features.dims)).astype(np.float32) for _ in range(CLIPS)]
    copies = [[c + 0.1] for c in clips] if config.augmentation.get("channel_copies") else []
    speed_copies = config.augmentation.get("speed_copies", 0)
    speed = [[c - 0.1 * (k + 1) for k in range(speed_copies)] for c in clips] if speed_copies else []
    y = (np.arange(CLIPS) % 2).astype(np.float32)
    rows = np.arange(CLIPS)
    windows = Windows(clips, copies, frames, config, speed)
    start = time.perf_counter()
    model = _build(config, windows, y, rows, strategy, config.seed)
    built = time.perf_counter() - start
    if not model.trainable_weights:  # the GMM: EM on the frames is its whole training
        return CLIPS / built, int(model.count_params())
    fit_epochs(model, windows, y, rows, 1, config, strategy)
    start = time.perf_counter()
    fit_epochs(model, windows, y, rows, 1, config, strategy)
    return CLIPS / (time.perf_counter() - start), int(model.count_params())


def test_training_throughput_per_architecture():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from training import numerics

    record = numerics.pin(2)  # what training itself runs with
    import tensorflow as tf

    tf.config.threading.set_inter_op_parallelism_threads(2)
    print(f"train numerics: {numerics.describe(record)}")
    for name in CONFIGS:
        rate, parameters = _throughput(name)
        minutes = ASVSPOOF_2019_LA_TRAIN / rate / 60
        if name.startswith("gmm"):  # EM on at most max_frames frames: its cost barely grows with the data
            print(f"train {name}: EM fit of both GMMs on {CLIPS} clips at {rate:.0f} clips/s ({parameters} parameters); "
                  "frames are capped, so ASVspoof 2019 LA train costs about the same plus feature reading")
            continue
        print(f"train {name}: {rate:.0f} clips/s ({parameters} parameters); "
              f"one epoch of ASVspoof 2019 LA train ({ASVSPOOF_2019_LA_TRAIN} clips) about {minutes:.1f} min")


def test_pinned_training_fingerprint(tmp_path):
    """A hash of two pinned training epochs on fixed data: the same on every machine whose
    training repeats the shipped runs bit for bit (the README gives the value they print)."""
    from test_numerics import _train_steps

    print(f"train fingerprint (pinned numerics): {_train_steps(tmp_path, 'pin')['weights'][:16]}")
