"""Decode any recording a person is likely to have into 16 kHz mono float32.

Every way a file can be unusable becomes one `AudioError` whose message names the file,
says what is wrong and what to do, so the CLI, the session and the watch folder can speak it
as one sentence instead of a traceback. soundfile decodes WAV, FLAC, OGG and MP3; ffmpeg,
when installed, decodes the rest (M4A/AAC, Opus in MP4, WebM...). soxr resamples; it is
imported only when a file needs it.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np

SAMPLE_RATE = 16_000
MIN_SECONDS = 0.3
DEFAULT_MAX_SECONDS = 30 * 60.0
SILENCE_PEAK = 1e-5  # below -100 dBFS everywhere: nothing to judge

SOUNDFILE_EXTENSIONS = frozenset({".wav", ".wave", ".flac", ".ogg", ".oga", ".mp3", ".aif", ".aiff"})
FFMPEG_EXTENSIONS = frozenset({".m4a", ".aac", ".mp4", ".opus", ".webm", ".wma", ".amr", ".3gp"})
AUDIO_EXTENSIONS = SOUNDFILE_EXTENSIONS | FFMPEG_EXTENSIONS
FORMATS_HINT = "Give a WAV, FLAC, OGG or MP3 recording"


class AudioError(Exception):
    """A file that cannot be scored, with a reason short enough for one output line."""

    def __init__(self, path: str | os.PathLike, reason: str, advice: str = "") -> None:
        self.path = Path(path)
        self.reason = reason
        self.advice = advice
        super().__init__(self.sentence)

    @property
    def sentence(self) -> str:
        """`name: reason. advice.` — one sentence a person can act on."""
        text = f"{self.path.name}: {self.reason}."
        return f"{text} {self.advice}." if self.advice else text


def is_audio_path(path: str | os.PathLike) -> bool:
    """True when the extension is one spoofvoice can decode (ffmpeg ones included)."""
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS


def load(
    path: str | os.PathLike,
    *,
    sample_rate: int = SAMPLE_RATE,
    max_seconds: float = DEFAULT_MAX_SECONDS,
    min_seconds: float = MIN_SECONDS,
) -> np.ndarray:
    """Return the recording as mono float32 at `sample_rate`, or raise `AudioError`."""
    path = Path(path)
    _check_file(path)
    if path.suffix.lower() in FFMPEG_EXTENSIONS:
        samples, rate = _decode_ffmpeg(path, max_seconds)
    else:
        samples, rate = _decode_soundfile(path, max_seconds)
    samples = _to_mono(samples)
    if not np.all(np.isfinite(samples)):
        raise AudioError(path, "the file is corrupt (its samples are not numbers)", "Export it again")
    duration = len(samples) / rate
    if duration < min_seconds:
        raise AudioError(
            path,
            f"too short ({duration:.2f} seconds; at least {min_seconds:g} are needed)",
            "Give a longer recording",
        )
    if duration > max_seconds:
        raise AudioError(path, _too_long_reason(duration, max_seconds), "Cut it into shorter parts")
    if float(np.max(np.abs(samples))) < SILENCE_PEAK:
        raise AudioError(path, "it is digital silence", "Check that the recording has sound")
    if rate != sample_rate:
        samples = resample(samples, rate, sample_rate)
    return np.ascontiguousarray(samples, dtype=np.float32)


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """High-quality resampling; the same function for training and inference."""
    import soxr

    return soxr.resample(samples.astype(np.float32, copy=False), rate, target, quality="HQ")


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise AudioError(path, "this is a folder, not a file", "Give one recording, or check the folder")
    if not path.exists():
        raise AudioError(path, "no such file", "Check the name and the folder")
    try:
        with open(path, "rb") as handle:
            handle.read(1)
    except PermissionError:
        raise AudioError(path, "permission denied", "Make the file readable, then try again") from None
    except OSError as error:
        raise AudioError(path, f"cannot be read ({error.strerror or error})", "Copy it somewhere local") from None
    if path.stat().st_size == 0:
        raise AudioError(path, "the file is empty (0 bytes)", "Copy or record it again")


def _decode_soundfile(path: Path, max_seconds: float) -> tuple[np.ndarray, int]:
    import soundfile

    try:
        info = soundfile.info(str(path))
    except soundfile.LibsndfileError:
        if shutil.which("ffmpeg") and not _looks_like_text(path):
            return _decode_ffmpeg(path, max_seconds)
        raise AudioError(path, "not an audio file", FORMATS_HINT) from None
    except (RuntimeError, TypeError, ValueError):
        raise AudioError(path, "not an audio file", FORMATS_HINT) from None
    if info.samplerate <= 0 or info.frames < 0:
        raise AudioError(path, "the file is corrupt (bad header)", "Export it again")
    if info.frames / info.samplerate > max_seconds:
        raise AudioError(path, _too_long_reason(info.frames / info.samplerate, max_seconds), "Cut it into shorter parts")
    _check_complete(path, info)
    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as error:
        raise AudioError(path, f"the file is truncated or corrupt ({_short(error)})", "Copy or export it again") from None
    if info.format == "MP3" and info.frames > 0 and len(samples) < 0.97 * info.frames - 2304:
        raise AudioError(path, "the file is truncated (it ends early)", "Copy or export it again")
    return samples, rate


def _check_complete(path: Path, info) -> None:
    """Catch files cut short in transfer, which decoders would otherwise read silently."""
    if info.format == "WAV":
        declared = _wav_declared_data_bytes(path)
        if declared is not None and declared[1] > declared[0]:
            raise AudioError(path, "the file is truncated (it ends early)", "Copy or export it again")
    elif info.format == "OGG" and not _ogg_has_end(path):
        raise AudioError(path, "the file is truncated (it ends early)", "Copy or export it again")


def _wav_declared_data_bytes(path: Path) -> tuple[int, int] | None:
    """(bytes present, bytes the header promises) for the data chunk of a RIFF file."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        header = handle.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None
        offset = 12
        while offset + 8 <= size:
            handle.seek(offset)
            chunk_id, chunk_size = struct.unpack("<4sI", handle.read(8))
            if chunk_id == b"data":
                if chunk_size in (0, 0xFFFFFFFF):  # streaming writers leave it unset
                    return None
                return size - offset - 8, chunk_size
            offset += 8 + chunk_size + (chunk_size & 1)
    return None


