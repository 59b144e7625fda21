"""A stand-in for `os.fdopen` whose writes find the disk full: for tests of what a full disk
leaves behind (no temp files, previous files whole)."""

from __future__ import annotations

import errno
from collections.abc import Callable


def full_disk_fdopen(real_fdopen: Callable) -> type:
    """A replacement for `real_fdopen` that opens the file, then fails every write with ENOSPC."""

    class FullDisk:
        def __init__(self, fd, *args, **kwargs):
            self.handle = real_fdopen(fd, *args, **kwargs)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.handle.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

    return FullDisk
