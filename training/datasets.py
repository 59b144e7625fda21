"""Readers for spoofing datasets: ASVspoof 2019 LA/PA, 2021 LA/DF, ASVspoof 5, In-the-Wild, folders.

Every reader returns the same `Trial` records, checks that each audio file exists, and on a
malformed line raises `DatasetError` naming the file and line number, so a user with a
damaged download learns exactly where to look.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

AUDIO_EXTS = {".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aac"}
LABELS = {"bonafide", "spoof"}


@dataclass(frozen=True)
class Trial:
    """One labelled clip. `attack` is "-" for bonafide; `subset` is train, dev, eval, progress..."""

    path: Path
    label: str
    attack: str
    speaker: str
    subset: str


class DatasetError(Exception):
    """A dataset is missing or malformed; the message names the file (and line) to fix."""


def _lines(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Non-blank lines of a protocol file split on whitespace, with 1-based line numbers."""
    if not path.is_file():
        raise DatasetError(f"{path}: protocol file not found; check the dataset folder.")
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, start=1):
            fields = line.split()
            if fields:
                yield number, fields


def _bad(path: Path, number: int, what: str) -> DatasetError:
    return DatasetError(f"{path}, line {number}: {what}")


def _label(path: Path, number: int, value: str) -> str:
    if value not in LABELS:
        raise _bad(path, number, f"label {value!r} is neither bonafide nor spoof")
    return value


def _existing(audio: Path, protocol: Path, number: int) -> Path:
    if not audio.is_file():
        raise _bad(protocol, number, f"audio file {audio} does not exist")
    return audio


def _subsets(subset: str | None, known: tuple[str, ...], what: str) -> tuple[str, ...]:
    if subset is None:
        return known
    if subset not in known:
        raise DatasetError(f"{what} has no subset {subset!r}; choose one of {', '.join(known)}.")
    return (subset,)


# ASVspoof 2019 LA and PA ------------------------------------------------------------------------

_2019_PROTOCOLS = {"train": "train.trn", "dev": "dev.trl", "eval": "eval.trl"}


def _asvspoof2019(scenario: str, root: Path, subset: str | None) -> list[Trial]:
    """`SPEAKER FILE ENV ATTACK KEY` lines; audio in ASVspoof2019_{LA,PA}_{subset}/flac."""
    base = root / scenario if (root / scenario).is_dir() else root
    trials = []
    for part in _subsets(subset, tuple(_2019_PROTOCOLS), f"ASVspoof 2019 {scenario}"):
        protocol = (
            base
            / f"ASVspoof2019_{scenario}_cm_protocols"
            / f"ASVspoof2019.{scenario}.cm.{_2019_PROTOCOLS[part]}.txt"
        )
        audio_dir = base / f"ASVspoof2019_{scenario}_{part}" / "flac"
        for number, f in _lines(protocol):
            if len(f) != 5:
                raise _bad(
                    protocol,
                    number,
                    f"expected 5 fields (speaker file env attack key), found {len(f)}",
                )
            label = _label(protocol, number, f[4])
            attack = "-" if label == "bonafide" else f[3]
            if label == "spoof" and attack == "-":
                raise _bad(protocol, number, "a spoof line needs an attack id in the fourth field")
            trials.append(
                Trial(
                    _existing(audio_dir / f"{f[1]}.flac", protocol, number),
                    label,
                    attack,
                    f[0],
                    part,
                )
            )
    return trials


def read_asvspoof2019_la(root: Path, subset: str | None = None) -> list[Trial]:
    """ASVspoof 2019 LA (and the local corpus, which uses the same layout)."""
    return _asvspoof2019("LA", Path(root), subset)


def read_asvspoof2019_pa(root: Path, subset: str | None = None) -> list[Trial]:
    """ASVspoof 2019 PA: the attack field holds the replay configuration (AA..CC)."""
    return _asvspoof2019("PA", Path(root), subset)


