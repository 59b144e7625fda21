"""`spoofvoice check` as a user and a script run it: lines, JSON, exit codes, no TensorFlow."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ASTERISK_EN, subprocess_env

SPOOFVOICE = [sys.executable, "-m", "spoofvoice.cli"]
LINE = r"^((SPOOF|BONAFIDE) \d{1,2}%|UNCERTAIN \d{1,2}% spoof) "


def run(args, home, **env):
    return subprocess.run(SPOOFVOICE + list(args), capture_output=True, text=True, env=subprocess_env(home, **env), timeout=120)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """A folder of real clips, one broken file, one non-audio file and a nested folder."""
    folder = tmp_path_factory.mktemp("clips")
    names = ["agent-pass.wav", "agent-user.wav", "auth-thankyou.wav"]
    for name in names:
        shutil.copy(ASTERISK_EN / name, folder / name)
    (folder / "nested").mkdir()
    shutil.copy(ASTERISK_EN / "beep.wav" if (ASTERISK_EN / "beep.wav").exists() else ASTERISK_EN / names[0], folder / "nested" / "deep.wav")
    (folder / "notes.txt").write_text("not audio, and not scanned in folders\n")
    broken = tmp_path_factory.mktemp("broken") / "interview.m4a"
    broken.write_text("this is not audio\n")
    return folder, broken


def test_text_lines_verdict_first(clips, tmp_path):
    folder, _ = clips
    result = run(["check", str(folder / "agent-pass.wav")], tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.strip().splitlines()) == 1
    line = result.stdout.strip()
    import re

    assert re.match(LINE + r".*agent-pass\.wav$", line)
    assert "Traceback" not in result.stderr


def test_bad_file_does_not_stop_the_others_and_exits_1(clips, tmp_path):
    folder, broken = clips
    result = run(["check", str(broken), str(folder / "agent-user.wav")], tmp_path)
    assert result.returncode == 1
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"ERROR {broken}: not an audio file. Give a WAV, FLAC, OGG or MP3 recording."
    assert "agent-user.wav" in lines[1] and lines[1].split()[0] in ("SPOOF", "BONAFIDE", "UNCERTAIN")
    assert "Traceback" not in result.stdout + result.stderr


def test_json_contract(clips, tmp_path):
    folder, broken = clips
    result = run(["check", "--json", str(folder), str(broken), str(tmp_path / "missing.wav")], tmp_path)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.strip().splitlines()]
    scored = [r for r in records if "label" in r]
    failed = [r for r in records if "error" in r]
    assert len(scored) == 4  # three files and the nested one; notes.txt is not audio, so not scanned
    assert {Path(r["path"]).name for r in scored} == {"agent-pass.wav", "agent-user.wav", "auth-thankyou.wav", "deep.wav"}
    for record in scored:
        assert set(record) >= {"path", "label", "score", "spoof_probability", "duration_s", "model"}
        assert record["label"] in ("bonafide", "spoof") and record["model"] == "default"
        assert record.get("uncertain", False) in (True, False)
        assert 0.0 <= record["spoof_probability"] <= 1.0 and record["duration_s"] > 0.3
    assert [set(r) for r in failed] == [{"path", "error"}, {"path", "error"}]
    assert "no such file" in failed[1]["error"]


def test_all_good_exits_0_and_usage_error_exits_2(clips, tmp_path):
    folder, _ = clips
    assert run(["check", "--json", str(folder / "agent-pass.wav")], tmp_path).returncode == 0
    assert run(["check"], tmp_path).returncode == 2
    assert run(["check", "--threshold", "high", str(folder)], tmp_path).returncode == 2
    unknown = run(["check", "--model", "nope", str(folder)], tmp_path)
    assert unknown.returncode == 2 and "No model called nope" in unknown.stdout + unknown.stderr


def test_threshold_option_changes_the_decision(clips, tmp_path):
    folder, _ = clips
    path = str(folder / "agent-pass.wav")
    low = json.loads(run(["check", "--json", "--threshold", "-1000", path], tmp_path).stdout)
    high = json.loads(run(["check", "--json", "--threshold", "1000", path], tmp_path).stdout)
    assert (low["label"], high["label"]) == ("bonafide", "spoof")


def test_check_never_imports_tensorflow(clips, tmp_path):
    folder, _ = clips
    probe = (
        "import sys, runpy; sys.argv = ['spoofvoice', 'check', '--no-speech', sys.argv[1]];\n"
        "try:\n    runpy.run_module('spoofvoice.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('TF_LOADED' if 'tensorflow' in sys.modules or 'keras' in sys.modules else 'TF_ABSENT')"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(folder / "agent-pass.wav")], capture_output=True, text=True, env=subprocess_env(tmp_path), timeout=60)
    assert "TF_ABSENT" in result.stdout, result.stdout + result.stderr


def test_a_one_clip_check_loads_the_model_once(clips, tmp_path):
    """The session's detector scores a short list itself: loading a mean of ten networks a
    second time would add about 0.1 s to every cold check."""
    folder, _ = clips
    probe = (
        "import sys, runpy\n"
        "from spoofvoice.detector import Detector\n"
        "loads = []\n"
        "original = Detector.load\n"
        "Detector.load = classmethod(lambda cls, *args, **kwargs: loads.append(args) or original(*args, **kwargs))\n"
        "sys.argv = ['spoofvoice', 'check', '--no-speech', sys.argv[1]]\n"
        "try:\n    runpy.run_module('spoofvoice.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('LOADS', len(loads))"
    )
    result = subprocess.run([sys.executable, "-c", probe, str(folder / "agent-pass.wav")], capture_output=True, text=True,
                            env=subprocess_env(tmp_path), timeout=60)
    assert "LOADS 1" in result.stdout and "agent-pass.wav" in result.stdout, result.stdout + result.stderr


def test_many_files_are_scored_in_parallel_in_order(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    sources = sorted(ASTERISK_EN.glob("*.wav"))[:30]
    for index, source in enumerate(sources):
        shutil.copy(source, folder / f"clip{index:02d}.wav")
    result = run(["check", "--json", "--workers", "2", str(folder)], tmp_path)
    records = [json.loads(line) for line in result.stdout.strip().splitlines()]
    assert [Path(r["path"]).name for r in records] == [f"clip{i:02d}.wav" for i in range(len(sources))]
    single = run(["check", "--json", "--workers", "1", str(folder)], tmp_path)
    # One worker lets BLAS use both cores, two workers give each one thread: float32 sums in
    # another order may move the sixth decimal, never more.
    assert [json.loads(line).get("score") for line in single.stdout.strip().splitlines()] == pytest.approx([r.get("score") for r in records], abs=2e-6)


def test_an_error_line_carries_what_to_do_and_says_nothing_it_was_not_told():
    """The printed line is all a person with speech muted or no sound card gets."""
    from spoofvoice.verdict_text import advice_in, error_line

    sentence = "odd.m4a: not an audio file. Give a WAV, FLAC, OGG or MP3 recording."
    assert advice_in(sentence, "not an audio file") == "Give a WAV, FLAC, OGG or MP3 recording"
    assert error_line("in/odd.m4a", "not an audio file", advice_in(sentence, "not an audio file")) == (
        "ERROR in/odd.m4a: not an audio file. Give a WAV, FLAC, OGG or MP3 recording.")
    assert advice_in("boom.wav: could not be checked.", "could not be checked") == ""
    assert error_line("boom.wav", "could not be checked", "") == "ERROR boom.wav: could not be checked"
