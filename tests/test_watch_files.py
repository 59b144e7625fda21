"""What the watch folder accepts, refuses, and how it moves files; the fall-back to polling."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from watch_fakes import RecordingContext, clip_bytes

from spoofvoice import watch_files
from spoofvoice.watch import FolderWatch, WatchService
from spoofvoice.watch_files import RefusedFile, safe_target, sort_into, wanted
from spoofvoice.watch_queue import WatchOptions


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("clip.wav", True), ("Clip.FLAC", True), ("talk.m4a", True), ("sub/clip.mp3", True),
        ("clip.wav.part", False), ("clip.tmp", False), ("clip.wav.crdownload", False), (".clip.wav", False),
        ("~clip.wav", False), ("clip.wav~", False), ("notes.txt", False), ("clip", False), (".cache/clip.wav", False),
    ],
)
def test_wanted_names(tmp_path, name, ok):
    assert wanted(tmp_path / name, tmp_path) is ok


def test_sort_folders_are_not_watched_when_sorting(tmp_path):
    assert wanted(tmp_path / "spoof" / "a.wav", tmp_path, sorting=True) is False
    assert wanted(tmp_path / "spoof" / "a.wav", tmp_path, sorting=False) is True
    assert wanted(tmp_path / "other" / "a.wav", tmp_path, sorting=True) is True
    assert wanted(tmp_path.parent / "a.wav", tmp_path) is False  # outside the folder


def test_safe_target_refuses_with_clear_reasons(tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (tmp_path / "outside.wav").write_bytes(b"x" * 100)
    (folder / "out.wav").symlink_to(tmp_path / "outside.wav")
    (folder / "in.wav").write_bytes(b"x" * 100)
    (folder / "alias.wav").symlink_to(folder / "in.wav")
    (folder / "empty.wav").write_bytes(b"")
    (folder / "big.wav").write_bytes(b"x" * 3 * 2**20)
    (folder / "loop.wav").symlink_to(folder / "loop.wav")
    real = folder.resolve()
    assert safe_target(real / "alias.wav", real, 2**20) == real / "in.wav"
    reasons = {}
    for name in ("out.wav", "empty.wav", "big.wav", "gone.wav", "loop.wav"):
        with pytest.raises(RefusedFile) as caught:
            safe_target(real / name, real, 2**20)
        reasons[name] = caught.value
    assert reasons["out.wav"].reason == "it is a link to a file outside the watched folder"
    assert reasons["empty.wav"].reason == "the file is empty (0 bytes)"
    assert reasons["big.wav"].reason == "too large (3 MB; the limit is 1 MB)"
    assert reasons["gone.wav"].sentence == "gone.wav: it vanished before it could be checked. Put it back into the folder to check it."
    assert "vanished" in reasons["loop.wav"].reason or "cannot be read" in reasons["loop.wav"].reason


def test_sort_into_never_overwrites(tmp_path):
    (tmp_path / "spoof").mkdir()
    (tmp_path / "spoof" / "a.wav").write_bytes(b"old")
    (tmp_path / "spoof" / "a (2).wav").write_bytes(b"older")
    for content in (b"new", b"newer"):
        (tmp_path / "a.wav").write_bytes(content)
        sort_into(tmp_path / "a.wav", tmp_path, "spoof")
    assert sorted(p.name for p in (tmp_path / "spoof").iterdir()) == ["a (2).wav", "a (3).wav", "a (4).wav", "a.wav"]
    assert (tmp_path / "spoof" / "a.wav").read_bytes() == b"old"
    assert (tmp_path / "spoof" / "a (3).wav").read_bytes() == b"new"
    assert (tmp_path / "spoof" / "a (4).wav").read_bytes() == b"newer"
    assert not (tmp_path / "a.wav").exists()


def test_sort_into_without_hard_links(tmp_path, monkeypatch):
    def no_links(src, dst):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(watch_files.os, "link", no_links)
    (tmp_path / "bonafide").mkdir()
    (tmp_path / "bonafide" / "a.wav").write_bytes(b"old")
    (tmp_path / "a.wav").write_bytes(b"new")
    assert sort_into(tmp_path / "a.wav", tmp_path, "bonafide").name == "a (2).wav"
    assert (tmp_path / "bonafide" / "a.wav").read_bytes() == b"old"


def test_filesystem_type_of_a_local_folder(tmp_path):
    assert watch_files.filesystem_type(Path("/")) != ""
    assert watch_files.needs_polling(tmp_path) is False


def test_network_folders_are_polled(tmp_path, monkeypatch):
    monkeypatch.setattr(watch_files, "filesystem_type", lambda folder: "nfs4")
    watch = FolderWatch(tmp_path, WatchOptions(), lambda w, p: None)
    try:
        assert watch.start() is None
        assert watch.mode == "polling"
    finally:
        watch.stop()


def test_no_inotify_falls_back_to_polling_and_says_so(tmp_path, monkeypatch):
    class NoInotify:
        def __init__(self, **kwargs):
            raise OSError(errno.EMFILE, "Too many open files")

    monkeypatch.setattr("watchdog.observers.inotify.InotifyObserver", NoInotify)
    context = RecordingContext()
    service = WatchService(context, lambda path: None, model="fake")
    (tmp_path / "a.wav").write_bytes(clip_bytes(1))
    try:
        watch = service.add(tmp_path, WatchOptions(existing="skip"))
        assert watch.mode == "polling"
        said = [text for text, *_ in context.said]
        assert f"Watching {tmp_path.name} by polling." in said
        assert any(text.startswith(f"This system cannot report changes in {tmp_path.name} (Too many open files)") for text in said)
    finally:
        service.close()
