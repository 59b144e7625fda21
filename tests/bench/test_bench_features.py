"""Feature extraction speed per shipped config, on one core (run with `make bench`; it prints,
it never asserts on time): what the excitation columns cost beside the spectrum."""

from __future__ import annotations

import time

import numpy as np

from spoofvoice import audio
from spoofvoice.features import extract

CONFIGS = ("seed-mlp", "lcnn-logmel", "lcnn-logspec", "lcnn-logspec-excite", "lcnn-lfcc")


def test_feature_extraction_speed(real_speech):
    from training.config import load_config

    samples = audio.load(real_speech)
    clip = np.tile(samples, int(np.ceil(4 * 16000 / len(samples))))[: 4 * 16000]  # 4 s of real speech
    for name in CONFIGS:
        config = load_config(name).features
        extract(clip, config)
        rounds = 50
        start = time.perf_counter()
        for _ in range(rounds):
            extract(clip, config)
        per_clip = (time.perf_counter() - start) / rounds
        print(f"features {name}: {per_clip * 1000:.1f} ms per 4 s clip ({1 / per_clip:.0f} clips/s on one core)")
