"""Where spoofvoice keeps user files.

One place decides the folders, so tests can point everything at a temporary home with
SPOOFVOICE_HOME, and a user's XDG settings are honoured otherwise.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = Path(os.environ.get("SPOOFVOICE_MODELS", PROJECT_ROOT / "models"))


def _base(xdg_var: str, fallback: str) -> Path:
    home = os.environ.get("SPOOFVOICE_HOME")
    if home:
        return Path(home) / fallback.rsplit("/", 1)[-1]
    root = os.environ.get(xdg_var) or str(Path.home() / fallback)
    return Path(root) / "spoofvoice"


def _ensure(path: Path) -> Path:
    """Create a private folder (mode 0700): it holds a user's history and settings."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def config_dir() -> Path:
    """Settings (speech rate, voice, model choice)."""
    return _ensure(_base("XDG_CONFIG_HOME", ".config"))


def data_dir() -> Path:
    """Verdict history, watch queue, REPL history."""
    return _ensure(_base("XDG_DATA_HOME", ".local/share"))


def cache_dir() -> Path:
    """Speech audio cache and feature caches: safe to delete."""
    return _ensure(_base("XDG_CACHE_HOME", ".cache"))


def failure_reason(error: BaseException) -> str:
    """Why a file could not be opened or written, in the system's words and in lower case
    ("no space left on device", "database or disk is full"), to sit inside a sentence."""
    text = error.strerror if isinstance(error, OSError) and error.strerror else str(error) or type(error).__name__
    return text.rstrip(".").lower()


def remove_stale_files(paths: Iterable[Path], max_age_s: float) -> int:
    """Remove the files not modified for `max_age_s` seconds: temp files whose writer died.
    Returns how many went; files that vanish or cannot be removed are skipped."""
    removed = 0
    now = time.time()
    for path in paths:
        try:
            if now - path.lstat().st_mtime > max_age_s:
                path.unlink()
                removed += 1
        except OSError:
            continue
    return removed
