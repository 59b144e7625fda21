"""`check PATH...`: score files and folders, one line per input, never stopping on a bad one.

Large folders are decoded and scored in worker processes (one per core): decoding and
features dominate the time, and LiteRT runs one small model per process.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from spoofvoice.audio import AudioError, is_audio_path
from spoofvoice.detector import Detector, ModelError, interactive_threads
from spoofvoice.verdict import SPOOF, Verdict
from spoofvoice.verdict_text import announce_error, announce_verdict, verdict_line
from spoofvoice.worker_signals import ignore_interrupts

PARALLEL_FROM = 24  # below this many files a worker pool costs more than it saves


@dataclass(frozen=True)
class Outcome:
    """What happened to one input: a verdict, or an error sentence and its short reason."""

    path: str
    verdict: Verdict | None = None
    error: str | None = None
    reason: str | None = None


def collect_inputs(paths: Iterable[str]) -> Iterator[str]:
    """Files as given, folders expanded recursively to their audio files in name order."""
    for given in paths:
        path = Path(given)
        if path.is_dir():
            found = sorted(str(p) for p in path.rglob("*") if p.is_file() and is_audio_path(p))
            if not found:
                yield str(path)  # scored as a folder: one clear error
            yield from found
        else:
            yield given


def score_paths(model: str, paths: list[str], threshold: float | None = None, workers: int = 0,
                loaded: Detector | None = None) -> Iterator[Outcome]:
    """Outcomes in input order; uses a process pool for many files. `loaded`: the caller's
    detector for `model`, used when no pool is needed, so a one-clip check loads the model once
    (a mean of ten networks takes about 0.1 s to load)."""
    workers = workers or os.cpu_count() or 1
    if workers > 1 and len(paths) >= PARALLEL_FROM:
        context = get_context("fork") if sys.platform.startswith("linux") else get_context()
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_init_worker, initargs=(model, threshold))
        try:
            yield from pool.map(_score_in_worker, paths, chunksize=8)
        finally:  # a caller that stops early (Ctrl-C, stop evaluation) drops the queued work
            pool.shutdown(wait=True, cancel_futures=True)
        return
    detector = loaded or Detector.load(model, num_threads=interactive_threads())
    for path in paths:
        yield _score_one(detector, path, threshold)


def folder_error(path: str) -> Outcome | None:
    """A folder with no audio files in it gets its own sentence."""
    if Path(path).is_dir():
        return Outcome(path, error=f"{Path(path).name}: no audio files in this folder. Give WAV, FLAC, OGG or MP3 files.", reason="no audio files in this folder")
    return None


def _score_one(detector: Detector, path: str, threshold: float | None) -> Outcome:
    empty_folder = folder_error(path)
    if empty_folder:
        return empty_folder
    try:
        return Outcome(path, verdict=detector.score_file(path, threshold=threshold))
    except AudioError as error:
        return Outcome(path, error=error.sentence, reason=error.reason)
    except MemoryError:
        return Outcome(path, error=f"{Path(path).name}: too large to decode in memory. Cut it into shorter parts.", reason="too large to decode")


_worker_detector: Detector | None = None
_worker_threshold: float | None = None


def _init_worker(model: str, threshold: float | None) -> None:
    """Load the model once per worker; one BLAS thread each, as the workers fill the cores.
    Ctrl-C is left to the parent, which cancels the queued work (see worker_signals)."""
    global _worker_detector, _worker_threshold
    from threadpoolctl import threadpool_limits

    ignore_interrupts()
    threadpool_limits(1)
    _worker_detector = Detector.load(model)
    _worker_threshold = threshold


def _score_in_worker(path: str) -> Outcome:
    assert _worker_detector is not None
    return _score_one(_worker_detector, path, _worker_threshold)


def run_check(args: argparse.Namespace, context) -> int:
    """The `check` command: exit 0 when every input was scored, 1 when some failed."""
    model = args.model or context.settings.model
    threshold = args.threshold if args.threshold is not None else context.settings.threshold
    try:
        detector = context.detector(model)
    except ModelError as error:
        context.say(str(error), "important", earcon="error")
        return 2
    paths = list(collect_inputs(args.paths))
    failed = spoofs = 0
    many = len(paths) > 5 and not args.json
    for outcome in score_paths(str(detector.card.path), paths, threshold, args.workers, loaded=detector):
        if outcome.verdict is None:
            failed += 1
        else:
            context.record_verdict(outcome.path, outcome.verdict)
            if outcome.verdict.label == SPOOF:
                spoofs += 1
        if args.json:
            record = outcome.verdict.to_json(outcome.path) if outcome.verdict else {"path": outcome.path, "error": outcome.error}
            print(json.dumps(record), flush=True)
        elif outcome.verdict is None:
            announce_error(context, outcome.path, outcome.error, outcome.reason)
        elif many and outcome.verdict.label != SPOOF:
            context.show(verdict_line(outcome.verdict, outcome.path))  # long runs speak only spoofs
        else:
            announce_verdict(context, outcome.verdict, outcome.path)
    if many:
        context.say(_summary(len(paths), spoofs, failed), "message", earcon="done")
    return 1 if failed else 0


def _summary(total: int, spoofs: int, failed: int) -> str:
    scored = total - failed
    parts = [f"Done. {scored} of {total} clips checked.", f"{spoofs} spoof."]
    if failed:
        parts.append(f"{failed} could not be read.")
    return " ".join(parts)