# ASVspoof 2021 LA and DF ------------------------------------------------------------------------


def _find_one(root: Path, candidates: list[Path], pattern: str) -> Path:
    for path in candidates:
        if path.is_file():
            return path
    found = sorted(root.rglob(pattern))
    if not found:
        raise DatasetError(f"{root}: no {pattern} found; unpack the keys next to the audio.")
    return found[0]


def _flac_index(root: Path, folder_prefix: str) -> dict[str, Path]:
    """File id -> path for every flac under folders named like `folder_prefix*` (DF comes in parts)."""
    index: dict[str, Path] = {}
    dirs = (
        [root] if root.name.startswith(folder_prefix) else sorted(root.rglob(f"{folder_prefix}*"))
    )
    for folder in dirs:
        if folder.is_dir():
            for path in folder.rglob("*.flac"):
                index[path.stem] = path
    return index


def _asvspoof2021(track: str, root: Path, subset: str | None) -> list[Trial]:
    """trial_metadata.txt: speaker file codec source attack key trim subset [vocoder + 4 more for DF]."""
    root = Path(root)
    meta = _find_one(
        root,
        [
            root / "trial_metadata.txt",
            root / "keys" / track / "CM" / "trial_metadata.txt",
            root / f"{track}-keys-full" / "keys" / track / "CM" / "trial_metadata.txt",
        ],
        "trial_metadata.txt",
    )
    index = _flac_index(root, f"ASVspoof2021_{track}_eval")
    expected = 8 if track == "LA" else 13
    trials = []
    for number, f in _lines(meta):
        if len(f) != expected:
            raise _bad(
                meta,
                number,
                f"expected {expected} fields for ASVspoof 2021 {track}, found {len(f)}",
            )
        label = _label(meta, number, f[5])
        if subset is not None and f[7] != subset:
            continue
        if f[1] not in index:
            raise _bad(meta, number, f"audio file {f[1]}.flac was not found under {root}")
        trials.append(Trial(index[f[1]], label, "-" if label == "bonafide" else f[4], f[0], f[7]))
    return trials


def read_asvspoof2021_la(root: Path, subset: str | None = None) -> list[Trial]:
    """ASVspoof 2021 LA eval; `subset` filters the key's progress/eval/hidden column."""
    return _asvspoof2021("LA", root, subset)


def read_asvspoof2021_df(root: Path, subset: str | None = None) -> list[Trial]:
    """ASVspoof 2021 DF eval (audio may be spread over part00..part03 folders)."""
    return _asvspoof2021("DF", root, subset)


# ASVspoof 5 -------------------------------------------------------------------------------------

_ASV5_PARTS = {
    "train": ("T", "ASVspoof5.train"),
    "dev": ("D", "ASVspoof5.dev"),
    "eval": ("E", "ASVspoof5.eval"),
}


def read_asvspoof5(root: Path, subset: str | None = None) -> list[Trial]:
    """ASVspoof 5 `.tsv` protocols (space-separated): speaker file gender codec q seed tag attack key tmp."""
    root = Path(root)
    trials = []
    for part in _subsets(subset, tuple(_ASV5_PARTS), "ASVspoof 5"):
        letter, prefix = _ASV5_PARTS[part]
        protocols = sorted(root.rglob(f"{prefix}*.tsv"))
        if not protocols:
            if subset is None:
                continue
            raise DatasetError(f"{root}: no {prefix}*.tsv protocol found for the {part} subset.")
        index = _flac_index(root, f"flac_{letter}")
        for protocol in protocols:
            for number, f in _lines(protocol):
                if len(f) != 10:
                    raise _bad(
                        protocol, number, f"expected 10 space-separated fields, found {len(f)}"
                    )
                label = _label(protocol, number, f[8])
                if f[1] not in index:
                    raise _bad(
                        protocol, number, f"audio file {f[1]}.flac was not found under {root}"
                    )
                trials.append(
                    Trial(index[f[1]], label, "-" if label == "bonafide" else f[7], f[0], part)
                )
    if not trials:
        raise DatasetError(f"{root}: no ASVspoof5.*.tsv protocol files found.")
    return trials


