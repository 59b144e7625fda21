"""The shortcut check: can a label be guessed from nuisance features alone?

If a logistic regression on duration, level, roll-off, leading silence and high-band energy
separates bonafide from spoof, a model could learn the channel instead of the voice. A
well-built corpus keeps its EER near 50% (the test demands at least 30%).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

FEATURES = ("duration_s", "rms_db", "rolloff95_hz", "lead_silence_s", "above4k_db")


def nuisance_features(path: Path) -> np.ndarray:
    """Duration, RMS, 95% spectral roll-off, leading-silence length, energy above 4 kHz."""
    x, rate = sf.read(str(path), dtype="float64", always_2d=True)
    x = x.mean(axis=1)
    duration = len(x) / rate
    rms = 20 * np.log10(np.sqrt(np.mean(x**2)) + 1e-9)
    spec = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(len(x), 1 / rate)
    cum = np.cumsum(spec) / (spec.sum() + 1e-12)
    rolloff = float(freqs[min(len(freqs) - 1, int(np.searchsorted(cum, 0.95)))])
    above = 10 * np.log10(spec[freqs >= 4000].sum() / (spec.sum() + 1e-12) + 1e-12)
    frame = int(0.02 * rate)
    n = max(1, len(x) // frame)
    energy = 10 * np.log10(np.mean(x[: n * frame].reshape(n, frame) ** 2, axis=1) + 1e-12)
    active = np.flatnonzero(energy > energy.max() - 30)
    lead = (active[0] if active.size else 0) * frame / rate
    return np.array([duration, rms, rolloff, lead, above], dtype=np.float64)


def eer(scores: np.ndarray, labels: np.ndarray) -> float:
    """Equal error rate (labels: 1 bonafide, 0 spoof; higher score = more bonafide)."""
    order = np.argsort(scores)
    labels = labels[order]
    n_bona, n_spoof = labels.sum(), (1 - labels).sum()
    frr = np.concatenate([[0], np.cumsum(labels) / n_bona])  # bonafide rejected below threshold
    far = np.concatenate([[1], 1 - np.cumsum(1 - labels) / n_spoof])  # spoof accepted above
    i = int(np.argmin(np.abs(frr - far)))
    return float((frr[i] + far[i]) / 2)


def shortcut_eer(train: list[tuple[Path, str]], test: list[tuple[Path, str]]) -> float:
    """Fit a logistic regression on nuisance features of `train`, return its EER on `test`."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def arrays(items: list[tuple[Path, str]]) -> tuple[np.ndarray, np.ndarray]:
        feats = np.stack([nuisance_features(p) for p, _ in items])
        return feats, np.array([1 if label == "bonafide" else 0 for _, label in items])

    x_train, y_train = arrays(train)
    x_test, y_test = arrays(test)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x_train, y_train)
    return eer(model.decision_function(x_test), y_test)
