"""Views of a clip (spoofvoice/views.py): the telephone band, detector cards that ask for
several views, and training/views.py, which makes such a model from a trained one."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from test_evaluate import folder_dataset, tiny_model  # noqa: F401

from spoofvoice import audio
from spoofvoice.detector import Detector, ModelError
from spoofvoice.paths import MODELS_DIR
from spoofvoice.views import (
    AS_IS,
    NARROWBAND_DB,
    TELEPHONE,
    high_band_db,
    telephone_band,
    telephone_view,
)
from training.views import ViewError, make_view_model, view_card, view_model_name

RATE = 16000


def _tone(hz: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def _rms(x: np.ndarray) -> float:
    middle = x[len(x) // 4 : -len(x) // 4]  # away from the filter's start-up
    return float(np.sqrt(np.mean(middle.astype(np.float64) ** 2)))


def test_the_telephone_view_keeps_the_voice_band_and_the_length():
    for hz, kept in ((1000.0, True), (2500.0, True), (100.0, False), (5000.0, False), (7000.0, False)):
        tone = _tone(hz)
        through = telephone_band(tone, RATE)
        assert len(through) == len(tone) and through.dtype == np.float32
        ratio = _rms(through) / _rms(tone)
        assert (ratio > 0.8) if kept else (ratio < 0.05), f"{hz} Hz: {ratio:.3f}"
    odd = telephone_band(_tone(1000.0, 0.7)[:11111], RATE)
    assert len(odd) == 11111


def test_a_clip_already_narrowband_is_its_own_telephone_view():
    """An 8 kHz recording gains nothing from the band but lower scores for real voices, so the
    view hands it back untouched (the same array, which the detector then scores once)."""
    noise = np.random.default_rng(5).standard_normal(RATE * 2).astype(np.float32) * 0.1
    narrow = audio.resample(audio.resample(noise, RATE, 8000), 8000, RATE)
    assert high_band_db(noise, RATE) > -4.0 and high_band_db(narrow, RATE) < NARROWBAND_DB
    assert telephone_view(narrow, RATE) is narrow
    wide = telephone_view(noise, RATE)
    assert wide is not noise and np.array_equal(wide, telephone_band(noise, RATE))
    floor = narrow + np.random.default_rng(6).standard_normal(len(narrow)).astype(np.float32) * 5e-4  # 46 dB down
    assert NARROWBAND_DB - 10 < high_band_db(floor, RATE) < NARROWBAND_DB and telephone_view(floor, RATE) is floor
    assert high_band_db(np.zeros(RATE, np.float32), RATE) == float("-inf")


def test_the_band_and_the_energy_share_are_scipy_signals_without_importing_it(tmp_path):
    """The written-out filter is scipy's Butterworth design and filters as sosfilt does; the
    energy share is scipy's Welch estimate. Checking a clip must not import scipy.signal (0.7 to
    1 s at start-up), so a fresh process scores through both views without it."""
    from scipy.signal import butter, sosfilt, welch

    from spoofvoice.views import TELEPHONE_SOS, telephone_narrowband

    assert np.array_equal(butter(4, [300.0, 3400.0], btype="bandpass", fs=8000, output="sos"), np.array(TELEPHONE_SOS))
    rng = np.random.default_rng(7)
    clip = (rng.standard_normal(3 * 65536 + 123) * 0.2).astype(np.float32)  # several convolution blocks
    expected = sosfilt(np.array(TELEPHONE_SOS), audio.resample(clip, RATE, 8000))
    assert np.abs(telephone_narrowband(clip, RATE) - expected).max() < 1e-6
    for length in (100, 512, 513, 40000):
        x = (rng.standard_normal(length) * 0.1 + np.sin(np.arange(length) * 0.3)).astype(np.float32)
        freqs, power = welch(x, fs=RATE, nperseg=min(512, length))
        assert high_band_db(x, RATE) == pytest.approx(10 * np.log10(power[freqs >= 4000].sum() / power.sum()), abs=1e-4)
    script = ("import sys, numpy as np; from spoofvoice.detector import Detector; d = Detector.load(sys.argv[1]); "
              "x = (np.random.default_rng(0).standard_normal(40000) * 0.1).astype(np.float32); d.score(x); "
              "print('scipy.signal' in sys.modules)")
    _card_with(tmp_path, [AS_IS, TELEPHONE])  # the noise is wideband: both views are made
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "default.json")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "False", done.stderr[-2000:]


def test_the_corpus_telephone_channel_is_the_same_band_as_the_view():
    """Training's telephone channel (without G.711) and the detector's view are one filter, so
    the view shows the model the band it learnt from."""
    from training.corpus.channel import telephone

    clip = np.random.default_rng(3).standard_normal(RATE).astype(np.float32) * 0.1
    assert np.array_equal(telephone(clip, "-"), telephone_band(clip, RATE))
    assert not np.array_equal(telephone(clip, "ulaw"), telephone_band(clip, RATE))


def _card_with(folder, views) -> Detector:
    """The shipped default's network under a card that asks for `views`."""
    folder.mkdir(parents=True, exist_ok=True)
    raw = json.loads((MODELS_DIR / "default.json").read_text(encoding="utf-8"))
    raw["views"] = views
    shutil.copy(MODELS_DIR / "default.tflite", folder / "default.tflite")
    (folder / "default.json").write_text(json.dumps(raw), encoding="utf-8")
    return Detector.load(folder / "default.json")


