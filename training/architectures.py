"""Model architectures, looked up by name (as clovaai/aasist does), all built with Keras.

Every model takes a window of feature frames, shape (frames, dims), and returns one logit:
the log-odds that the window is bonafide (ASVspoof convention: higher = more bonafide).
Feature standardisation is a layer inside the model, adapted on the training features, so
the exported .tflite needs nothing but the raw features from `spoofvoice.features`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

Builder = Callable[..., "object"]
ARCHITECTURES: dict[str, Builder] = {}
POOLINGS = ("mean", "mean+std", "mean+std+max")  # how the LCNN summarises its frames over time


def register(name: str) -> Callable[[Builder], Builder]:
    """Add an architecture to the registry under `name`."""

    def add(builder: Builder) -> Builder:
        ARCHITECTURES[name] = builder
        return builder

    return add


def build(
    name: str,
    input_shape: tuple[int, int],
    train_features: np.ndarray,
    labels: np.ndarray | None = None,
    seed: int = 0,
    planes: int = 1,
    excitation_dims: int = 0,
    loss=None,
    **params,
):
    """Build the architecture `name` for windows of `input_shape`, standardised on `train_features`.

    `labels` and `seed` reach the builders that take them (the GMM is fitted while it is built);
    `loss` (training/losses.py `LossSpec`) tells a builder which output head its loss needs;
    `planes` tells the convolutional ones how many bin-sized planes (log spectrum, phase) each
    frame holds, so they can stack them as image channels, and `excitation_dims` how many
    excitation columns (`spoofvoice.features.EXCITATION_COLUMNS`) end each frame.
    """
    import inspect

    if name not in ARCHITECTURES:
        raise KeyError(f"unknown architecture {name!r}; known: {', '.join(sorted(ARCHITECTURES))}")
    builder = ARCHITECTURES[name]
    accepted = inspect.signature(builder).parameters
    given = (("labels", labels), ("seed", seed), ("planes", planes), ("excitation_dims", excitation_dims), ("loss", loss))
    extra = {key: value for key, value in given if key in accepted}
    if excitation_dims and "excitation_dims" not in accepted:
        raise ValueError(f"the {name} architecture cannot use excitation features")
    if loss is not None and loss.name != "bce" and "loss" not in accepted:
        raise ValueError(f"the {name} architecture cannot be trained with the {loss.name} loss")
    return builder(input_shape, train_features, **extra, **{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()})


def _standardiser(train_features: np.ndarray, axis: int = -1, dims: int | None = None):
    """A Normalization layer holding the per-dimension mean and variance of the training frames
    (of their first `dims` values only, when given)."""
    import keras

    mean, variance = frame_moments(train_features)
    return keras.layers.Normalization(axis=axis, mean=mean[:dims], variance=variance[:dims] + 1e-6)


def frame_moments(train_features: np.ndarray, chunk: int = 1 << 18) -> tuple[np.ndarray, np.ndarray]:
    """Per-dimension mean and variance of all frames, summed in float64 a chunk at a time, so
    float16 clips of a large log spectrum never need a float64 copy of the whole set."""
    frames = train_features.reshape(-1, train_features.shape[-1])
    total = np.zeros(frames.shape[1])
    squares = np.zeros(frames.shape[1])
    for start in range(0, len(frames), chunk):
        part = frames[start : start + chunk].astype(np.float64)
        total += part.sum(axis=0)
        squares += (part * part).sum(axis=0)
    mean = total / max(1, len(frames))
    return mean.astype(np.float32), np.maximum(squares / max(1, len(frames)) - mean * mean, 0.0).astype(np.float32)


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


def _register_layer(cls):
    """Make a custom layer loadable from .keras files without custom_objects."""
    import keras

    return keras.saving.register_keras_serializable(package="spoofvoice")(cls)


def dft_kernel(n_fft: int) -> np.ndarray:
    """Convolution kernel (n_fft, 1, 2 * bins) of Hann-windowed cosines then negated sines: one
    frame of samples times it gives the real and imaginary parts of its rfft."""
    from spoofvoice.features import hann_window

    phase = 2.0 * np.pi * np.outer(np.arange(n_fft), np.arange(n_fft // 2 + 1)) / n_fft
    kernel = np.concatenate([np.cos(phase), -np.sin(phase)], axis=1) * hann_window(n_fft, n_fft)[:, None]
    return kernel[:, None, :].astype(np.float32)


def _layers():
    """The custom layers, defined on first use so that importing this module stays cheap."""
    if "MaxFeatureMap" in _LAYERS:
        return _LAYERS
    import keras
    from keras import ops

    @_register_layer
    class MaxFeatureMap(keras.layers.Layer):
        """Max-Feature-Map (Wu et al., LCNN): the element-wise max of the two halves of the channels.

        A competitive activation that halves the channels; it is what makes LCNN "light".
        """

        def call(self, inputs):
            first, second = ops.split(inputs, 2, axis=-1)
            return ops.maximum(first, second)

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], input_shape[-1] // 2)

    @_register_layer
    class DiagonalGmmLlr(keras.layers.Layer):
        """Frame-level log-likelihood ratio of two diagonal GMMs (bonafide vs spoof), averaged over frames.

        The GMMs are fitted by EM (scikit-learn) before the layer exists; their parameters are
        frozen weights, so the layer exports to .tflite like any other. The per-component
        log density is written as two matrix products, which LiteRT runs fast.
        """

        def __init__(self, components: int, dims: int, **kwargs):
            super().__init__(**kwargs)
            self.components = components
            self.dims = dims

        def build(self, input_shape):
            for cls in ("bonafide", "spoof"):
                for part, shape in (("log_weights", (self.components,)), ("means", (self.components, self.dims)), ("precisions", (self.components, self.dims))):
                    setattr(self, f"{cls}_{part}", self.add_weight(name=f"{cls}_{part}", shape=shape, initializer="ones", trainable=False))

        def _frame_loglik(self, x, log_weights, means, precisions):
            # log N(x; mu, 1/p) = -0.5 * sum p (x - mu)^2 + 0.5 * sum log p - D/2 log 2 pi
            quadratic = ops.matmul(x * x, ops.transpose(precisions)) - 2.0 * ops.matmul(x, ops.transpose(means * precisions))
            constant = ops.sum(precisions * means * means, axis=-1) - ops.sum(ops.log(precisions), axis=-1) + self.dims * math.log(2.0 * math.pi)
            return ops.logsumexp(log_weights - 0.5 * (quadratic + constant), axis=-1)

        def call(self, inputs):
            bonafide = self._frame_loglik(inputs, self.bonafide_log_weights, self.bonafide_means, self.bonafide_precisions)
            spoof = self._frame_loglik(inputs, self.spoof_log_weights, self.spoof_means, self.spoof_precisions)
            return ops.mean(bonafide - spoof, axis=1, keepdims=False)[:, None]

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 1)

        def get_config(self):
            return {**super().get_config(), "components": self.components, "dims": self.dims}

    @_register_layer
    class MeanStdPooling(keras.layers.Layer):
        """Statistics pooling over time (x-vector style): per channel mean and standard deviation.

        The deviation is sqrt(E[x^2] - E[x]^2 + 1e-5): plain ops that LiteRT runs as they are.
        """

        def call(self, inputs):
            mean = ops.mean(inputs, axis=1)
            square = ops.mean(inputs * inputs, axis=1)
            std = ops.sqrt(ops.maximum(square - mean * mean, 0.0) + 1e-5)
            return ops.concatenate([mean, std], axis=-1)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2 * input_shape[-1])

    @_register_layer
    class SubtractTimeMean(keras.layers.Layer):
        """Each column minus its mean over the window: cepstral-mean normalisation on the log
        spectrum. The long-term colour of a clip (microphone, room, the speaker's average
        timbre) goes; what changes from frame to frame stays."""

        def call(self, inputs):
            return inputs - ops.mean(inputs, axis=1, keepdims=True)

        def compute_output_shape(self, input_shape):
            return input_shape

    @_register_layer
    class TakeDims(keras.layers.Layer):
        """Frames[..., start:stop]: a fused model hands each member the planes it was trained on."""

        def __init__(self, start: int, stop: int, **kwargs):
            super().__init__(**kwargs)
            self.start, self.stop = start, stop

        def call(self, inputs):
            return inputs[..., self.start : self.stop]

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], self.stop - self.start)

        def get_config(self):
            return {**super().get_config(), "start": self.start, "stop": self.stop}

    @_register_layer
    class LogMelFromLogSpectrum(keras.layers.Layer):
        """log-mel bands computed from a log power spectrum, exactly as spoofvoice.features does
        from the power spectrum (the same filterbank, the same floor), so a log-mel member can
        run inside a model whose input is the full log spectrum."""

        def __init__(self, sample_rate: int, n_fft: int, n_filters: int, fmin: float = 0.0, fmax: float | None = None, **kwargs):
            super().__init__(**kwargs)
            self.sample_rate, self.n_fft, self.n_filters, self.fmin, self.fmax = sample_rate, n_fft, n_filters, fmin, fmax

        def build(self, input_shape):
            from spoofvoice.features import mel_filterbank

            bank = mel_filterbank(self.sample_rate, self.n_fft, self.n_filters, self.fmin, self.fmax)
            self.bank = self.add_weight(name="bank", shape=bank.T.shape, initializer="zeros", trainable=False)
            self.bank.assign(bank.T)

        def call(self, inputs):
            from spoofvoice.features import LOG_FLOOR

            return ops.maximum(ops.log(ops.matmul(ops.exp(inputs), self.bank)), math.log(LOG_FLOOR))  # float16-safe floor

        def compute_output_shape(self, input_shape):
            return (*input_shape[:-1], self.n_filters)

        def get_config(self):
            return {**super().get_config(), "sample_rate": self.sample_rate, "n_fft": self.n_fft, "n_filters": self.n_filters,
                    "fmin": self.fmin, "fmax": self.fmax}

    @_register_layer
    class ExcitationStatistics(keras.layers.Layer):
        """Window statistics of the excitation columns (voiced, log kurtosis, log crest factor):
        the voiced fraction, then the mean and standard deviation of the other two over the
        voiced frames only, so silence and unvoiced frames do not water them down."""

        def call(self, inputs):
            voiced = inputs[..., :1]
            values = inputs[..., 1:] * voiced
            count = ops.sum(voiced, axis=1) + 1e-3
            mean = ops.sum(values, axis=1) / count
            square = ops.sum(values * values, axis=1) / count
            std = ops.sqrt(ops.maximum(square - mean * mean, 0.0) + 1e-5)
            return ops.concatenate([ops.mean(voiced, axis=1), mean, std], axis=-1)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 2 * input_shape[-1] - 1)

    @_register_layer
    class CosineScore(keras.layers.Layer):
        """scale * (cos(embedding, w) - centre) with one learnt direction w: the one-class
        softmax head (training/losses.py), a logit-like score, higher = more bonafide."""

        def __init__(self, scale: float = 20.0, centre: float = 0.55, **kwargs):
            super().__init__(**kwargs)
            self.scale, self.centre = float(scale), float(centre)

        def build(self, input_shape):
            self.direction = self.add_weight(shape=(input_shape[-1], 1), initializer="glorot_uniform", name="direction")

        def call(self, inputs):
            embedding = inputs / ops.sqrt(ops.sum(inputs * inputs, axis=-1, keepdims=True) + 1e-12)
            direction = self.direction / ops.sqrt(ops.sum(self.direction * self.direction) + 1e-12)
            return self.scale * (ops.matmul(embedding, direction) - self.centre)

        def compute_output_shape(self, input_shape):
            return (input_shape[0], 1)

        def get_config(self):
            return {**super().get_config(), "scale": self.scale, "centre": self.centre}

    @_register_layer
    class UnitRms(keras.layers.Layer):
        """Each window divided by its root-mean-square: a recording's level (a quiet phone, a
        loud studio) does not move a waveform network's score."""

        def call(self, inputs):
            return inputs / ops.sqrt(ops.mean(inputs * inputs, axis=(1, 2), keepdims=True) + 1e-8)

        def compute_output_shape(self, input_shape):
            return input_shape

    @_register_layer
    class ShortTimeLogSpectrum(keras.layers.Layer):
        """The log power spectrum of a window of raw samples, computed inside the network with
        fixed (not trained) Hann-windowed cosine and sine kernels: `n_fft` samples per frame,
        `hop` samples apart, the same floor as `spoofvoice.features`. Why: the stored features
        are 25 ms frames 10 ms apart, too coarse to see a 5 ms crossfade or a smeared onset; a
        network fused with the others can still read the same input, because its frames are
        rebuilt here from the raw samples that end each stored frame."""

        def __init__(self, n_fft: int, hop: int, **kwargs):
            super().__init__(**kwargs)
            self.n_fft, self.hop = int(n_fft), int(hop)
            kernel = dft_kernel(self.n_fft)
            # Two constants, each exact in float16: a fused model's file stores its constants in
            # float16, and the kernel rounded once to float16 leaks -70 dB of every partial into
            # the quiet bins, which moved this network's logit by 0.12 on average (1.2 at most).
            self.kernel_high = kernel.astype(np.float16).astype(np.float32)
            self.kernel_low = kernel - self.kernel_high

        def call(self, inputs):
            from spoofvoice.features import LOG_FLOOR

            samples = ops.reshape(inputs, (-1, inputs.shape[1] * inputs.shape[2], 1))
            parts = (ops.conv(samples, self.kernel_high, strides=self.hop, padding="valid")
                     + ops.conv(samples, self.kernel_low, strides=self.hop, padding="valid"))
            real, imaginary = ops.split(parts, 2, axis=-1)
            # The floor is taken after the log (the same value): a model stored with float16
            # constants would turn 1e-10 into 0, and digital silence into -inf, then NaN.
            return ops.maximum(ops.log(real * real + imaginary * imaginary), math.log(LOG_FLOOR))

        def load_own_variables(self, store):
            """The kernel is fixed and made again from `n_fft`; the first files stored it as a weight."""

        def compute_output_shape(self, input_shape):
            samples = input_shape[1] * input_shape[2]
            return (input_shape[0], (samples - self.n_fft) // self.hop + 1, self.n_fft // 2 + 1)

        def get_config(self):
            return {**super().get_config(), "n_fft": self.n_fft, "hop": self.hop}

    _LAYERS.update(ShortTimeLogSpectrum=ShortTimeLogSpectrum, UnitRms=UnitRms, MaxFeatureMap=MaxFeatureMap, DiagonalGmmLlr=DiagonalGmmLlr, MeanStdPooling=MeanStdPooling, SubtractTimeMean=SubtractTimeMean,
                   TakeDims=TakeDims, LogMelFromLogSpectrum=LogMelFromLogSpectrum,
                   ExcitationStatistics=ExcitationStatistics, CosineScore=CosineScore)
    return _LAYERS


_LAYERS: dict[str, type] = {}


def custom_objects() -> dict[str, type]:
    """The registered layers and losses, for code that loads .keras files written by training."""
    from training.losses import loss_classes

    return {**_layers(), **loss_classes()}


def load_model(path, compile: bool = True):
    """Load a .keras file written by training, custom layers included (`compile=False`: the
    weights alone, without the optimizer's state, as a fused model needs them)."""
    import keras

    return keras.models.load_model(path, custom_objects=custom_objects(), compile=compile)


@register("lcnn")
def lcnn(
    input_shape: tuple[int, int],
    train_features: np.ndarray,
    widths: tuple[int, ...] = (16, 32, 64, 96),
    embedding: int = 128,
    dropout: float = 0.5,
    stem_kernel: int = 5,
    stem_pool: int | Sequence[int] = 1,
    pooling: str = "mean",
    remove_window_mean: bool = False,
    planes: int = 1,
    excitation_dims: int = 0,
    excitation_width: int = 16,
    loss=None,
):
    """Light CNN with Max-Feature-Map activations (after the ASVspoof 2019 LCNN of Lavrentyeva et al.).

    Frames are treated as an image (time x feature). A strided MFM convolution halves both
    axes (two cores must train it), and `stem_pool` > 1 max-pools once more, so a
    high-resolution log spectrum costs about what 40 mel bands do. A pair `[time, frequency]`
    pools the two axes apart: `[2, 1]` pools time only, so every row of the strided stem (62.5
    Hz apart on a 512-point spectrum, not 125) reaches the blocks and harmonics 100 Hz apart
    stay resolved, at twice the cost of the blocks. Each block is then a 1x1
    MFM convolution and a 3x3 MFM convolution with batch normalisation, with max pooling
    between blocks. A per-frame MFM embedding is pooled over time: its mean, or with
    `pooling="mean+std"` its mean and standard deviation, so that a change along the clip
    (a splice, a jump in pitch) can move the score; `"mean+std+max"` adds each channel's
    maximum over the window, so that one brief event (a single splice among two seconds of
    real speech, a smeared onset) is not averaged away. With `planes` > 1 each frame holds that
    many bin-sized planes (log spectrum, group delay...), stacked as image channels.
    `remove_window_mean` subtracts each bin's mean over the window (`SubtractTimeMean`), so a
    voice or microphone whose average spectrum is unlike the training voices' is not judged
    by that average.

    With `excitation_dims` > 0 the last columns of each frame are the LPC-residual excitation
    features: they skip the convolutions, are summarised over the window's voiced frames
    (`ExcitationStatistics`), pass one ReLU layer of `excitation_width` units, and join the
    pooled embedding before the output, so the pulse shape that Griffin-Lim and phase
    vocoders smear can move the score although the spectrum looks right.

    With the one-class softmax `loss` the output is a `CosineScore` head instead of a dense logit.
    """
    import keras

    layers = _layers()
    inputs = keras.Input(shape=input_shape, name="features")
    frames, total_dims = input_shape
    dims = total_dims - excitation_dims
    spectral = layers["TakeDims"](0, dims, name="spectral_columns")(inputs) if excitation_dims else inputs
    x = _standardiser(train_features, dims=dims)(spectral)
    return _lcnn_from_spectrum(inputs, x, dims, widths, embedding, dropout, stem_kernel, stem_pool, pooling,
                               remove_window_mean, planes, excitation_dims, excitation_width, loss)


def _lcnn_from_spectrum(inputs, x, dims: int, widths: Sequence[int], embedding: int, dropout: float, stem_kernel: int,
                        stem_pool: int | Sequence[int], pooling: str, remove_window_mean: bool, planes: int = 1,
                        excitation_dims: int = 0, excitation_width: int = 16, loss=None):
    """The LCNN after its input layer: `x` holds the standardised spectral values (frames,
    `dims`), `inputs` the model's input (where the excitation columns are, when it has them)."""
    import keras

    if pooling not in POOLINGS:
        raise ValueError(f"unknown pooling {pooling!r}; use {', '.join(POOLINGS)}")
    layers = _layers()
    mfm = layers["MaxFeatureMap"]
    frames, total_dims = x.shape[1], inputs.shape[-1]
    if remove_window_mean:
        x = layers["SubtractTimeMean"](name="window_mean_removed")(x)
    if dims % planes:
        raise ValueError(f"{dims} values per frame do not split into {planes} planes")
    x = keras.layers.Reshape((frames, planes, dims // planes))(x)
    x = keras.layers.Permute((1, 3, 2))(x)
    x = keras.layers.Conv2D(2 * widths[0], stem_kernel, strides=2, padding="same")(x)
    x = mfm()(x)
    pool = (stem_pool, stem_pool) if isinstance(stem_pool, int) else tuple(int(n) for n in stem_pool)
    if len(pool) != 2 or min(pool) < 1:
        raise ValueError(f"stem_pool must be a positive number or [time, frequency], not {stem_pool!r}")
    if pool != (1, 1):
        x = keras.layers.MaxPooling2D(pool)(x)
    previous = widths[0]
    for width in widths[1:]:
        x = keras.layers.Conv2D(2 * previous, 1)(x)
        x = mfm()(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.Conv2D(2 * width, 3, padding="same")(x)
        x = mfm()(x)
        x = keras.layers.MaxPooling2D(2)(x)
        x = keras.layers.BatchNormalization()(x)
        previous = width
    frames, bins = x.shape[1], x.shape[2]
    x = keras.layers.Reshape((frames, bins * previous))(x)
    x = keras.layers.Dropout(dropout / 2)(x)
    x = keras.layers.Dense(2 * embedding)(x)
    x = mfm()(x)
    if pooling == "mean":
        x = keras.layers.GlobalAveragePooling1D(name="mean_over_time")(x)
    elif pooling == "mean+std":
        x = layers["MeanStdPooling"](name="mean_std_over_time")(x)
    else:
        statistics = layers["MeanStdPooling"](name="mean_std_over_time")(x)
        peaks = keras.layers.GlobalMaxPooling1D(name="max_over_time")(x)
        x = keras.layers.Concatenate(name="mean_std_max_over_time")([statistics, peaks])
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.Dropout(dropout)(x)
    if excitation_dims:
        e = layers["TakeDims"](dims, total_dims, name="excitation_columns")(inputs)
        e = layers["ExcitationStatistics"](name="excitation_statistics")(e)
        e = keras.layers.BatchNormalization()(e)
        e = keras.layers.Dense(excitation_width, activation="relu")(e)
        x = keras.layers.Concatenate()([x, e])
    if loss is not None and loss.name == "oc-softmax":
        outputs = layers["CosineScore"](loss.scale, loss.centre, name="bonafide_cosine_score")(x)
    else:
        outputs = keras.layers.Dense(1, name="bonafide_logit")(x)
    return keras.Model(inputs, outputs, name="lcnn")


@register("lcnn-short-frames")
def lcnn_short_frames(
    input_shape: tuple[int, int],
    train_features: np.ndarray,
    n_fft: int = 128,
    hop: int = 40,
    widths: tuple[int, ...] = (16, 32, 64, 96),
    embedding: int = 128,
    dropout: float = 0.3,
    stem_kernel: int = 5,
    stem_pool: int | Sequence[int] = 2,
    pooling: str = "mean+std",
    remove_window_mean: bool = True,
):
    """The LCNN on a short-frame log spectrum (`n_fft` = 128 samples, 8 ms, every `hop` = 40
    samples, 2.5 ms) that `ShortTimeLogSpectrum` computes from the raw samples of the
    "waveform" feature kind. Why: the spectral networks see 25 ms frames 10 ms apart, and the
    spoofs they miss most are made by cutting and crossfading (concatenation, 5 ms fades at
    each join) and by Griffin-Lim (whose rebuilt phase smears onsets within a frame); four
    times the time resolution, with a quarter of the frequency resolution, shows what the long
    frames average away. The log spectrum is standardised per bin on a sample of the training
    windows, as the spectral networks' input is.
    """
    import keras

    inputs = keras.Input(shape=input_shape, name="features")
    spectrum = _layers()["ShortTimeLogSpectrum"](n_fft, hop, name="short_time_log_spectrum")
    sample = np.asarray(train_features[:: max(1, len(train_features) // 512)], np.float32)
    sample_spectra = np.concatenate([np.asarray(spectrum(sample[i : i + 64])) for i in range(0, len(sample), 64)])
    x = spectrum(inputs)
    x = _standardiser(sample_spectra)(x)
    return _lcnn_from_spectrum(inputs, x, n_fft // 2 + 1, widths, embedding, dropout, stem_kernel, stem_pool, pooling,
                               remove_window_mean)


@register("rawcnn")
def rawcnn(
    input_shape: tuple[int, int],
    train_features: np.ndarray,
    widths: tuple[int, ...] = (48, 64, 96, 128),
    stem_filters: int = 32,
    stem_kernel: int = 64,
    dropout: float = 0.3,
):
    """A small 1-D CNN on the raw samples of the "waveform" feature kind (frames laid end to end).

    Why: the spectral networks see magnitudes, and the spoofs they miss (Griffin-Lim, diphone
    and phase-vocoder voices) differ from real speech mostly in the shape of each pitch pulse.
    A strided stem of `stem_kernel` samples (4 ms, a learnt filterbank), max pooling by 4, then
    one convolution of 5 taps with max pooling by 3 per entry of `widths` (batch normalisation
    and leaky ReLU after each); the window's mean and maximum of the last channels feed the
    logit. Weak alone, it errs on other clips than the spectral networks, so it can help a fused
    model; trained on `corpus/large` it also rejects held-out real voices, so no shipped model
    holds it (training/ship.py). `train_features` is not needed: the window is scaled to unit RMS.
    """
    import keras

    frames, hop = input_shape
    inputs = keras.Input(shape=input_shape, name="features")
    x = keras.layers.Reshape((frames * hop, 1), name="samples")(inputs)
    x = _layers()["UnitRms"](name="unit_rms")(x)
    x = keras.layers.Conv1D(stem_filters, stem_kernel, strides=2, padding="same")(x)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.LeakyReLU(negative_slope=0.3)(x)
    x = keras.layers.MaxPooling1D(4)(x)
    for width in widths:
        x = keras.layers.Conv1D(width, 5, padding="same")(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.LeakyReLU(negative_slope=0.3)(x)
        x = keras.layers.MaxPooling1D(3)(x)
    pooled = [keras.layers.GlobalAveragePooling1D(name="mean_over_time")(x), keras.layers.GlobalMaxPooling1D(name="max_over_time")(x)]
    x = keras.layers.Concatenate(name="mean_max_over_time")(pooled)
    x = keras.layers.Dropout(dropout)(x)
    outputs = keras.layers.Dense(1, name="bonafide_logit")(x)
    return keras.Model(inputs, outputs, name="rawcnn")


def fit_gmm(frames: np.ndarray, components: int, seed: int, max_frames: int):
    """EM fit of one diagonal GMM on (a seeded sample of) standardised frames."""
    from sklearn.mixture import GaussianMixture

    rng = np.random.default_rng(seed)
    if len(frames) > max_frames:
        frames = frames[rng.choice(len(frames), size=max_frames, replace=False)]
    gmm = GaussianMixture(components, covariance_type="diag", max_iter=100, reg_covar=1e-3, random_state=seed)
    return gmm.fit(frames.astype(np.float64))


@register("gmm")
def gmm(
    input_shape: tuple[int, int],
    train_features: np.ndarray,
    labels: np.ndarray | None = None,
    components: int = 64,
    max_frames: int = 200_000,
    seed: int = 0,
):
    """The ASVspoof GMM baseline: bonafide and spoof diagonal GMMs, score = mean frame LLR.

    Needs the training labels (1 bonafide, 0 spoof). Nothing is learnt by gradient descent.
    """
    import keras

    if labels is None:
        raise ValueError("the gmm architecture needs the training labels")
    norm = _standardiser(train_features)
    mean, variance = frame_moments(train_features)
    std = np.sqrt(variance + 1e-6)
    layer = _layers()["DiagonalGmmLlr"](components, input_shape[1], name="gmm_llr")
    inputs = keras.Input(shape=input_shape, name="features")
    outputs = layer(norm(inputs))
    model = keras.Model(inputs, outputs, name="gmm")
    values = []
    for cls, offset in (("bonafide", 1), ("spoof", 2)):
        chosen = ((train_features[labels == (1 if cls == "bonafide" else 0)] - mean) / std).reshape(-1, input_shape[1])
        fitted = fit_gmm(chosen, components, seed + offset, max_frames)
        values += [np.log(fitted.weights_), fitted.means_, 1.0 / fitted.covariances_]
    layer.set_weights([np.asarray(v, dtype=np.float32) for v in values])
    return model
