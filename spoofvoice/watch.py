"""The watched drop folder: every complete clip that lands in it is queued, scored once, announced.

A file counts as complete when inotify says it was closed after writing or moved in; on network
folders (and with --poll) a polling observer finds it and it waits until its size and time stop
changing. Queued files go into the store (`spoofvoice/store.py`), so a crash loses nothing; the
worker (`spoofvoice/watch_queue.py`) scores them in arrival order. `WatchService` holds the
folders of one process: the CLI's one folder in the foreground, or the session's folders in the
background (kept on `context.watchers`).
"""

from __future__ import annotations

import argparse
import os
import signal
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from spoofvoice.store import Store, StoreUnavailable
from spoofvoice.watch_files import file_key, needs_polling, wanted
from spoofvoice.watch_queue import QueueTalk, Score, WatchOptions, Worker

Submit = Callable[["FolderWatch", str], None]


class StabilityCheck:
    """Polling mode: a file is complete once its size and time stay the same for `stable_s`."""

    def __init__(self, ready: Callable[[str], None], stable_s: float) -> None:
        self.ready = ready
        self.stable_s = stable_s
        self._seen: dict[str, tuple[object, float]] = {}
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="spoofvoice-watch-stable", daemon=True)
        self._thread.start()

    def track(self, path: str) -> None:
        with self._cond:
            self._seen.setdefault(path, (None, 0.0))
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout=2.0)

    def _run(self) -> None:
        step = max(0.05, min(0.5, self.stable_s / 4))
        while True:
            with self._cond:
                if self._closed:
                    return
                if not self._seen:
                    self._cond.wait()
                    continue
                paths = list(self._seen.items())
            now = time.monotonic()
            done = []
            for path, (key, since) in paths:
                current = file_key(path)
                if current is None:
                    done.append(path)
                elif current != key:
                    with self._cond:
                        self._seen[path] = (current, now)
                elif now - since >= self.stable_s:
                    done.append(path)
                    self.ready(path)
            with self._cond:
                for path in done:
                    self._seen.pop(path, None)
                self._cond.wait(step)


class FolderWatch:
    """One folder: its observer, its options, and the filter between events and the queue."""

    def __init__(self, folder: Path, options: WatchOptions, submit: Submit) -> None:
        self.folder = folder
        self.options = options
        self._submit = submit
        self.mode = ""
        self.observer = None
        self.stability: StabilityCheck | None = None

    def start(self) -> str | None:
        """Start observing; returns a sentence when it had to fall back to polling."""
        notice = None
        polling = self.options.poll or needs_polling(self.folder)
        if not polling:
            try:
                self._start_observer(polling=False)
            except OSError as error:
                polling = True
                notice = (
                    f"This system cannot report changes in {self.folder.name} ({error.strerror or error}); "
                    f"checking it every {self.options.poll_interval_s:g} seconds instead."
                )
        self.stability = StabilityCheck(self.accept, self.options.stable_s)  # polling; recent files at start
        if polling:
            self._start_observer(polling=True)
        return notice

    def _start_observer(self, polling: bool) -> None:
        from watchdog.observers.inotify import InotifyObserver
        from watchdog.observers.polling import PollingObserver

        if polling:
            observer = PollingObserver(timeout=self.options.poll_interval_s)
            kinds = None
        else:
            from watchdog.events import DirMovedEvent, FileClosedEvent, FileMovedEvent

            observer = InotifyObserver(generate_full_events=True)
            kinds = [FileClosedEvent, FileMovedEvent, DirMovedEvent]  # close-write and moves only
        try:
            observer.schedule(_Handler(self, polling), str(self.folder), recursive=self.options.recursive, event_filter=kinds)
            observer.start()
        except BaseException:
            _stop_observer(observer)
            raise
        self.observer = observer
        self.mode = "polling" if polling else "inotify"

    def stop(self) -> None:
        if self.observer is not None:
            _stop_observer(self.observer)
            self.observer = None
        if self.stability is not None:
            self.stability.close()
            self.stability = None

    def accept(self, path: str) -> None:
        """A complete file (closed, moved in, or stable): queue it if it is one we want."""
        if wanted(path, self.folder, sorting=self.options.sort):
            self._submit(self, path)

    def candidate(self, path: str) -> None:
        """A file that may still be growing: wait for it to settle (polling, and the start scan)."""
        if self.stability is not None and wanted(path, self.folder, sorting=self.options.sort):
            self.stability.track(path)

    def moved_folder(self, path: str) -> None:
        """A folder moved in (recursive watch): its files are complete; queue them."""
        for root, dirs, files in os.walk(path, followlinks=False):
            dirs.sort()
            for name in sorted(files):
                self.accept(os.path.join(root, name))

    def existing_files(self) -> list[str]:
        """Audio files already in the folder, oldest first (links are listed, not followed)."""
        found = []
        for root, dirs, files in os.walk(self.folder, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".")) if self.options.recursive else []
            found.extend(os.path.join(root, name) for name in files)
        paths = [p for p in found if wanted(p, self.folder, sorting=self.options.sort)]
        keys = {p: file_key(p) for p in paths}
        return sorted((p for p in paths if keys[p] is not None), key=lambda p: (keys[p].mtime, p))


