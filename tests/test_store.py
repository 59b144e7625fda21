"""The store: verdict history, the durable watch queue, file privacy and thread safety."""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from datetime import datetime

import pytest

from spoofvoice.paths import data_dir
from spoofvoice.store import DONE, FAILED, PENDING, RUNNING, Store, StoreUnavailable
from spoofvoice.verdict import Segment, Verdict


def verdict(label: str = "spoof", p: float = 0.97, model: str = "seed-mlp") -> Verdict:
    return Verdict(label=label, score=-2.5 if label == "spoof" else 1.5, spoof_probability=p, duration_s=1.25,
                   model=model, threshold=0.0, uncertain=False, segments=(Segment(0.0, 1.25, -2.5),))


def test_default_location_is_private_and_wal():
    store = Store()
    store.add_verdict("a.wav", verdict())
    path = data_dir() / "spoofvoice.db"
    assert store.path == path
    for file in [path, *path.parent.glob("spoofvoice.db-*")]:
        assert stat.S_IMODE(file.stat().st_mode) == 0o600, file
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    store.close()


def test_private_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        store = Store(tmp_path / "db.sqlite")
        store.add_verdict("a.wav", verdict())
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "db.sqlite").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "db.sqlite-wal").stat().st_mode) == 0o600
    store.close()


def test_recent_verdicts_newest_first_with_the_documented_keys(tmp_path):
    store = Store(tmp_path / "s.db")
    store.add_verdict("first.wav", verdict("bonafide", 0.1))
    store.add_verdict("second.wav", verdict("spoof", 0.9), source="session")
    store.add_verdict("third.wav", Verdict("spoof", -0.1, 0.52, 2.0, "m", 0.0, uncertain=True))
    recent = store.recent_verdicts(2)
    assert [r["path"] for r in recent] == ["third.wav", "second.wav"]
    assert set(recent[0]) == {"path", "label", "score", "spoof_probability", "duration_s", "model", "uncertain", "source", "scored_at"}
    assert recent[0]["uncertain"] is True and recent[1]["uncertain"] is False
    assert recent[1]["source"] == "session" and recent[1]["spoof_probability"] == pytest.approx(0.9)
    assert store.recent_verdicts()[-1]["source"] == "check"
    datetime.fromisoformat(recent[0]["scored_at"])  # ISO time
    store.close()


def test_history_survives_reopening(tmp_path):
    with Store(tmp_path / "s.db") as store:
        store.add_verdict("kept.wav", verdict())
    with Store(tmp_path / "s.db") as again:
        assert again.recent_verdicts()[0]["path"] == "kept.wav"


def test_queue_runs_in_arrival_order_and_done_stores_the_verdict(tmp_path):
    store = Store(tmp_path / "s.db")
    ids = [store.enqueue("/w", f"/w/{name}.wav", 100, 1.0) for name in ("b", "a", "c")]
    assert all(ids)
    claimed = [store.claim_next(["/w"]) for _ in range(3)]
    assert [job.path for job in claimed] == ["/w/b.wav", "/w/a.wav", "/w/c.wav"]
    assert all(job.state == RUNNING and job.attempts == 1 for job in claimed)
    assert store.claim_next(["/w"]) is None
    store.complete(claimed[0].id, verdict("bonafide", 0.2))
    done = store.job(claimed[0].id)
    assert done.state == DONE and done.label == "bonafide" and done.spoof_probability == pytest.approx(0.2)
    history = store.recent_verdicts()
    assert history[0]["path"] == "/w/b.wav" and history[0]["source"] == "watch"
    store.fail(claimed[1].id, "a.wav: not an audio file.", "not an audio file")
    assert store.job(claimed[1].id).state == FAILED and store.job(claimed[1].id).reason == "not an audio file"
    store.close()


def test_done_and_verdict_are_one_transaction(tmp_path, monkeypatch):
    """If storing the verdict fails, the job is not marked done either."""
    store = Store(tmp_path / "s.db")
    job_id = store.enqueue("/w", "/w/x.wav", 1, 1.0)
    store.claim_next()

    def broken(*args, **kwargs):
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Store, "_insert_verdict", staticmethod(broken))
    with pytest.raises(sqlite3.OperationalError):
        store.complete(job_id, verdict())
    assert store.job(job_id).state == RUNNING
    assert store.recent_verdicts() == []
    store.close()


