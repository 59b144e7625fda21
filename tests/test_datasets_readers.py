"""Each dataset reader on a small fixture in its exact format, with real audio files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import soundfile as sf

from training.datasets import READERS, DatasetError, Trial, read_dataset

SPEECH = sorted(Path("/usr/share/asterisk/sounds/en_US_f_Allison").glob("vm-*.wav"))[:8]


def _audio(path: Path, n: int) -> Path:
    """Write real speech (an Asterisk prompt) to `path` as FLAC or WAV by suffix."""
    path.parent.mkdir(parents=True, exist_ok=True)
    x, rate = sf.read(str(SPEECH[n % len(SPEECH)]))
    sf.write(str(path), x, rate)
    return path


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def _expect_line_error(kind: str, root: Path, protocol: Path, line: int, subset: str | None = None) -> None:
    with pytest.raises(DatasetError) as info:
        read_dataset(kind, root, subset)
    assert str(protocol) in str(info.value)
    assert f"line {line}" in str(info.value)


# ASVspoof 2019 LA / PA ---------------------------------------------------------------------


def _asv2019(root: Path, scenario: str) -> dict[str, Path]:
    env = "-" if scenario == "LA" else "aaa"
    attack = "A01" if scenario == "LA" else "AA"
    protocols = {}
    for n, (split, ext, letter) in enumerate([("train", "trn", "T"), ("dev", "trl", "D"), ("eval", "trl", "E")]):
        ids = [f"{scenario}_{letter}_{1000000 + n * 10 + k}" for k in range(2)]
        for k, file_id in enumerate(ids):
            _audio(root / scenario / f"ASVspoof2019_{scenario}_{split}" / "flac" / f"{file_id}.flac", n + k)
        protocols[split] = _write(
            root / scenario / f"ASVspoof2019_{scenario}_cm_protocols" / f"ASVspoof2019.{scenario}.cm.{split}.{ext}.txt",
            [f"{scenario}_0079 {ids[0]} {env} - bonafide", f"{scenario}_0080 {ids[1]} {env} {attack} spoof"],
        )
    return protocols


@pytest.mark.parametrize("scenario,kind", [("LA", "asvspoof2019-la"), ("PA", "asvspoof2019-pa")])
def test_asvspoof2019(tmp_path, scenario, kind):
    protocols = _asv2019(tmp_path, scenario)
    trials = read_dataset(kind, tmp_path)
    assert len(trials) == 6
    assert trials[0] == Trial(
        tmp_path / scenario / f"ASVspoof2019_{scenario}_train" / "flac" / f"{scenario}_T_1000000.flac",
        "bonafide", "-", f"{scenario}_0079", "train")
    assert trials[1].attack == ("A01" if scenario == "LA" else "AA") and trials[1].label == "spoof"
    assert [t.subset for t in read_dataset(kind, tmp_path / scenario, "dev")] == ["dev", "dev"]
    assert all(sf.info(str(t.path)).frames > 0 for t in trials)

    text = protocols["dev"].read_text().splitlines()
    _write(protocols["dev"], [text[0], f"{scenario}_0080 {scenario}_D_1000011 - spoof"])
    _expect_line_error(kind, tmp_path, protocols["dev"], 2)
    _write(protocols["dev"], [text[0], text[1].replace("spoof", "fake")])
    _expect_line_error(kind, tmp_path, protocols["dev"], 2)
    _write(protocols["dev"], text)
    next((tmp_path / scenario / f"ASVspoof2019_{scenario}_dev" / "flac").glob("*.flac")).unlink()
    with pytest.raises(DatasetError, match="does not exist"):
        read_dataset(kind, tmp_path, "dev")


def test_asvspoof2019_missing_protocol_names_the_file(tmp_path):
    with pytest.raises(DatasetError, match=r"ASVspoof2019\.LA\.cm\.train\.trn\.txt"):
        read_dataset("asvspoof2019-la", tmp_path, "train")


# ASVspoof 2021 LA / DF ---------------------------------------------------------------------


def test_asvspoof2021_la(tmp_path):
    for k, file_id in enumerate(["LA_E_9332881", "LA_E_1000002", "LA_E_1000003"]):
        _audio(tmp_path / "ASVspoof2021_LA_eval" / "flac" / f"{file_id}.flac", k)
    meta = _write(tmp_path / "keys" / "LA" / "CM" / "trial_metadata.txt", [
        "LA_0009 LA_E_9332881 alaw ita_tx A07 spoof notrim eval",
        "LA_0010 LA_E_1000002 ulaw loc_tx bonafide bonafide notrim progress",
        "LA_0011 LA_E_1000003 nocodec loc_tx - bonafide trim eval",
    ])
    trials = read_dataset("asvspoof2021-la", tmp_path)
    assert [(t.label, t.attack, t.speaker, t.subset) for t in trials] == [
        ("spoof", "A07", "LA_0009", "eval"), ("bonafide", "-", "LA_0010", "progress"), ("bonafide", "-", "LA_0011", "eval")]
    assert len(read_dataset("asvspoof2021-la", tmp_path, "eval")) == 2
    lines = meta.read_text().splitlines()
    _write(meta, lines[:2] + ["LA_0011 LA_E_1000003 nocodec loc_tx - bonafide trim"])
    _expect_line_error("asvspoof2021-la", tmp_path, meta, 3)


def test_asvspoof2021_df_parts(tmp_path):
    for k, (part, file_id) in enumerate([("part00", "DF_E_2000011"), ("part01", "DF_E_2000012")]):
        _audio(tmp_path / f"ASVspoof2021_DF_eval_{part}" / "ASVspoof2021_DF_eval" / "flac" / f"{file_id}.flac", k)
    meta = _write(tmp_path / "keys" / "DF" / "CM" / "trial_metadata.txt", [
        "LA_0023 DF_E_2000011 nocodec asvspoof A14 spoof notrim progress traditional_vocoder - - - -",
        "VCC_2001 DF_E_2000012 mp3m4a vcc_2020 bonafide bonafide notrim eval bonafide - - - -",
    ])
    trials = read_dataset("asvspoof2021-df", tmp_path)
    assert [(t.path.name, t.label, t.attack) for t in trials] == [
        ("DF_E_2000011.flac", "spoof", "A14"), ("DF_E_2000012.flac", "bonafide", "-")]
    _write(meta, meta.read_text().splitlines() + ["LA_0099 DF_E_2000099 nocodec asvspoof A14 spoof notrim eval x - - - -"])
    with pytest.raises(DatasetError, match=r"line 3: audio file DF_E_2000099\.flac"):
        read_dataset("asvspoof2021-df", tmp_path)


# ASVspoof 5 --------------------------------------------------------------------------------


def test_asvspoof5(tmp_path):
    _audio(tmp_path / "flac_T" / "T_0000000000.flac", 0)
    _audio(tmp_path / "flac_T" / "T_0000000001.flac", 1)
    _audio(tmp_path / "flac_D" / "D_0000000000.flac", 2)
    train = _write(tmp_path / "ASVspoof5.train.tsv", [
        "T_4850 T_0000000000 F - - - AC3 A05 spoof -",
        "T_4850 T_0000000001 F - - - bonafide bonafide bonafide -",
    ])
    _write(tmp_path / "ASVspoof5.dev.track_1.tsv", ["D_0062 D_0000000000 M - - - AC1 A11 spoof -"])
    trials = read_dataset("asvspoof5", tmp_path)
    assert [(t.subset, t.label, t.attack, t.speaker) for t in trials] == [
        ("train", "spoof", "A05", "T_4850"), ("train", "bonafide", "-", "T_4850"), ("dev", "spoof", "A11", "D_0062")]
    assert len(read_dataset("asvspoof5", tmp_path, "dev")) == 1
    _write(train, ["T_4850\tT_0000000000\tF - - - AC3 A05 spoof -", "T_4850 T_0000000001 F - - bonafide bonafide -"])
    _expect_line_error("asvspoof5", tmp_path, train, 2)


# In-the-Wild -------------------------------------------------------------------------------


def test_in_the_wild(tmp_path):
    for k in range(3):
        _audio(tmp_path / f"{k}.wav", k)
    meta = tmp_path / "meta.csv"
    _write(meta, ["file,speaker,label", "0.wav,Alec Guinness,spoof", "1.wav,Alec Guinness,bona-fide", "2.wav,Barack Obama,spoof"])
    trials = read_dataset("in-the-wild", tmp_path)
    assert [(t.path.name, t.label, t.speaker, t.subset) for t in trials] == [
        ("0.wav", "spoof", "Alec Guinness", "eval"), ("1.wav", "bonafide", "Alec Guinness", "eval"),
        ("2.wav", "spoof", "Barack Obama", "eval")]
    assert trials[1].attack == "-" and trials[0].attack != "-"
    _write(meta, ["file,speaker,label", "0.wav,Alec Guinness,spoof", "1.wav,Alec Guinness,real"])
    _expect_line_error("in-the-wild", tmp_path, meta, 3)
    _write(meta, ["file,speaker,label", "9.wav,Nobody,spoof"])
    _expect_line_error("in-the-wild", tmp_path, meta, 2)


# Plain folders -----------------------------------------------------------------------------


def test_folder(tmp_path):
    _audio(tmp_path / "bonafide" / "a.wav", 0)
    _audio(tmp_path / "bonafide" / "carlo" / "d.wav", 3)
    _audio(tmp_path / "spoof" / "b.flac", 1)
    _audio(tmp_path / "spoof" / "piper" / "c.wav", 2)
    (tmp_path / "spoof" / "notes.txt").write_text("not audio")
    trials = read_dataset("folder", tmp_path)
    assert [(t.path.name, t.label, t.attack, t.speaker, t.subset) for t in trials] == [
        ("a.wav", "bonafide", "-", "-", "all"), ("d.wav", "bonafide", "-", "carlo", "all"),
        ("b.flac", "spoof", "unknown", "-", "all"), ("c.wav", "spoof", "piper", "-", "all")]
    shutil.move(str(tmp_path / "bonafide"), str(tmp_path / "eval" / "bonafide"))
    assert [t.subset for t in read_dataset("folder", tmp_path, "eval")] == ["eval", "eval"]
    with pytest.raises(DatasetError, match="bonafide/ or spoof/"):
        read_dataset("folder", tmp_path / "eval" / "bonafide")


def test_registry_and_unknown_kind(tmp_path):
    assert set(READERS) == {"asvspoof2019-la", "asvspoof2019-pa", "asvspoof2021-la", "asvspoof2021-df",
                            "asvspoof5", "in-the-wild", "folder"}
    with pytest.raises(DatasetError, match="Unknown dataset kind"):
        read_dataset("timit", tmp_path)
    with pytest.raises(DatasetError, match="folder not found"):
        read_dataset("folder", tmp_path / "missing")
