"""Render planned clips: assemble real speech or synthesise, then the shared channel, then FLAC.

Both classes meet the same steps at the end: native rate -> 16 kHz with one resampler, then
one randomised channel with loudness normalisation.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from training.corpus import tts
from training.corpus.audio import (
    RATE,
    SourceAudioError,
    load_mono,
    native_format,
    through_native_rate,
    to_rate,
    trim,
    write_flac,
)
from training.corpus.build import Job, flac_path
from training.corpus.channel import apply_channel, draw_channel
from training.corpus.families import BY_ATTACK
from training.corpus.texts import OWN_SENTENCES, sentences

MAX_TRIES = 3


@dataclass(frozen=True)
class Result:
    """What became of one job."""

    file_id: str
    ok: bool
    message: str = ""
    source: str = "-"
    lang: str = "-"
    detail: str = "-"
    channel: str = "-"


def _gap(rng: np.random.Generator) -> np.ndarray:
    return np.zeros(int(RATE * rng.uniform(0.08, 0.35)), np.float32)


def assemble_real(
    clips: tuple[str, ...], target_s: float, rng: np.random.Generator
) -> tuple[np.ndarray, tuple[int, int], int]:
    """Join clips of one speaker (trimmed, short pauses between) into a 2-6 s utterance at 16 kHz.

    Returns the audio, the lowest native rate and bits per sample among the clips used, and how
    many were used.
    """
    parts: list[np.ndarray] = []
    native = RATE * 4
    bits = 16
    total = 0
    for path in clips:
        try:
            x, rate = load_mono(Path(path))
        except SourceAudioError:
            continue
        x = trim(to_rate(x, rate))
        if len(x) < RATE * 0.15:
            continue
        native = min(native, rate)
        bits = min(bits, native_format(path)[1])
        if parts:
            parts.append(_gap(rng))
        parts.append(x)
        total += len(x)
        if total >= target_s * RATE:
            break
    if not parts:
        raise SourceAudioError("no readable clip for this speaker")
    y = np.concatenate(parts)
    used = sum(1 for p in parts if len(p) and p.any())
    return y[: int((target_s + 0.5) * RATE)], (native, bits), used


@cache
def _voices(attack: str) -> tuple[tts.Voice, ...]:
    family = BY_ATTACK[attack]
    return tuple(family.voices()) if family.voices else ()


def synthesise_text(
    attack: str, target_s: float, rng: np.random.Generator
) -> tuple[np.ndarray, tts.Voice]:
    """Read sentences with one voice of the family until the target duration is reached."""
    voices = _voices(attack)
    voice = voices[int(rng.integers(len(voices)))]
    pool = sentences(voice.lang if voice.lang in OWN_SENTENCES else "en")
    parts: list[np.ndarray] = []
    total = 0
    for _ in range(6):
        x, rate = tts.synthesise(voice, pool[int(rng.integers(len(pool)))], rng)
        x = trim(to_rate(x, rate))
        if parts:
            parts.append(_gap(rng))
        parts.append(x)
        total += len(x)
        if total >= target_s * RATE:
            break
    return np.concatenate(parts)[: int((target_s + 0.5) * RATE)], voice


def render_one(job: Job, out: Path) -> Result:
    """Make one clip and write it; errors become a failed Result, never an exception."""
    content_seed, channel_seed = np.random.SeedSequence(job.seed).spawn(2)
    rng = np.random.default_rng(content_seed)
    message = ""
    for _ in range(MAX_TRIES):
        try:
            y, source, lang, detail = _content(job, rng)
            break
        except (SourceAudioError, tts.TTSError, ValueError, FloatingPointError) as exc:
            message = str(exc)
    else:
        return Result(job.file_id, False, message)
    if not np.all(np.isfinite(y)) or np.max(np.abs(y)) < 1e-5:
        return Result(job.file_id, False, "generator produced silence")
    crng = np.random.default_rng(channel_seed)
    spec = draw_channel(crng)
    path = out / job.dest if job.dest else flac_path(out, job.split, job.file_id)
    write_flac(path, apply_channel(y, spec, crng))
    return Result(job.file_id, True, "", source, lang, detail, spec.describe())


def _content(job: Job, rng: np.random.Generator) -> tuple[np.ndarray, str, str, str]:
    """The clip before the channel, at 16 kHz, with its source, language and generator detail."""
    if job.label == "bonafide":
        y, _native, used = assemble_real(job.clips, job.target_s, rng)
        source, lang = job.origin
        return y, source, lang, f"{used} clip(s)"
    family = BY_ATTACK[job.attack]
    if family.derive is not None:
        x, native, _ = assemble_real(job.clips, job.target_s, rng)
        y = family.derive(x, rng)
        source, lang = job.origin
        return through_native_rate(y, *native), source, lang, family.name
    y, voice = synthesise_text(job.attack, job.target_s, rng)
    if family.after_tts is not None:
        y = family.after_tts(y, rng)
    name = Path(voice.name).stem if voice.engine == "piper" else voice.name
    native = native_format(job.native_from)
    return through_native_rate(y, *native), voice.engine, voice.lang, name


def _render_star(args: tuple[Job, Path]) -> Result:
    return render_one(*args)


def render_all(
    out: Path, jobs: list[Job], workers: int, log: Callable[[str], None]
) -> dict[str, Result]:
    """Render every job (in parallel when workers > 1), logging a plain progress line every tenth."""
    results: dict[str, Result] = {}
    step = max(1, len(jobs) // 10)
    tasks = [(job, out) for job in jobs]
    if workers > 1:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers) as pool:
            stream = pool.imap(_render_star, tasks, chunksize=4)
            _collect(stream, jobs, results, step, log)
    else:
        _collect(map(_render_star, tasks), jobs, results, step, log)
    return results


def _collect(
    stream, jobs: list[Job], results: dict[str, Result], step: int, log: Callable[[str], None]
) -> None:
    for n, res in enumerate(stream, start=1):
        results[res.file_id] = res
        if not res.ok:
            job = jobs[n - 1]
            log(f"corpus: left out {res.file_id} ({job.attack} {job.label}): {res.message}")
        if n % step == 0 or n == len(jobs):
            log(f"corpus: {n}/{len(jobs)} clips made")
