"""The watch folder in-process: completeness, exactly-once, renames, polling, bad files, sorting.

The model is a stand-in here (tests/watch_fakes.py) so the counts the issue asks for stay fast;
tests/test_watch_cli.py runs the real program with the shipped model.
"""

from __future__ import annotations

import os
import re
import threading
from collections import Counter
from pathlib import Path

import pytest
from watch_fakes import FakeScorer, RecordingContext, clip_bytes, wait_for, write_slowly

from spoofvoice.store import DONE, FAILED, Store
from spoofvoice.watch import WatchService
from spoofvoice.watch_queue import WatchOptions


@pytest.fixture
def drop(tmp_path) -> Path:
    folder = tmp_path / "drop"
    folder.mkdir()
    return folder


def start(folder: Path, scorer: FakeScorer | None = None, parallel: int = 0, **options) -> tuple[WatchService, RecordingContext, FakeScorer]:
    context = RecordingContext()
    scorer = scorer or FakeScorer()
    service = WatchService(context, scorer, model="fake", parallel=parallel)
    service.add(folder, WatchOptions(**options))
    return service, context, scorer


def aged(path: Path) -> Path:
    """Make a file look as if it was dropped an hour ago, while nothing was watching."""
    then = path.lstat().st_mtime - 3600
    os.utime(path, (then, then), follow_symlinks=False)
    return path


def finished(service: WatchService) -> int:
    return len([job for job in service.store.jobs() if job.state in (DONE, FAILED) and job.announced])


