"""SPOOFVOICE_AUDIO_OUT: keep a copy of everything spoken, so it can be checked without speakers.

Each utterance's audio is copied into the folder and described by one JSON line in
utterances.jsonl (text, priority, engine, file). Lines are appended with a single write, so
several processes may share one folder.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

LOG_NAME = "utterances.jsonl"


class AudioCapture:
    """Copies utterance audio into a folder and logs it."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.log = self.folder / LOG_NAME
        self._lock = threading.Lock()
        self._count = 0

    def record(
        self,
        text: str,
        priority: str,
        engine: str,
        source: Path | None,
        earcon: str | None = None,
    ) -> Path | None:
        """Copy source (if any) into the folder and append its JSON line; returns the copy."""
        with self._lock:
            self._count += 1
            copy = None
            if source is not None:
                name = f"{self._count:04d}-{os.getpid()}-{engine}{source.suffix}"
                copy = self.folder / name
                shutil.copyfile(source, copy)
            entry = {
                "text": text,
                "priority": priority,
                "engine": engine,
                "file": str(copy) if copy else None,
            }
            if earcon:
                entry["earcon"] = earcon
            line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
            fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
            return copy


def read_log(folder: Path) -> list[dict]:
    """The utterances recorded in folder, oldest first (for tests and people checking)."""
    log = Path(folder) / LOG_NAME
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]
