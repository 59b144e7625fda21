"""Game voice acting as train-only real speech: Drascula's raw 8-bit files and Fish Fillets'
dubs, read from tiny files in their exact layouts, and spoofs made through the same 8-bit chain."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from training.corpus import sources as sources_mod
from training.corpus.audio import (
    RATE,
    load_mono,
    native_format,
    requantise_8bit,
    resample,
    through_native_rate,
)
from training.corpus.build import CorpusError, plan_corpus
from training.corpus.render import assemble_real


def _source(name: str) -> sources_mod.Source:
    return next(s for s in sources_mod.SOURCES if s.name == name)


def _u8_speech(seconds: float = 1.0, seed: int = 0) -> bytes:
    """A headerless unsigned 8-bit clip at 11,025 Hz: a voiced buzz, silence as byte 128."""
    t = np.arange(int(11025 * seconds)) / 11025
    rng = np.random.default_rng(seed)
    x = 0.3 * np.sin(2 * np.pi * 140 * t) + 0.1 * np.sin(2 * np.pi * 1100 * t)
    x += 0.01 * rng.standard_normal(len(t))
    return np.clip(np.round(x * 128 + 128), 0, 255).astype(np.uint8).tobytes()


@pytest.fixture
def drascula_root(tmp_path, monkeypatch) -> Path:
    for lang in ("en", "es"):
        folder = tmp_path / lang
        folder.mkdir()
        for name in ("12.ALS", "BJ4.ALS", "VB12.ALS", "d3.als"):
            (folder / name).write_bytes(_u8_speech())
        (folder / "2AUX62.ALS").write_bytes(_u8_speech())  # not `<who><n>`: not a line
        (folder / "AUX1.ALG").write_bytes(b"\x00" * 64)  # a picture, not sound
    monkeypatch.setattr(sources_mod, "DRASCULA", tmp_path)
    return tmp_path


def test_drascula_names_each_character_of_each_cast(drascula_root):
    english = _source("drascula")
    assert english.train_only and english.package == "drascula"
    found = sorted((c.path.name, c.speaker, c.lang, c.group) for c in english.find())
    assert found == [
        ("12.ALS", "drascula-en-hero", "en", "drascula-en"),
        ("BJ4.ALS", "drascula-en-BJ", "en", "drascula-en"),
        ("VB12.ALS", "drascula-en-VB", "en", "drascula-en"),
        ("d3.als", "drascula-en-D", "en", "drascula-en"),
    ]
    spanish = {c.speaker for c in _source("drascula-es").find()}
    assert spanish == {"drascula-es-hero", "drascula-es-BJ", "drascula-es-VB", "drascula-es-D"}
    assert _source("drascula-it").find() == []  # not installed: the builder names the package


def test_raw_8bit_files_decode_at_11025_hz(tmp_path):
    path = tmp_path / "7.ALS"
    path.write_bytes(bytes([128, 255, 0, 192, 64]))
    x, rate = load_mono(path)
    assert rate == 11025 and x.dtype == np.float32
    assert np.allclose(x, [0.0, 127 / 128, -1.0, 0.5, -0.5])
    assert native_format(path) == (11025, 8)


def test_native_format_reads_rate_and_bits_of_stored_files(tmp_path):
    tone = np.sin(np.arange(800) / 5).astype(np.float32) * 0.5
    sf.write(tmp_path / "u8.wav", tone, 22050, subtype="PCM_U8")
    sf.write(tmp_path / "s16.wav", tone, 8000, subtype="PCM_16")
    sf.write(tmp_path / "wide.ogg", tone, 96000, format="OGG", subtype="VORBIS")
    (tmp_path / "prompt.gsm").write_bytes(b"\xd0" * 33)
    assert native_format(tmp_path / "u8.wav") == (22050, 8)
    assert native_format(tmp_path / "s16.wav") == (8000, 16)
    assert native_format(tmp_path / "wide.ogg") == (64000, 16)
    assert native_format(tmp_path / "prompt.gsm") == (8000, 16)


def test_fillets_keeps_the_two_fish_of_one_dub(tmp_path, monkeypatch):
    voice = np.sin(np.arange(4410) / 7).astype(np.float32) * 0.3
    for rel in (
        "airplane/cs/let-m-divna.ogg",
        "airplane/cs/let-v-vrak0.ogg",
        "airplane/cs/let-x-papousek.ogg",  # a side character: a line or two, left out
        "airplane/nl/let-m-divna.ogg",
        "help1.ogg",
    ):
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(path, voice, 22050, format="OGG", subtype="VORBIS")
    monkeypatch.setattr(sources_mod, "FILLETS", tmp_path)
    czech = _source("fillets-cs")
    assert czech.train_only and czech.package == "fillets-ng-data-cs"
    found = sorted((c.path.name, c.speaker, c.lang) for c in czech.find())
    assert found == [
        ("let-m-divna.ogg", "fillets-cs-small", "cs"),
        ("let-v-vrak0.ogg", "fillets-cs-big", "cs"),
    ]
    assert [c.speaker for c in _source("fillets-nl").find()] == ["fillets-nl-small"]


def test_every_game_source_is_train_only():
    """Dev and eval must stay the corpus they were, so results stay comparable."""
    games = [s for s in sources_mod.SOURCES if s.name.startswith(("drascula", "fillets"))]
    assert len(games) == 5 and all(s.train_only and not s.heldout for s in games)


def _snr_db(clean: np.ndarray, noisy: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(clean**2) / np.sum((noisy - clean) ** 2)))


def test_8bit_chain_adds_the_quantisation_floor_of_8bit_sources():
    """A spoof made from Drascula clips meets the same 8-bit storage: its noise floor relative
    to the speech is 8-bit's (about 40 dB down), whatever level the generator left it at."""
    t = np.arange(RATE * 2) / RATE
    speech = (0.3 * np.sin(2 * np.pi * 150 * t) * (1 + np.sin(2 * np.pi * 3 * t))).astype(
        np.float32
    )
    band_limited = through_native_rate(speech, 11025)
    for level in (1.0, 0.05):
        x = speech * level
        y = through_native_rate(x, 11025, 8)
        assert y.shape == x.shape
        assert 30 < _snr_db(band_limited * level, y) < 50
    assert np.array_equal(through_native_rate(speech, 44100, 16), speech)
    round_trip = resample(resample(speech, RATE, 11025), 11025, RATE)[: len(speech)]
    assert np.array_equal(band_limited, round_trip)  # 16-bit sources: exactly as before
    stored = requantise_8bit(resample(speech, RATE, 11025))
    gain = 10 ** (-20 / 20) / np.sqrt(np.mean(resample(speech, RATE, 11025) ** 2))
    assert np.allclose(stored * gain * 128, np.round(stored * gain * 128), atol=1e-3)


