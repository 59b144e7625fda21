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


def _uninstalled_source() -> sources_mod.Source:
    return sources_mod.Source("heldout-absent", "absent-voice-pack", "en", lambda: [], heldout=True)


def _installed_source() -> sources_mod.Source:
    clip = sources_mod.SourceClip(Path("/nowhere/a.wav"), "present-voice", "present-pack", "en")
    return sources_mod.Source("heldout-present", "present-pack", "en", lambda: [clip], heldout=True)


def test_heldout_refuses_a_set_missing_a_reserved_voice(tmp_path, monkeypatch):
    # A set built from the installed voices alone gives numbers that are not comparable.
    monkeypatch.setattr(sources_mod, "SOURCES", (_installed_source(), _uninstalled_source()))
    lines: list[str] = []
    with pytest.raises(build_mod.CorpusError) as caught:
        build_heldout(tmp_path, log=lines.append)
    message = str(caught.value)
    assert "absent-voice-pack" in message and "apt-get install absent-voice-pack" in message
    assert "--partial" in message
    assert not (tmp_path / "heldout.json").exists()


def test_heldout_cli_says_which_voice_is_missing(tmp_path):
    # The command, in its own process, with one reserved voice pack taken away: one line, status 1.
    script = (
        "import sys, dataclasses\n"
        "from training.corpus import sources\n"
        "sources.SOURCES = tuple(dataclasses.replace(s, find=lambda: []) if s.package == 'alsa-utils'"
        " else s for s in sources.SOURCES)\n"
        "from training.corpus.__main__ import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", script, "heldout", "--out", str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    last = proc.stdout.splitlines()[-1]
    assert last.startswith("corpus: The held-out set needs") and "apt-get install" in last
    assert "alsa-utils" in last
    assert not (tmp_path / "heldout.json").exists()


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
    monkeypatch.setattr(sources_mod, "SOURCES", (*alsa, _uninstalled_source()))
    monkeypatch.setitem(build_mod.SIZES, "heldout",
                        {"train": (0, 0), "dev": (0, 0), "eval": (6, 12)})
    build_heldout(tmp_path, log=lambda s: None, workers=1, partial=True)
    trials = read_dataset("folder", tmp_path)
    assert sum(t.label == "bonafide" for t in trials) == 6
    assert {t.speaker for t in trials if t.label == "bonafide"} == {"alsa-utils-voice"}  # bonafide/SPEAKER/
    assert sum(t.label == "spoof" for t in trials) == 12
    meta = json.loads((tmp_path / "heldout.json").read_text())
    assert meta["speakers"]["HO_0001"]["name"] == "alsa-utils-voice"
    assert meta["missing_sources"] == ["absent-voice-pack"]  # a partial set says so


def test_make_installs_what_the_heldout_set_and_fotaq_probe_read():
    import re

    from training.corpus import fotaq
    from training.corpus.sources import SOURCES

    makefile = (Path(__file__).resolve().parents[1] / "Makefile").read_text(encoding="utf-8")

    def packages(name: str) -> set[str]:
        return set(re.search(rf"^APT_{name} := (.*)$", makefile, re.M).group(1).split())

    assert packages("HELDOUT") == {s.package for s in SOURCES if s.heldout}
    assert packages("FOTAQ") == {fotaq.PACKAGE}
    assert "\nheldout: $(STAMPS)/apt-run $(STAMPS)/apt-heldout" in makefile
    assert "\nfotaq: $(STAMPS)/apt-run $(STAMPS)/apt-fotaq" in makefile
