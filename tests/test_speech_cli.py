"""`spoofvoice say TEXT` and `spoofvoice speech ...` through the real command line."""

from __future__ import annotations

import subprocess
import sys

from conftest import subprocess_env

from spoofvoice.cli import main
from spoofvoice.settings import Settings, load_settings
from spoofvoice.speech.cache import SpeechCache
from spoofvoice.speech.capture import read_log


def _printed(capsys) -> list[str]:
    return [line for line in capsys.readouterr().out.splitlines() if not line.startswith("No sound output")]


def test_say_is_printed_and_spoken_into_the_capture_folder(tmp_path, private_home):
    Settings(voice="espeak").save()
    out = tmp_path / "out"
    env = subprocess_env(private_home, SPOOFVOICE_SPEECH="on", SPOOFVOICE_AUDIO_OUT=str(out))
    done = subprocess.run([sys.executable, "-m", "spoofvoice.cli", "say", "Spoof.", "97", "percent."],
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert [line for line in done.stdout.splitlines() if not line.startswith("No sound output")] == [
        "Spoof. 97 percent."]
    [entry] = read_log(out)
    assert entry["text"] == "Spoof. 97 percent." and entry["engine"] == "espeak"


def test_speech_settings_change_and_persist(capsys):
    assert main(["--no-speech", "speech", "--voice", "offline", "--rate", "1.5", "--volume", "0.8",
                 "--verbosity", "brief", "--earcons", "off"]) == 0
    assert _printed(capsys) == ["Voice: espeak.", "Rate: 1.5 times.", "Volume: 80 percent.",
                                "Verbosity: brief.", "Earcons: off."]
    saved = load_settings()
    assert (saved.voice, saved.rate, saved.volume, saved.verbosity, saved.earcons) == ("espeak", 1.5, 0.8, "brief", False)


def test_speech_mute_and_unmute(capsys):
    assert main(["--no-speech", "speech", "--mute"]) == 0
    assert load_settings().muted is True
    assert main(["--no-speech", "speech", "--unmute"]) == 0
    assert load_settings().muted is False
    assert "Speech muted; lines are still printed." in _printed(capsys)


def test_speech_info_and_clear_cache(capsys):
    SpeechCache().store("k", b"ID3" + bytes(100), ".mp3")
    assert main(["--no-speech", "speech"]) == 0
    lines = _printed(capsys)
    assert lines[0].startswith("Voice: gtts.") and any(line.startswith("Speech cache: 1 files") for line in lines)
    assert main(["--no-speech", "speech", "--clear-cache"]) == 0
    assert _printed(capsys) == ["Speech cache cleared: 1 files removed."]
    assert SpeechCache().stats() == (0, 0)


def test_unknown_voice_is_one_sentence_and_exit_2(capsys):
    assert main(["--no-speech", "speech", "--voice", "robot"]) == 2
    assert _printed(capsys) == ["Unknown voice 'robot'; choose one of gtts, espeak, speechd, none."]