def _stop_observer(observer) -> None:
    try:
        observer.stop()
        if observer.is_alive():
            observer.join(timeout=5.0)
    except RuntimeError:
        pass


class _Handler:
    """Routes watchdog events: close-write and moved-in are complete; the rest may be growing."""

    def __init__(self, watch: FolderWatch, polling: bool) -> None:
        self.watch = watch
        self.polling = polling

    def dispatch(self, event) -> None:
        kind = event.event_type
        if event.is_directory:
            if kind == "moved" and event.dest_path and self.watch.options.recursive:
                self.watch.moved_folder(os.fsdecode(event.dest_path))  # its files arrive complete
            return
        if kind == "closed":
            self.watch.accept(os.fsdecode(event.src_path))
        elif kind == "moved":
            if event.dest_path:
                self.watch.accept(os.fsdecode(event.dest_path))
        elif self.polling and kind in ("created", "modified"):
            self.watch.candidate(os.fsdecode(event.src_path))


class WatchService:
    """All watched folders of one process, one store, one worker."""

    def __init__(
        self,
        context,
        score: Score,
        *,
        model: Callable[[], str | None] | str | None = None,
        store: Store | None = None,
        parallel: int = 0,
    ) -> None:
        self.context = context
        self.store = store or Store()
        self.folders: dict[str, FolderWatch] = {}
        self._lock = threading.Lock()
        self.talk = QueueTalk(context, self.pending_count)
        self.worker = Worker(self.store, score, context, self._options, self.folder_names, model=model, talk=self.talk, parallel=parallel)

    def folder_names(self) -> list[str]:
        with self._lock:
            return list(self.folders)

    def _options(self, folder: str) -> WatchOptions | None:
        with self._lock:
            watch = self.folders.get(folder)
        return watch.options if watch else None

    def pending_count(self) -> int:
        return self.store.pending_count(self.folder_names())

    def add(self, folder: Path, options: WatchOptions) -> FolderWatch:
        """Watch a folder: resume its unfinished jobs, queue unscored files, then follow it."""
        folder = folder.resolve()
        key = str(folder)
        with self._lock:
            if key in self.folders:
                raise ValueError(f"Already watching {folder.name}.")
            watch = FolderWatch(folder, options, self._submit)
            self.folders[key] = watch
        try:
            notice = watch.start()
        except BaseException:
            with self._lock:
                self.folders.pop(key, None)
            raise
        self.store.recover([key], keep=self.worker.busy_ids)
        resumed = self.store.pending_count([key])
        how = "by polling" if watch.mode == "polling" else "for new clips"
        self.context.say(f"Watching {folder.name} {how}.", "message", display=f"Watching {folder} {how}.")
        if notice:
            self.context.say(notice, "message")
        if resumed:
            self.context.say(f"Resuming {_clips(resumed)} left from last time.", "message")
        if options.existing == "scan":
            self._queue_existing(watch)
        self.talk.heard(self.pending_count())
        self.worker.start()
        self.worker.catch_up()
        return watch

    def _queue_existing(self, watch: FolderWatch) -> None:
        """Files dropped while nothing was watching: queue those the store has not seen."""
        key = str(watch.folder)
        queued = 0
        for path in watch.existing_files():
            found = file_key(path)
            if found is None or self.store.knows(path, found.size, found.mtime):
                continue
            if time.time() - found.mtime < watch.options.stable_s:
                watch.candidate(path)  # may still be being written: queued once it settles
                queued += 1
            elif self.store.enqueue(key, path, found.size, found.mtime) is not None:
                queued += 1
        if queued:
            verb = "was" if queued == 1 else "were"
            them = "it" if queued == 1 else "them"
            self.context.say(f"{_clips(queued, 'unscored clip')} {verb} already here; scoring {them}.", "message")

    def _submit(self, watch: FolderWatch, path: str) -> None:
        """Queue a complete file (called on the observer's thread, which must never die)."""
        found = file_key(path)
        if found is None:
            return
        try:
            job = self.store.enqueue(str(watch.folder), path, found.size, found.mtime)
        except (OSError, sqlite3.Error) as error:
            self.context.say(f"{Path(path).name} could not be queued ({error}).", "important", earcon="error")
            return
        if job is not None:
            self.talk.arrived()
            self.worker.wake()

    def remove(self, folder: Path | None = None) -> list[Path]:
        """Stop watching one folder (or all); their queued jobs wait in the store for next time."""
        with self._lock:
            if folder is None:
                chosen = list(self.folders.values())
            else:
                watch = self.folders.get(str(folder.resolve()))
                chosen = [watch] if watch else []
            for watch in chosen:
                self.folders.pop(str(watch.folder), None)
        for watch in chosen:
            watch.stop()
        return [watch.folder for watch in chosen]

    def status_lines(self) -> list[str]:
        """What the `queue` command says: per folder, how many wait and what is being scored."""
        lines = []
        current = self.worker.current
        for name in self.folder_names():
            waiting = self.store.pending_count([name])
            line = f"{Path(name).name}: {_clips(waiting)} waiting."
            if current is not None and current.folder == name:
                line += f" Checking {Path(current.path).name}."
            lines.append(line)
        return lines

    def close(self, timeout: float = 10.0) -> None:
        """Stop observers and the worker (the job in hand is finished first, within `timeout`)."""
        self.remove()
        self.worker.stop(timeout)
        self.talk.close()
        self.store.close()


