"""The FOTAQ probe: its resource table read from bytes in queen.1c's exact layout, and its clips
decoded from MP3 on a tiny resource file made here (the game package is not a test dependency)."""

from __future__ import annotations

import struct
import subprocess

import numpy as np
import pytest
import soundfile as sf

from training.corpus import fotaq
from training.corpus.__main__ import main as corpus_main
from training.corpus.build import CorpusError


def resource_bytes(blobs: list[tuple[str, bytes]]) -> bytes:
    """A queen.1c file: "QTBL", "CEM10" and a NUL, two version bytes, the compression byte, the
    uint16 count, 21-byte entries (name, bundle, absolute offset, size), then the data."""
    header = b"QTBL" + b"CEM10\0" + b"\x00\x01" + b"\x00" + struct.pack(">H", len(blobs))
    offset = len(header) + fotaq.ENTRY_BYTES * len(blobs)
    table, data = b"", b""
    for name, blob in blobs:
        table += name.encode().ljust(12, b"\0") + b"\x01" + struct.pack(">II", offset + len(data), len(blob))
        data += blob
    return header + table + data


def mp3(seconds: float, peak: float) -> bytes:
    """A voiced-like 11,025 Hz MP3 stream: a 150 Hz pulse train through a resonance."""
    rate = 11_025
    t = np.arange(int(seconds * rate)) / rate
    signal = np.sign(np.sin(2 * np.pi * 150 * t)) * np.sin(2 * np.pi * 700 * t)
    signal = (peak * signal / np.max(np.abs(signal))).astype(np.float32)
    proc = subprocess.run(
        ["ffmpeg", "-v", "error", "-nostdin", "-f", "f32le", "-ar", str(rate), "-ac", "1", "-i", "-", "-f", "mp3", "-"],
        input=signal.tobytes(),
        capture_output=True,
        check=True,
    )
    return proc.stdout


def test_table_is_read_from_queen_1c_layout():
    data = resource_bytes([("QUEEN.JAS", b"abc"), ("00001A.SB", b"defgh"), ("WORLD.MUS", b"")])
    entries = fotaq.read_table(data)
    assert [e.name for e in entries] == ["QUEEN.JAS", "00001A.SB", "WORLD.MUS"]
    assert data[entries[1].offset : entries[1].offset + entries[1].size] == b"defgh"
    with pytest.raises(CorpusError, match="QTBL"):
        fotaq.read_table(b"RIFF" + data[4:])
    with pytest.raises(CorpusError, match="cut short"):
        fotaq.read_table(data[:30])


def test_probe_takes_every_kth_speech_line_only():
    entries = [fotaq.Entry(f"{k:05d}.SB" if k % 2 else f"{k:05d}.ACT", k, 1) for k in range(40)]
    chosen = fotaq.probe_lines(entries, every=3, lines=5)
    assert [e.name for e in chosen] == ["00001.SB", "00007.SB", "00013.SB", "00019.SB", "00025.SB"]


def test_probe_keeps_long_loud_lines_as_16_khz_bonafide_clips(tmp_path):
    resource = tmp_path / "queen.1c"
    resource.write_bytes(
        resource_bytes(
            [
                ("10001A.SB", mp3(2.0, 0.5)),  # kept
                ("10002A.SB", mp3(0.6, 0.5)),  # too short
                ("10003A.SB", mp3(2.0, 0.01)),  # too quiet
                ("10004A.SB", b"not an mp3 stream at all" * 10),  # undecodable
                ("JOE.ACT", mp3(2.0, 0.5)),  # not a speech line
            ]
        )
    )
    lines = []
    written = fotaq.build_fotaq(tmp_path / "out", resource=resource, log=lines.append, every=1)
    assert [p.name for p in written] == ["10001A.wav"]
    assert written[0].parent == tmp_path / "out" / "bonafide" / "fotaq"
    samples, rate = sf.read(written[0], dtype="float32")
    assert rate == 16_000 and 1.9 * rate < len(samples) < 2.2 * rate and np.abs(samples).max() > 0.3
    assert lines == [f"corpus: done, FOTAQ probe: 1 of 4 lines kept (1.5 s or more) in {written[0].parent}"]
    # a second build starts clean: nothing left from a run with other lines
    (written[0].parent / "stale.wav").write_bytes(b"")
    assert [p.name for p in fotaq.build_fotaq(tmp_path / "out", resource=resource, log=lines.append, every=1)] == ["10001A.wav"]
    assert sorted(p.name for p in written[0].parent.iterdir()) == ["10001A.wav"]


