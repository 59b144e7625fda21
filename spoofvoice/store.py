"""The durable record: watch-folder jobs and the verdict history, in one SQLite file.

Why SQLite in WAL mode: a crash (even SIGKILL) never loses a committed job or verdict, readers
never block the writer, and a second process (a `check` run beside a running watcher) can add
verdicts at the same time. A job moves to `done` in the same transaction that stores its
verdict, so a restart finds every clip either scored (once) or still to do. The file lives in
the user's data dir and is created readable by the user only: it lists what they listened to.

One connection per Store, guarded by a lock, so any thread may call any method.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from spoofvoice.paths import data_dir, failure_reason
from spoofvoice.verdict import Verdict

DB_NAME = "spoofvoice.db"
BUSY_TIMEOUT_MS = 30_000
PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"
STATES = (PENDING, RUNNING, DONE, FAILED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    folder TEXT NOT NULL,
    path TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime REAL NOT NULL,
    sha256 TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'failed')),
    label TEXT,
    score REAL,
    spoof_probability REAL,
    duration_s REAL,
    model TEXT,
    threshold REAL,
    uncertain INTEGER,
    error TEXT,
    reason TEXT,
    duplicate_of INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    owner INTEGER,
    announced INTEGER NOT NULL DEFAULT 0,
    moved_to TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    finished_at REAL
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, folder, id);
CREATE INDEX IF NOT EXISTS jobs_by_path ON jobs (path);
CREATE INDEX IF NOT EXISTS jobs_by_hash ON jobs (sha256);
CREATE INDEX IF NOT EXISTS jobs_by_moved_to ON jobs (moved_to);
CREATE TABLE IF NOT EXISTS verdicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path TEXT NOT NULL,
    label TEXT NOT NULL,
    score REAL NOT NULL,
    spoof_probability REAL NOT NULL,
    duration_s REAL NOT NULL,
    model TEXT NOT NULL,
    threshold REAL,
    uncertain INTEGER NOT NULL DEFAULT 0,
    segments TEXT,
    source TEXT NOT NULL,
    job_id INTEGER,
    scored_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS verdicts_by_time ON verdicts (scored_at, id);
"""

_VERDICT_KEYS = ("path", "label", "score", "spoof_probability", "duration_s", "model", "uncertain", "source", "scored_at")


@dataclass(frozen=True)
class Job:
    """One row of the watch queue."""

    id: int
    folder: str
    path: str
    size: int
    mtime: float
    state: str
    sha256: str | None = None
    label: str | None = None
    score: float | None = None
    spoof_probability: float | None = None
    duration_s: float | None = None
    model: str | None = None
    threshold: float | None = None
    uncertain: bool = False
    error: str | None = None
    reason: str | None = None
    duplicate_of: int | None = None
    attempts: int = 0
    announced: bool = False
    moved_to: str | None = None
    created_at: float = 0.0
    finished_at: float | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        return cls(
            id=row["id"], folder=row["folder"], path=row["path"], size=row["size"], mtime=row["mtime"],
            state=row["state"], sha256=row["sha256"], label=row["label"], score=row["score"],
            spoof_probability=row["spoof_probability"], duration_s=row["duration_s"], model=row["model"],
            threshold=row["threshold"], uncertain=bool(row["uncertain"]), error=row["error"], reason=row["reason"],
            duplicate_of=row["duplicate_of"], attempts=row["attempts"], announced=bool(row["announced"]),
            moved_to=row["moved_to"], created_at=row["created_at"], finished_at=row["finished_at"],
        )


def default_path() -> Path:
    """data_dir()/spoofvoice.db (SPOOFVOICE_HOME or XDG_DATA_HOME decide where)."""
    return data_dir() / DB_NAME


