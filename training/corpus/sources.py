"""Where the real (bonafide) speech comes from: recordings of people shipped in Debian packages.

Each source knows its package, language and how to name the speaker of each file. Voices that
were synthesised or processed (a "Robot" voice pack, TTS-made prompts) are left out here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from training.corpus.texts import asterisk_transcripts, is_speech_text

SOUNDS = Path("/usr/share/asterisk/sounds")
GCIN = Path("/usr/share/gcin-voice/ogg")  # one folder per syllable, each with 3.ogg and 5.ogg
DRASCULA = Path("/usr/share/scummvm/drascula")  # en/, es/, it/: one cast per language
FILLETS = Path("/usr/share/games/fillets-ng/sound")  # <level>/<lang>/<level>-<who>-<line>.ogg
AUDIO_EXTS = {".wav", ".ogg", ".flac", ".gsm", ".mp3"}
# Asterisk files that hold tones or noises, not speech (used when the transcripts are missing too).
NON_SPEECH = frozenset({"beep", "beeperr", "ascending-2tone", "descending-2tone", "tt-monkeys"})


@dataclass(frozen=True)
class SourceClip:
    """One real recording: file, who speaks, which package, which language."""

    path: Path
    speaker: str
    source: str
    lang: str
    group: str = ""  # speakers that may be one person share a group and so a split


@dataclass(frozen=True)
class Source:
    """A package of real speech and how to list its clips."""

    name: str
    package: str
    lang: str
    find: Callable[[], list[SourceClip]]
    heldout: bool = False  # reserved for independent evaluation, never train/dev
    # Added later to fix a bias of the training voices: kept out of the split dealing so the
    # dev and eval parts of a corpus stay what they were (results stay comparable).
    train_only: bool = False
    # Built only into corpora that name it (`build --extra NAME`), so the corpora older models
    # were trained on, and those models, stay reproducible when a source is added.
    extra: str = ""

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
            if rel.startswith("silence/") or rel.rsplit("/", 1)[-1] in NON_SPEECH:
                continue
            text = transcripts.get(rel)
            if text is not None and not is_speech_text(text):
                continue
            clips.append(SourceClip(path, speaker, source, lang))
        return clips

    return find


def _digest(path: Path) -> str:
    import hashlib

    return hashlib.md5(path.read_bytes()).hexdigest()


def _per_folder(
    root: Path,
    prefix: str,
    package: str,
    group: Callable[[str], str],
    skip: frozenset[str] = frozenset(),
    lang_of: Callable[[str], str] | None = None,
) -> Callable[[], list[SourceClip]]:
    """One speaker per subfolder (e.g. one reader per language); identical folders count once."""

    def find() -> list[SourceClip]:
        clips: list[SourceClip] = []
        seen: set[str] = set()
        if not root.is_dir():
            return clips
        for folder in sorted(p for p in root.iterdir() if p.is_dir() and p.name not in skip):
            files = _files(folder, {".ogg", ".wav", ".opus"})
            if not files:
                continue
            key = _digest(files[0]) + str(len(files))
            if key in seen:  # sr, sr@latin, ... ship the same recordings
                continue
            seen.add(key)
            name = folder.name
            lang = lang_of(name) if lang_of else name.split("_")[0].split("@")[0]
            speaker = f"{prefix}-{name}"
            clips += [SourceClip(p, speaker, package, lang, group(lang)) for p in files]
        return clips

    return find


def _tuxpaint() -> list[SourceClip]:
    """Spoken stamp descriptions, `*_desc_<lang>.ogg` (no suffix: English); one speaker per language."""
    root = Path("/usr/share/tuxpaint/stamps")
    clips = []
    for path in _files(root, {".ogg"}):
        stem = path.stem
        if "_desc" not in stem:
            continue
        lang = stem.rsplit("_desc", 1)[1].lstrip("_") or "en"
        if "." in lang:
            continue
        clips.append(
            SourceClip(path, f"tuxpaint-{lang}", "tuxpaint-stamps-default", lang.split("_")[0])
        )
    return clips


def _hedgewars_lang(pack: str) -> str:
    suffix = pack.rsplit("_", 1)[1] if "_" in pack else ""
    return {"es": "es", "pl": "pl", "ru": "ru", "uk": "uk"}.get(suffix, "en")


def _kde_group(lang: str) -> str:
    # klettres and ktuberling are both KDE education; one person may have read both in a language
    return f"kde-{lang}"


def _gcin() -> list[SourceClip]:
    """gcin-voice: every Mandarin syllable in four tones, read by two people (see its copyright):
    `3.ogg` Edward Der-Hua Liu, a low male voice (median F0 about 145 Hz), `5.ogg` Chu Lo, a
    high one (about 350 Hz)."""
    readers = {"3": "gcin-liu", "5": "gcin-lo"}
    files = _files(GCIN, {".ogg"})
    return [SourceClip(p, readers[p.stem], "gcin-voice", "zh") for p in files if p.stem in readers]


def _drascula(lang: str, package: str) -> Callable[[], list[SourceClip]]:
    """Drascula (1996 adventure game) voice acting, 8-bit at 11,025 Hz: `<who><n>.ALS`, where
    `<who>` is empty for the hero and letters for the others (D Drascula, BJ, VB Von Braun, I
    Igor...). One actor may play several characters, so a language's characters share a group."""

    def find() -> list[SourceClip]:
        clips = []
        for path in _files(DRASCULA / lang, {".als"}):
            match = re.fullmatch(r"([A-Za-z]*)\d+", path.stem)
            if match:
                who = match.group(1).upper() or "hero"
                clips.append(
                    SourceClip(path, f"drascula-{lang}-{who}", package, lang, f"drascula-{lang}")
                )
        return clips

    return find