def test_repeated_events_are_one_job(tmp_path):
    store = Store(tmp_path / "s.db")
    first = store.enqueue("/w", "/w/a.wav", 100, 5.0)
    assert store.enqueue("/w", "/w/a.wav", 100, 5.0) is None  # same event twice
    assert store.enqueue("/w", "/w/a.wav", 120, 6.0) is None  # still waiting: updated in place
    assert store.job(first).size == 120
    job = store.claim_next()
    store.complete(job.id, verdict())
    assert store.enqueue("/w", "/w/a.wav", 120, 6.0) is None  # already scored, unchanged
    assert store.knows("/w/a.wav", 120, 6.0)
    assert store.enqueue("/w", "/w/a.wav", 130, 7.0) is not None  # rewritten: a new job
    store.close()


def test_recover_requeues_jobs_of_a_dead_owner_only(tmp_path):
    store = Store(tmp_path / "s.db")
    a = store.enqueue("/w", "/w/a.wav", 1, 1.0)
    b = store.enqueue("/w", "/w/b.wav", 1, 1.0)
    store.claim_next()
    store.claim_next()
    with sqlite3.connect(tmp_path / "s.db") as raw:
        raw.execute("UPDATE jobs SET owner = 2147483000 WHERE id = ?", (a,))  # no such process
        raw.execute("UPDATE jobs SET owner = 1 WHERE id = ?", (b,))  # alive (init), another process
    assert store.recover(["/w"]) == 1
    assert store.job(a).state == PENDING and store.job(b).state == RUNNING
    assert store.claim_next().attempts == 2
    store.close()


def test_content_twins_and_unannounced(tmp_path):
    store = Store(tmp_path / "s.db")
    a = store.enqueue("/w", "/w/a.wav", 1, 1.0)
    b = store.enqueue("/w", "/w/b.wav", 1, 1.0)
    store.claim_next()
    store.set_hash(a, "abc")
    assert store.scored_twin("abc", b) is None
    store.complete(a, verdict())
    assert store.scored_twin("abc", b).id == a
    assert [job.id for job in store.unannounced(["/w"])] == [a]
    store.mark_announced(a, moved_to="/w/spoof/a.wav")
    assert store.unannounced(["/w"]) == [] and store.job(a).moved_to == "/w/spoof/a.wav"
    assert store.pending_count(["/w"]) == 1 and store.pending_count(["/other"]) == 0
    store.close()


def test_threads_and_a_second_connection_write_at_once(tmp_path):
    store = Store(tmp_path / "s.db")
    other = Store(tmp_path / "s.db")  # as a `check` run in another process would

    def work(target: Store, prefix: str) -> None:
        for i in range(50):
            target.add_verdict(f"{prefix}{i}.wav", verdict())
            target.enqueue("/w", f"/w/{prefix}{i}.wav", i, 1.0)

    threads = [threading.Thread(target=work, args=(target, prefix)) for target, prefix in ((store, "a"), (store, "b"), (other, "c"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(store.recent_verdicts(1000)) == 150
    assert store.pending_count() == 150
    claimed = set()
    while (job := (store if len(claimed) % 2 else other).claim_next()) is not None:
        claimed.add(job.id)
    assert len(claimed) == 150
    store.close()
    other.close()


def test_a_store_that_cannot_be_opened_says_where_and_why(tmp_path, monkeypatch):
    """A full disk or a folder in the way is one StoreUnavailable (an OSError), not a raw sqlite error."""
    in_the_way = tmp_path / "spoofvoice.db"
    in_the_way.mkdir()
    with pytest.raises(StoreUnavailable) as caught:
        Store(in_the_way)
    assert caught.value.path == in_the_way and caught.value.reason == "is a directory"
    assert isinstance(caught.value, OSError)

    real_connect = sqlite3.connect
    opened: list[sqlite3.Connection] = []

    class FullDisk:
        """A connection whose first write finds the disk full, as SQLite reports it."""

        def __init__(self, *args, **kwargs):
            self.raw = real_connect(*args, **kwargs)
            opened.append(self.raw)

        def __setattr__(self, name, value):
            if name == "raw":
                object.__setattr__(self, name, value)
            else:
                setattr(self.raw, name, value)

        def execute(self, sql, *params):
            if sql.startswith("PRAGMA journal_mode"):
                raise sqlite3.OperationalError("database or disk is full")
            return self.raw.execute(sql, *params)

        def close(self):
            self.raw.close()

    monkeypatch.setattr("spoofvoice.store.sqlite3.connect", FullDisk)
    target = tmp_path / "full" / "spoofvoice.db"
    with pytest.raises(StoreUnavailable) as caught:
        Store(target)
    assert str(caught.value) == f"{target} cannot be opened: database or disk is full"
    with pytest.raises(sqlite3.ProgrammingError):  # closed, not leaked
        opened[0].execute("SELECT 1")