@pytest.fixture(scope="module")
def wideband_speech(tmp_path_factory):
    """A clip with speech above 4 kHz (espeak-ng at 22 kHz; Asterisk's prompts are 8 kHz)."""
    path = tmp_path_factory.mktemp("wide") / "wide.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "She sells sea shells by the sea shore, six times."], check=True, timeout=60)
    return path


def test_a_card_with_two_views_scores_the_mean_of_both(tmp_path, wideband_speech, real_speech):
    speech = audio.load(wideband_speech)
    assert high_band_db(speech, RATE) > NARROWBAND_DB
    as_is, both = _card_with(tmp_path / "a", [AS_IS]), _card_with(tmp_path / "b", [AS_IS, TELEPHONE])
    plain, phone = as_is.score(speech), as_is.score(telephone_band(speech, RATE))
    verdict = both.score(speech)
    assert verdict.score == pytest.approx((plain.score + phone.score) / 2, abs=1e-5)
    assert abs(verdict.score - plain.score) > 1e-3  # the second view is really used
    assert [s.start_s for s in verdict.segments] == [s.start_s for s in plain.segments]
    for seg, a, b in zip(verdict.segments, plain.segments, phone.segments, strict=True):
        assert seg.score == pytest.approx((a.score + b.score) / 2, abs=1e-5)
    assert both.score_file(wideband_speech).score == pytest.approx(verdict.score, abs=1e-6)
    phone_call = audio.load(real_speech)  # recorded at 8 kHz: its own telephone view
    assert both.score(phone_call).score == pytest.approx(as_is.score(phone_call).score, abs=1e-6)


def test_a_card_asking_for_an_unknown_view_is_refused_in_one_sentence(tmp_path):
    with pytest.raises(ModelError, match="asks for a view this version cannot make \\(echo\\)"):
        _card_with(tmp_path, [AS_IS, "echo"])
    assert _card_with(tmp_path, TELEPHONE).card.views == (TELEPHONE,)  # one view may be a string
    assert _card_with(tmp_path, None).card.views == (AS_IS,)


def test_a_view_card_keeps_the_network_and_drops_the_numbers_it_changes():
    source = {"name": "default", "description": "A mean.", "selected": {"from": "mean7"}, "compared_with": {},
              "metrics": {"eval": {"eer": 0.1}}, "config": {"runs": ["a", "b"]}, "files": {}, "threshold": {"value": 0.3}}
    name = view_model_name("mean7", [AS_IS, TELEPHONE])
    card = view_card(source, [AS_IS, TELEPHONE], name)
    assert name == "mean7-views-as-is-telephone" and card["name"] == name
    assert card["views"] == [AS_IS, TELEPHONE] and card["metrics"] == {}
    assert "selected" not in card and "compared_with" not in card
    assert card["config"] == {"recipe": name, "views_of": "mean7", "views": [AS_IS, TELEPHONE], "source_config": {"runs": ["a", "b"]},
                              "source_description": "A mean."}
    assert card["description"] == "mean7 asked through 2 views of each clip (as-is, telephone): a clip's score is the mean of the views' scores. A mean."
    again = view_card(card, [TELEPHONE], "mean7-views-telephone")  # views replace views
    assert again["config"] == {"recipe": "mean7-views-telephone", "views_of": "mean7", "views": [TELEPHONE],
                               "source_config": {"runs": ["a", "b"]}, "source_description": "A mean."}
    assert again["description"].endswith("the mean of the views' scores. A mean.")
    for views in ([AS_IS, "echo"], [], [TELEPHONE, TELEPHONE]):
        with pytest.raises(ViewError):
            view_card(source, views, "x")


@pytest.mark.slow
def test_make_view_model_fits_its_threshold_on_dev_through_the_views(tmp_path, folder_dataset, tiny_model):  # noqa: F811
    from training.metrics import eer_with_threshold
    from training.report import read_scores

    models = tmp_path / "models"
    shutil.copytree(tiny_model.parent, models)
    data = tmp_path / "data"
    data.mkdir()
    (data / "dev").symlink_to(folder_dataset)
    card_path = make_view_model("tiny", [AS_IS, TELEPHONE], "folder", data, models_dir=models, reports=tmp_path / "reports",
                                workers=1, log=lambda _: None)
    card = json.loads(card_path.read_text(encoding="utf-8"))
    assert card_path.name == "tiny-views-as-is-telephone.json" and card["views"] == [AS_IS, TELEPHONE]
    assert card["files"]["tflite"]["sha256"] == json.loads(tiny_model.read_text())["files"]["tflite"]["sha256"]
    trials = read_scores(tmp_path / "reports" / card["name"] / "dev-fit" / "scores.txt")
    bonafide = [t.score for t in trials if t.key == "bonafide"]
    spoof = [t.score for t in trials if t.key == "spoof"]
    eer, threshold = eer_with_threshold(bonafide, spoof)
    assert len(trials) == 20 and card["threshold"]["value"] == pytest.approx(threshold)
    assert card["metrics"]["dev"]["eer"] == pytest.approx(eer) and card["calibration"]["method"] == "platt"
    detector, plain = Detector.load(card_path), Detector.load(tiny_model)
    for clip in (next((folder_dataset / "bonafide").glob("*.wav")), next((folder_dataset / "spoof").glob("*.wav"))):
        speech = audio.load(clip)
        expected = (plain.score(speech).score + plain.score(telephone_view(speech, RATE)).score) / 2
        assert detector.score_file(clip).score == pytest.approx(expected, abs=1e-5)
        assert [t.score for t in trials if t.utt_id == clip.stem][0] == pytest.approx(expected, abs=1e-4)
