"""The real `spoofvoice` session in a pseudo-terminal: what is printed and what is spoken.

The program runs as a user would start it (.venv/bin/spoofvoice, no arguments) on the shipped
default model, with the offline voice, no sound card, and SPOOFVOICE_AUDIO_OUT capturing
every utterance. Typing interrupts speech, so each step waits until its words were spoken.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import sys
import time
from pathlib import Path

import pexpect
import pytest
from conftest import ASTERISK_EN, subprocess_env

PROGRAM = Path(sys.executable).parent / "spoofvoice"
PROMPT = "spoofvoice>"
F1, F3 = "\x1bOP", "\x1bOR"  # as an xterm sends them
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")
COLOUR = re.compile(r"\x1b\[(?:\d+;)*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;\d+)*m")
FORBIDDEN = ("tensorflow", "keras", "librosa", "scipy.signal")
VERDICT_LINE = re.compile(r"(BONAFIDE|SPOOF) \d+% \S*agent-pass\.wav|UNCERTAIN \d+% spoof \S*agent-pass\.wav")


class Session:
    """One running session: send lines, wait for printed text and for spoken utterances."""

    def __init__(self, home: Path, out: Path, modules: Path, **extra_env: str) -> None:
        env = subprocess_env(home, SPOOFVOICE_AUDIO_OUT=str(out), SPOOFVOICE_DEBUG_MODULES=str(modules),
                             PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm", **extra_env)
        env.pop("SPOOFVOICE_SPEECH")  # speech on: utterances must reach the capture folder
        self.out = out
        self.child = pexpect.spawn(str(PROGRAM), env=env, encoding="utf-8", timeout=30, dimensions=(40, 250))
        self.transcript = ""
        self.raw = ""

    def expect(self, pattern: str) -> str:
        """Wait for a regex in the (ANSI-stripped) output; returns the text up to and including it."""
        self.child.expect(pattern)
        self.raw += self.child.before + self.child.after
        seen = ANSI.sub("", self.child.before + self.child.after)
        self.transcript += seen
        return seen

    def command(self, line: str) -> None:
        self.child.sendline(line)

    def utterances(self) -> list[dict]:
        log = self.out / "utterances.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]

    def wait_spoken(self, text_pattern: str, priority: str | None = None, count: int = 1, timeout: float = 20.0) -> list[dict]:
        """Wait until `count` utterances match; returns them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [u for u in self.utterances() if re.search(text_pattern, u["text"]) and priority in (None, u["priority"])]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"not spoken: {text_pattern!r} ({priority}); spoken: {[u['text'] for u in self.utterances()]}"
                return found
            time.sleep(0.05)


def _start_session(home: Path, tmp_path: Path, **extra_env: str) -> Session:
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is missing: run `make test`, which installs it")
    config = home / ".config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"voice": "espeak"}), encoding="utf-8")  # offline voice: no network
    return Session(home, tmp_path / "spoken", tmp_path / "modules.txt", **extra_env)


@pytest.fixture
def session(private_home, tmp_path):
    running = _start_session(private_home, tmp_path)
    yield running
    if running.child.isalive():
        running.child.terminate(force=True)


@pytest.mark.parametrize("name", ["SIGTERM", "SIGHUP"])
def test_a_signal_ends_the_session_and_its_offline_audio_goes(private_home, tmp_path, name):
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    running = _start_session(private_home, tmp_path, TMPDIR=str(temp_root))
    try:
        running.expect(PROMPT)
        running.wait_spoken(r"^Welcome to spoofvoice\.")
        assert list(temp_root.glob("spoofvoice-say-*"))  # the offline voice's audio folder
        running.child.kill(getattr(signal, name))
        running.child.expect(pexpect.EOF)
        running.child.close()
        assert (running.child.exitstatus, running.child.signalstatus) == (128 + getattr(signal, name), None)
        assert "Traceback" not in running.child.before
        assert list(temp_root.glob("spoofvoice-say-*")) == []
    finally:
        if running.child.isalive():
            running.child.terminate(force=True)


