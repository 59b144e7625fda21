"""Training losses, looked up by a config's "loss" object, kept apart from the architectures.

- "bce": binary cross-entropy on the bonafide logit (the default).
- "oc-softmax": one-class softmax (Zhang, Jiang and Li, "One-class learning towards synthetic
  voice spoofing detection", 2021). The network ends in `CosineScore`: the cosine between the
  embedding and one learnt bonafide direction, scaled. Bonafide windows must lie within a
  narrow cone around that direction (cosine above `margins[0]`, 0.9), spoofs merely outside a
  wide one (below `margins[1]`, 0.2): bonafide speech is made compact, but no shape is imposed
  on the spoofs, so an attack family never seen in training is not assumed to look like the
  ones that were. Why: unseen attacks are where the LCNN loses most.

The head's output is `scale * (cos - centre)` with `centre` halfway between the margins, so
it stays a logit-like score (higher = more bonafide, 0 in the middle); the loss is then
softplus(M - o) for bonafide and softplus(M + o) for spoof, with M = scale * (m0 - m1) / 2,
which is exactly the one-class softmax loss written on that score.
"""

from __future__ import annotations

from dataclasses import dataclass

NAMES = ("bce", "oc-softmax")


@dataclass(frozen=True)
class LossSpec:
    name: str = "bce"
    scale: float = 20.0
    margins: tuple[float, float] = (0.9, 0.2)

    @classmethod
    def from_dict(cls, data: dict) -> LossSpec:
        """Checked reading of a config's "loss" object; raises ValueError naming the key."""
        known = {"name", "scale", "margins"}
        for key in data:
            if key not in known:
                raise ValueError(f"unknown loss key {key!r}; known: {', '.join(sorted(known))}")
        name = data.get("name", "bce")
        if name not in NAMES:
            raise ValueError(f"unknown loss {name!r}; use {' or '.join(NAMES)}")
        scale = data.get("scale", 20.0)
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or scale <= 0:
            raise ValueError(f"loss 'scale' must be a positive number, not {scale!r}")
        margins = data.get("margins", [0.9, 0.2])
        if (not isinstance(margins, list) or len(margins) != 2
                or not all(isinstance(m, (int, float)) and not isinstance(m, bool) for m in margins)
                or not -1.0 <= margins[1] < margins[0] <= 1.0):
            raise ValueError(f"loss 'margins' must be [bonafide, spoof] with -1 <= spoof < bonafide <= 1, not {margins!r}")
        return cls(name, float(scale), (float(margins[0]), float(margins[1])))

    @property
    def centre(self) -> float:
        """The cosine the score's zero sits at: halfway between the two margins."""
        return (self.margins[0] + self.margins[1]) / 2.0

    @property
    def margin(self) -> float:
        """M, the distance of each class's margin from the score's zero, in score units."""
        return self.scale * (self.margins[0] - self.margins[1]) / 2.0


def per_window_loss(spec: LossSpec):
    """loss(y, o) per window, unreduced: y is 1 for bonafide and 0 for spoof, o the model's output
    (for a custom training loop, which weights and averages it itself)."""
    import keras

    if spec.name == "bce":
        return lambda y, o: keras.losses.binary_crossentropy(y[:, None], o[:, None], from_logits=True)
    return keras_loss(spec).call


def keras_loss(spec: LossSpec):
    """The loss for model.compile(): the same per-window loss, averaged by Keras; a registered
    Loss class, so a .keras file trained with it loads back compiled."""
    import keras

    if spec.name == "bce":
        return keras.losses.BinaryCrossentropy(from_logits=True)
    return loss_classes()["OneClassSoftmaxLoss"](margin=spec.margin)


_CLASSES: dict[str, type] = {}


def loss_classes() -> dict[str, type]:
    """The registered Keras loss classes (built on first use: Keras is imported only then)."""
    if _CLASSES:
        return _CLASSES
    import keras
    from keras import ops

    @keras.saving.register_keras_serializable(package="spoofvoice")
    class OneClassSoftmaxLoss(keras.losses.Loss):
        """softplus(M - o) for bonafide windows, softplus(M + o) for spoofs (see the module)."""

        def __init__(self, margin: float, name: str = "one_class_softmax", **kwargs):
            super().__init__(name=name, **kwargs)
            self.margin = float(margin)

        def call(self, y_true, y_pred):
            sign = 2.0 * ops.cast(ops.reshape(y_true, (-1,)), y_pred.dtype) - 1.0
            return ops.softplus(self.margin - sign * ops.reshape(y_pred, (-1,)))

        def get_config(self):
            return {**super().get_config(), "margin": self.margin}

    _CLASSES["OneClassSoftmaxLoss"] = OneClassSoftmaxLoss
    return _CLASSES