def write_burst(folder: Path, count: int, writers: int = 8, start_at: int = 0) -> dict[str, int]:
    """`count` distinct clips written slowly in chunks by several writers at once."""
    sizes: dict[str, int] = {}

    def writer(indices: range) -> None:
        for i in indices:
            data = clip_bytes(start_at + i)
            path = folder / f"clip{start_at + i:04d}.wav"
            write_slowly(path, data, chunks=4, pause_s=0.008)
            sizes[str(path)] = len(data)

    threads = [threading.Thread(target=writer, args=(range(w, count, writers),)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sizes


def assert_each_scored_once(service, context, scorer, sizes: dict[str, int]) -> None:
    calls = Counter(scorer.scored())
    assert set(calls) == set(sizes), "every file scored"
    assert max(calls.values()) == 1, [p for p, n in calls.items() if n > 1]
    assert all(size == sizes[path] for path, size in scorer.calls), "scored only after it was complete"
    done = [job for job in service.store.jobs() if job.state == DONE]
    assert Counter(job.path for job in done) == Counter(sizes.keys())
    shown = Counter(line.rsplit(" ", 1)[-1] for line in context.verdict_lines())
    assert shown == Counter(Path(p).name for p in sizes), "each verdict announced exactly once"


def test_200_files_written_slowly_each_scored_once_after_complete(drop):
    service, context, scorer = start(drop)
    try:
        sizes = write_burst(drop, 200)
        assert wait_for(lambda: finished(service) == 200, timeout=60)
        assert_each_scored_once(service, context, scorer, sizes)
        history = service.store.recent_verdicts(1000)
        assert len(history) == 200 and {h["source"] for h in history} == {"watch"}
    finally:
        service.close()


def test_polling_mode_is_complete_too(drop):
    service, context, scorer = start(drop, poll=True, stable_s=0.3, poll_interval_s=0.1)
    try:
        assert service.folders[str(drop.resolve())].mode == "polling"
        sizes = write_burst(drop, 200)
        assert wait_for(lambda: finished(service) == 200, timeout=60)
        assert_each_scored_once(service, context, scorer, sizes)
    finally:
        service.close()


def test_polling_waits_for_a_file_to_stop_growing(drop):
    service, context, scorer = start(drop, poll=True, stable_s=0.5, poll_interval_s=0.05)
    data = clip_bytes(7)
    try:
        path = drop / "growing.wav"
        write_slowly(path, data, chunks=8, pause_s=0.15)  # pauses longer than a poll, shorter than stable_s
        assert wait_for(lambda: finished(service) == 1, timeout=10)
        assert scorer.calls == [(str(path), len(data))]
    finally:
        service.close()


def test_renamed_in_and_part_renamed_to_wav(drop, tmp_path):
    service, context, scorer = start(drop)
    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes(clip_bytes(1))
    try:
        os.rename(outside, drop / "moved.wav")
        write_slowly(drop / "download.wav.part", clip_bytes(2), chunks=5)
        (drop / ".hidden.wav").write_bytes(clip_bytes(3))
        (drop / "notes.txt").write_text("not audio")
        assert wait_for(lambda: finished(service) == 1, timeout=10)
        assert scorer.scored() == [str(drop / "moved.wav")]
        os.rename(drop / "download.wav.part", drop / "download.wav")
        assert wait_for(lambda: finished(service) == 2, timeout=10)
        assert scorer.scored() == [str(drop / "moved.wav"), str(drop / "download.wav")]
        assert [line.split(" ")[-1] for line in context.verdict_lines()] == ["moved.wav", "download.wav"]
    finally:
        service.close()


def test_clips_already_there_are_queued_once_and_announced(drop):
    for i in range(3):
        (drop / f"old{i}.wav").write_bytes(clip_bytes(100 + i))
        aged(drop / f"old{i}.wav")
    service, context, scorer = start(drop)
    try:
        assert wait_for(lambda: finished(service) == 3)
        assert "3 unscored clips were already here; scoring them." in [s[0] for s in context.said]
    finally:
        service.close()
    again, context2, scorer2 = start(drop)  # restart: nothing new, nothing repeated
    try:
        assert wait_for(lambda: not again.worker.current and again.pending_count() == 0)
        assert scorer2.calls == [] and context2.verdict_lines() == []
        assert not any("already here" in s[0] for s in context2.said)
    finally:
        again.close()


def test_existing_skip_leaves_old_clips(drop):
    (drop / "old.wav").write_bytes(clip_bytes(1))
    aged(drop / "old.wav")
    service, context, scorer = start(drop, existing="skip")
    try:
        (drop / "new.wav").write_bytes(clip_bytes(2))
        assert wait_for(lambda: finished(service) == 1)
        assert scorer.scored() == [str(drop / "new.wav")]
    finally:
        service.close()


def test_identical_content_and_repeated_saves_are_scored_once(drop):
    service, context, scorer = start(drop)
    try:
        (drop / "a.wav").write_bytes(clip_bytes(5))
        assert wait_for(lambda: finished(service) == 1)
        (drop / "copy of a.wav").write_bytes(clip_bytes(5))  # same audio, new name
        assert wait_for(lambda: finished(service) == 2)
        (drop / "a.wav").write_bytes(clip_bytes(5))  # saved again, unchanged
        assert wait_for(lambda: finished(service) == 3)
        assert scorer.scored() == [str(drop / "a.wav")]
        lines = context.verdict_lines()
        assert [line.split(" ", 2)[-1] for line in lines] == ["a.wav", "copy of a.wav"]
        assert lines[0].split(" ")[:2] == lines[1].split(" ")[:2]  # the same verdict
        assert "a.wav: unchanged since it was checked." in context.shown
        twin = [job for job in service.store.jobs() if job.path.endswith("copy of a.wav")][0]
        assert twin.duplicate_of is not None
    finally:
        service.close()


def test_bad_files_fail_with_a_reason_and_the_rest_continue(drop, tmp_path):
    outside = tmp_path / "secret.wav"
    outside.write_bytes(clip_bytes(9))
    service, context, scorer = start(drop, max_bytes=200_000)
    try:
        (drop / "truncated.wav").write_bytes(clip_bytes(1)[:3000])
        (drop / "noise.wav").write_bytes(b"this is not audio at all" * 10)
        (drop / "escape.wav").symlink_to(outside)
        (drop / "huge.wav").write_bytes(clip_bytes(2) + bytes(250_000))
        (drop / "good.wav").write_bytes(clip_bytes(3))
        assert wait_for(lambda: finished(service) == 4)  # the link itself makes no close event
        errors = {line.split(":")[0].removeprefix("ERROR "): line for line in context.verdict_lines() if line.startswith("ERROR")}
        assert "truncated" in errors["truncated.wav"] and "not an audio file" in errors["noise.wav"]
        assert "too large" in errors["huge.wav"]
        assert str(outside) not in scorer.scored() and str(drop / "huge.wav") not in scorer.scored()
        assert any(line.endswith(" good.wav") and not line.startswith("ERROR") for line in context.verdict_lines())
        failed = {Path(job.path).name: job for job in service.store.jobs(state=FAILED)}
        assert failed["noise.wav"].reason == "not an audio file"
        spoken = [text for text, priority, display, earcon in context.said if display and display.startswith("ERROR")]
        assert all(text.endswith(".") for text in spoken)
    finally:
        service.close()


def test_links_out_of_the_folder_are_refused(drop, tmp_path):
    outside = tmp_path / "secret.wav"
    outside.write_bytes(clip_bytes(9))
    (drop / "escape.wav").symlink_to(outside)  # there before the watch: found by the start scan
    (drop / "inside.wav").write_bytes(clip_bytes(10))
    (drop / "alias.wav").symlink_to(drop / "inside.wav")
    for name in ("escape.wav", "inside.wav", "alias.wav"):
        aged(drop / name)
    service, context, scorer = start(drop)
    try:
        assert wait_for(lambda: finished(service) == 3)
        assert str(outside) not in scorer.scored()
        assert any(line.startswith("ERROR escape.wav: it is a link to a file outside the watched folder") for line in context.verdict_lines())
        assert scorer.scored() == [str(drop / "inside.wav")]  # the inside link is the same content
    finally:
        service.close()


def test_vanished_file_becomes_a_failed_job(drop):
    scorer = FakeScorer(delay_s=0.3)
    service, context, _ = start(drop, scorer)
    try:
        (drop / "first.wav").write_bytes(clip_bytes(1))
        assert wait_for(lambda: service.worker.current is not None)
        (drop / "gone.wav").write_bytes(clip_bytes(2))
        assert wait_for(lambda: any(job.path.endswith("gone.wav") for job in service.store.jobs(state="pending")))
        (drop / "gone.wav").unlink()  # queued, then deleted before its turn
        (drop / "after.wav").write_bytes(clip_bytes(3))
        assert wait_for(lambda: finished(service) == 3)
        lines = context.verdict_lines()
        assert "ERROR gone.wav: it vanished before it could be checked. Put it back into the folder to check it." in lines
        assert lines[-1].endswith(" after.wav") and not lines[-1].startswith("ERROR")
    finally:
        service.close()


def test_sort_moves_without_overwriting(drop):
    (drop / "spoof").mkdir()
    (drop / "bonafide").mkdir()
    for label in ("spoof", "bonafide"):
        (drop / label / "clip.wav").write_bytes(b"already here")
    service, context, scorer = start(drop, sort=True, recursive=True)
    try:
        (drop / "clip.wav").write_bytes(clip_bytes(11))
        (drop / "bad.wav").write_bytes(b"garbage" * 50)
        assert wait_for(lambda: finished(service) == 2)
        label = context.verdict_lines()[0].split(" ")[0].lower()
        assert (drop / label / "clip.wav").read_bytes() == b"already here"
        assert (drop / label / "clip (2).wav").read_bytes() == clip_bytes(11)
        assert (drop / "failed" / "bad.wav").exists()
        assert not (drop / "clip.wav").exists() and not (drop / "bad.wav").exists()
        assert sorted(scorer.scored()) == [str(drop / "bad.wav"), str(drop / "clip.wav")]  # moves are not new clips
    finally:
        service.close()


def test_bursts_are_merged_and_queue_length_is_spoken_sparingly(drop):
    scorer = FakeScorer(delay_s=0.03)
    service, context, _ = start(drop, scorer)
    try:
        for i in range(40):
            (drop / f"b{i:02d}.wav").write_bytes(clip_bytes(200 + i))
        assert wait_for(lambda: finished(service) == 40, timeout=30)
        # The closing line follows the last verdict; on a loaded machine it may come a moment later.
        assert wait_for(lambda: any(text.startswith("Queue empty.") for text, *_ in context.said), timeout=10)
        said = [text for text, *_ in context.said]
        queued = [t for t in said if t.endswith("new clips queued.")]
        assert 1 <= len(queued) <= 3, queued
        waiting = [t for t in said if t.endswith("clips waiting.")]
        assert len(waiting) <= 4, waiting
        # "Queue empty" closes each run of ten or more; on a slow machine the 40 files may
        # arrive as two runs, but no clip is counted twice.
        emptied = [int(re.match(r"Queue empty\. (\d+) clips checked", t).group(1)) for t in said if t.startswith("Queue empty.")]
        assert emptied and sum(emptied) <= 40 and max(emptied) >= 10, emptied
        verdicts = [(p, e) for t, p, d, e in context.said if d and d.split(" ")[0] in ("SPOOF", "BONAFIDE")]
        assert all((p, e) == ("important", "spoof") for p, e in verdicts if e == "spoof")
        assert all(p == "message" for p, e in verdicts if e == "bonafide")
    finally:
        service.close()


def test_restart_resumes_interrupted_and_unannounced_jobs(drop, tmp_path):
    db = tmp_path / "crash.db"
    store = Store(db)
    folder = str(drop.resolve())
    for i in range(3):
        path = drop / f"r{i}.wav"
        path.write_bytes(clip_bytes(300 + i))
        info = path.stat()
        store.enqueue(folder, str(path), info.st_size, info.st_mtime)
    running = store.claim_next()  # a crash while scoring r0
    store.claim_next()
    store.complete(running.id + 1, FakeScorer()(str(drop / "r1.wav")))  # stored, never announced
    store.recover(keep={running.id, running.id + 1})  # (nothing: owner is this live process)
    store.close()
    context = RecordingContext()
    scorer = FakeScorer()
    service = WatchService(context, scorer, model="fake", store=Store(db))
    try:
        service.add(drop, WatchOptions())
        assert wait_for(lambda: finished(service) == 3)
        assert sorted(scorer.scored()) == [str(drop / "r0.wav"), str(drop / "r2.wav")]
        assert Counter(line.split(" ")[-1] for line in context.verdict_lines()) == Counter({"r0.wav": 1, "r1.wav": 1, "r2.wav": 1})
        assert any(text.startswith("Resuming 2 clips") for text, *_ in context.said)
    finally:
        service.close()


def test_a_batch_scores_identical_content_once_and_announces_in_arrival_order(drop):
    scorer = FakeScorer(delay_s=0.2)
    service, context, _ = start(drop, scorer, parallel=4)
    try:
        (drop / "first.wav").write_bytes(clip_bytes(1))
        assert wait_for(lambda: service.worker.current is not None)
        names = ["dup1.wav", "other1.wav", "dup2.wav", "other2.wav", "dup3.wav"]
        for name in names:  # queued while the worker is busy: scored together as one batch
            (drop / name).write_bytes(clip_bytes(2 if name.startswith("dup") else 10 + len(name) + int(name[-5])))
        assert wait_for(lambda: finished(service) == 6)
        assert sorted(Path(p).name for p in scorer.scored()) == ["dup1.wav", "first.wav", "other1.wav", "other2.wav"]
        assert [line.split(" ")[-1] for line in context.verdict_lines()] == ["first.wav", *names]
        dups = [job for job in service.store.jobs() if Path(job.path).name in ("dup2.wav", "dup3.wav")]
        assert all(job.duplicate_of is not None for job in dups)
    finally:
        service.close()


def test_an_unexpected_scoring_fault_fails_that_clip_only(drop):
    def flaky(path: str):
        if path.endswith("boom.wav"):
            raise RuntimeError("interpreter fault")
        return FakeScorer()(path)

    context = RecordingContext()
    service = WatchService(context, flaky, model="fake")
    try:
        service.add(drop, WatchOptions())
        (drop / "boom.wav").write_bytes(clip_bytes(1))
        (drop / "fine.wav").write_bytes(clip_bytes(2))
        assert wait_for(lambda: finished(service) == 2)
        lines = context.verdict_lines()
        assert "ERROR boom.wav: could not be checked" in lines
        assert lines[-1].endswith(" fine.wav") and not lines[-1].startswith("ERROR")
    finally:
        service.close()


def test_recursive_watch_sees_subfolders_and_folders_moved_in(drop, tmp_path):
    (drop / "old").mkdir()
    (drop / "old" / "a.wav").write_bytes(clip_bytes(1))
    aged(drop / "old" / "a.wav")
    service, context, scorer = start(drop, recursive=True)
    try:
        assert wait_for(lambda: finished(service) == 1)
        (drop / "old" / "b.wav").write_bytes(clip_bytes(2))
        batch = tmp_path / "batch"
        (batch / "inner").mkdir(parents=True)
        (batch / "c.wav").write_bytes(clip_bytes(3))
        (batch / "inner" / "d.wav").write_bytes(clip_bytes(4))
        os.rename(batch, drop / "batch")
        assert wait_for(lambda: finished(service) == 4)
        assert sorted(context.verdict_lines()[i].split(" ")[-1] for i in range(4)) == ["batch/c.wav", "batch/inner/d.wav", "old/a.wav", "old/b.wav"]
    finally:
        service.close()


def test_a_file_still_being_written_at_start_waits_for_its_close(drop):
    data = clip_bytes(5)
    handle = open(drop / "recording.wav", "wb")  # noqa: SIM115 - a recorder holding it open
    handle.write(data[:5000])
    handle.flush()
    service, context, scorer = start(drop, stable_s=5.0)
    try:
        handle.write(data[5000:])
        handle.close()
        assert wait_for(lambda: finished(service) == 1)
        assert scorer.calls == [(str(drop / "recording.wav"), len(data))]
    finally:
        service.close()