def test_spoofs_derived_from_8bit_clips_are_told_to_go_through_8bit(drascula_root):
    clips = tuple(str(c.path) for c in _source("drascula").find())
    audio, native, used = assemble_real(clips, 2.0, np.random.default_rng(0))
    assert native == (11025, 8) and used >= 2 and len(audio) >= 2 * RATE


def test_game_voices_come_only_with_extra_games(drascula_root, tmp_path, monkeypatch):
    """Corpora built without `--extra games` (and the models trained on them) stay as they
    were; with it, the game voices join train alone and dev and eval do not change."""
    monkeypatch.setattr(sources_mod, "FILLETS", tmp_path / "no-fillets")
    quiet = lambda line: None  # noqa: E731
    plain = plan_corpus("small", 0, quiet)
    games = plan_corpus("small", 0, quiet, ("games",))
    names = lambda plan: {info["name"] for info in plan.speakers.values()}  # noqa: E731
    added = names(games) - names(plain)
    assert added == {
        f"drascula-{lang}-{who}" for lang in ("en", "es") for who in ("hero", "BJ", "VB", "D")
    }
    assert all(
        info["splits"] == ["train"] for info in games.speakers.values() if info["name"] in added
    )
    held_out = lambda plan: [j for j in plan.jobs if j.split != "train"]  # noqa: E731
    assert held_out(games) == held_out(plain)
    with pytest.raises(CorpusError, match="'gams'.*games"):
        plan_corpus("small", 0, quiet, ("gams",))


def test_cli_names_an_unknown_extra_set(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "training.corpus",
            "build",
            "--out",
            str(tmp_path),
            "--extra",
            "gams",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout.strip().splitlines()[-1] == (
        "corpus: Unknown extra source set 'gams'; use one of: games."
    )


def test_an_empty_source_file_is_no_speech_and_no_warning(tmp_path):
    """Two of Fish Fillets' Dutch clips decode to no samples; trimming one must not warn."""
    import warnings

    from training.corpus.audio import active_mask, trim

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        empty = np.zeros(0, np.float32)
        assert not active_mask(empty).any()
        assert len(trim(empty)) == 0
