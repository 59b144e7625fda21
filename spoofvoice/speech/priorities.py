"""The speech queue with speech-dispatcher's priority classes.

- important: interrupts anything but another important, is never interrupted; FIFO among itself.
  What it interrupts is postponed (message, text, last progress) or dropped (notification,
  progress); pending notification and progress are dropped.
- message: waits its turn (after important); cancels pending text, notification and progress,
  and cuts a notification or progress being spoken.
- text: newest replaces older (pending or speaking text); otherwise like message, after it.
- notification: dropped whenever anything else arrives, and dropped on arrival when anything is
  speaking or waiting.
- progress: like notification, except that the last message of a series (final=True) is always
  spoken: it queues like a message and is never dropped by later arrivals.

The queue is plain data; the Announcer guards it with its lock and drives the worker thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

PRIORITIES = ("important", "message", "text", "notification", "progress")
_RANK = {"important": 0, "message": 1, "text": 2, "notification": 3, "progress": 3}


@dataclass
class Utterance:
    """One thing to say, with what decides its fate in the queue."""

    text: str
    priority: str = "message"
    earcon: str | None = None
    final: bool = False
    seq: int = 0
    cancel: threading.Event = field(default_factory=threading.Event, compare=False)

    @property
    def rank(self) -> int:
        if self.priority == "progress" and self.final:
            return _RANK["message"]
        return _RANK[self.priority]

    @property
    def transient(self) -> bool:
        """Notification and non-final progress: spoken only when nothing else wants the voice."""
        return self.priority == "notification" or (self.priority == "progress" and not self.final)

    def postponed(self) -> Utterance:
        """A fresh copy to speak again later (after it was interrupted)."""
        return Utterance(self.text, self.priority, self.earcon, self.final, self.seq)


@dataclass
class Decision:
    """What offer() did: accepted or not, and what it dropped or interrupted."""

    accepted: bool
    dropped: list[Utterance] = field(default_factory=list)
    interrupted: Utterance | None = None


class SpeechQueue:
    """Pending utterances plus the one being spoken."""

    def __init__(self) -> None:
        self.pending: list[Utterance] = []
        self.current: Utterance | None = None
        self._seq = 0

    def offer(self, item: Utterance) -> Decision:
        """Apply the priority rules for a newly arrived utterance."""
        self._seq += 1
        item.seq = self._seq
        current = self.current if self.current and not self.current.cancel.is_set() else None
        if item.transient:
            if current is not None or self.pending:
                return Decision(False, dropped=[item])
            self.pending.append(item)
            return Decision(True)
        decision = Decision(True)
        if item.priority == "important":
            decision.dropped = self._drop(lambda u: u.transient)
            cut = current is not None and current.priority != "important"
        elif item.priority == "text":
            decision.dropped = self._drop(lambda u: u.transient or u.priority == "text")
            cut = current is not None and (current.transient or current.priority == "text")
        else:  # message, or the final progress message
            decision.dropped = self._drop(lambda u: u.transient or u.priority == "text")
            cut = current is not None and current.transient
        if cut:
            decision.interrupted = current
            current.cancel.set()
            if item.priority == "important" and not current.transient:
                self._insert(current.postponed())
        self._insert(item)
        return decision

    def _drop(self, rule) -> list[Utterance]:
        dropped = [u for u in self.pending if rule(u)]
        self.pending = [u for u in self.pending if not rule(u)]
        return dropped

    def _insert(self, item: Utterance) -> None:
        self.pending.append(item)
        self.pending.sort(key=lambda u: (u.rank, u.seq))

    def next(self) -> Utterance | None:
        """Take the next utterance to speak and mark it current."""
        if not self.pending:
            return None
        self.current = self.pending.pop(0)
        return self.current

    def finish(self, item: Utterance) -> None:
        """The worker is done with item (spoken, cut or failed)."""
        if self.current is item:
            self.current = None

    def clear(self) -> list[Utterance]:
        """Cancel everything: pending and current. Returns what was pending."""
        dropped, self.pending = self.pending, []
        if self.current is not None:
            self.current.cancel.set()
        return dropped

    def idle(self) -> bool:
        return self.current is None and not self.pending
