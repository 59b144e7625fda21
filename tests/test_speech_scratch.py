"""The offline voice's temporary audio never outlives the process that made it."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time

from spoofvoice.speech import scratch

# A process that starts speaking in a daemon thread (as the announcer does) and exits while
# espeak-ng is still writing the audio, and while a finished utterance waits to be played.
EXIT_MID_SYNTHESIS = textwrap.dedent(
    """
    import sys, threading, time
    from spoofvoice.speech.engines import EspeakEngine, VoiceParams
    engine = EspeakEngine()
    engine.executable = sys.argv[1]
    waiting = engine.synthesize("ready", VoiceParams())
    threading.Thread(target=engine.synthesize, args=("never finished", VoiceParams()), daemon=True).start()
    time.sleep(0.5)
    print(waiting.path, flush=True)
    """
)


def _slow_espeak(folder) -> str:
    """An espeak-ng stand-in that writes its -w file at once, then takes seconds on the second call."""
    script = folder / "slow-espeak"
    script.write_text(
        "#!/bin/sh\n"
        'while [ "$1" != "-w" ]; do shift; done\n'
        'printf RIFF > "$2"\n'
        f'if [ -e "{folder}/called" ]; then sleep 5; fi\n'
        f'touch "{folder}/called"\n'
    )
    script.chmod(0o755)
    return str(script)


def _scratch_entries(temp_root) -> list[str]:
    return sorted(p.name for p in temp_root.glob(f"{scratch.PREFIX}*"))


def test_audio_being_made_when_the_process_exits_is_removed(tmp_path):
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    env = {**os.environ, "TMPDIR": str(temp_root)}
    done = subprocess.run(
        [sys.executable, "-c", EXIT_MID_SYNTHESIS, _slow_espeak(tmp_path)],
        env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    waiting = done.stdout.strip()
    assert waiting.startswith(str(temp_root / scratch.PREFIX))  # it was made, in the scratch folder
    assert (tmp_path / "called").exists()  # the second synthesis had started
    assert _scratch_entries(temp_root) == []


def test_folders_of_killed_processes_and_old_loose_files_are_removed(tmp_path):
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(gone.stdout)
    dead = tmp_path / f"{scratch.PREFIX}{dead_pid}-abc"
    dead.mkdir()
    (dead / f"{scratch.PREFIX}x.wav").write_bytes(b"RIFF")
    alive = tmp_path / f"{scratch.PREFIX}{os.getpid()}-def"
    alive.mkdir()
    old_loose, new_loose = tmp_path / f"{scratch.PREFIX}old.wav", tmp_path / f"{scratch.PREFIX}new.wav"
    old_loose.write_bytes(b"RIFF")
    new_loose.write_bytes(b"RIFF")
    os.utime(old_loose, (time.time() - 2 * scratch.LEGACY_AGE_S,) * 2)
    other = tmp_path / "someone-else.wav"
    other.write_bytes(b"RIFF")
    other_old = time.time() - 10 * scratch.LEGACY_AGE_S
    os.utime(other, (other_old, other_old))

    assert scratch.remove_orphans(tmp_path) == 2
    assert _scratch_entries(tmp_path) == sorted([alive.name, new_loose.name])
    assert other.exists()


def test_a_new_process_clears_what_a_killed_one_left(tmp_path):
    temp_root = tmp_path / "tmp"
    temp_root.mkdir()
    env = {**os.environ, "TMPDIR": str(temp_root)}
    make = "from spoofvoice.speech.scratch import scratch_file; print(scratch_file('.wav'), flush=True); import os; os._exit(0)"
    killed = subprocess.run([sys.executable, "-c", make], env=env, capture_output=True, text=True, timeout=60)
    assert len(_scratch_entries(temp_root)) == 1  # os._exit skips the clean-up, as a kill would
    assert os.path.exists(killed.stdout.strip())
    subprocess.run([sys.executable, "-c", make.replace("os._exit(0)", "pass")], env=env, check=True, timeout=60)
    assert _scratch_entries(temp_root) == []


# A forked child that exits normally runs the parent's exit handlers: it must leave the
# parent's audio alone.
FORK_AND_EXIT = textwrap.dedent(
    """
    import os, sys
    from spoofvoice.speech.scratch import scratch_file
    made = scratch_file(".wav")
    child = os.fork()
    if child == 0:
        sys.exit(0)
    os.waitpid(child, 0)
    print(made.exists(), flush=True)
    """
)


def test_a_forked_child_leaves_the_parents_audio_alone(tmp_path):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", FORK_AND_EXIT], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "True", done.stderr
    assert _scratch_entries(tmp_path) == []
