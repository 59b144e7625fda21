"""Model architectures, looked up by name (as clovaai/aasist does), all built with Keras.

Every model takes a window of feature frames, shape (frames, dims), and returns one logit:
the log-odds that the window is bonafide (ASVspoof convention: higher = more bonafide).
Feature standardisation is a layer inside the model, adapted on the training features, so
the exported .tflite needs nothing but the raw features from `spoofvoice.features`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Builder = Callable[..., "object"]
ARCHITECTURES: dict[str, Builder] = {}


def register(name: str) -> Callable[[Builder], Builder]:
    """Add an architecture to the registry under `name`."""

    def add(builder: Builder) -> Builder:
        ARCHITECTURES[name] = builder
        return builder

    return add


def build(name: str, input_shape: tuple[int, int], train_features: np.ndarray, **params):
    """Build the architecture `name` for windows of `input_shape`, standardised on `train_features`."""
    if name not in ARCHITECTURES:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(sorted(ARCHITECTURES))}")
    return ARCHITECTURES[name](input_shape, train_features, **params)


def _standardiser(train_features: np.ndarray, axis: int = -1):
    """A Normalization layer holding the per-dimension mean and variance of the training frames."""
    import keras

    frames = train_features.reshape(-1, train_features.shape[-1])
    return keras.layers.Normalization(axis=axis, mean=frames.mean(axis=0), variance=frames.var(axis=0) + 1e-6)


@register("seed-mlp")
def seed_mlp(input_shape: tuple[int, int], train_features: np.ndarray, hidden: tuple[int, ...] = (200, 128, 64)):
    """The original design: the MFCCs averaged over time, then Dense 200-128-64-1, ReLU.

    The final sigmoid lives in the loss (from_logits=True), which is the same model written
    so that the exported network returns the log-odds score directly.
    """
    import keras

    inputs = keras.Input(shape=input_shape, name="features")
    pooled = keras.layers.GlobalAveragePooling1D(name="mean_over_time")(inputs)
    clip_means = train_features.mean(axis=1)
    x = _standardiser(clip_means[:, None, :])(pooled)
    for width in hidden:
        x = keras.layers.Dense(width, activation="relu")(x)
    outputs = keras.layers.Dense(1, name="bonafide_logit")(x)
    return keras.Model(inputs, outputs, name="seed_mlp")
