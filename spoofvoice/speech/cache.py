"""On-disk cache of synthesised speech, so a phrase heard before plays at once and offline.

Names are sha256 of everything that changes the audio; files are written to a temp file and
renamed, so a failed download never leaves a broken entry; the total size is bounded and the
least recently used files go first.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from spoofvoice.paths import cache_dir, remove_stale_files

DEFAULT_MAX_BYTES = 200 * 1024 * 1024
_TEMP_PREFIX = ".partial-"
# A partial file this old was left by a process that died mid-download: no one will finish it.
STALE_PARTIAL_S = 3600.0


def speech_cache_dir() -> Path:
    """The folder that holds cached speech (created on demand)."""
    folder = cache_dir() / "speech"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def cache_key(engine: str, lang: str, tld: str, slow: bool, text: str, *extra: object) -> str:
    """sha256 of (engine, lang, tld, slow, text[, extra...]): one name per distinct audio."""
    blob = json.dumps([engine, lang, tld, bool(slow), text, *extra], ensure_ascii=False)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class SpeechCache:
    """A folder of audio files named by cache_key, bounded to max_bytes."""

    def __init__(self, root: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.root = root or speech_cache_dir()
        self.root.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes

    def path_for(self, key: str, suffix: str) -> Path:
        return self.root / f"{key}{suffix}"

    def lookup(self, key: str, suffix: str) -> Path | None:
        """The cached file, or None; a hit is touched so pruning keeps recently used audio."""
        path = self.path_for(key, suffix)
        try:
            if path.stat().st_size == 0:
                return None
            os.utime(path)
        except OSError:
            return None
        return path

    def temp_path(self, suffix: str) -> Path:
        """A fresh temp file in the cache folder, to be filled and then passed to commit()."""
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=_TEMP_PREFIX, suffix=suffix)
        os.close(fd)
        return Path(tmp)

    def commit(self, temp: Path, key: str, suffix: str) -> Path:
        """Rename a filled temp file into place (atomic), then keep the cache within bounds."""
        target = self.path_for(key, suffix)
        os.replace(temp, target)
        self.prune(keep=target)
        return target

    def store(self, key: str, data: bytes, suffix: str) -> Path:
        """Write bytes under key: temp file, then rename."""
        temp = self.temp_path(suffix)
        try:
            temp.write_bytes(data)
            return self.commit(temp, key, suffix)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def _entries(self) -> list[tuple[float, int, Path]]:
        entries = []
        for path in self.root.iterdir():
            if path.name.startswith(_TEMP_PREFIX) or not path.is_file():
                continue
            try:
                info = path.stat()
            except OSError:
                continue
            entries.append((info.st_mtime, info.st_size, path))
        return entries

    def prune(self, keep: Path | None = None) -> int:
        """Drop stale partial files, then the least recently used files until the total fits;
        returns files removed."""
        removed = remove_stale_files(self.root.glob(f"{_TEMP_PREFIX}*"), STALE_PARTIAL_S)
        entries = sorted(self._entries(), key=lambda e: e[0])
        total = sum(size for _, size, _ in entries)
        for _, size, path in entries:
            if total <= self.max_bytes:
                break
            if path == keep:
                continue
            path.unlink(missing_ok=True)
            total -= size
            removed += 1
        return removed

    def stats(self) -> tuple[int, int]:
        """(number of files, total bytes)."""
        entries = self._entries()
        return len(entries), sum(size for _, size, _ in entries)

    def clear(self) -> int:
        """Remove every cached file (and stray temp files); returns how many were removed."""
        removed = 0
        for path in self.root.iterdir():
            if path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
        return removed
