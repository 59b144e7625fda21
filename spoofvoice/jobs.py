"""Long work in the background of the session, so checking clips goes on while a model trains.

One job at a time (training or evaluation: both want both cores). A job gets a stop event,
which the work checks between batches, and a `SparseProgress`, which `status` reads to say
where it is, how long it has run and how long is left.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from spoofvoice.progress import SparseProgress, spoken_duration


class JobBusy(Exception):
    """Another job is already running."""


@dataclass
class Job:
    """One piece of background work."""

    kind: str  # "training" or "evaluation"
    title: str  # what the user hears: "training lcnn-logmel"
    stop_event: threading.Event = field(default_factory=threading.Event)
    progress: SparseProgress | None = None
    started: float = field(default_factory=time.monotonic)
    finished: float | None = None
    result: object = None
    error: str | None = None
    thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def status_sentence(self) -> str:
        """"Training seed-mlp. Epoch 3 of 20. 1 minute 2 seconds so far, about 6 minutes left." """
        if not self.running:
            state = "stopped" if self.stop_event.is_set() else ("failed" if self.error else "done")
            return f"{self.title.capitalize()}: {state}."
        parts = [f"{self.title.capitalize()}."]
        if self.stop_event.is_set():
            parts.append("Stopping after the current batch.")
        if self.progress is not None:
            if self.progress.last_line:
                parts.append(self.progress.last_line)
            parts.append(
                f"{spoken_duration(self.progress.elapsed_s)} so far, about {spoken_duration(self.progress.remaining_s)} left."
            )
        else:
            parts.append(f"{spoken_duration(time.monotonic() - self.started)} so far.")
        return " ".join(parts)


class Jobs:
    """The session's background work: start, ask about, stop."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: Job | None = None

    def start(self, job: Job, work: Callable[[Job], object], on_error: Callable[[Job, Exception], None]) -> Job:
        """Run `work(job)` in a daemon thread; `on_error` turns a failure into one sentence."""
        with self._lock:
            if self.current is not None and self.current.running:
                raise JobBusy(f"{self.current.title.capitalize()} is still running. Say status to hear where it is, or stop {self.current.kind}.")

            def run() -> None:
                try:
                    job.result = work(job)
                except Exception as error:  # one sentence, never a traceback in the session
                    job.error = str(error) or type(error).__name__
                    on_error(job, error)
                finally:
                    job.finished = time.monotonic()

            job.thread = threading.Thread(target=run, name=f"spoofvoice-{job.kind}", daemon=True)
            self.current = job
            job.thread.start()
            return job

    def running(self, kind: str | None = None) -> Job | None:
        """The running job (of `kind`, if given)."""
        job = self.current
        if job is not None and job.running and (kind is None or job.kind == kind):
            return job
        return None

    def stop(self, kind: str | None = None) -> Job | None:
        """Ask the running job to stop after its current batch; returns it, or None."""
        job = self.running(kind)
        if job is not None:
            job.stop_event.set()
        return job

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the current job to end (quit waits briefly; tests wait for results)."""
        job = self.current
        if job is None or job.thread is None:
            return True
        job.thread.join(timeout)
        return not job.thread.is_alive()


class Stopped(Exception):
    """Raised inside work that was asked to stop and has nothing worth keeping."""


def run_job(context, job: Job, work: Callable[[Job], int]) -> int:
    """Run long work: in the background of a session, in the foreground of the CLI.

    In the session the prompt comes straight back; the job speaks its own progress and
    result. In the CLI the first Ctrl-C asks the work to stop after the current batch (a
    training run then keeps its best model); a second Ctrl-C stops at once.
    """
    if context.interactive:
        def report_failure(failed: Job, error: Exception) -> None:
            context.say(f"{failed.title.capitalize()} failed. {error}", "important", earcon="error")

        try:
            context.jobs.start(job, work, report_failure)
        except JobBusy as busy:
            context.say(str(busy), "important", earcon="error")
            return 1
        context.say(f"{job.title.capitalize()} started in the background. Say status to hear where it is, or stop {job.kind}.")
        return 0
    return _run_in_foreground(context, job, work)


def _run_in_foreground(context, job: Job, work: Callable[[Job], int]) -> int:
    import signal

    def first_interrupt(signum, frame) -> None:
        # Only set the flag here: the work says "stopping" when it sees it (no locks in a handler).
        job.stop_event.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, first_interrupt) if in_main_thread else None
    try:
        return int(work(job) or 0)
    except Stopped:
        return 130
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
