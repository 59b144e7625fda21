"""Shared by the training tests: the small open corpus (built once per session) and a runner
for `python -m training.train` in a subprocess, so TensorFlow never enters the test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import subprocess_env

ROOT = Path(__file__).resolve().parents[1]

# A narrow LCNN with every augmentation on: the real code paths, in seconds.
TINY_LCNN = {
    "name": "tiny-lcnn",
    "architecture": "lcnn",
    "architecture_params": {"widths": [4, 8, 8], "embedding": 8},
    "features": {"kind": "logmel", "n_filters": 24},
    "window": {"seconds": 1.0, "hop_seconds": 0.5},
    "epochs": 2,
    "batch_size": 16,
    "seed": 3,
    "early_stopping_patience": 0,
    "average_checkpoints": 2,
    "pitch_balance": [120, 200],
    "attack_weights": {"S04": 2.0},
    "augmentation": {"crop": True, "gain_db": 6.0, "channel_copies": 1, "channel_probability": 0.5,
                     "time_masks": 1, "time_mask_frames": 10, "freq_masks": 1, "freq_mask_bins": 4},
}


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory) -> Path:
    """The small corpus (150 clips, ASVspoof 2019 LA layout), built once for the session."""
    from training.corpus.build import build_corpus

    out = tmp_path_factory.mktemp("corpus") / "small"
    build_corpus(out, size="small", seed=0, log=lambda line: None)
    return out


def write_config(folder: Path, config: dict) -> Path:
    path = folder / f"{config['name']}.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


def run_training(home: Path, config: Path, corpus: Path, models: Path, *extra: str, env: dict | None = None, timeout: int = 240) -> subprocess.CompletedProcess:
    """Train in a subprocess; fails the test with the output when training fails."""
    command = [sys.executable, "-m", "training.train", "--config", str(config), "--dataset", "asvspoof2019-la",
               "--data", str(corpus), "--models-dir", str(models), "--workers", "1", *extra]
    done = subprocess.run(command, cwd=ROOT, env=env or subprocess_env(home, TF_CPP_MIN_LOG_LEVEL="3"),
                          capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stdout + done.stderr
    return done
