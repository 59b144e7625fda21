"""Where the real (bonafide) speech comes from: recordings of people shipped in Debian packages.

Each source knows its package, language and how to name the speaker of each file. Voices that
were synthesised or processed (a "Robot" voice pack, TTS-made prompts) are left out here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from training.corpus.texts import asterisk_transcripts, is_speech_text

SOUNDS = Path("/usr/share/asterisk/sounds")
AUDIO_EXTS = {".wav", ".ogg", ".flac", ".gsm", ".mp3"}


@dataclass(frozen=True)
class SourceClip:
    """One real recording: file, who speaks, which package, which language."""

    path: Path
    speaker: str
    source: str
    lang: str


@dataclass(frozen=True)
class Source:
    """A package of real speech and how to list its clips."""

    name: str
    package: str
    lang: str
    find: Callable[[], list[SourceClip]]
    heldout: bool = False  # reserved for independent evaluation, never train/dev

    def install_hint(self) -> str:
        return f"apt-get install {self.package}"


def _files(root: Path, exts: Iterable[str] = AUDIO_EXTS) -> list[Path]:
    if not root.is_dir():
        return []
    wanted = set(exts)
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in wanted and p.is_file())


def _asterisk(
    folder: str, speaker: str, source: str, lang: str, exts: set[str]
) -> Callable[[], list[SourceClip]]:
    """Asterisk prompts of one voice, minus tones, beeps and silence files."""

    def find() -> list[SourceClip]:
        root = SOUNDS / folder
        transcripts = asterisk_transcripts()
        clips = []
        for path in _files(root, exts):
            rel = path.relative_to(root).with_suffix("").as_posix()
            if rel.startswith("silence/") or "tone" in rel or "beep" in rel:
                continue
            text = transcripts.get(rel)
            if text is not None and not is_speech_text(text):
                continue
            clips.append(SourceClip(path, speaker, source, lang))
        return clips

    return find


SOURCES: tuple[Source, ...] = (
    # Allison Smith recorded both the English and the Mexican-Spanish core sounds: one speaker.
    Source(
        "asterisk-en",
        "asterisk-core-sounds-en-wav",
        "en",
        _asterisk(
            "en_US_f_Allison", "asterisk-allison", "asterisk-core-sounds-en-wav", "en", {".wav"}
        ),
    ),
    Source(
        "asterisk-es",
        "asterisk-core-sounds-es-wav",
        "es",
        _asterisk(
            "es_MX_f_Allison", "asterisk-allison", "asterisk-core-sounds-es-wav", "es", {".wav"}
        ),
    ),
    Source(
        "asterisk-fr",
        "asterisk-core-sounds-fr-wav",
        "fr",
        _asterisk("fr_CA_f_June", "asterisk-june", "asterisk-core-sounds-fr-wav", "fr", {".wav"}),
    ),
    Source(
        "asterisk-es-co",
        "asterisk-prompt-es-co",
        "es",
        _asterisk("es", "asterisk-es-co", "asterisk-prompt-es-co", "es", {".gsm"}),
    ),
    Source(
        "asterisk-fr-armelle",
        "asterisk-prompt-fr-armelle",
        "fr",
        _asterisk("fr", "asterisk-armelle", "asterisk-prompt-fr-armelle", "fr", {".gsm"}),
    ),
    Source(
        "asterisk-it-menardi",
        "asterisk-prompt-it-menardi-wav",
        "it",
        _asterisk(
            "it_IT_f_Menardi", "asterisk-menardi", "asterisk-prompt-it-menardi-wav", "it", {".wav"}
        ),
    ),
)


def available_sources(
    log: Callable[[str], None], heldout: bool = False
) -> list[tuple[Source, list[SourceClip]]]:
    """Sources whose package is installed, each with its clips; a missing one is named once."""
    found = []
    for source in SOURCES:
        if source.heldout != heldout:
            continue
        clips = source.find()
        if not clips:
            log(
                f"corpus: skipping source {source.name}: not installed (install with: {source.install_hint()})"
            )
            continue
        found.append((source, clips))
    return found
