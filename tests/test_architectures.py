"""Architectures built in-process: the excitation branch of the LCNN reads only voiced frames."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.slow


def _window(rng: np.random.Generator, frames: int = 48, spectral: int = 32) -> np.ndarray:
    x = rng.standard_normal((2, frames, spectral + 3)).astype(np.float32)
    voiced = rng.random((2, frames)) < 0.4
    x[..., spectral] = voiced
    x[..., spectral + 1 :] *= voiced[..., None]
    return x


def test_excitation_statistics_are_voiced_frame_moments():
    from training.architectures import custom_objects

    x = _window(np.random.default_rng(0))[..., 32:]
    got = np.asarray(custom_objects()["ExcitationStatistics"]()(x))
    for row, clip in zip(got, x, strict=True):
        voiced = clip[clip[:, 0] == 1.0, 1:]
        expected = np.r_[clip[:, 0].mean(), voiced.mean(axis=0), voiced.std(axis=0)]
        np.testing.assert_allclose(row, expected, atol=2e-3)


def test_lcnn_excitation_branch_moves_the_score_only_through_voiced_frames():
    from training.architectures import build

    rng = np.random.default_rng(1)
    x = _window(rng)
    model = build("lcnn", (48, 35), x, excitation_dims=3, widths=(4, 8), embedding=8, stem_pool=2)
    base = model.predict(x, verbose=0)
    changed_voiced = x.copy()
    changed_voiced[..., 33:] += 2.0 * changed_voiced[..., 32:33]
    assert np.abs(model.predict(changed_voiced, verbose=0) - base).max() > 1e-4
    changed_unvoiced = x.copy()
    changed_unvoiced[..., 33:] += 5.0 * (1.0 - changed_unvoiced[..., 32:33])
    np.testing.assert_allclose(model.predict(changed_unvoiced, verbose=0), base, atol=1e-5)
    with pytest.raises(ValueError, match="excitation"):
        build("seed-mlp", (48, 35), x, excitation_dims=3)


def test_fused_input_feeds_members_with_and_without_excitation(real_speech):
    """From one log-spectrum-plus-excitation input, the adapters rebuild exactly what a log-mel
    member with excitation and a log-spectrum member without it were trained on."""
    from spoofvoice import audio
    from spoofvoice.features import FeatureConfig, extract
    from training.fuse import FusionError, member_adapter, widest_features

    samples = audio.load(real_speech)
    mel = FeatureConfig(kind="logmel", n_filters=40, excitation=True)
    spec = FeatureConfig(kind="logspec")
    full = widest_features([mel, spec])
    assert full == FeatureConfig(kind="logspec", excitation=True)
    fused_input = extract(samples, full)[None]
    for member in (mel, spec):
        rebuilt = np.asarray(member_adapter(full, member, "m")(fused_input))[0]
        np.testing.assert_allclose(rebuilt, extract(samples, member), rtol=1e-3, atol=1e-3)  # float32 exp and log
    with pytest.raises(FusionError, match="excitation"):
        member_adapter(spec, mel, "m")


def test_lcnn_stem_pool_pair_pools_time_and_frequency_apart():
    """`stem_pool: [2, 1]` halves time only, so the embedding sees twice the frequency bins."""
    from training.architectures import build

    x = _window(np.random.default_rng(2), frames=64, spectral=64)
    square = build("lcnn", (64, 67), x, excitation_dims=3, widths=(4, 8), embedding=8, stem_pool=2)
    fine = build("lcnn", (64, 67), x, excitation_dims=3, widths=(4, 8), embedding=8, stem_pool=[2, 1])

    def embedding_inputs(model) -> int:
        return next(layer for layer in model.layers if layer.__class__.__name__ == "Dense").kernel.shape[0]

    assert embedding_inputs(square) == 8 * (64 // 2 // 2 // 2)
    assert embedding_inputs(fine) == 8 * (64 // 2 // 2)
    assert fine.predict(x, verbose=0).shape == (2, 1)
    with pytest.raises(ValueError, match="stem_pool"):
        build("lcnn", (64, 67), x, excitation_dims=3, widths=(4, 8), embedding=8, stem_pool=[2, 0])


def test_lcnn_max_pooling_keeps_each_channels_peak_over_time():
    """`pooling: "mean+std+max"` pools [mean, deviation, maximum] of the frame embeddings,
    so one frame that stands out moves the pooled vector by its own size, not 1/frames of it."""
    import keras

    from training.architectures import build

    x = _window(np.random.default_rng(3), frames=64, spectral=32)
    model = build("lcnn", (64, 35), x, excitation_dims=3, widths=(4, 8), embedding=8, stem_pool=2, pooling="mean+std+max")
    pooled = model.get_layer("mean_std_max_over_time")
    probe = keras.Model(model.input, [model.get_layer("max_over_time").input, pooled.output])
    frames, vector = (np.asarray(a) for a in probe.predict(x, verbose=0))
    width = frames.shape[-1]
    assert vector.shape == (2, 3 * width)
    np.testing.assert_allclose(vector[:, :width], frames.mean(axis=1), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(vector[:, 2 * width :], frames.max(axis=1), rtol=1e-5, atol=1e-6)
    assert model.predict(x, verbose=0).shape == (2, 1)
    with pytest.raises(ValueError, match="mean\\+std\\+max"):
        build("lcnn", (64, 35), x, excitation_dims=3, widths=(4, 8), embedding=8, stem_pool=2, pooling="median")


def test_lcnn_without_the_window_mean_ignores_a_fixed_colour_on_the_spectrum():
    """`remove_window_mean: true` subtracts each bin's mean over the window, so a recording
    chain that adds the same log-spectral tilt to every frame (a microphone, a voice's
    average timbre) cannot move the score; the plain LCNN is moved by it."""
    from training.architectures import build

    rng = np.random.default_rng(4)
    x = _window(rng, frames=64, spectral=32)
    coloured = x.copy()
    coloured[..., :32] += np.linspace(-3.0, 3.0, 32, dtype=np.float32)
    plain = build("lcnn", (64, 35), x, excitation_dims=3, widths=(4, 8), embedding=8, stem_pool=2, seed=0)
    centred = build("lcnn", (64, 35), x, excitation_dims=3, widths=(4, 8), embedding=8, stem_pool=2, seed=0,
                    remove_window_mean=True)
    np.testing.assert_allclose(centred.predict(coloured, verbose=0), centred.predict(x, verbose=0), atol=1e-4)
    assert np.abs(plain.predict(coloured, verbose=0) - plain.predict(x, verbose=0)).max() > 1e-3
    within = x.copy()
    within[:, :32, :32] += 2.0  # a change inside the window still counts
    assert np.abs(centred.predict(within, verbose=0) - centred.predict(x, verbose=0)).max() > 1e-4


def test_fused_input_feeds_a_waveform_member_the_clip_itself(real_speech):
    """With a waveform member the fused input ends each frame with its raw samples: the adapter
    hands that member exactly its own features, and the spectral member still gets its own."""
    from spoofvoice import audio
    from spoofvoice.features import FeatureConfig, extract
    from training.fuse import FusionError, member_adapter, widest_features

    samples = audio.load(real_speech)
    raw = FeatureConfig(kind="waveform")
    spec = FeatureConfig(kind="logspec", excitation=True)
    full = widest_features([spec, raw])
    assert full == FeatureConfig(kind="logspec", excitation=True, waveform=True)
    assert full.dims == spec.dims + raw.hop_length
    fused_input = extract(samples, full)[None]
    for member in (raw, spec):
        np.testing.assert_array_equal(np.asarray(member_adapter(full, member, "m")(fused_input))[0], extract(samples, member))
    with pytest.raises(FusionError, match="raw samples"):
        member_adapter(spec, raw, "m")
    with pytest.raises(FusionError, match="raw samples"):
        member_adapter(FeatureConfig(kind="logspec", hop_length=128, waveform=True), FeatureConfig(kind="waveform"), "m")


def test_fused_input_feeds_a_residual_member_its_residual(real_speech):
    """A member on LPC residual samples gets the residual from the fused input; raw and residual
    members cannot share one (the input holds one kind of samples)."""
    from spoofvoice import audio
    from spoofvoice.features import FeatureConfig, extract
    from training.fuse import FusionError, member_adapter, widest_features

    samples = audio.load(real_speech)
    residual = FeatureConfig(kind="waveform", residual=True)
    spec = FeatureConfig(kind="logspec", excitation=True)
    full = widest_features([spec, residual])
    assert full == FeatureConfig(kind="logspec", excitation=True, waveform=True, residual=True)
    fused_input = extract(samples, full)[None]
    for member in (residual, spec):
        np.testing.assert_array_equal(np.asarray(member_adapter(full, member, "m")(fused_input))[0], extract(samples, member))
    with pytest.raises(FusionError, match="raw samples"):
        member_adapter(widest_features([spec, FeatureConfig(kind="waveform")]), residual, "m")
    with pytest.raises(FusionError, match="residual"):
        widest_features([spec, residual, FeatureConfig(kind="waveform")])


def test_waveform_network_ignores_the_recording_level():
    """rawcnn scales each window to unit RMS: the same clip 20 dB quieter gets the same logit,
    while a different waveform gets another."""
    from training.architectures import build

    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 20, 160)).astype(np.float32)
    model = build("rawcnn", (20, 160), x, widths=(8, 8), stem_filters=8, stem_kernel=16)
    base = model.predict(x, verbose=0)
    assert base.shape == (2, 1)
    np.testing.assert_allclose(model.predict(0.1 * x, verbose=0), base, rtol=1e-4, atol=1e-4)
    assert np.abs(model.predict(x[:, ::-1], verbose=0) - base).max() > 1e-4


def test_short_time_log_spectrum_is_the_log_power_of_short_hann_frames():
    """The in-network front end of lcnn-short-frames: the window's samples laid end to end,
    cut into n_fft-sample Hann frames every `hop` samples, each frame's log power spectrum
    with the features' floor, as numpy's FFT gives it."""
    from spoofvoice.features import LOG_FLOOR, hann_window
    from training.architectures import custom_objects

    rng = np.random.default_rng(5)
    x = (0.1 * rng.standard_normal((2, 10, 160))).astype(np.float32)
    x[1, 4:] = 0.0  # digital silence reaches the floor, not -inf
    got = np.asarray(custom_objects()["ShortTimeLogSpectrum"](128, 40)(x))
    assert got.shape == (2, (1600 - 128) // 40 + 1, 65)
    window = hann_window(128, 128)
    for clip in range(2):
        samples = x[clip].reshape(-1)
        for frame in (0, 7, got.shape[1] - 1):
            power = np.abs(np.fft.rfft(samples[frame * 40 : frame * 40 + 128] * window)) ** 2
            np.testing.assert_allclose(got[clip, frame], np.log(np.maximum(power, LOG_FLOOR)), atol=2e-4)
    assert got[1, -1].min() == pytest.approx(np.log(LOG_FLOOR))


def test_short_frame_lcnn_reads_samples_and_ignores_their_level(tmp_path):
    """lcnn-short-frames takes the waveform feature kind (what a fused model hands a waveform
    member) and, its window mean removed, gives the same logit to the clip 20 dB quieter; its
    exported .tflite scores like the Keras network."""
    from ai_edge_litert.interpreter import Interpreter

    from training.architectures import build
    from training.export import write_model_files

    rng = np.random.default_rng(6)
    x = (0.05 * rng.standard_normal((4, 40, 160))).astype(np.float32)
    x[:, :, ::7] += 0.2 * np.sin(np.arange(40 * 160, dtype=np.float32) * 0.3).reshape(40, 160)[:, ::7]
    model = build("lcnn-short-frames", (40, 160), x, widths=(4, 8), embedding=8, seed=0)
    loud, quiet = model.predict(x, verbose=0), model.predict(x * 0.1, verbose=0)
    np.testing.assert_allclose(quiet, loud, atol=1e-3)
    write_model_files(model, "short", tmp_path)
    interpreter = Interpreter(model_path=str(tmp_path / "short.tflite"))
    interpreter.allocate_tensors()
    given, taken = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(given["index"], x[:1])
    interpreter.invoke()
    assert float(interpreter.get_tensor(taken["index"]).reshape(-1)[0]) == pytest.approx(float(loud[0, 0]), abs=1e-3)


def test_short_time_log_spectrum_survives_float16_storage(tmp_path):
    """A fused model's .tflite keeps its constants in float16. The DFT kernel rounded once would
    raise the quiet bins of a pure tone by tens of dB, and the 1e-10 floor would become 0, so
    digital silence gave NaN: stored as two float16-exact parts, and floored after the log,
    the spectrum matches the float32 one in every bin, silence included."""
    import keras
    from ai_edge_litert.interpreter import Interpreter

    from training.architectures import custom_objects
    from training.export import write_model_files

    inputs = keras.Input(shape=(20, 160))
    model = keras.Model(inputs, custom_objects()["ShortTimeLogSpectrum"](128, 40)(inputs))
    tone = np.sin(2 * np.pi * 1000.0 * np.arange(3200) / 16000.0).astype(np.float32).reshape(20, 160)
    tone[12:] = 0.0
    expected = np.asarray(model.predict(tone[None], verbose=0))[0]
    write_model_files(model, "spectrum", tmp_path, "float16")
    interpreter = Interpreter(model_path=str(tmp_path / "spectrum.tflite"))
    interpreter.allocate_tensors()
    given, taken = interpreter.get_input_details()[0], interpreter.get_output_details()[0]
    interpreter.set_tensor(given["index"], tone[None])
    interpreter.invoke()
    got = interpreter.get_tensor(taken["index"])[0]
    assert np.isfinite(got).all()
    assert expected[:40, 60].max() < -14.0  # far from the tone, a Hann window leaks almost nothing
    np.testing.assert_allclose(got, expected, atol=0.05)
