"""Session commands and dispatch, run in-process on a real announcer (text only) and store.

Each line goes through session_dispatch.run_line exactly as the prompt sends it; the printed
lines are collected and the settings file and store are read back from the private home.
"""

from __future__ import annotations

import csv
import json

import pytest
from conftest import ASTERISK_EN
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from spoofvoice.commands import names
from spoofvoice.completion import SessionCompleter
from spoofvoice.history_export import ReportError, write_report
from spoofvoice.keys import KEYS, key_bindings, key_help_lines
from spoofvoice.paths import data_dir
from spoofvoice.session_context import SessionContext
from spoofvoice.session_dispatch import friendly_argument_error, run_line, suggestion
from spoofvoice.settings import load_settings
from spoofvoice.speech import make_announcer
from spoofvoice.verdict import Verdict


class Session:
    """A SessionContext with a text-only announcer whose lines are kept."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.context = SessionContext(load_settings(), speech=False)
        self.context.attach_announcer(make_announcer(speech=False, print_line=self._print, settings=self.context.settings))

    def _print(self, line: str) -> None:
        self.lines.extend(line.splitlines())

    def run(self, line: str) -> tuple[int | None, list[str]]:
        """Run a line; returns its status and the lines it printed."""
        start = len(self.lines)
        status = run_line(line, self.context)
        return status, self.lines[start:]

    def spoken(self) -> list[tuple[str, str]]:
        return list(self.context.announcer.history)


@pytest.fixture
def session() -> Session:
    return Session()


def _verdict(label: str, spoof_probability: float) -> Verdict:
    return Verdict(label=label, score=1.0 if label == "bonafide" else -1.0, spoof_probability=spoof_probability,
                   duration_s=2.5, model="seed-mlp", threshold=0.0)


def test_unknown_command_suggests_the_closest_and_is_one_important_sentence(session):
    status, lines = session.run("chek a.wav")
    assert status == 2
    assert lines == ["Unknown command chek. Did you mean check?"]
    assert session.spoken()[-1] == ("Unknown command chek. Did you mean check?", "important")
    _, lines = session.run("xyzzy")
    assert lines == ["Unknown command xyzzy. Type help for the list of commands."]
    assert suggestion("histroy") == "history"


def test_bad_arguments_and_quotes_are_sentences_not_exits(session):
    status, lines = session.run("verbosity loud")
    assert status == 2
    assert lines == ["verbosity does not know loud; choose brief, normal or verbose."]
    assert session.run("rate fast")[1] == ["rate needs a number, such as rate 1.5; fast is not one."]
    assert session.run("history few")[1] == ["history needs a number, such as history 5; few is not one."]
    _, lines = session.run("report")
    assert lines == ["report needs file. Type help report for an example."]
    _, lines = session.run('check "unclosed')
    assert lines == ["That line has a quote that is not closed. Close it and try again."]
    assert session.run("   ") == (None, [])


def test_argparse_wording_fallback_names_the_help():
    from spoofvoice.commands import find

    sentence = friendly_argument_error(find("model"), "model: unrecognized arguments: extra.")
    assert sentence == "model: unrecognized arguments: extra. Type help model for how to use it."


def test_a_failing_command_is_logged_and_the_session_goes_on(session, monkeypatch, private_home):
    import spoofvoice.session_commands as sc

    def broken(args, context):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(sc, "run_status", broken)
    status, lines = session.run("status")
    assert status == 1
    assert len(lines) == 1 and lines[0].startswith("status failed unexpectedly (RuntimeError: disk on fire)")
    log = data_dir() / "session-errors.log"
    assert "disk on fire" in log.read_text(encoding="utf-8")
    monkeypatch.undo()
    assert session.run("status")[0] == 0


def test_speech_settings_change_and_persist(session):
    assert session.run("verbosity brief") == (0, ["Verbosity brief."])
    assert session.run("rate 3")[1] == ["Rate 2 times. The range is 0.5 to 2."]
    assert session.run("volume 80")[1] == ["Volume 80 percent."]
    assert session.run("earcons off")[1] == ["Earcons off."]
    assert session.run("typing-interrupts off")[1] == ["Typing no longer stops speech."]
    assert session.run("threshold 0.25")[1] == ["Threshold 0.25. Scores below it are spoof."]
    saved = load_settings()
    assert (saved.verbosity, saved.rate, saved.volume, saved.earcons, saved.typing_interrupts, saved.threshold) == (
        "brief", 2.0, 0.8, False, False, 0.25)
    assert session.run("threshold default")[1][0].startswith("Threshold: the model's own")
    assert load_settings().threshold is None
    assert session.run("threshold high")[1] == ["Threshold high is not a number; give one such as 0.5, or default."]


def test_help_overview_command_and_keys(session):
    _, lines = session.run("help")
    assert lines[0].startswith("check: ")
    assert {line.split(":")[0] for line in lines[:-1]} == set(names("repl"))
    _, lines = session.run("help check")
    assert lines[0].startswith("check, then one or more files or folders.")
    assert lines[1].startswith("Usage: check ")
    assert session.spoken()[-1][0].startswith("check, then one or more files or folders.")
    _, lines = session.run("help keys")
    assert lines == key_help_lines(True)
    assert any(line.startswith("Escape or F2: stops speech") for line in lines)
    _, lines = session.run("help chekc")
    assert lines == ["Unknown command chekc. Did you mean check?"]


def test_a_history_that_cannot_be_written_costs_one_line_once(session):
    """On a full disk a folder of clips gave one 'History not saved' line per clip."""
    db = data_dir() / "spoofvoice.db"
    db.mkdir()  # the store cannot be opened, as on a full disk
    status, lines = session.run(f"check {ASTERISK_EN / 'agent-pass.wav'} {ASTERISK_EN / 'agent-user.wav'}")
    assert status == 0
    assert lines[0] == (f"History not saved for agent-pass.wav ({db} cannot be opened: is a directory). "
                        "Verdicts go on without it.")
    assert [line.rsplit("/", 1)[-1] for line in lines[1:]] == ["agent-pass.wav", "agent-user.wav"]  # both verdicts, no second notice
    assert all(line.split(" ")[0] in ("BONAFIDE", "SPOOF", "UNCERTAIN") for line in lines[1:])
    db.rmdir()
    session.run(f"check {ASTERISK_EN / 'agent-pass.wav'}")
    assert session.run("history")[1][0].startswith("BONAFIDE ")  # the history comes back by itself


def test_history_and_report_from_the_store(session, tmp_path):
    assert session.run("history")[1] == ["No verdicts yet. Check a file first, for example: check recording.wav."]
    session.context.record_verdict(str(ASTERISK_EN / "agent-pass.wav"), _verdict("bonafide", 0.1))
    session.context.record_verdict("/recordings/call.wav", _verdict("spoof", 0.97))
    status, lines = session.run("history 5")
    assert status == 0
    assert lines[0].startswith("SPOOF 97% call.wav  ")
    assert lines[1].startswith("BONAFIDE 90% agent-pass.wav  ")
    assert lines[2] == "Last 2 verdicts, newest first."
    assert session.spoken()[-1] == ("Last 2 verdicts, newest first. Spoof. 97 percent. call. Bonafide. 90 percent. agent pass.", "message")

    report = tmp_path / "verdicts.csv"
    assert session.run(f"report {report}")[1] == [f"Report saved: 2 verdicts as CSV in {report}."]
    rows = list(csv.DictReader(report.read_text(encoding="utf-8").splitlines()))
    assert [r["label"] for r in rows] == ["spoof", "bonafide"]
    assert rows[0]["path"] == "/recordings/call.wav"
    as_json = tmp_path / "verdicts.json"
    session.run(f"report {as_json}")
    records = json.loads(as_json.read_text(encoding="utf-8"))
    assert records[1]["path"] == str(ASTERISK_EN / "agent-pass.wav")  # as given, not through symlinks
    assert records[0]["spoof_probability"] == pytest.approx(0.97)
    assert session.run(f"report {tmp_path / 'v.xlsx'}")[1] == ["v.xlsx: choose a file name ending in .csv or .json."]
    assert session.run(f"report {tmp_path / 'nowhere' / 'v.csv'}")[1][0].startswith("v.csv: the folder ")


def test_report_writer_leaves_no_partial_file(tmp_path):
    with pytest.raises(ReportError):
        write_report([], tmp_path / "missing" / "x.json")
    write_report([{"path": "a.wav", "label": "spoof"}], tmp_path / "x.json")
    assert json.loads((tmp_path / "x.json").read_text())[0]["label"] == "spoof"
    assert [p.name for p in tmp_path.iterdir()] == ["x.json"]


def test_model_commands_and_status(session):
    _, lines = session.run("model list")
    assert "default  (in use)" in lines
    _, lines = session.run("model use nosuchmodel")
    assert lines[0].startswith("No model called nosuchmodel.")
    assert load_settings().model == "default"
    _, lines = session.run("model info")
    assert lines[0].startswith("Model ")
    assert any(line.startswith("Threshold ") for line in lines)
    _, lines = session.run("status")
    assert lines[0] == "Model default, not loaded yet; the first check loads it."
    assert lines[-1] == "Watch queue: 0 clips waiting."


def test_model_info_names_a_fusions_members_views_and_eval_result(session, tmp_path):
    import json

    from spoofvoice.detector import resolve_card

    card = json.loads(resolve_card("seed-mlp").read_text())
    card["architecture"] = "fusion"
    card["members"] = [{"model": "lcnn-logmel", "weight": 0.9}, {"model": "lcnn-logspec", "weight": 0.7}]
    card["metrics"]["eval"] = {"eer": 0.1673, "clips": 3000}
    card["views"] = ["as-is", "telephone"]
    (tmp_path / "fused.json").write_text(json.dumps(card))
    _, lines = session.run(f"model info {tmp_path / 'fused.json'}")
    assert lines[0] == "Model seed-mlp: architecture fusion."
    assert lines[1] == "It fuses 2 models in one network: lcnn-logmel, lcnn-logspec."
    assert lines[2] == "It hears each clip 2 ways, as it is and through a telephone band, and averages the scores."
    assert "Eval equal error rate 16.7 percent on 3000 clips of voices and attacks it never heard in training." in lines


def test_completion_of_names_choices_and_paths(tmp_path):
    completer = SessionCompleter()

    def complete(text: str) -> list[str]:
        """The whole line as it reads after each completion is applied."""
        event = CompleteEvent(completion_requested=True)
        return [text[: len(text) + c.start_position] + c.text for c in completer.get_completions(Document(text, len(text)), event)]

    assert complete("che") == ["check"]
    assert set(complete("")) == set(names("repl"))
    assert complete("verbosity b") == ["verbosity brief"]
    assert complete("model ") == ["model list", "model use", "model info"]
    assert complete("help ke") == ["help keys"]
    (tmp_path / "my clip.wav").write_bytes(b"")
    assert complete(f"check {tmp_path}/my") == [f"check {tmp_path}/my\\ clip.wav"]
    assert complete(f"check {tmp_path}/my\\ c") == [f"check {tmp_path}/my\\ clip.wav"]
    assert complete(f"check {ASTERISK_EN}/agent-pas") == [f"check {ASTERISK_EN}/agent-pass.wav"]


def test_every_listed_key_is_bound():
    bindings = key_bindings(stop=lambda: None, repeat=lambda: None, speak_help=lambda: None)
    bound = {str(b.keys[0].value if hasattr(b.keys[0], "value") else b.keys[0]) for b in bindings.bindings}
    assert bound == {name for key in KEYS for name in key.keys}


def test_piped_commands_run_without_a_terminal(tmp_path, private_home):
    import subprocess
    import sys

    from conftest import subprocess_env

    script = f"status\nbogus\ncheck {tmp_path / 'absent.wav'}\nquit\nstatus\n"
    done = subprocess.run([sys.executable, "-m", "spoofvoice.cli"], input=script, capture_output=True, text=True,
                          env=subprocess_env(private_home), timeout=60)
    lines = done.stdout.splitlines()
    assert lines[0] == "Model default, not loaded yet; the first check loads it."
    assert "Unknown command bogus. Type help for the list of commands." in lines
    assert any(line.startswith("ERROR ") and "absent.wav" in line for line in lines)
    assert lines[-1] == "Goodbye."
    assert done.returncode == 1
    assert "Traceback" not in done.stderr


def test_typing_and_the_speech_keys_reach_the_announcer(session, monkeypatch):
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from spoofvoice.repl import _prompt_session

    calls: list[str] = []
    announcer = session.context.announcer
    monkeypatch.setattr(announcer, "stop", lambda: calls.append("stop"))
    monkeypatch.setattr(announcer, "repeat", lambda: calls.append("repeat"))
    with create_pipe_input() as keyboard, create_app_session(input=keyboard, output=DummyOutput()):
        prompt = _prompt_session(session.context)
        keyboard.send_text("c\r")
        assert prompt.prompt() == "c"
        assert calls == ["stop"]  # typing interrupts speech...
        session.context.settings.typing_interrupts = False
        keyboard.send_text("h" + "\x1bOQ" + "\x1bOR" + "\x0f" + "\x1bOP" + "\r")  # h, F2, F3, Ctrl-O, F1
        assert prompt.prompt() == "h"
    assert calls == ["stop", "stop", "repeat", "repeat"]  # "h" did not stop speech: typing-interrupts off
    assert session.lines[-1].startswith("Type help COMMAND for more")
