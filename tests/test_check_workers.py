"""Ctrl-C reaches every process in the terminal's foreground group, the check workers too:
they must ignore it, so the session alone cancels the check and the pool never hangs."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from pathlib import Path

from spoofvoice.check import score_paths
from tests.conftest import ASTERISK_EN

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "default.json"


def test_workers_survive_sigint_and_score_every_clip(tmp_path):
    clips = sorted(ASTERISK_EN.glob("*.wav"))[:40]
    paths = []
    for number, clip in enumerate(clips):
        link = tmp_path / f"{number:03d}-{clip.name}"
        link.symlink_to(clip)
        paths.append(str(link))
    outcomes: list = []
    failure: list[BaseException] = []

    def consume() -> None:
        try:
            stream = score_paths(str(DEFAULT_MODEL), paths, workers=2)
            outcomes.append(next(stream))  # the pool is up and its workers are busy
            workers = multiprocessing.active_children()
            assert workers, "no worker processes to interrupt"
            for worker in workers:
                os.kill(worker.pid, signal.SIGINT)  # what a Ctrl-C in the terminal does to them
            outcomes.extend(stream)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            failure.append(error)

    thread = threading.Thread(target=consume, daemon=True)
    thread.start()
    thread.join(timeout=180)
    assert not thread.is_alive(), "the worker pool hung after SIGINT"
    assert not failure, repr(failure)
    assert [o.path for o in outcomes] == paths
    reference = list(score_paths(str(DEFAULT_MODEL), paths, workers=1))  # no pool, no signal
    assert [(o.verdict is None, o.error) for o in outcomes] == [(r.verdict is None, r.error) for r in reference]
    assert sum(o.verdict is not None for o in outcomes) >= 30
