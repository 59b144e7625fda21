"""Sparse spoken progress for long work (training, evaluation, corpus builds).

A listener wants to know that work goes on without hearing every epoch: every step is
printed, but a step is spoken only when at least 10% of the work AND at least 30 seconds
have passed since the last spoken one (whichever is sparser), and the final line is always
spoken. The reporter also knows enough to answer "status": where it is, time spent, time left.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class SparseProgress:
    """Decides which progress lines are spoken; keeps the numbers `status` reads."""

    def __init__(
        self,
        context,
        total: int,
        *,
        every_fraction: float = 0.10,
        every_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.context = context
        self.total = max(1, int(total))
        self.every_fraction = every_fraction
        self.every_seconds = every_seconds
        self.clock = clock
        self.started = clock()
        self.done = 0
        self.last_line = ""
        self._spoken_at_time: float | None = None
        self._spoken_at_done = 0

    def update(self, done: int, line: str, *, total: int | None = None) -> bool:
        """Record progress; print `line`, and speak it when it is due. True if spoken."""
        if total:
            self.total = max(1, int(total))
        self.done = int(done)
        self.last_line = line
        now = self.clock()
        since_time = now - (self._spoken_at_time if self._spoken_at_time is not None else self.started)
        since_fraction = (self.done - self._spoken_at_done) / self.total
        if since_time >= self.every_seconds and since_fraction >= self.every_fraction:
            self._spoken_at_time, self._spoken_at_done = now, self.done
            self.context.say(line, "progress")
            return True
        self.context.show(line)
        return False

    def finish(self, line: str) -> None:
        """The last line of the series: always spoken."""
        self.done = self.total
        self.last_line = line
        self.context.say(line, "progress", final=True)

    @property
    def elapsed_s(self) -> float:
        return self.clock() - self.started

    @property
    def remaining_s(self) -> float | None:
        """Estimated seconds left from the pace so far; None before the first step."""
        if self.done <= 0:
            return None
        return self.elapsed_s / self.done * max(0, self.total - self.done)


def spoken_duration(seconds: float | None) -> str:
    """"2 minutes 5 seconds", "40 seconds", "unknown"."""
    if seconds is None:
        return "unknown"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(f"{hours} hour{'s' if hours != 1 else ''}")
    if minutes:
        parts.append(f"{minutes} minute{'s' if minutes != 1 else ''}")
    if secs or not parts:
        parts.append(f"{secs} second{'s' if secs != 1 else ''}")
    return " ".join(parts)
