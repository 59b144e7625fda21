"""The LiteRT detector on real clips, with the shipped model and its card."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from spoofvoice import audio
from spoofvoice.detector import Detector, ModelError, list_models, resolve_card
from spoofvoice.verdict import BONAFIDE, SPOOF


@pytest.fixture(scope="module")
def detector() -> Detector:
    return Detector.load("default")


def test_default_and_seed_models_are_shipped():
    assert {"default", "seed-mlp"} <= set(list_models())
    assert resolve_card("default").name == "default.json"


def test_verdict_on_real_speech(detector, real_speech):
    verdict = detector.score_file(real_speech)
    assert verdict.label in (BONAFIDE, SPOOF)
    assert 0.0 <= verdict.spoof_probability <= 1.0
    assert verdict.model == "default"
    assert abs(verdict.duration_s - 3.285) < 0.01
    assert (verdict.label == BONAFIDE) == (verdict.score >= verdict.threshold)
    assert len(verdict.segments) >= 1
    assert verdict.uncertain == (abs(verdict.score - verdict.threshold) < detector.card.uncertainty_band)


def test_clip_shorter_than_the_window_is_padded_by_repetition(real_speech):
    seed = Detector.load("seed-mlp")  # 4-second window; the clip lasts 3.3 s
    verdict = seed.score_file(real_speech)
    assert len(verdict.segments) == 1 and verdict.segments[0].end_s == pytest.approx(3.285, abs=0.01)
    samples = audio.load(real_speech)
    assert seed.score(samples).score == pytest.approx(seed.score(np.concatenate([samples, samples])[: seed.window_samples]).score, abs=1e-5)


def test_long_clip_is_scored_in_overlapping_windows(detector, real_speech):
    speech = audio.load(real_speech)
    long_clip = np.concatenate([speech] * 4)  # about 13 s
    verdict = detector.score(long_clip)
    starts = [s.start_s for s in verdict.segments]
    assert len(starts) >= 5 and starts == sorted(starts) and starts[0] == 0.0
    assert verdict.segments[-1].end_s == pytest.approx(verdict.duration_s, abs=0.02)
    assert starts[1] - starts[0] == pytest.approx(detector.card.hop_seconds, abs=0.02)
    assert verdict.score == pytest.approx(np.mean([s.score for s in verdict.segments]))


def test_threshold_override_flips_the_label(detector, real_speech):
    score = detector.score_file(real_speech).score
    assert detector.score_file(real_speech, threshold=score - 1.0).label == BONAFIDE
    assert detector.score_file(real_speech, threshold=score + 1.0).label == SPOOF


def _copy_model(tmp_path):
    for suffix in (".tflite", ".json", ".keras"):
        shutil.copy(resolve_card("seed-mlp").with_suffix(suffix), tmp_path / f"seed-mlp{suffix}")
    return tmp_path


def test_refuses_a_model_without_card(tmp_path):
    folder = _copy_model(tmp_path)
    (folder / "seed-mlp.json").unlink()
    with pytest.raises(ModelError, match="has no card"):
        Detector.load("seed-mlp", models_dir=folder)
    with pytest.raises(ModelError, match="has no card"):
        Detector.load(folder / "seed-mlp.tflite")


def test_unknown_model_lists_the_known_ones(tmp_path):
    with pytest.raises(ModelError, match="No model called nope. Models available: .*seed-mlp"):
        Detector.load("nope")


def test_refuses_a_model_whose_hash_differs(tmp_path):
    folder = _copy_model(tmp_path)
    data = bytearray((folder / "seed-mlp.tflite").read_bytes())
    data[-10] ^= 0xFF
    (folder / "seed-mlp.tflite").write_bytes(bytes(data))
    with pytest.raises(ModelError, match="does not match its card"):
        Detector.load("seed-mlp", models_dir=folder)


def test_refuses_a_card_whose_features_do_not_fit_the_network(tmp_path):
    folder = _copy_model(tmp_path)
    card = json.loads((folder / "seed-mlp.json").read_text())
    card["features"]["n_coeffs"] = 20
    (folder / "seed-mlp.json").write_text(json.dumps(card))
    with pytest.raises(ModelError, match="expects input"):
        Detector.load("seed-mlp", models_dir=folder)


def test_card_describes_the_model():
    card = json.loads(resolve_card("seed-mlp").read_text())
    for key in ("architecture", "features", "threshold", "calibration", "training_data", "metrics", "files"):
        assert key in card
    assert card["threshold"]["method"]
    assert card["training_data"]["train"]["clips"] > 0


def test_a_waiting_person_gets_every_core_up_to_four(monkeypatch):
    """The session's detector scores one clip at a time for a person waiting: more threads make
    that check quicker (0.30 to 0.16 s on 2 cores) and must not move its score."""
    import spoofvoice.detector as detector_module

    for cores, threads in ((None, 1), (1, 1), (2, 2), (16, 4)):
        monkeypatch.setattr(detector_module.os, "cpu_count", lambda cores=cores: cores)
        assert detector_module.interactive_threads() == threads


def test_the_session_detector_uses_the_interactive_threads_to_the_same_score(real_speech):
    from spoofvoice.context import Context
    from spoofvoice.detector import interactive_threads

    class Silent:
        def say(self, *args, **kwargs):
            pass

    session = Context(Silent()).detector("default")
    assert session.num_threads == interactive_threads()
    single = Detector.load("default", num_threads=1)
    assert single.num_threads == 1
    assert session.score_file(real_speech).score == pytest.approx(single.score_file(real_speech).score, abs=1e-6)
