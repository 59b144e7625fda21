"""The small open corpus: exact ASVspoof 2019 LA layout, balance, disjoint speakers, unseen
attacks, determinism, skip lines, and no label in the nuisance features."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from training.corpus import build as build_mod
from training.corpus import sources as sources_mod
from training.corpus.build import build_corpus, flac_path, plan_corpus
from training.corpus.families import Family
from training.corpus.nuisance import shortcut_eer
from training.corpus.render import render_one
from training.datasets import read_dataset

LINE = re.compile(r"^LA_\d{4} LA_[TDE]_\d{7} - (-|S\d\d) (bonafide|spoof)$")
PROTOCOLS = {
    "train": "ASVspoof2019.LA.cm.train.trn.txt",
    "dev": "ASVspoof2019.LA.cm.dev.trl.txt",
    "eval": "ASVspoof2019.LA.cm.eval.trl.txt",
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("corpus")
    lines: list[str] = []
    build_corpus(out, size="small", seed=0, log=lines.append)
    return out, lines


@pytest.mark.slow
def test_layout_is_exactly_asvspoof2019_la(corpus):
    out, _ = corpus
    la = out / "LA"
    assert sorted(p.name for p in la.iterdir()) == [
        "ASVspoof2019_LA_cm_protocols", "ASVspoof2019_LA_dev", "ASVspoof2019_LA_eval", "ASVspoof2019_LA_train"]
    for split, name in PROTOCOLS.items():
        protocol = la / "ASVspoof2019_LA_cm_protocols" / name
        lines = protocol.read_text().splitlines()
        letter = {"train": "T", "dev": "D", "eval": "E"}[split]
        listed = set()
        for line in lines:
            assert LINE.match(line), line
            speaker, file_id, _, attack, label = line.split()
            assert file_id.startswith(f"LA_{letter}_")
            assert (attack == "-") == (label == "bonafide")
            listed.add(file_id)
        on_disk = {p.stem for p in (la / f"ASVspoof2019_LA_{split}" / "flac").glob("*.flac")}
        assert on_disk == listed


@pytest.mark.slow
def test_clips_are_16k_mono_flac_and_not_silent(corpus):
    out, _ = corpus
    for trial in read_dataset("asvspoof2019-la", out)[::7]:
        info = sf.info(str(trial.path))
        assert (info.samplerate, info.channels, info.format, info.subtype) == (16000, 1, "FLAC", "PCM_16")
        x, _ = sf.read(str(trial.path))
        assert 1.0 < len(x) / 16000 < 9.0
        assert np.sqrt(np.mean(x**2)) > 0.005


@pytest.mark.slow
def test_size_balance_and_speaker_disjoint_splits(corpus):
    out, _ = corpus
    trials = read_dataset("asvspoof2019-la", out)
    counts = Counter((t.subset, t.label) for t in trials)
    assert 190 <= len(trials) <= 200
    for split in ("train", "dev", "eval"):
        assert abs(counts[(split, "bonafide")] - counts[(split, "spoof")]) <= 3
    speakers = {s: {t.speaker for t in trials if t.subset == s and t.label == "bonafide"} for s in PROTOCOLS}
    meta = json.loads((out / "corpus.json").read_text())
    assert meta["speaker_disjoint"] is True
    assert not speakers["train"] & speakers["dev"]
    assert not speakers["train"] & speakers["eval"]
    assert not speakers["dev"] & speakers["eval"]
    assert {sid for sids in speakers.values() for sid in sids} <= set(meta["speakers"])


@pytest.mark.slow
def test_train_sees_half_the_families_and_eval_all(corpus):
    out, _ = corpus
    meta = json.loads((out / "corpus.json").read_text())
    families = meta["families"]
    assert len(families) >= 12
    seen = {a for a, f in families.items() if f["seen_in_train"]}
    assert 0.35 <= len(seen) / len(families) <= 0.6
    trials = read_dataset("asvspoof2019-la", out)
    by_split = {s: {t.attack for t in trials if t.subset == s and t.label == "spoof"} for s in PROTOCOLS}
    assert by_split["train"] <= seen
    assert by_split["dev"] - seen, "dev must add unseen attacks"
    assert by_split["eval"] == set(families)


@pytest.mark.slow
def test_nuisance_features_do_not_give_the_label_away(corpus):
    out, _ = corpus
    trials = read_dataset("asvspoof2019-la", out)
    train = [(t.path, t.label) for t in trials if t.subset == "train"]
    test = [(t.path, t.label) for t in trials if t.subset != "train"]
    assert shortcut_eer(train, test) >= 0.30


@pytest.mark.slow
def test_progress_is_plain_lines(corpus):
    _, lines = corpus
    assert any("clips made" in line for line in lines)
    assert lines[-1].startswith("corpus: done")
    for line in lines:
        assert line.startswith("corpus: ")
        assert "\r" not in line and "\x1b" not in line


@pytest.mark.slow
def test_same_seed_same_clips(corpus, tmp_path):
    """Re-render one clip of each family in one process: byte-identical to the 2-worker build."""
    out, _ = corpus
    quiet = lambda s: None  # noqa: E731
    jobs = plan_corpus("small", 0, quiet).jobs
    assert jobs == plan_corpus("small", 0, quiet).jobs
    assert [j.file_id for j in jobs] != [j.file_id for j in plan_corpus("small", 1, quiet).jobs]
    picked = {}
    for job in jobs:
        picked.setdefault(job.attack, job)
    for job in list(picked.values())[:6]:
        assert render_one(job, tmp_path).ok
        again = flac_path(tmp_path, job.split, job.file_id).read_bytes()
        assert again == flac_path(out, job.split, job.file_id).read_bytes(), job.attack


def test_missing_source_is_named_with_how_to_install(monkeypatch):
    ghost = sources_mod.Source("ghost", "asterisk-prompt-ghost", "xx", lambda: [])
    monkeypatch.setattr(sources_mod, "SOURCES", (ghost,))
    lines: list[str] = []
    assert sources_mod.available_sources(lines.append) == []
    assert lines == ["corpus: skipping source ghost: not installed (install with: apt-get install asterisk-prompt-ghost)"]


def test_missing_generator_is_named_with_how_to_install(monkeypatch):
    ghost = Family("S99", "ghost-tts", "a TTS that is not installed", ("eval",), voices=lambda: [],
                   install="apt-get install ghost-tts")
    monkeypatch.setattr(build_mod, "FAMILIES", (ghost,))
    lines: list[str] = []
    assert build_mod.usable_families(lines.append) == []
    assert "S99" in lines[0] and "apt-get install ghost-tts" in lines[0]


def test_refuses_to_overwrite_a_folder_that_is_not_a_corpus(tmp_path):
    (tmp_path / "LA").mkdir()
    (tmp_path / "LA" / "precious.txt").write_text("keep me")
    with pytest.raises(build_mod.CorpusError, match="not a spoofvoice corpus"):
        build_corpus(tmp_path, size="small", seed=0, log=lambda s: None)
    assert (tmp_path / "LA" / "precious.txt").exists()


def test_unknown_size_is_refused(tmp_path):
    with pytest.raises(build_mod.CorpusError, match="small, full or large"):
        build_corpus(tmp_path, size="huge", log=lambda s: None)


def test_large_is_full_with_twice_the_training_clips():
    """`--size large` doubles train alone: dev and eval are the same clips, seeds and speakers as
    full's, so a model trained on either is measured on the same sets; train keeps its voices."""
    quiet = lambda s: None  # noqa: E731
    full, large = plan_corpus("full", 0, quiet), plan_corpus("large", 0, quiet)
    held_out = lambda plan: [j for j in plan.jobs if j.split != "train"]  # noqa: E731
    assert held_out(large) == held_out(full) and len(held_out(full)) == 5000
    assert large.speakers == full.speakers
    train = lambda plan: [j for j in plan.jobs if j.split == "train"]  # noqa: E731
    counts = Counter(j.label for j in train(large))
    assert counts == {"bonafide": 5200, "spoof": 5200} == {k: 2 * v for k, v in Counter(j.label for j in train(full)).items()}
    assert {j.speaker for j in train(large)} == {j.speaker for j in train(full)}
    assert Counter(j.attack for j in train(large) if j.label == "spoof").keys() == Counter(
        j.attack for j in train(full) if j.label == "spoof").keys()
    assert len({j.file_id for j in large.jobs}) == len(large.jobs)


