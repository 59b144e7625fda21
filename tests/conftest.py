"""Shared fixtures: a private home for settings and caches, and real speech to test on."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ASTERISK_EN = Path("/usr/share/asterisk/sounds/en")


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
