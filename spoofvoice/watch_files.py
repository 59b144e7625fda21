"""What the watch folder accepts, and how it handles files it does not trust.

The folder holds files from anywhere (downloads, a recorder, a shared drive), so every path is
checked before anything reads it: names that are still being written or hidden are skipped,
links may not lead out of the folder, and sizes are capped before decoding. Sorting moves a file
without ever overwriting one already there.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from spoofvoice.audio import is_audio_path

TEMP_SUFFIXES = frozenset({".part", ".partial", ".tmp", ".temp", ".crdownload", ".download", ".swp", ".filepart", ".!qb", ".opdownload"})
SORT_FOLDERS = ("bonafide", "spoof", "failed")
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "virtiofs", "ceph", "glusterfs",
    "fuse.sshfs", "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "davfs", "fuse.davfs", "fuse.glusterfs",
})


class RefusedFile(Exception):
    """A queued file that must not be scored, with a line reason and a sentence to speak."""

    def __init__(self, name: str, reason: str, advice: str) -> None:
        self.reason = reason
        self.sentence = f"{name}: {reason}. {advice}."
        super().__init__(self.sentence)


@dataclass(frozen=True)
class FileKey:
    """Size and modification time: together they tell one version of a file from the next."""

    size: int
    mtime: float


def wanted(path: str | os.PathLike, folder: Path, *, sorting: bool = False) -> bool:
    """True for an audio file name that is not hidden, temporary, or inside a sort folder."""
    path = Path(path)
    try:
        parts = path.relative_to(folder).parts
    except ValueError:
        return False
    if not parts or any(part.startswith(".") for part in parts):
        return False
    if sorting and len(parts) > 1 and parts[0] in SORT_FOLDERS:
        return False
    name = parts[-1]
    if name.startswith("~") or name.endswith("~") or Path(name).suffix.lower() in TEMP_SUFFIXES:
        return False
    return is_audio_path(name)


def file_key(path: str | os.PathLike) -> FileKey | None:
    """The key of a regular file or a link (not followed), or None when it is gone or odd."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not (stat.S_ISREG(info.st_mode) or stat.S_ISLNK(info.st_mode)):
        return None
    return FileKey(info.st_size, info.st_mtime)


def safe_target(path: Path, folder: Path, max_bytes: int) -> Path:
    """The real file to read for `path`, or RefusedFile: vanished, a link out of the folder,
    not a regular file, empty, or over the size cap (checked before any decoding)."""
    name = path.name
    try:
        real = path.resolve(strict=True)
    except (FileNotFoundError, RuntimeError):
        raise RefusedFile(name, "it vanished before it could be checked", "Put it back into the folder to check it") from None
    except OSError as error:
        raise RefusedFile(name, f"it cannot be read ({error.strerror or error})", "Copy it in again") from None
    if real != folder and folder not in real.parents:
        raise RefusedFile(name, "it is a link to a file outside the watched folder", "Copy the file itself into the folder")
    try:
        info = real.stat()
    except OSError:
        raise RefusedFile(name, "it vanished before it could be checked", "Put it back into the folder to check it") from None
    if not stat.S_ISREG(info.st_mode):
        raise RefusedFile(name, "it is not a regular file", "Put an audio file there")
    if info.st_size == 0:
        raise RefusedFile(name, "the file is empty (0 bytes)", "Copy or record it again")
    if info.st_size > max_bytes:
        raise RefusedFile(
            name,
            f"too large ({info.st_size / 2**20:.0f} MB; the limit is {max_bytes / 2**20:.0f} MB)",
            "Cut it into shorter parts",
        )
    return real


def content_hash(path: Path) -> str:
    """sha256 of the file, read without following a link swapped in since it was checked."""
    digest = hashlib.sha256()
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sort_into(path: Path, folder: Path, category: str) -> Path:
    """Move `path` into folder/category/, adding " (2)", " (3)"... rather than overwrite."""
    target_dir = folder / category
    target_dir.mkdir(exist_ok=True)
    stem, suffix = path.stem, path.suffix
    for n in range(1, 10_000):
        target = target_dir / (path.name if n == 1 else f"{stem} ({n}){suffix}")
        try:
            os.link(path, target)  # fails if target exists: never overwrites
        except FileExistsError:
            continue
        except OSError:
            # no hard links here (some network or FAT folders): claim the name, then rename
            try:
                fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            except FileExistsError:
                continue
            os.close(fd)
            os.replace(path, target)
            return target
        os.unlink(path)
        return target
    raise FileExistsError(f"{target_dir} has too many files called {path.name}")


def filesystem_type(folder: Path) -> str:
    """The type of filesystem the folder is on (from /proc/self/mounts; '' when unknown)."""
    try:
        lines = Path("/proc/self/mounts").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    best, kind = "", ""
    target = str(folder)
    for line in lines:
        fields = line.split()
        if len(fields) < 3:
            continue
        mount = fields[1].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best):
            best, kind = mount, fields[2]
    return kind


def needs_polling(folder: Path) -> bool:
    """Network folders do not report changes made by other machines: poll them."""
    return filesystem_type(folder) in NETWORK_FILESYSTEMS


def relative_name(path: str | os.PathLike, folder: str | os.PathLike) -> str:
    """What a line shows for a file: its path inside the watched folder."""
    try:
        return str(Path(path).relative_to(folder))
    except ValueError:
        return Path(path).name
