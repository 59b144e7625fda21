"""Sparse spoken progress and background jobs (what the session uses for training)."""

from __future__ import annotations

import threading

from spoofvoice.jobs import Job, JobBusy, Jobs
from spoofvoice.progress import SparseProgress, spoken_duration


class RecordingContext:
    """Records what would be spoken and what would only be printed."""

    def __init__(self):
        self.spoken: list[tuple[str, str, bool]] = []
        self.shown: list[str] = []

    def say(self, text, priority="message", *, display=None, earcon=None, final=False):
        self.spoken.append((text, priority, final))

    def show(self, line):
        self.shown.append(line)


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_is_spoken_at_the_sparser_of_10_percent_and_30_seconds():
    context, clock = RecordingContext(), FakeClock()
    progress = SparseProgress(context, total=100, clock=clock)
    spoken_steps = []
    for step in range(1, 101):
        clock.now += 5.0  # one step every 5 s: 10% takes 50 s, so the 10% rule is the sparser
        if progress.update(step, f"Epoch {step} of 100."):
            spoken_steps.append(step)
    assert spoken_steps == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert len(context.shown) == 90  # every other step is printed, not spoken

    context, clock = RecordingContext(), FakeClock()
    progress = SparseProgress(context, total=10, clock=clock)
    spoken_steps = []
    for step in range(1, 11):
        clock.now += 12.0  # fast 10% steps: the 30 s rule is the sparser
        if progress.update(step, f"Epoch {step} of 10."):
            spoken_steps.append(step)
    assert spoken_steps == [3, 6, 9]


def test_final_line_is_always_spoken_and_marked_final():
    context, clock = RecordingContext(), FakeClock()
    progress = SparseProgress(context, total=50, clock=clock)
    progress.update(1, "Epoch 1 of 50.")
    progress.finish("Training done. Best dev EER 2 point 3 percent at epoch 14.")
    assert context.spoken == [("Training done. Best dev EER 2 point 3 percent at epoch 14.", "progress", True)]


def test_remaining_time_from_the_pace_so_far():
    context, clock = RecordingContext(), FakeClock()
    progress = SparseProgress(context, total=20, clock=clock)
    assert progress.remaining_s is None
    clock.now = 60.0
    progress.update(5, "Epoch 5 of 20.")
    assert progress.remaining_s == 180.0
    assert spoken_duration(progress.remaining_s) == "3 minutes"
    assert spoken_duration(62) == "1 minute 2 seconds" and spoken_duration(0) == "0 seconds"


def test_one_job_at_a_time_stop_and_status():
    jobs = Jobs()
    release = threading.Event()
    errors = []

    def work(job):
        job.progress = SparseProgress(RecordingContext(), total=10)
        job.progress.update(2, "Epoch 2 of 10.")
        while not job.stop_event.is_set() and not release.is_set():
            job.stop_event.wait(0.01)
        return "best model kept"

    job = jobs.start(Job("training", "training seed-mlp"), work, lambda j, e: errors.append(e))
    try:
        second = Job("evaluation", "evaluating default")
        try:
            jobs.start(second, work, lambda j, e: None)
            raise AssertionError("a second job must be refused")
        except JobBusy as busy:
            assert "Training seed-mlp is still running" in str(busy)
        assert "Epoch 2 of 10." in job.status_sentence() and "left" in job.status_sentence()
        assert jobs.stop("evaluation") is None
        assert jobs.stop("training") is job
        assert jobs.wait(5.0)
        assert job.result == "best model kept" and job.status_sentence() == "Training seed-mlp: stopped."
    finally:
        release.set()
    assert errors == []


def test_a_failing_job_reports_one_sentence():
    jobs, errors = Jobs(), []

    def work(job):
        raise ValueError("The dataset folder is empty.")

    job = jobs.start(Job("evaluation", "evaluating default"), work, lambda j, e: errors.append(str(e)))
    assert jobs.wait(5.0)
    assert errors == ["The dataset folder is empty."] and job.error == "The dataset folder is empty."
    assert job.status_sentence() == "Evaluating default: failed."