def test_missing_game_is_one_line_naming_the_package(tmp_path, capsys, monkeypatch):
    absent = tmp_path / "absent.1c"
    with pytest.raises(CorpusError, match="apt-get install flight-of-the-amazon-queen"):
        fotaq.build_fotaq(tmp_path, resource=absent, log=lambda line: None)
    monkeypatch.setattr(fotaq, "RESOURCE", absent)
    assert corpus_main(["fotaq", "--out", str(tmp_path / "probe")]) == 1
    out = capsys.readouterr().out.strip().splitlines()
    assert out == [f"corpus: {absent} is missing; run: apt-get install flight-of-the-amazon-queen"]
    assert not (tmp_path / "probe").exists()  # nothing half-made


def test_probe_clips_are_read_by_the_folder_reader(tmp_path):
    from training.datasets import read_dataset

    folder = tmp_path / "bonafide" / "fotaq"
    folder.mkdir(parents=True)
    sf.write(folder / "10001A.wav", np.zeros(32_000, dtype=np.float32), 16_000)
    trials = read_dataset("folder", tmp_path, "")
    assert [(t.label, t.speaker, t.path.name) for t in trials] == [("bonafide", "fotaq", "10001A.wav")]



def test_spoofvoice_corpus_takes_the_same_arguments_as_training_corpus(tmp_path, monkeypatch):
    """`spoofvoice corpus` once had its own copy of the arguments, without fotaq or --extra, so
    `spoofvoice corpus build` ended on an AttributeError; now both read one definition."""
    import argparse

    from spoofvoice.commands import find
    from spoofvoice.context import Context
    from spoofvoice.speech import make_announcer
    from training.corpus.__main__ import configure

    for argv in (["build", "--out", "c", "--extra", "games", "--size", "large"], ["fotaq", "--out", "p"], ["heldout", "--out", "h", "--partial"]):
        session, module = argparse.ArgumentParser(), argparse.ArgumentParser()
        find("corpus").configure(session)
        configure(module)
        assert session.parse_args(argv) == module.parse_args(argv)

    absent = tmp_path / "absent.1c"
    monkeypatch.setattr(fotaq, "RESOURCE", absent)
    lines: list[str] = []
    announcer = make_announcer(speech=False, print_line=lines.append)
    try:
        parser = argparse.ArgumentParser()
        find("corpus").configure(parser)
        status = find("corpus").run(parser.parse_args(["fotaq", "--out", str(tmp_path / "probe")]), Context(announcer))
    finally:
        announcer.close()
    assert status == 1
    assert lines == [f"corpus: {absent} is missing; run: apt-get install flight-of-the-amazon-queen",
                     "Corpus build failed; the line above says why."]


def test_an_unwritable_output_is_one_line_not_a_libsndfile_traceback(tmp_path, capsys, monkeypatch):
    def full_disk(out, **kwargs):
        raise sf.LibsndfileError(2, prefix=f"Error opening '{out}/bonafide/fotaq/020001P2.wav': ")

    monkeypatch.setattr(fotaq, "build_fotaq", full_disk)
    out = tmp_path / "probe"
    assert corpus_main(["fotaq", "--out", str(out)]) == 1
    assert capsys.readouterr().out.strip().splitlines() == [
        f"corpus: Error opening '{out}/bonafide/fotaq/020001P2.wav': System error. "
        f"Check that {out} is writable and has free space, then run it again."]
