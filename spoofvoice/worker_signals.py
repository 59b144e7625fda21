"""Signal handling for worker processes that the session or a command starts.

Ctrl-C in a terminal sends SIGINT to the whole foreground process group, worker processes
included. A pool worker that dies of it mid-task can leave `ProcessPoolExecutor.shutdown`
waiting forever, so the session would never say "Cancelled check." Workers therefore ignore
SIGINT: the parent process alone handles Ctrl-C and shuts its pool down.
"""

from __future__ import annotations

import signal


def ignore_interrupts() -> None:
    """Pool initializer: this worker ignores SIGINT (its parent cancels the work instead)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
