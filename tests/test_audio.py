"""Decoding: every format, and every kind of bad input gets one clear AudioError."""

from __future__ import annotations

import shutil
import subprocess
import wave

import numpy as np
import pytest
import soundfile

from spoofvoice import audio
from spoofvoice.audio import AudioError


@pytest.fixture(scope="module")
def speech_formats(tmp_path_factory, real_speech):
    """The same real 8 kHz recording in every format spoofvoice reads."""
    folder = tmp_path_factory.mktemp("formats")
    samples, rate = soundfile.read(real_speech, dtype="float32")
    stereo = np.stack([samples, samples * 0.5], axis=1)
    paths = {"wav": folder / "clip.wav", "flac": folder / "clip.flac", "ogg": folder / "clip.ogg", "mp3": folder / "clip.mp3"}
    soundfile.write(paths["wav"], samples, rate)
    soundfile.write(paths["flac"], samples, rate)
    soundfile.write(paths["ogg"], samples, rate, format="OGG", subtype="VORBIS")
    soundfile.write(paths["mp3"], samples, rate, format="MP3", subtype="MPEG_LAYER_III")
    paths["stereo"] = folder / "stereo_44k.wav"
    soundfile.write(paths["stereo"], np.repeat(stereo, 2, axis=0), rate * 2)
    paths["m4a"] = folder / "clip.m4a"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(paths["wav"]), "-c:a", "aac", str(paths["m4a"])], check=True)
    return paths, len(samples) / rate


@pytest.mark.parametrize("kind", ["wav", "flac", "ogg", "mp3", "m4a", "stereo"])
def test_every_format_decodes_to_16k_mono(speech_formats, kind):
    paths, seconds = speech_formats
    samples = audio.load(paths[kind])
    assert samples.dtype == np.float32 and samples.ndim == 1
    assert abs(len(samples) / audio.SAMPLE_RATE - seconds) < 0.1
    assert 0.01 < float(np.abs(samples).max()) <= 1.0


def test_resampled_audio_keeps_the_signal(speech_formats):
    paths, _ = speech_formats
    from_wav = audio.load(paths["wav"])
    from_flac = audio.load(paths["flac"])
    assert np.allclose(from_wav, from_flac, atol=1e-4)


def _error(path, **kwargs) -> AudioError:
    with pytest.raises(AudioError) as caught:
        audio.load(path, **kwargs)
    assert caught.value.path.name in str(caught.value)
    assert "\n" not in str(caught.value)
    return caught.value


def test_missing_file(tmp_path):
    assert "no such file" in _error(tmp_path / "gone.wav").reason


def test_directory_instead_of_file(tmp_path):
    assert "folder" in _error(tmp_path).reason


def test_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    assert "empty" in _error(path).reason


def test_not_audio(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("these are meeting notes, not a recording\n")
    assert _error(path).reason == "not an audio file"


def test_not_audio_with_ffmpeg_extension(tmp_path):
    path = tmp_path / "interview.m4a"
    path.write_text("not audio at all\n")
    assert _error(path).reason == "not an audio file"


def test_unreadable_file(tmp_path, monkeypatch, real_speech):
    path = tmp_path / "locked.wav"
    shutil.copy(real_speech, path)
    real_open = open

    def deny(file, *args, **kwargs):
        if str(file) == str(path):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", deny)
    assert "permission denied" in _error(path).reason


@pytest.mark.parametrize("kind", ["wav", "flac", "mp3", "ogg"])
def test_truncated_file(speech_formats, tmp_path, kind):
    paths, _ = speech_formats
    data = paths[kind].read_bytes()
    cut = tmp_path / f"cut.{kind}"
    cut.write_bytes(data[: len(data) // 2])
    error = _error(cut)
    assert "truncated" in error.reason or "corrupt" in error.reason


def _write_wav(path, samples, rate=16000):
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def test_too_short(tmp_path):
    tone = 0.3 * np.sin(np.arange(3200) * 0.1)
    assert "too short" in _error(_write_wav(tmp_path / "blip.wav", tone)).reason


def test_digital_silence(tmp_path):
    assert "silence" in _error(_write_wav(tmp_path / "quiet.wav", np.zeros(16000))).reason


def test_longer_than_the_cap(tmp_path):
    tone = 0.3 * np.sin(np.arange(16000 * 3) * 0.1)
    error = _error(_write_wav(tmp_path / "long.wav", tone), max_seconds=2.0)
    assert "too long" in error.reason and "Cut it" in error.advice


def test_m4a_without_ffmpeg_says_what_to_install(speech_formats, monkeypatch):
    paths, _ = speech_formats
    monkeypatch.setattr(audio.shutil, "which", lambda name: None)
    error = _error(paths["m4a"])
    assert "ffmpeg" in error.reason and "apt-get install ffmpeg" in error.advice