def _ogg_has_end(path: Path) -> bool:
    """An intact Ogg stream ends with a page flagged end-of-stream."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - 65536))
        tail = handle.read()
    last = tail.rfind(b"OggS")
    if last < 0 or last + 6 > len(tail):
        return False
    return bool(tail[last + 5] & 0x04)


def _decode_ffmpeg(path: Path, max_seconds: float) -> tuple[np.ndarray, int]:
    """Decode through ffmpeg to 16 kHz mono float32 (formats libsndfile lacks)."""
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        raise AudioError(
            path,
            f"{path.suffix.lstrip('.').upper() or 'this'} files need ffmpeg, which is not installed",
            "Install ffmpeg (apt-get install ffmpeg), or convert the file to WAV",
        )
    command = [
        ffmpeg, "-nostdin", "-v", "error", "-i", str(path), "-t", str(max_seconds + 1.0),
        "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "-",
    ]
    try:
        result = subprocess.run(command, capture_output=True, timeout=max(60.0, max_seconds / 10))
    except subprocess.TimeoutExpired:
        raise AudioError(path, "decoding took too long", "Convert the file to WAV first") from None
    if result.returncode != 0 or not result.stdout:
        detail = result.stderr.decode("utf-8", "replace").lower()
        if "invalid data" in detail or "could not find" in detail or "no such" in detail:
            raise AudioError(path, "not an audio file", FORMATS_HINT)
        if not result.stdout and result.returncode == 0:
            raise AudioError(path, "it holds no audio", FORMATS_HINT)
        raise AudioError(path, "the file is truncated or corrupt", "Copy or export it again")
    samples = np.frombuffer(result.stdout[: len(result.stdout) // 4 * 4], dtype="<f4")
    return samples.reshape(-1, 1), SAMPLE_RATE


def _to_mono(samples: np.ndarray) -> np.ndarray:
    if samples.ndim == 1:
        return samples.astype(np.float32, copy=False)
    return samples.mean(axis=1, dtype=np.float32)


def _looks_like_text(path: Path) -> bool:
    with open(path, "rb") as handle:
        head = handle.read(512)
    return b"\x00" not in head and all(b >= 9 for b in head)


def _too_long_reason(duration: float, max_seconds: float) -> str:
    return f"too long ({duration / 60:.1f} minutes; the limit is {max_seconds / 60:g} minutes)"


def _short(error: Exception) -> str:
    text = str(error).split(":")[-1].strip().rstrip(".")
    return text or type(error).__name__