def _clips(count: int, noun: str = "clip") -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


# ----- commands --------------------------------------------------------------------------------


def options_from(args: argparse.Namespace) -> WatchOptions:
    return WatchOptions(
        poll=args.poll,
        recursive=args.recursive,
        existing=args.existing,
        sort=args.sort,
        stable_s=max(0.1, float(args.stable)),
        max_bytes=max(1, int(args.max_mb)) * 2**20,
    )


def _folder_problem(folder: Path) -> str | None:
    if not folder.exists():
        return f"{folder}: no such folder. Check the name, or create it first."
    if not folder.is_dir():
        return f"{folder}: this is a file, not a folder. Give the folder to watch."
    if not os.access(folder, os.R_OK | os.X_OK):
        return f"{folder}: permission denied. Make the folder readable, then try again."
    return None


def _scorer(args: argparse.Namespace, context) -> tuple[Score, str]:
    """The loaded model's score function and name (raises ModelError)."""
    detector = context.detector(args.model or context.settings.model)
    threshold = args.threshold if args.threshold is not None else context.settings.threshold

    def score(path: str):
        return detector.score_file(path, threshold=threshold)

    return score, detector.name


def _session_scorer(args: argparse.Namespace, context) -> tuple[Score, Callable[[], str]]:
    """Score with the session's model and threshold at the time of scoring, so `model use`
    and `threshold` apply to the watch folder too (unless `watch` named its own)."""
    context.detector(args.model or context.settings.model)  # a bad model is said now, not per clip

    def detector():
        return context.detector(args.model or context.settings.model)

    def score(path: str):
        threshold = args.threshold if args.threshold is not None else context.settings.threshold
        return detector().score_file(path, threshold=threshold)

    return score, lambda: detector().name


