"""The real program with the shipped model: `spoofvoice watch` survives SIGKILL mid-burst, and the
session commands watch / queue / unwatch run through the command table."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import subprocess_env
from watch_fakes import clip_bytes, wait_for

from spoofvoice.commands import find, session_parser
from spoofvoice.context import Context
from spoofvoice.paths import data_dir
from spoofvoice.settings import Settings
from spoofvoice.speech import make_announcer

SPOOFVOICE = [sys.executable, "-m", "spoofvoice.cli"]
VERDICT_WORDS = ("BONAFIDE", "SPOOF", "UNCERTAIN", "ERROR")


def start_watch(folder: Path, home: Path, log: Path, audio_out: Path) -> subprocess.Popen:
    env = subprocess_env(home, SPOOFVOICE_SPEECH="on", SPOOFVOICE_AUDIO_OUT=str(audio_out))
    out = open(log, "w")  # noqa: SIM115 - the child writes to it until it ends
    process = subprocess.Popen([*SPOOFVOICE, "watch", str(folder)], stdout=out, stderr=subprocess.STDOUT, env=env)
    out.close()
    assert wait_for(lambda: "Press Ctrl-C" in log.read_text(), timeout=60), log.read_text()
    return process


def jobs(db: Path) -> list[tuple]:
    if not db.exists():
        return []
    raw = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return raw.execute("SELECT path, state, announced FROM jobs").fetchall()
    finally:
        raw.close()


def verdict_names(log: Path) -> list[str]:
    return [line.rsplit(" ", 1)[-1] for line in log.read_text().splitlines() if line.split(" ", 1)[0] in VERDICT_WORDS]


def wait_until_stopped(pid: int, timeout: float = 5.0) -> None:
    """Wait until every thread of `pid` is stopped (state T in /proc), so what it has written
    and committed can no longer change while we look."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        states = []
        for stat in Path(f"/proc/{pid}/task").glob("*/stat"):
            try:
                states.append(stat.read_text().rsplit(")", 1)[1].split()[0])
            except (OSError, IndexError):
                continue  # a thread that just ended
        if states and all(state in ("T", "t") for state in states):
            return
        time.sleep(0.001)
    pytest.fail(f"process {pid} did not stop within {timeout} s of SIGSTOP")


def stop_at_a_clean_point(process: subprocess.Popen, db: Path, log: Path) -> None:
    """SIGKILL the watcher, but not in the one step that cannot be atomic: between printing a
    verdict line and recording in the store that it was printed (a kill exactly there repeats
    that one line after the restart). Everywhere else the store must make the kill harmless."""
    for _ in range(200):
        process.send_signal(signal.SIGSTOP)
        wait_until_stopped(process.pid)  # kill() only queues SIGSTOP: a thread may still print
        printed = set(verdict_names(log))
        unrecorded = {Path(path).name for path, state, announced in jobs(db) if state in ("done", "failed") and not announced}
        if not unrecorded & printed:
            process.kill()
            process.wait()
            return
        process.send_signal(signal.SIGCONT)
        time.sleep(0.003)
    pytest.fail("never found a moment to kill the watcher")


@pytest.mark.slow
def test_sigkill_mid_burst_then_restart_scores_and_announces_each_clip_once(tmp_path, private_home):
    Settings(voice="espeak").save()  # offline voice: the announcement log never needs the network
    folder, audio_out = tmp_path / "drop", tmp_path / "spoken"
    folder.mkdir()
    db = data_dir() / "spoofvoice.db"
    first_log, second_log = tmp_path / "first.txt", tmp_path / "second.txt"
    process = start_watch(folder, private_home, first_log, audio_out)
    staging = tmp_path / "staging"
    staging.mkdir()
    names = [f"burst{i:03d}.wav" for i in range(300)]
    for i, name in enumerate(names):
        (staging / name).write_bytes(clip_bytes(1000 + i))
    for name in names:  # the burst: 300 complete clips renamed in as fast as possible
        os.rename(staging / name, folder / name)
    assert wait_for(lambda: sum(state == "done" for _, state, _ in jobs(db)) >= 80, timeout=60)
    stop_at_a_clean_point(process, db, first_log)
    states = Counter(state for _, state, _ in jobs(db))
    assert states["done"] < 300, "the kill came after the burst; nothing was tested"

    process = start_watch(folder, private_home, second_log, audio_out)
    try:
        assert wait_for(lambda: Counter(s for _, s, a in jobs(db) if a)["done"] == 300, timeout=90), Counter(jobs(db))
        second = {Path(name).stem for name in verdict_names(second_log)}
        assert wait_for(lambda: second <= heard(audio_out), timeout=60), second - heard(audio_out)
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
    assert second_log.read_text().splitlines()[-1].startswith("Stopped watching drop")

    # the store: one job and one verdict per clip
    rows = jobs(db)
    assert Counter(Path(p).name for p, *_ in rows) == Counter(names)
    assert {state for _, state, _ in rows} == {"done"}
    with sqlite3.connect(db) as raw:
        history = Counter(Path(p).name for (p,) in raw.execute("SELECT path FROM verdicts"))
    assert history == Counter(names)
    # the printed announcements, both runs together: every clip exactly once
    printed = Counter(verdict_names(first_log) + verdict_names(second_log))
    assert printed == Counter(names), {n: c for n, c in printed.items() if c != 1}
    # the spoken announcements: none twice; all of the second run's were spoken
    spoken = Counter(u["text"] for u in spoken_verdicts(audio_out))
    assert max(spoken.values()) == 1
    assert second <= heard(audio_out)


