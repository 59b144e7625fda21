"""Benchmarks for the interactive session (run with `make bench`; they print, never assert on time).

- launch to usable prompt: from spawning `spoofvoice` in a pseudo-terminal to the prompt being
  drawn (target at most 0.3 s);
- launch to "Ready.": until the model has loaded and "Ready." is printed (target at most 1.0 s);
- resident memory (VmRSS, and the peak VmHWM) after `check` of a real clip (target at most 250 MB).

Runs the real program on the shipped default model, offline voice, no sound card.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

import pexpect

from tests.conftest import subprocess_env

PROGRAM = Path(sys.executable).parent / "spoofvoice"
RUNS = 7


def _spawn(home: Path) -> pexpect.spawn:
    config = home / ".config"
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.json").write_text(json.dumps({"voice": "espeak"}), encoding="utf-8")
    env = subprocess_env(home, PROMPT_TOOLKIT_NO_CPR="1", TERM="xterm")
    env.pop("SPOOFVOICE_SPEECH")
    return pexpect.spawn(str(PROGRAM), env=env, encoding="utf-8", timeout=30, dimensions=(40, 200))


def _status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (less sensitive to a busy machine)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(name: str, values: list[float], target: float) -> None:
    print(f"{name}: median {statistics.median(values):.3f} s, min {min(values):.3f} s, "
          f"max {max(values):.3f} s over {len(values)} launches (target at most {target} s)")


def test_launch_to_prompt_and_ready(tmp_path):
    prompt_times, ready_times, prompt_cpu = [], [], []
    for run in range(RUNS + 1):
        started = time.perf_counter()
        child = _spawn(tmp_path / f"home{run}")
        child.expect("spoofvoice>")
        prompt_at = time.perf_counter() - started
        cpu = _cpu_seconds(child.pid)
        child.expect(r"Ready\.")
        ready_at = time.perf_counter() - started
        child.sendline("quit")
        child.expect(pexpect.EOF)
        child.close()
        if run:  # the first launch warms the disk cache and writes .pyc files
            prompt_times.append(prompt_at)
            ready_times.append(ready_at)
            prompt_cpu.append(cpu)
    print()
    load = Path("/proc/loadavg").read_text().split()[0]
    print(f"machine: {os.cpu_count()} cores, load average {load} during the runs")
    print(f"CPU time used by the session until its prompt: median {statistics.median(prompt_cpu):.3f} s")
    _summary("session launch to usable prompt", prompt_times, 0.3)
    _summary("session launch to Ready", ready_times, 1.0)


def test_resident_memory_after_check(tmp_path, real_speech):
    child = _spawn(tmp_path / "home")
    child.expect(r"Ready\.")
    child.expect("spoofvoice>")
    rss_ready = _status_kb(child.pid, "VmRSS")
    child.sendline(f"check {real_speech}")
    child.expect(r"(BONAFIDE|SPOOF|UNCERTAIN) \d+%")
    time.sleep(0.5)
    rss, peak = _status_kb(child.pid, "VmRSS"), _status_kb(child.pid, "VmHWM")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    print()
    print(f"session resident memory: {rss_ready / 1024:.0f} MB when ready, {rss / 1024:.0f} MB after check, "
          f"peak {peak / 1024:.0f} MB (target at most 250 MB)")
