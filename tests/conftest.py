"""Shared fixtures: a private home for settings and caches, and real speech to test on."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

ASTERISK_EN = Path("/usr/share/asterisk/sounds/en")


def pytest_configure(config) -> None:
    """Give the programs the tests start a working Ctrl-C, however the suite was started.

    A shell without job control starts background commands (`make test &`) with SIGINT
    ignored, and an ignored signal stays ignored in every program started below it: the
    session and `watch` then never see the Ctrl-C or SIGINT the tests send. A handled signal
    is reset to its default in a started program, so handling it here restores it there.
    """
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture(autouse=True)
def private_home(tmp_path_factory, monkeypatch):
    """Every test gets its own settings, data and cache folders, and never speaks aloud."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("SPOOFVOICE_HOME", str(home))
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("SPOOFVOICE_AUDIO_OUT", raising=False)
    return home


@pytest.fixture(scope="session")
def real_speech() -> Path:
    """One real human recording (Asterisk's English prompts, a Debian package)."""
    path = ASTERISK_EN / "agent-pass.wav"
    if not path.exists():
        pytest.fail(f"{path} is missing: run `make test`, which installs asterisk-core-sounds-en-wav")
    return path


def subprocess_env(home: Path, **extra: str) -> dict[str, str]:
    """Environment for running the real program in a subprocess."""
    env = dict(os.environ)
    env.update({"SPOOFVOICE_HOME": str(home), "NO_COLOR": "1", "SPOOFVOICE_SPEECH": "off"})
    env.update(extra)
    return env