def spoken_verdicts(audio_out: Path) -> list[dict]:
    """Verdict sentences in the announcement log ("Bonafide. 80 percent. name.")."""
    log = audio_out / "utterances.jsonl"
    entries = [json.loads(line) for line in log.read_text().splitlines() if line] if log.exists() else []
    return [u for u in entries if u["text"].split(".")[0] in ("Bonafide", "Spoof", "Uncertain")]


def heard(audio_out: Path) -> set[str]:
    """The clip names spoken in verdicts."""
    return {u["text"].rsplit(". ", 1)[-1].rstrip(".") for u in spoken_verdicts(audio_out)}


def run(context: Context, line: str) -> int:
    name, *words = line.split()
    command = find(name)
    return command.run(session_parser(command).parse_args(words), context)


def test_session_watch_queue_unwatch_through_the_command_table(tmp_path):
    lines: list[str] = []
    announcer = make_announcer(speech=False, print_line=lines.append)
    context = Context(announcer, interactive=True)
    folder = tmp_path / "drop"
    folder.mkdir()
    try:
        assert run(context, f"watch {folder}") == 0
        assert context.watchers is not None and f"Watching {folder.resolve()} for new clips." in lines
        assert run(context, f"watch {folder}") == 0 and lines[-1] == "Already watching drop."
        (folder / "hello.wav").write_bytes(clip_bytes(1))
        assert wait_for(lambda: any(line.endswith(" hello.wav") for line in lines), timeout=30)
        assert lines[-1].split(" ")[0] in ("BONAFIDE", "SPOOF", "UNCERTAIN") and "%" in lines[-1]
        assert run(context, "queue") == 0 and lines[-1] == "drop: 0 clips waiting."
        assert run(context, f"unwatch {folder}") == 0 and lines[-1] == "Stopped watching drop."
        assert run(context, "unwatch") == 0 and lines[-1] == "Not watching any folder."
        assert run(context, "queue") == 0 and lines[-1] == "Not watching any folder, and the queue is empty."
        assert run(context, f"watch {tmp_path / 'missing'}") == 2 and "no such folder" in lines[-1]
    finally:
        if context.watchers is not None:
            context.watchers.close()
        announcer.close()


def test_cli_lists_watch_and_refuses_a_file(tmp_path, private_home):
    env = subprocess_env(private_home)
    help_text = subprocess.run([*SPOOFVOICE, "watch", "--help"], capture_output=True, text=True, env=env).stdout
    assert "--poll" in help_text and "--existing" in help_text and "--sort" in help_text
    not_a_folder = tmp_path / "clip.wav"
    not_a_folder.write_bytes(clip_bytes(1))
    result = subprocess.run([*SPOOFVOICE, "watch", str(not_a_folder)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2
    assert result.stdout.strip() == f"{not_a_folder}: this is a file, not a folder. Give the folder to watch."
    assert "Traceback" not in result.stderr


def test_cli_watch_on_a_queue_that_cannot_be_opened_says_so_and_touches_nothing(tmp_path, private_home):
    """A full disk once gave `spoofvoice watch` a sqlite traceback; now one sentence and exit 1."""
    env = subprocess_env(private_home)
    db = private_home / "share" / "spoofvoice.db"
    db.mkdir(parents=True)  # stands in for a full disk: SQLite cannot open it
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "hello.wav").write_bytes(clip_bytes(1))
    result = subprocess.run([*SPOOFVOICE, "--no-speech", "watch", str(folder)], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert result.stdout.strip() == (
        f"Not watching drop: the watch queue {db} cannot be opened (is a directory). "
        "Free space there or make it writable, then watch again; the clips in drop stay where they are.")
    assert "Traceback" not in result.stderr
    assert [p.name for p in folder.iterdir()] == ["hello.wav"]
    result = subprocess.run([*SPOOFVOICE, "--no-speech", "queue"], capture_output=True, text=True, env=env, timeout=60)
    assert (result.returncode, result.stdout.strip()) == (1, f"Queue unknown: {db} cannot be opened (is a directory).")