# In-the-Wild ------------------------------------------------------------------------------------

_ITW_LABELS = {"bona-fide": "bonafide", "bonafide": "bonafide", "spoof": "spoof"}


def read_in_the_wild(root: Path, subset: str | None = None) -> list[Trial]:
    """In-the-Wild `meta.csv` (file,speaker,label with labels bona-fide/spoof); all of it is eval."""
    root = Path(root)
    meta = root / "meta.csv"
    if not meta.is_file():
        raise DatasetError(f"{meta}: not found; point at the release_in_the_wild folder.")
    if subset not in (None, "eval"):
        raise DatasetError(f"In-the-Wild has only the eval subset, not {subset!r}.")
    trials = []
    with meta.open(encoding="utf-8", newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows, None)
        if header is None or [h.strip() for h in header] != ["file", "speaker", "label"]:
            raise _bad(meta, 1, "header must be file,speaker,label")
        for number, row in enumerate(rows, start=2):
            if not row:
                continue
            if len(row) != 3:
                raise _bad(meta, number, f"expected 3 comma-separated fields, found {len(row)}")
            name, speaker, raw = (v.strip() for v in row)
            if raw not in _ITW_LABELS:
                raise _bad(meta, number, f"label {raw!r} is neither bona-fide nor spoof")
            label = _ITW_LABELS[raw]
            trials.append(
                Trial(
                    _existing(root / name, meta, number),
                    label,
                    "-" if label == "bonafide" else "ITW",
                    speaker,
                    "eval",
                )
            )
    return trials


# Plain folders ----------------------------------------------------------------------------------


def read_folder(root: Path, subset: str | None = None) -> list[Trial]:
    """`bonafide/` and `spoof/` folders (optionally inside train/dev/eval). A spoof subfolder
    names the attack; a bonafide subfolder names the speaker (so an evaluation can say whose
    voice was rejected), otherwise the speaker is unknown ("-")."""
    root = Path(root)
    base = root / subset if subset else root
    if not (base / "bonafide").is_dir() and not (base / "spoof").is_dir():
        raise DatasetError(f"{base}: needs a bonafide/ or spoof/ subfolder holding audio files.")
    trials = []
    for label in ("bonafide", "spoof"):
        folder = base / label
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix.lower() in AUDIO_EXTS:
                rel = path.relative_to(folder).parts
                named = rel[0] if len(rel) > 1 else ""
                attack = "-" if label == "bonafide" else (named or "unknown")
                speaker = (named or "-") if label == "bonafide" else "-"
                trials.append(Trial(path, label, attack, speaker, subset or "all"))
    if not trials:
        raise DatasetError(f"{base}: the bonafide/ and spoof/ folders hold no audio files.")
    return trials


READERS: dict[str, Callable[..., list[Trial]]] = {
    "asvspoof2019-la": read_asvspoof2019_la,
    "asvspoof2019-pa": read_asvspoof2019_pa,
    "asvspoof2021-la": read_asvspoof2021_la,
    "asvspoof2021-df": read_asvspoof2021_df,
    "asvspoof5": read_asvspoof5,
    "in-the-wild": read_in_the_wild,
    "folder": read_folder,
}


def read_dataset(kind: str, root: Path, subset: str | None = None) -> list[Trial]:
    """Read a dataset of `kind` (a READERS key) at `root`, optionally one subset."""
    if kind not in READERS:
        raise DatasetError(f"Unknown dataset kind {kind!r}; choose one of {', '.join(READERS)}.")
    if not Path(root).exists():
        raise DatasetError(f"{root}: folder not found.")
    return READERS[kind](Path(root), subset)
