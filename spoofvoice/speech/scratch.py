"""Where one utterance's audio lives between synthesis and playback.

Each process keeps its files in its own folder under the system temp dir, named with its
process id. The folder is removed when the process exits, even when a daemon thread is still
synthesising (a file made then would otherwise outlive it), and the next process removes the
folders of processes that were killed before they could clean up.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading
from pathlib import Path

from spoofvoice.paths import remove_stale_files

PREFIX = "spoofvoice-say-"
# Loose files of this name were left by versions before the per-process folder; an utterance
# never takes this long, so older ones belong to no one.
LEGACY_AGE_S = 3600.0

_lock = threading.Lock()
_folder: Path | None = None
_owner = 0  # the process that made _folder: a forked child makes its own and never removes this
_closed = False
_registered = False


class ScratchClosed(RuntimeError):
    """The process is exiting: no new utterance audio is made."""


def scratch_file(suffix: str) -> Path:
    """A new empty temp file for one utterance's audio, in this process's scratch folder."""
    fd, tmp = tempfile.mkstemp(prefix=PREFIX, suffix=suffix, dir=_process_folder())
    os.close(fd)
    return Path(tmp)


def _process_folder() -> Path:
    global _folder, _owner
    with _lock:
        if _closed:
            raise ScratchClosed("speech is shutting down")
        if _folder is None or _owner != os.getpid() or not _folder.is_dir():
            remove_orphans(Path(tempfile.gettempdir()))
            _folder, _owner = Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")), os.getpid()
            _register_cleanup()
        return _folder


def _register_cleanup() -> None:
    global _registered
    if not _registered:
        atexit.register(close)
        _registered = True


def close() -> None:
    """Remove this process's scratch folder; later calls to scratch_file raise ScratchClosed."""
    global _closed, _folder
    with _lock:
        _closed = True
        folder, _folder = _folder, None
    if folder is not None and _owner == os.getpid():
        shutil.rmtree(folder, ignore_errors=True)


def remove_orphans(temp_root: Path) -> int:
    """Remove scratch folders whose process has gone, and old loose files; returns how many."""
    try:
        entries = list(temp_root.glob(f"{PREFIX}*"))
    except OSError:
        return 0
    folders = [e for e in entries if e.is_dir() and not e.is_symlink()]
    orphans = [f for f in folders if not _owner_alive(f.name)]
    for folder in orphans:
        shutil.rmtree(folder, ignore_errors=True)
    loose = [e for e in entries if e not in folders]
    return len(orphans) + remove_stale_files(loose, LEGACY_AGE_S)


def _owner_alive(name: str) -> bool:
    """Whether the process named in a scratch folder's name still runs (unknown counts as yes)."""
    pid_text = name[len(PREFIX) :].partition("-")[0]
    if not pid_text.isdigit():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive, not ours to judge
        return True
    return True