def service_for(context, args: argparse.Namespace) -> WatchService:
    """The session's watcher (one per context), created on first use."""
    service = getattr(context, "watchers", None)
    if service is None:
        score, model = _session_scorer(args, context)
        service = WatchService(context, score, model=model)
        context.watchers = service
    return service


def run_watch(args: argparse.Namespace, context) -> int:
    """`watch DIR`: in the session it runs in the background; on the command line until Ctrl-C."""
    from spoofvoice.detector import ModelError

    folder = Path(args.folder).expanduser()
    problem = _folder_problem(folder)
    if problem:
        context.say(problem, "important", earcon="error")
        return 2
    try:
        if context.interactive:
            service_for(context, args).add(folder, options_from(args))
            return 0
        score, model = _scorer(args, context)
        service = WatchService(context, score, model=model)
    except ModelError as error:
        context.say(str(error), "important", earcon="error")
        return 2
    except StoreUnavailable as error:
        context.say(_queue_unavailable(folder, error), "important", earcon="error")
        return 1
    except ValueError as error:
        context.say(str(error), "message")
        return 0
    return _watch_foreground(context, service, folder, options_from(args))


def _queue_unavailable(folder: Path, error: StoreUnavailable) -> str:
    """One sentence: not watching, why, what to do, and that the dropped clips are safe."""
    return (f"Not watching {folder.name}: the watch queue {error.path} cannot be opened ({error.reason}). "
            f"Free space there or make it writable, then watch again; the clips in {folder.name} stay where they are.")


def _watch_foreground(context, service: WatchService, folder: Path, options: WatchOptions) -> int:
    """Watch until Ctrl-C (or SIGTERM), then stop cleanly with one line."""
    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        service.add(folder, options)
        context.show("Press Ctrl-C to stop watching.")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        waiting = service.pending_count()
        service.close()
    left = f" {_clips(waiting)} still queued; they will be checked next time." if waiting else ""
    context.say(f"Stopped watching {folder.name}.{left}", "message")
    return 0


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run_unwatch(args: argparse.Namespace, context) -> int:
    """`unwatch [DIR]`: stop watching one folder, or all of them."""
    service = getattr(context, "watchers", None)
    folder = Path(args.folder).expanduser() if args.folder else None
    stopped = service.remove(folder) if service is not None else []
    if not stopped:
        what = f"{folder.name}" if folder else "any folder"
        context.say(f"Not watching {what}.", "message")
        return 1 if folder else 0
    names = ", ".join(path.name for path in stopped)
    context.say(f"Stopped watching {names}.", "message")
    return 0


def run_queue(args: argparse.Namespace, context) -> int:
    """`queue`: how many clips wait, and which one is being checked."""
    service = getattr(context, "watchers", None)
    if service is not None and service.folder_names():
        for line in service.status_lines():
            context.say(line, "message")
        return 0
    try:
        with Store() as store:
            waiting = store.pending_count()
    except StoreUnavailable as error:
        context.say(f"Queue unknown: {error.path} cannot be opened ({error.reason}).", "important", earcon="error")
        return 1
    if waiting:
        context.say(f"Not watching any folder. {_clips(waiting)} wait in the queue for when you watch their folder again.", "message")
    else:
        context.say("Not watching any folder, and the queue is empty.", "message")
    return 0