FILLETS_FISH = {"m": "small", "v": "big"}  # Czech file names: malá (small) and velká (big) fish


def _fillets(lang: str, package: str) -> Callable[[], list[SourceClip]]:
    """Fish Fillets NG dialogue of the two fish, one studio dub per language (`<level>-m-*` the
    small fish, `<level>-v-*` the big one); other characters have a few lines each and are left out."""

    def find() -> list[SourceClip]:
        clips = []
        for path in _files(FILLETS, {".ogg"}):
            parts = path.stem.split("-")
            if path.parent.name == lang and len(parts) >= 3 and parts[1] in FILLETS_FISH:
                speaker = f"fillets-{lang}-{FILLETS_FISH[parts[1]]}"
                clips.append(SourceClip(path, speaker, package, lang, f"fillets-{lang}"))
        return clips

    return find


def _alsa() -> list[SourceClip]:
    """The spoken channel names of alsa-utils' speaker-test ("Front Left"...); Noise.wav is not speech."""
    files = _files(Path("/usr/share/sounds/alsa"), {".wav"})
    return [
        SourceClip(p, "alsa-utils-voice", "alsa-utils", "en") for p in files if p.stem != "Noise"
    ]


def _pocketsphinx() -> list[SourceClip]:
    files = _files(Path("/usr/share/pocketsphinx/test/data"), {".wav"})
    return [
        SourceClip(p, "pocketsphinx-cards", "pocketsphinx-testdata", "en")
        for p in files
        if p.parent.name == "cards"
    ]


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
    Source("pocketsphinx", "pocketsphinx-testdata", "en", _pocketsphinx),
    # Added 2026-12-03: the training voices had few low male ones, and the models learned
    # "a low voice is a machine" (README, "Low voices in training"). Train only.
    Source("gcin", "gcin-voice", "zh", _gcin, train_only=True),
    # Added 2026-12-07: every training voice was a clean studio or telephone prompt, and real
    # voices from other recording chains were called spoof (README, "Game voices in training").
    # Game voice acting: an 8-bit 11 kHz chain (Drascula) and two studio dubs (Fish Fillets),
    # only in corpora built with `--extra games` (make corpus-large-games).
    Source(
        "drascula", "drascula", "en", _drascula("en", "drascula"), train_only=True, extra="games"
    ),
    Source(
        "drascula-es",
        "drascula-spanish",
        "es",
        _drascula("es", "drascula-spanish"),
        train_only=True,
        extra="games",
    ),
    Source(
        "drascula-it",
        "drascula-italian",
        "it",
        _drascula("it", "drascula-italian"),
        train_only=True,
        extra="games",
    ),
    Source(
        "fillets-cs",
        "fillets-ng-data-cs",
        "cs",
        _fillets("cs", "fillets-ng-data-cs"),
        train_only=True,
        extra="games",
    ),
    Source(
        "fillets-nl",
        "fillets-ng-data-nl",
        "nl",
        _fillets("nl", "fillets-ng-data-nl"),
        train_only=True,
        extra="games",
    ),
    # Reserved for independent evaluation (`python -m training.corpus heldout`), never train/dev.
    Source(
        "heldout-asterisk-it",
        "asterisk-core-sounds-it-wav",
        "it",
        _asterisk("it_IT_m_Carlo", "asterisk-carlo", "asterisk-core-sounds-it-wav", "it", {".wav"}),
        heldout=True,
    ),
    Source(
        "heldout-asterisk-ru",
        "asterisk-core-sounds-ru-wav",
        "ru",
        _asterisk(
            "ru_RU_f_IvrvoiceRU",
            "asterisk-ivrvoice-ru",
            "asterisk-core-sounds-ru-wav",
            "ru",
            {".wav"},
        ),
        heldout=True,
    ),
    Source("heldout-alsa", "alsa-utils", "en", _alsa, heldout=True),
    Source(
        "ktuberling",
        "ktuberling-data",
        "many",
        _per_folder(
            Path("/usr/share/ktuberling/sounds"), "ktuberling", "ktuberling-data", _kde_group
        ),
    ),
    Source(
        "klettres",
        "klettres-data",
        "many",
        _per_folder(
            Path("/usr/share/klettres"),
            "klettres",
            "klettres-data",
            _kde_group,
            frozenset({"icons", "pics"}),
        ),
    ),
    Source("tuxpaint", "tuxpaint-stamps-default", "many", _tuxpaint),
    # The "Robot" pack is a processed voice: never bonafide.
    Source(
        "hedgewars",
        "hedgewars-data",
        "en",
        _per_folder(
            Path("/usr/share/games/hedgewars/Data/Sounds/voices"),
            "hedgewars",
            "hedgewars-data",
            lambda lang: "",
            frozenset({"Robot"}),
            _hedgewars_lang,
        ),
    ),
)


def extra_sets() -> list[str]:
    """The names `build --extra` accepts."""
    return sorted({source.extra for source in SOURCES if source.extra})


def available_sources(
    log: Callable[[str], None], heldout: bool = False, extras: Iterable[str] = ()
) -> list[tuple[Source, list[SourceClip]]]:
    """Sources whose package is installed, each with its clips; a missing one is named once.
    Sources of an `extra` set come only when `extras` names it."""
    found = []
    wanted = set(extras)
    for source in SOURCES:
        if source.heldout != heldout or (source.extra and source.extra not in wanted):
            continue
        clips = source.find()
        if not clips:
            log(
                f"corpus: skipping source {source.name}: not installed (install with: {source.install_hint()})"
            )
            continue
        found.append((source, clips))
    return found
