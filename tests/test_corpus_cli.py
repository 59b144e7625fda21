"""`python -m training.corpus` and the held-out builder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from training.corpus import build as build_mod
from training.corpus import sources as sources_mod
from training.corpus.heldout import build_heldout
from training.datasets import read_dataset

ROOT = Path(__file__).resolve().parent.parent


def test_cli_rejects_a_folder_that_is_not_a_corpus(tmp_path):
    (tmp_path / "LA").mkdir()
    (tmp_path / "LA" / "mine.flac").write_bytes(b"x")
    proc = subprocess.run([sys.executable, "-m", "training.corpus", "build", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "not a spoofvoice corpus" in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr


def test_cli_usage_error_is_status_2(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "training.corpus", "build", "--out", str(tmp_path), "--size", "huge"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr


def test_heldout_never_shares_a_speaker_with_the_corpus():
    corpus = {c.speaker for _, clips in sources_mod.available_sources(lambda s: None) for c in clips}
    heldout = {s.package for s in sources_mod.SOURCES if s.heldout}
    assert heldout == {"asterisk-core-sounds-it-wav", "asterisk-core-sounds-ru-wav", "alsa-utils"}
    assert not corpus & {c.speaker for s in sources_mod.SOURCES if s.heldout for c in s.find()}


@pytest.mark.slow
def test_heldout_set_is_a_readable_folder(tmp_path, monkeypatch):
    alsa = [s for s in sources_mod.SOURCES if s.name == "heldout-alsa"]
    if not alsa[0].find():
        lines: list[str] = []
        monkeypatch.setattr(sources_mod, "SOURCES", tuple(alsa))
        with pytest.raises(build_mod.CorpusError, match="apt-get install"):
            build_heldout(tmp_path, log=lines.append)
        assert any("alsa-utils" in line for line in lines)
        return
    monkeypatch.setattr(sources_mod, "SOURCES", tuple(alsa))
    monkeypatch.setitem(build_mod.SIZES, "heldout",
                        {"train": (0, 0), "dev": (0, 0), "eval": (6, 12)})
    build_heldout(tmp_path, log=lambda s: None, workers=1)
    trials = read_dataset("folder", tmp_path)
    assert sum(t.label == "bonafide" for t in trials) == 6
    assert {t.speaker for t in trials if t.label == "bonafide"} == {"alsa-utils-voice"}  # bonafide/SPEAKER/
    assert sum(t.label == "spoof" for t in trials) == 12
    assert json.loads((tmp_path / "heldout.json").read_text())["speakers"]["HO_0001"]["name"] == "alsa-utils-voice"