def _create_private(path: Path) -> None:
    """Create the database file as 0600 before SQLite opens it; SQLite gives its -wal and -shm
    files the same mode, so nothing of the history is readable by other users."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_CREAT | os.O_RDWR | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="milliseconds")


class StoreUnavailable(OSError):
    """The store file cannot be opened or set up: a full disk, a read-only or missing folder.

    An OSError, so callers that already tolerate a failed write (the verdict history) keep
    doing so; `path` and `reason` let a command say what is wrong in one sentence.
    """

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path} cannot be opened: {reason}")
        self.path = path
        self.reason = reason


class Store:
    """Jobs and verdict history. Thread-safe; several processes may share the file."""

    def __init__(self, path: Path | None = None) -> None:
        self._lock = threading.RLock()
        self._db = None  # type: ignore[assignment]
        try:
            self.path = Path(path) if path is not None else default_path()
        except OSError as error:  # the data folder itself cannot be made
            raise StoreUnavailable(Path(error.filename or DB_NAME), failure_reason(error)) from error
        try:
            self._open()
        except (OSError, sqlite3.Error) as error:
            self.close()
            raise StoreUnavailable(self.path, failure_reason(error)) from error

    def _open(self) -> None:
        _create_private(self.path)
        self._db = sqlite3.connect(str(self.path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across process crashes
        with self._transaction() as db:
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    db.execute(statement)

    # ----- plumbing -----------------------------------------------------------------------

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE .. COMMIT under the lock: one writer at a time, across processes too."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _query(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, tuple(params)).fetchall()

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed when the last one closes)."""
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None  # type: ignore[assignment]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----- verdict history ------------------------------------------------------------------

    def add_verdict(self, path: str, verdict: Verdict, source: str = "check") -> None:
        """Remember one scored clip (from `check`, the session or the watch folder)."""
        with self._transaction() as db:
            self._insert_verdict(db, path, verdict, source, None, time.time())

    def recent_verdicts(self, limit: int = 10) -> list[dict]:
        """The newest `limit` verdicts, newest first."""
        rows = self._query(
            "SELECT path, label, score, spoof_probability, duration_s, model, uncertain, source, scored_at "
            "FROM verdicts ORDER BY scored_at DESC, id DESC LIMIT ?",
            (max(0, int(limit)),),
        )
        result = []
        for row in rows:
            record = {key: row[key] for key in _VERDICT_KEYS}
            record["uncertain"] = bool(record["uncertain"])
            record["scored_at"] = _iso(row["scored_at"])
            result.append(record)
        return result

    @staticmethod
    def _insert_verdict(db: sqlite3.Connection, path: str, verdict: Verdict, source: str, job_id: int | None, now: float) -> None:
        segments = json.dumps([[s.start_s, s.end_s, round(s.score, 6)] for s in verdict.segments])
        db.execute(
            "INSERT INTO verdicts (path, label, score, spoof_probability, duration_s, model, threshold, uncertain, segments, source, job_id, scored_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (str(path), verdict.label, float(verdict.score), float(verdict.spoof_probability), float(verdict.duration_s),
             verdict.model, float(verdict.threshold), int(bool(verdict.uncertain)), segments, source, job_id, now),
        )

    # ----- the watch queue --------------------------------------------------------------------

    def enqueue(self, folder: str, path: str, size: int, mtime: float) -> int | None:
        """Queue a complete file; returns the job id, or None for a repeated event.

        A file already waiting is updated in place (its newest size and time count); one
        already scored or failed with the same size and time is the same file seen again.
        """
        with self._transaction() as db:
            rows = db.execute(
                "SELECT id, state, size, mtime FROM jobs WHERE path = ? ORDER BY id DESC LIMIT 1", (path,)
            ).fetchall()
            if rows:
                last = rows[0]
                same = last["size"] == size and abs(last["mtime"] - mtime) < 1e-6
                if last["state"] == PENDING:
                    if not same:
                        db.execute("UPDATE jobs SET size = ?, mtime = ? WHERE id = ?", (size, mtime, last["id"]))
                    return None
                if same:
                    return None
            cursor = db.execute(
                "INSERT INTO jobs (folder, path, size, mtime, state, created_at) VALUES (?, ?, ?, ?, 'pending', ?)",
                (folder, path, size, mtime, time.time()),
            )
            return int(cursor.lastrowid)

    def knows(self, path: str, size: int, mtime: float) -> bool:
        """True when this exact file (path, size, time) already has a job of any state, here
        or where sorting moved it from."""
        rows = self._query(
            "SELECT size, mtime FROM jobs WHERE id = (SELECT MAX(id) FROM jobs WHERE path = ?) "
            "OR id = (SELECT MAX(id) FROM jobs WHERE moved_to = ?)",
            (path, path),
        )
        return any(row["size"] == size and abs(row["mtime"] - mtime) < 1e-6 for row in rows)

    def claim_next(self, folders: Iterable[str] | None = None) -> Job | None:
        """Take the oldest pending job (arrival order) and mark it running by this process."""
        folders = list(folders) if folders is not None else None
        if folders is not None and not folders:
            return None
        where, params = _folder_filter(folders)
        with self._transaction() as db:
            row = db.execute(f"SELECT * FROM jobs WHERE state = 'pending'{where} ORDER BY id LIMIT 1", params).fetchone()
            if row is None:
                return None
            now = time.time()
            db.execute(
                "UPDATE jobs SET state = 'running', owner = ?, attempts = attempts + 1, started_at = ? WHERE id = ?",
                (os.getpid(), now, row["id"]),
            )
            row = db.execute("SELECT * FROM jobs WHERE id = ?", (row["id"],)).fetchone()
        return Job.from_row(row)

    def set_hash(self, job_id: int, sha256: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET sha256 = ? WHERE id = ?", (sha256, job_id))

    def scored_twin(self, sha256: str, exclude_id: int, model: str | None = None) -> Job | None:
        """An earlier job that scored identical content (with `model`, if given): identical
        content is scored once."""
        sql = "SELECT * FROM jobs WHERE sha256 = ? AND state = 'done' AND id != ?"
        params: tuple = (sha256, exclude_id)
        if model is not None:
            sql += " AND model = ?"
            params += (model,)
        rows = self._query(sql + " ORDER BY id LIMIT 1", params)
        return Job.from_row(rows[0]) if rows else None

    def complete(self, job_id: int, verdict: Verdict, *, duplicate_of: int | None = None, record: bool = True) -> None:
        """Store the verdict and mark the job done, in one transaction.

        `record=False` keeps it out of the history (the same file seen again, unchanged)."""
        now = time.time()
        with self._transaction() as db:
            row = db.execute("SELECT path FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                raise KeyError(f"no job {job_id}")
            db.execute(
                "UPDATE jobs SET state = 'done', label = ?, score = ?, spoof_probability = ?, duration_s = ?, model = ?, "
                "threshold = ?, uncertain = ?, duplicate_of = ?, error = NULL, reason = NULL, finished_at = ? WHERE id = ?",
                (verdict.label, float(verdict.score), float(verdict.spoof_probability), float(verdict.duration_s), verdict.model,
                 float(verdict.threshold), int(bool(verdict.uncertain)), duplicate_of, now, job_id),
            )
            if record:
                self._insert_verdict(db, row["path"], verdict, "watch", job_id, now)

    def fail(self, job_id: int, error: str, reason: str) -> None:
        """Mark a job failed with the sentence to say and the short reason for the line."""
        with self._transaction() as db:
            db.execute(
                "UPDATE jobs SET state = 'failed', error = ?, reason = ?, finished_at = ? WHERE id = ?",
                (error, reason, time.time(), job_id),
            )

    def mark_announced(self, job_id: int, moved_to: str | None = None) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET announced = 1, moved_to = COALESCE(?, moved_to) WHERE id = ?", (moved_to, job_id))

    def set_moved(self, job_id: int, moved_to: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE jobs SET moved_to = ? WHERE id = ?", (moved_to, job_id))

    def recover(self, folders: Iterable[str] | None = None, keep: Iterable[int] = ()) -> int:
        """Put jobs interrupted by a crash back in the queue; returns how many.

        A running job is interrupted when its process is gone, or when it is this process's
        own and not in `keep` (the job this process's worker is busy with)."""
        where, params = _folder_filter(list(folders) if folders is not None else None)
        keep = set(keep)
        with self._transaction() as db:
            rows = db.execute(f"SELECT id, owner FROM jobs WHERE state = 'running'{where}", params).fetchall()
            stale = [
                row["id"] for row in rows
                if row["id"] not in keep and (not _alive(row["owner"]) or row["owner"] == os.getpid())
            ]
            db.executemany("UPDATE jobs SET state = 'pending', owner = NULL WHERE id = ?", [(i,) for i in stale])
        return len(stale)

    def unannounced(self, folders: Iterable[str] | None = None) -> list[Job]:
        """Finished jobs whose verdict was stored but not yet announced (a crash came between)."""
        where, params = _folder_filter(list(folders) if folders is not None else None)
        rows = self._query(f"SELECT * FROM jobs WHERE state IN ('done', 'failed') AND announced = 0{where} ORDER BY id", params)
        return [Job.from_row(row) for row in rows]

    def pending_count(self, folders: Iterable[str] | None = None) -> int:
        where, params = _folder_filter(list(folders) if folders is not None else None)
        return int(self._query(f"SELECT COUNT(*) AS n FROM jobs WHERE state = 'pending'{where}", params)[0]["n"])

    def running(self, folders: Iterable[str] | None = None) -> list[Job]:
        where, params = _folder_filter(list(folders) if folders is not None else None)
        return [Job.from_row(row) for row in self._query(f"SELECT * FROM jobs WHERE state = 'running'{where} ORDER BY id", params)]

    def jobs(self, folders: Iterable[str] | None = None, state: str | None = None) -> list[Job]:
        """Jobs in arrival order, optionally of one state (for the `queue` command and tests)."""
        where, params = _folder_filter(list(folders) if folders is not None else None)
        if state is not None:
            where += " AND state = ?"
            params = (*params, state)
        return [Job.from_row(row) for row in self._query(f"SELECT * FROM jobs WHERE 1 = 1{where} ORDER BY id", params)]

    def job(self, job_id: int) -> Job | None:
        rows = self._query("SELECT * FROM jobs WHERE id = ?", (job_id,))
        return Job.from_row(rows[0]) if rows else None


def _folder_filter(folders: list[str] | None) -> tuple[str, tuple]:
    if folders is None:
        return "", ()
    if not folders:
        return " AND 0", ()
    return f" AND folder IN ({', '.join('?' * len(folders))})", tuple(folders)


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