def test_session_checks_repeats_helps_and_quits(session, real_speech, tmp_path, private_home):
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" * 4)

    session.expect(PROMPT)
    session.expect(r"Ready\.")
    session.wait_spoken(r"^Welcome to spoofvoice\. Type help, or press F1, for help\.$", "message")
    session.wait_spoken(r"^Ready\.$", "message")

    session.command(f"check {real_speech} {broken}")
    verdict = session.expect(VERDICT_LINE.pattern)
    assert VERDICT_LINE.search(verdict)
    assert "ERROR" in session.expect(r"ERROR \S*broken\.wav: [^\n]+")
    session.wait_spoken(r"^(Bonafide|Spoof|Uncertain)\. \d+ percent\b.*agent pass\.$")
    [error] = session.wait_spoken(r"broken", "important")
    assert error.get("earcon") == "error"

    session.expect(PROMPT)
    session.command("repeat")
    session.expect(re.escape(error["text"]))
    session.wait_spoken(re.escape(error["text"]), "important", count=2)

    session.expect(PROMPT)
    session.command("help check")
    session.expect(r"Usage: check [^\n]*PATH")
    assert "check, then one or more files or folders." in session.transcript
    session.wait_spoken(r"^check, then one or more files or folders\.", "message")

    session.expect(PROMPT)
    session.command("verbosity brief")
    session.expect(r"Verbosity brief\.")
    session.wait_spoken(r"^Verbosity brief\.$", "message")

    session.expect(PROMPT)
    session.command("chek")
    session.expect(r"Unknown command chek\. Did you mean check\?")
    session.wait_spoken(r"^Unknown command chek\. Did you mean check\?$", "important")

    session.expect(PROMPT)
    session.command("quit")
    session.expect(r"Goodbye\.")
    session.child.expect(pexpect.EOF)
    session.child.close()
    assert session.child.exitstatus == 0
    assert "Traceback" not in session.transcript
    assert not COLOUR.search(session.raw)  # NO_COLOR: no foreground or background colour codes

    settings = json.loads((private_home / ".config" / "settings.json").read_text(encoding="utf-8"))
    assert settings["verbosity"] == "brief"  # changed in the session, kept for the next
    from spoofvoice.paths import data_dir

    assert f"check {real_speech} {broken}" in (data_dir() / "session-history").read_text(encoding="utf-8")
    imported = set((tmp_path / "modules.txt").read_text(encoding="utf-8").split())
    assert "ai_edge_litert" in imported or "ai_edge_litert.interpreter" in imported  # the model did load
    assert not {name for name in imported if name.split(".")[0] in FORBIDDEN[:3] or name.startswith(FORBIDDEN[3])}


def test_prompt_comes_before_the_model_and_keys_behave(session, tmp_path):
    first = session.expect(PROMPT)
    assert "Ready." not in first  # the prompt is usable before the model has loaded
    session.expect(r"Ready\.")

    many = tmp_path / "many"  # thousands of clips: still running when Ctrl-C arrives, however fast
    many.mkdir()
    for copy in range(6):
        for clip in sorted(ASTERISK_EN.glob("*.wav")):
            (many / f"copy{copy}-{clip.name}").symlink_to(clip)
    session.command(f"check {many}")
    session.expect(r"(BONAFIDE|SPOOF|UNCERTAIN) \d+%")
    session.child.sendcontrol("c")  # Ctrl-C cancels the running command, not the session
    session.expect(r"Cancelled check\.")
    session.expect(PROMPT)

    session.child.send(F1)
    session.expect(r"Type help COMMAND for more, or help keys for the keys\.")
    [overview] = session.wait_spoken(r"^Commands: check, ")
    session.child.send(F3)
    session.wait_spoken(re.escape(overview["text"]), count=2)
    session.child.send("stat")
    session.child.sendcontrol("c")  # Ctrl-C at the prompt drops the half-typed line
    session.command("status")
    session.expect(r"Model default, ready\.")
    session.expect(r"Watch queue: \d+ clips? waiting\.")
    session.expect(PROMPT)
    session.child.sendcontrol("d")
    session.expect(r"Goodbye\.")
    session.child.expect(pexpect.EOF)
    session.child.close()
    assert session.child.exitstatus == 0
    assert "statstatus" not in session.transcript
    assert not any(u["text"].startswith("Unknown command") for u in session.utterances())
