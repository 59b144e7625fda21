"""The watch-folder worker: scores queued clips in arrival order and announces each verdict.

The worker takes jobs from the store, so a clip queued before a crash is scored after it; a
verdict is stored (job done) before it is announced, and the job is marked announced right
after, so a restart announces what a crash cut off and repeats nothing it already said.
`QueueTalk` keeps a burst from turning into a wall of sound: arrivals are merged into one line
and the queue length is spoken only when it has changed by a lot.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path

from spoofvoice.audio import AudioError
from spoofvoice.store import DONE, Job, Store
from spoofvoice.verdict import SPOOF, Verdict
from spoofvoice.verdict_text import announce_error, announce_verdict
from spoofvoice.watch_args import DEFAULT_MAX_MB, DEFAULT_STABLE_S
from spoofvoice.watch_files import (
    RefusedFile,
    content_hash,
    relative_name,
    safe_target,
    sort_into,
)

Score = Callable[[str], Verdict]
MERGE_QUIET_S = 0.5  # arrivals closer than this are one burst
MERGE_HOLD_S = 2.0  # a long burst still gets a line this often
BIG_CHANGE = 10  # queue lengths closer than this are not worth a sentence


@dataclass(frozen=True)
class WatchOptions:
    """How one folder is watched."""

    poll: bool = False
    recursive: bool = False
    existing: str = "scan"  # scan | skip
    sort: bool = False
    stable_s: float = DEFAULT_STABLE_S
    poll_interval_s: float = 1.0
    max_bytes: int = DEFAULT_MAX_MB * 2**20


def job_verdict(job: Job) -> Verdict:
    """The verdict stored with a done job (what is announced after a restart or for a twin)."""
    return Verdict(
        label=job.label or SPOOF,
        score=float(job.score or 0.0),
        spoof_probability=float(job.spoof_probability or 0.0),
        duration_s=float(job.duration_s or 0.0),
        model=job.model or "",
        threshold=float(job.threshold or 0.0),
        uncertain=job.uncertain,
    )


@dataclass
class _Prepared:
    """One claimed job on its way through a batch."""

    job: Job
    real: Path | None = None
    digest: str | None = None
    twin: Job | None = None  # an earlier job, already done, with the same content
    batch_twin: _Prepared | None = None  # an earlier job in this batch with the same content
    failure: tuple[str, str] | None = None  # (sentence, reason)
    verdict: Verdict | None = None
    future: Future | None = None

    @property
    def needs_scoring(self) -> bool:
        return self.failure is None and self.twin is None and self.batch_twin is None


def _os_failure(name: str, error: OSError) -> tuple[str, str]:
    if isinstance(error, FileNotFoundError):
        reason = "it vanished before it could be checked"
        return f"{name}: {reason}. Put it back into the folder to check it.", reason
    reason = f"it cannot be read ({error.strerror or error})"
    return f"{name}: {reason}. Copy it in again.", reason


class QueueTalk:
    """Merges arrivals into "12 new clips queued." and speaks the queue length sparingly."""

    def __init__(self, context, pending: Callable[[], int], *, quiet_s: float = MERGE_QUIET_S, hold_s: float = MERGE_HOLD_S) -> None:
        self.context = context
        self.pending = pending
        self.quiet_s = quiet_s
        self.hold_s = hold_s
        self._cond = threading.Condition()
        self._arrived = 0
        self._first = self._last = 0.0
        self._reference = 0  # the queue length the listener last heard
        self._checked = self._spoofs = 0  # since the queue was last empty
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="spoofvoice-watch-talk", daemon=True)
        self._thread.start()

    def arrived(self, count: int = 1) -> None:
        """Clips were queued by events (merged into one line after a short quiet spell)."""
        now = time.monotonic()
        with self._cond:
            if self._arrived == 0:
                self._first = now
            self._arrived += count
            self._last = now
            self._cond.notify_all()

    def heard(self, length: int) -> None:
        """The listener was just told the queue length some other way (e.g. at start)."""
        with self._cond:
            self._reference = length

    def job_done(self, label: str | None) -> None:
        """After each announced job: the queue length, if it changed by a lot; a summary when empty."""
        pending = self.pending()
        with self._cond:
            self._checked += 1
            self._spoofs += label == SPOOF
            checked, spoofs, reference = self._checked, self._spoofs, self._reference
            if pending == 0:
                self._checked = self._spoofs = self._reference = 0
            elif reference and abs(pending - reference) >= max(BIG_CHANGE, reference // 2):
                self._reference = pending
        if pending == 0:
            if checked >= BIG_CHANGE:
                self.context.say(f"Queue empty. {checked} clips checked, {spoofs} spoof.", "message", earcon="done")
        elif reference and abs(pending - reference) >= max(BIG_CHANGE, reference // 2):
            self.context.say(f"{pending} clips waiting.", "message")

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._closed:
                    if self._arrived:
                        due = min(self._last + self.quiet_s, self._first + self.hold_s)
                        wait = due - time.monotonic()
                        if wait <= 0:
                            break
                        self._cond.wait(wait)
                    else:
                        self._cond.wait()
                if self._closed:
                    return
                count, self._arrived = self._arrived, 0
            pending = self.pending()
            if count >= 2 and pending >= 2:
                self.heard(pending)
                self.context.say(f"{count} new clips queued.", "message")


class Worker:
    """One thread that turns queued jobs into announced verdicts, oldest first; when clips are
    waiting, a few are scored at once on a thread pool (decoding and features release the GIL)."""

    def __init__(
        self,
        store: Store,
        score: Score,
        context,
        options: Callable[[str], WatchOptions | None],
        folders: Callable[[], list[str]],
        *,
        model: Callable[[], str | None] | str | None = None,
        talk: QueueTalk | None = None,
        parallel: int = 0,
    ) -> None:
        self.store = store
        self.score = score
        self.context = context
        self.options = options
        self.folders = folders
        self._model = model
        self.talk = talk
        self.current: Job | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._catch_up = threading.Event()  # announce what a crash left unannounced
        self._catch_up.set()
        self._thread: threading.Thread | None = None
        self.parallel = max(1, parallel or min(4, os.cpu_count() or 1))
        self._pool = None

    @property
    def model(self) -> str | None:
        """The model that scores now (identical content is reused only from the same model)."""
        return self._model() if callable(self._model) else self._model

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="spoofvoice-watch-worker", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """New work may be waiting."""
        self._wake.set()

    def catch_up(self) -> None:
        """A folder was added: announce its verdicts that a crash stored but never said."""
        self._catch_up.set()
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> bool:
        """Finish the job in hand, then stop; True when the thread ended in time."""
        self._stop.set()
        self._wake.set()
        ended = True
        if self._thread is not None:
            self._thread.join(timeout)
            ended = not self._thread.is_alive()
        if ended and self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
        return ended

    @property
    def busy_ids(self) -> set[int]:
        job = self.current
        return {job.id} if job is not None else set()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            if self._catch_up.is_set():
                self._catch_up.clear()
                for job in self.store.unannounced(self.folders()):
                    if self._stop.is_set():
                        return
                    self._finish(job)
            jobs = self._claim_batch()
            if not jobs:
                self._wake.wait(1.0)
                continue
            try:
                self.process_batch(jobs)
            except Exception as error:  # the store failed (disk full...): say so, keep watching
                self.context.say(f"The watch queue could not record {Path(jobs[0].path).name} ({error}).", "important", earcon="error")
                self._stop.wait(1.0)
            finally:
                self.current = None

    def _claim_batch(self) -> list[Job]:
        """The oldest pending job, plus as many more as there are scoring threads, when waiting."""
        folders = self.folders()
        jobs: list[Job] = []
        while len(jobs) < self.parallel:
            job = self.store.claim_next(folders)
            if job is None:
                break
            jobs.append(job)
        return jobs

    def process(self, job: Job) -> None:
        """Score one claimed job, store its verdict, announce it."""
        self.process_batch([job])

    def process_batch(self, jobs: list[Job]) -> None:
        """Check and hash each job, score the new content in parallel, then record and announce
        in arrival order. Identical content within the batch is scored once too."""
        prepared: list[_Prepared] = []
        first_with: dict[str, _Prepared] = {}
        for job in jobs:
            item = self._prepare(job)
            if item.digest and item.twin is None:
                item.batch_twin = first_with.get(item.digest)
                first_with.setdefault(item.digest, item)
            prepared.append(item)
        to_score = [item for item in prepared if item.needs_scoring]
        if len(to_score) > 1:
            pool = self._executor()
            for item in to_score:
                item.future = pool.submit(self._score, item)
        for item in prepared:
            self.current = item.job
            self._record(item)
            self._finish(self.store.job(item.job.id))

    def _prepare(self, job: Job) -> _Prepared:
        """Refuse unsafe files, hash the content, and find a verdict already given to it."""
        item = _Prepared(job)
        options = self.options(job.folder) or WatchOptions()
        try:
            item.real = safe_target(Path(job.path), Path(job.folder), options.max_bytes)
            item.digest = content_hash(item.real)
        except RefusedFile as error:
            item.failure = (error.sentence, error.reason)
            return item
        except OSError as error:
            item.failure = _os_failure(Path(job.path).name, error)
            return item
        self.store.set_hash(job.id, item.digest)
        item.twin = self.store.scored_twin(item.digest, job.id, self.model)
        return item

    def _score(self, item: _Prepared) -> tuple[Verdict | None, tuple[str, str] | None]:
        """(verdict, None) or (None, (sentence, reason)); never raises, so one bad file stops nothing."""
        name = Path(item.job.path).name
        try:
            return self.score(str(item.real)), None
        except (RefusedFile, AudioError) as error:
            return None, (error.sentence, error.reason)
        except OSError as error:
            return None, _os_failure(name, error)
        except MemoryError:
            return None, (f"{name}: too large to decode in memory. Cut it into shorter parts.", "too large to decode")
        except Exception as error:  # a model or decoder fault on this one file
            return None, (f"{name}: could not be checked ({type(error).__name__}: {error}).", "could not be checked")

    def _record(self, item: _Prepared) -> None:
        """Store the outcome: done with its verdict (one transaction), or failed with its reason."""
        job = item.job
        if item.twin is not None:
            same_file = job.path in (item.twin.path, item.twin.moved_to)  # saved again unchanged: not news
            self.store.complete(job.id, job_verdict(item.twin), duplicate_of=item.twin.id, record=not same_file)
            if same_file:
                self.store.mark_announced(job.id)
                self.context.show(f"{relative_name(job.path, job.folder)}: unchanged since it was checked.")
            return
        if item.failure is None and item.batch_twin is not None and item.batch_twin.verdict is not None:
            self.store.complete(job.id, item.batch_twin.verdict, duplicate_of=item.batch_twin.job.id)
            return
        if item.failure is None:
            item.verdict, item.failure = item.future.result() if item.future else self._score(item)
        if item.verdict is not None:
            self.store.complete(job.id, item.verdict)
        else:
            self.store.fail(job.id, *item.failure)

    def _executor(self):
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self.parallel, thread_name_prefix="spoofvoice-watch-score")
        return self._pool

    def _finish(self, job: Job) -> None:
        """Sort (if asked), announce, and mark announced: safe to repeat after a crash."""
        if job.announced:
            return
        options = self.options(job.folder) or WatchOptions()
        folder, path = Path(job.folder), Path(job.path)
        shown = relative_name(path, folder)
        if options.sort and job.moved_to is None:
            category = job.label if job.state == DONE and job.label else "failed"
            try:
                if path.is_file() and not path.is_symlink():
                    self.store.set_moved(job.id, str(sort_into(path, folder, category)))
            except OSError as error:
                self.context.show(f"{shown}: could not be moved into {category}/ ({error.strerror or error}).")
        if job.state == DONE:
            announce_verdict(self.context, job_verdict(job), shown)
        else:
            announce_error(self.context, shown, job.error or f"{path.name}: could not be checked.", job.reason or "could not be checked")
        self.store.mark_announced(job.id)
        if self.talk is not None:
            self.talk.job_done(job.label if job.state == DONE else None)