def test_a_train_only_source_leaves_dev_and_eval_unchanged(monkeypatch):
    """A source added later to fix a training bias (gcin-voice) goes to train alone: dev and
    eval keep the same speakers, speaker ids, clips and seeds as a corpus built without it."""
    quiet = lambda s: None  # noqa: E731
    dealt = tuple(s for s in sources_mod.SOURCES if not s.train_only)
    monkeypatch.setattr(sources_mod, "SOURCES", dealt)
    before = plan_corpus("small", 0, quiet)
    real = sources_mod.available_sources(quiet)[0][1]
    extra = sources_mod.Source(
        "extra", "extra-voice", "en",
        lambda: [sources_mod.SourceClip(c.path, "extra-reader", "extra-voice", "en") for c in real],
        train_only=True,
    )
    monkeypatch.setattr(sources_mod, "SOURCES", (*dealt, extra))
    lines: list[str] = []
    after = plan_corpus("small", 0, lines.append)
    assert any(line.startswith("corpus: source extra:") and line.endswith("train only") for line in lines)
    held_out = lambda plan: [j for j in plan.jobs if j.split != "train"]  # noqa: E731
    assert held_out(after) == held_out(before)
    added = {sid: info for sid, info in after.speakers.items() if sid not in before.speakers}
    assert [info["name"] for info in added.values()] == ["extra-reader"]
    assert next(iter(added.values()))["splits"] == ["train"]
    assert {sid: after.speakers[sid] for sid in before.speakers} == before.speakers
    extra_id = next(iter(added))
    assert any(j.speaker == extra_id for j in after.jobs if j.split == "train")


def test_gcin_voice_readers_are_named_by_file(tmp_path, monkeypatch):
    """gcin-voice holds two readers, told apart by file name (3.ogg and 5.ogg)."""
    for syllable in ("ba1", "ma3"):
        for name in ("3.ogg", "5.ogg", "readme.txt"):
            (tmp_path / syllable).mkdir(exist_ok=True)
            (tmp_path / syllable / name).write_bytes(b"")
    monkeypatch.setattr(sources_mod, "GCIN", tmp_path)
    gcin = next(s for s in sources_mod.SOURCES if s.name == "gcin")
    assert gcin.train_only and gcin.package == "gcin-voice"
    clips = gcin.find()
    assert sorted((c.path.parent.name, c.path.name, c.speaker, c.lang) for c in clips) == [
        ("ba1", "3.ogg", "gcin-liu", "zh"), ("ba1", "5.ogg", "gcin-lo", "zh"),
        ("ma3", "3.ogg", "gcin-liu", "zh"), ("ma3", "5.ogg", "gcin-lo", "zh")]
