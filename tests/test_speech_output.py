"""Player, capture folder, earcons, settings, engine choice and the CLI hooks (no sound card)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import types

import numpy as np
import pytest
import soundfile as sf
from speech_fakes import silent_player, wait_until

from spoofvoice.settings import Settings, load_settings
from spoofvoice.speech import (
    Announcer,
    clear_speech_cache,
    make_announcer,
    say_command,
    speech_info_lines,
)
from spoofvoice.speech.cache import SpeechCache
from spoofvoice.speech.capture import read_log
from spoofvoice.speech.earcons import EARCONS, SAMPLE_RATE, earcon_path, earcon_samples
from spoofvoice.speech.engines import (
    EngineUnavailable,
    EspeakEngine,
    ProcessPlayback,
    SpeechDispatcherEngine,
    VoiceParams,
)
from spoofvoice.speech.player import Player


def test_no_sound_device_gives_one_notice_and_text_continues():
    lines: list[str] = []
    player = Player(notice=lines.append, probe=lambda: "no sound device was found")
    announcer = Announcer(Settings(voice="espeak"), print_line=lines.append, persist=False, player=player)
    started = time.monotonic()
    for n in range(3):
        announcer.say(f"Verdict {n}.", earcon="done")
    assert announcer.wait_idle(5)
    announcer.close()
    assert time.monotonic() - started < 3
    notices = [line for line in lines if line.startswith("No sound output")]
    assert notices == ["No sound output: no sound device was found. Speech continues as text only."]
    assert [line for line in lines if line.startswith("Verdict")] == ["Verdict 0.", "Verdict 1.", "Verdict 2."]


def test_a_failing_audio_backend_gives_one_notice_and_never_hangs():
    lines: list[str] = []
    player = Player(notice=lines.append, probe=lambda: None, backend="no-such-backend")
    announcer = Announcer(Settings(voice="espeak"), print_line=lines.append, persist=False, player=player)
    for n in range(3):
        announcer.say(f"Line {n}.")
    assert announcer.wait_idle(10)
    announcer.close()
    notices = [line for line in lines if line.startswith("No sound output")]
    assert len(notices) == 1 and "audio player failed" in notices[0]
    assert "Line 2." in lines


def test_stopping_a_playback_process_is_immediate():
    playback = ProcessPlayback(subprocess.Popen(["sleep", "30"]))
    assert playback.is_playing()
    started = time.monotonic()
    playback.stop()
    assert not playback.is_playing()
    assert time.monotonic() - started < 2


def test_capture_writes_audio_and_one_json_line_per_utterance(tmp_path, monkeypatch):
    out = tmp_path / "heard"
    monkeypatch.setenv("SPOOFVOICE_AUDIO_OUT", str(out))
    lines: list[str] = []
    announcer = make_announcer(print_line=lines.append, settings=Settings(voice="espeak"))
    announcer.say("Spoof. 97 percent. interview.", "important", earcon="spoof")
    announcer.say("Done.", "message", earcon="done")
    assert announcer.wait_idle(10)
    announcer.close()
    log = read_log(out)
    assert [(e["text"], e["priority"], e["engine"]) for e in log] == [
        ("Spoof. 97 percent. interview.", "important", "espeak"),
        ("Done.", "message", "espeak"),
    ]
    for entry in log:
        assert set(entry) >= {"text", "priority", "engine", "file"}
        audio, rate = sf.read(entry["file"])
        assert rate > 8000 and len(audio) / rate > 0.2 and np.abs(audio).max() > 0.05
    assert [line for line in lines if not line.startswith("No sound output")] == [
        "Spoof. 97 percent. interview.", "Done."]


def test_speech_off_prints_lines_but_captures_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("SPOOFVOICE_AUDIO_OUT", str(tmp_path / "out"))
    monkeypatch.setenv("SPOOFVOICE_SPEECH", "off")
    lines: list[str] = []
    announcer = make_announcer(print_line=lines.append)
    announcer.say("Bonafide. 88 percent. call.")
    assert announcer.wait_idle(2)
    announcer.close()
    assert lines == ["Bonafide. 88 percent. call."]
    assert announcer.engine_name == "none"
    assert read_log(tmp_path / "out") == []


def test_print_line_none_prints_nothing(capsys):
    announcer = make_announcer(speech=False, print_line=None)
    announcer.say("hidden")
    announcer.close()
    assert capsys.readouterr().out == ""
    assert announcer.history[-1] == ("hidden", "message")


def test_earcons_are_short_and_distinct(tmp_path):
    peaks = {}
    for name in EARCONS:
        samples = earcon_samples(name)
        assert 0.05 < len(samples) / SAMPLE_RATE < 0.3
        spectrum = np.abs(np.fft.rfft(samples))
        peaks[name] = np.fft.rfftfreq(len(samples), 1 / SAMPLE_RATE)[spectrum.argmax()]
        envelope = np.convolve(np.abs(samples), np.ones(110) / 110, mode="same") > 0.05
        pulses = int(np.sum(np.diff(envelope.astype(int)) == 1))
        peaks[name] = (round(float(peaks[name]), -1), pulses)
        path = earcon_path(name, tmp_path)
        audio, rate = sf.read(str(path))
        assert rate == SAMPLE_RATE and len(audio) == len(samples)
    frequencies = {value[0] for value in peaks.values()}
    assert len(frequencies) == 4, peaks  # distinct in pitch
    assert peaks["bonafide"][1] == 2 and peaks["spoof"][1] == 3 and peaks["error"][1] == 1  # rhythm


def test_offline_voice_defaults_to_en_us_f3_and_follows_rate():
    engine = EspeakEngine()
    assert engine.voice_for(VoiceParams()) == "en-us+f3"
    assert engine.voice_for(VoiceParams(language="de")) == "de+f3"
    normal = engine.synthesize("This is a test of the speaking rate.", VoiceParams())
    fast = engine.synthesize("This is a test of the speaking rate.", VoiceParams(rate=2.0))
    try:
        assert sf.info(str(fast.path)).duration < 0.7 * sf.info(str(normal.path)).duration
    finally:
        normal.discard()
        fast.discard()
    assert not normal.path.exists()


def test_missing_speech_dispatcher_is_named_clearly(monkeypatch):
    import spoofvoice.speech.engines as engines

    real_which = engines.shutil.which
    monkeypatch.setattr(engines.shutil, "which", lambda name: None if name == "spd-say" else real_which(name))
    monkeypatch.setitem(sys.modules, "speechd", None)  # the Python client is absent too
    with pytest.raises(EngineUnavailable, match="speech-dispatcher, which is not installed"):
        SpeechDispatcherEngine()
    lines: list[str] = []
    announcer = Announcer(Settings(), print_line=lines.append, player=silent_player(), persist=False)
    assert announcer.set_engine("speech-dispatcher") == "espeak"
    announcer.close()
    assert any("speech-dispatcher, which is not installed" in line and "offline voice" in line for line in lines)


def test_speech_dispatcher_command_passes_priority_rate_and_volume(monkeypatch):
    import spoofvoice.speech.engines as engines

    monkeypatch.setattr(engines.shutil, "which", lambda name: f"/usr/bin/{name}")
    command = SpeechDispatcherEngine().command("Spoof.", VoiceParams(rate=2.0, volume=0.5), "important")
    assert command == ["/usr/bin/spd-say", "--wait", "-P", "important", "-r", "100", "-i", "0", "-l", "en", "--", "Spoof."]


class FakeSSIPClient:
    """Stands in for speechd.SSIPClient: records settings, 'speaks' for 0.1 s (5 s for a long
    message), then reports END."""

    instances: list = []

    def __init__(self, name):
        self.name = name
        self.calls: list[tuple] = []
        self.stopped = 0
        FakeSSIPClient.instances.append(self)

    def __getattr__(self, attr):
        if attr.startswith("set_"):
            return lambda value: self.calls.append((attr, value))
        raise AttributeError(attr)

    def speak(self, text, callback=None, event_types=None):
        self.calls.append(("speak", text, tuple(event_types)))
        timer = threading.Timer(5.0 if "long" in text else 0.1, lambda: callback("end"))
        timer.daemon = True
        timer.start()

    def stop(self):
        self.stopped += 1


def test_speech_dispatcher_python_client_is_used_when_present(monkeypatch):
    fake = types.ModuleType("speechd")
    fake.SSIPClient = FakeSSIPClient
    fake.CallbackType = types.SimpleNamespace(END="end", CANCEL="cancel")
    monkeypatch.setitem(sys.modules, "speechd", fake)
    FakeSSIPClient.instances.clear()
    lines: list[str] = []
    settings = Settings(voice="speechd", rate=0.5, volume=1.0)
    announcer = Announcer(settings, print_line=lines.append, player=silent_player(), persist=False)
    assert announcer.engine_name == "speechd"
    announcer.say("Spoof. 97 percent.", "important")
    announcer.say("Bonafide.", "message")
    assert announcer.wait_idle(5)
    [client] = FakeSSIPClient.instances
    assert ("set_priority", "important") in client.calls and ("set_rate", -100) in client.calls
    assert ("set_volume", 100) in client.calls
    assert [c[1] for c in client.calls if c[0] == "speak"] == ["Spoof. 97 percent.", "Bonafide."]
    # stop() reaches speechd
    announcer.say("A long message.")
    assert wait_until(lambda: len([c for c in client.calls if c[0] == "speak"]) == 3)
    announcer.stop()
    assert announcer.wait_idle(2) and client.stopped == 1
    announcer.close()


def test_controls_persist_in_the_config_dir():
    announcer = Announcer(Settings(), print_line=None, player=silent_player())
    assert announcer.set_rate(3.0) == 2.0
    assert announcer.set_volume(0.4) == 0.4
    assert announcer.set_verbosity("Brief") == "brief"
    announcer.set_earcons(False)
    announcer.mute()
    assert announcer.set_engine("espeak-ng") == "espeak"
    with pytest.raises(ValueError, match="Unknown verbosity"):
        announcer.set_verbosity("chatty")
    with pytest.raises(ValueError, match="Unknown voice"):
        announcer.set_engine("robot")
    announcer.close()
    saved = load_settings()
    assert (saved.rate, saved.volume, saved.verbosity, saved.earcons, saved.muted, saved.voice) == (
        2.0, 0.4, "brief", False, True, "espeak")
    again = make_announcer(print_line=None)
    assert again.verbosity == "brief" and again.muted and again.engine_name == "espeak"
    info = again.info()
    assert info["engine"] == "espeak" and info["rate"] == 2.0 and info["muted"] is True
    assert info["cache_limit_bytes"] == 200 * 1024 * 1024
    again.close()


def test_say_command_speaks_through_the_configured_engine(tmp_path, monkeypatch):
    Settings(voice="espeak").save()
    monkeypatch.setenv("SPOOFVOICE_AUDIO_OUT", str(tmp_path))
    lines: list[str] = []
    announcer = make_announcer(print_line=lines.append)
    assert say_command("Hello   there", announcer) == 0
    assert say_command("   ", announcer) == 2
    announcer.close()
    texts = [entry["text"] for entry in read_log(tmp_path)]
    assert texts[0] == "Hello there" and texts[1].startswith("Nothing to say")


def test_speech_info_and_clear_cache():
    cache = SpeechCache()
    cache.store("abc", b"ID3" + bytes(2048), ".mp3")
    lines = speech_info_lines()
    assert any(line.startswith("Speech cache: 1 files") and str(cache.root) in line for line in lines)
    assert any(line.startswith("Offline voice: espeak-ng en-us+f3") for line in lines)
    assert any(line.startswith("Sound output:") for line in lines)
    assert clear_speech_cache() == 1
    assert clear_speech_cache() == 0
    assert all(isinstance(line, str) and "\n" not in line for line in lines)
