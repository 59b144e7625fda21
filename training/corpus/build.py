"""Build the open spoofing corpus in the exact ASVspoof 2019 LA layout.

Planning (which speaker, family, text and seed each clip gets) happens here in one process,
so the result depends only on the seed; rendering runs in worker processes.
"""

from __future__ import annotations

import json
import multiprocessing
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from training.corpus.families import FAMILIES, Family
from training.corpus.sources import SourceClip, available_sources, extra_sets

SPLITS = ("train", "dev", "eval")
LETTER = {"train": "T", "dev": "D", "eval": "E"}
PROTOCOL = {"train": "train.trn", "dev": "dev.trl", "eval": "eval.trl"}
# clips per split: (bonafide, spoof). "large" is "full" with twice the training clips: its dev
# and eval parts are the same clips, byte for byte, so models trained on either compare directly.
SIZES = {
    "small": {"train": (50, 50), "dev": (25, 25), "eval": (25, 25)},
    "full": {"train": (2600, 2600), "dev": (1000, 1000), "eval": (1500, 1500)},
    "large": {"train": (5200, 5200), "dev": (1000, 1000), "eval": (1500, 1500)},
    "heldout": {"train": (0, 0), "dev": (0, 0), "eval": (150, 150)},
}
BUILD_SIZES = ("small", "full", "large")  # what `build --size` accepts ("heldout" has its own command)
SPLIT_SHARE = {"train": 0.6, "dev": 0.2, "eval": 0.2}
MIN_S, MAX_S = 2.0, 6.0


class CorpusError(Exception):
    """The corpus cannot be built (no source, bad arguments); the message says what to do."""


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to render one clip, decided up front for determinism."""

    split: str
    file_id: str
    label: str
    attack: str
    speaker: str  # corpus id, LA_NNNN
    clips: tuple[str, ...]  # candidate real clips of the speaker, used in order
    origin: tuple[str, str]  # package and language of the first candidate clip
    native_from: str  # a real clip whose rate sets the band of a TTS spoof
    target_s: float
    seed: int
    dest: str = ""  # path under the output folder; empty: the ASVspoof 2019 LA place


def protocol_path(out: Path, split: str) -> Path:
    return out / "LA" / "ASVspoof2019_LA_cm_protocols" / f"ASVspoof2019.LA.cm.{PROTOCOL[split]}.txt"


def flac_path(out: Path, split: str, file_id: str) -> Path:
    return out / "LA" / f"ASVspoof2019_LA_{split}" / "flac" / f"{file_id}.flac"


def assign_speakers(
    speakers: dict[str, list[SourceClip]], rng: np.random.Generator
) -> dict[str, str]:
    """Speaker -> split, disjoint. Speakers that may be one person (same group) go together;
    groups are dealt source by source so each split mixes recording setups."""
    groups: dict[str, list[str]] = defaultdict(list)
    for name in sorted(speakers):
        groups[speakers[name][0].group or name].append(name)
    by_source: dict[str, list[str]] = defaultdict(list)
    for key in sorted(groups):
        by_source[speakers[groups[key][0]][0].source].append(key)
    order: list[str] = []
    for source in sorted(by_source):
        keys = by_source[source]
        order += [keys[i] for i in rng.permutation(len(keys))]
    assigned: dict[str, str] = {}
    counts: Counter = Counter()
    for n, key in enumerate(order):
        total = sum(counts.values()) + len(groups[key])
        if n < len(SPLITS):  # every split gets at least one speaker
            split = SPLITS[n]
        else:
            split = min(SPLITS, key=lambda s: (counts[s] - SPLIT_SHARE[s] * total, SPLITS.index(s)))
        for name in groups[key]:
            assigned[name] = split
        counts[split] += len(groups[key])
    return assigned


def split_clips(
    speakers: dict[str, list[SourceClip]],
    log: Callable[[str], None],
    rng: np.random.Generator,
    train_only: frozenset[str] = frozenset(),
) -> tuple[dict[str, dict[str, list[SourceClip]]], bool]:
    """Per split: speaker -> clips. Speaker-disjoint when there are 3 or more speakers.

    Speakers named in `train_only` go to train and take no part in dealing the others, so
    adding them changes neither which speakers dev and eval get nor their clips (when they
    are the only speakers installed, they are dealt like any, so dev and eval are not empty)."""
    result: dict[str, dict[str, list[SourceClip]]] = {s: {} for s in SPLITS}
    dealt = {name: clips for name, clips in speakers.items() if name not in train_only}
    pinned = {name: clips for name, clips in speakers.items() if name in train_only}
    if dealt and pinned:
        result, disjoint = split_clips(dealt, log, rng)
        result["train"].update(pinned)
        return result, disjoint
    if len(speakers) >= 3:
        for name, split in assign_speakers(speakers, rng).items():
            result[split][name] = speakers[name]
        return result, True
    log(
        f"corpus: only {len(speakers)} speaker(s) installed, so splits share speakers (their clips are disjoint); "
        "install more sources for speaker-disjoint splits"
    )
    for name in sorted(speakers):
        clips = [speakers[name][i] for i in rng.permutation(len(speakers[name]))]
        a, b = int(len(clips) * 0.6), int(len(clips) * 0.8)
        for split, part in zip(SPLITS, (clips[:a], clips[a:b], clips[b:]), strict=True):
            if part:
                result[split][name] = part
    return result, False


def usable_families(log: Callable[[str], None]) -> list[Family]:
    """Families whose tools are installed; each missing one is named with how to install it."""
    usable = []
    for family in FAMILIES:
        hint = family.missing()
        if hint:
            log(
                f"corpus: skipping family {family.attack} ({family.name}): not installed (install with: {hint})"
            )
        else:
            usable.append(family)
    return usable


def _pick_speaker(names: list[str], weights: np.ndarray, rng: np.random.Generator) -> str:
    return names[int(rng.choice(len(names), p=weights))]


def plan_jobs(
    per_split: dict[str, dict[str, list[SourceClip]]],
    families: list[Family],
    size: str,
    seed: int,
    speaker_ids: dict[str, str],
) -> list[Job]:
    """Decide every clip: label, family, speaker, candidate source clips, duration and seed."""
    jobs: list[Job] = []
    for split_no, split in enumerate(SPLITS):
        speakers = per_split[split]
        if not speakers:
            continue
        rng = np.random.default_rng([seed, split_no, 7])
        names = sorted(speakers)
        weights = np.sqrt([len(speakers[n]) for n in names])
        weights = weights / weights.sum()
        n_bona, n_spoof = SIZES[size][split]
        fams = [f for f in families if split in f.splits]
        ids = rng.choice(9_000_000, n_bona + n_spoof, replace=False) + 1_000_000
        labels = ["bonafide"] * n_bona + ["spoof"] * n_spoof
        for i, label in enumerate(labels):
            name = _pick_speaker(names, weights, rng)
            attack = "-" if label == "bonafide" else fams[(i - n_bona) % len(fams)].attack
            pool = speakers[name]
            picks = rng.choice(len(pool), size=min(len(pool), 12), replace=False)
            other = per_split[split][_pick_speaker(names, weights, rng)]
            jobs.append(
                Job(
                    split=split,
                    file_id=f"LA_{LETTER[split]}_{int(ids[i]):07d}",
                    label=label,
                    attack=attack,
                    speaker=speaker_ids[name],
                    clips=tuple(str(pool[int(k)].path) for k in picks),
                    origin=(pool[int(picks[0])].source, pool[int(picks[0])].lang),
                    native_from=str(other[int(rng.integers(len(other)))].path),
                    target_s=float(rng.uniform(MIN_S, MAX_S)),
                    seed=int(rng.integers(1 << 62)),
                )
            )
    return jobs


def _speaker_table(
    per_split: dict[str, dict[str, list[SourceClip]]], last: frozenset[str] = frozenset()
) -> dict[str, dict]:
    """Corpus speaker ids, LA_0001 on, split by split; the speakers in `last` (train-only
    additions) are numbered after all others, so adding them renames nobody."""
    table: dict[str, dict] = {}
    seen: dict[str, str] = {}
    order = [(split, name) for split in SPLITS for name in sorted(per_split[split]) if name not in last]
    order += [(split, name) for split in SPLITS for name in sorted(per_split[split]) if name in last]
    for split, name in order:
        if name not in seen:
            seen[name] = f"LA_{len(seen) + 1:04d}"
            clips = per_split[split][name]
            table[seen[name]] = {
                "name": name,
                "sources": sorted({c.source for c in clips}),
                "langs": sorted({c.lang for c in clips}),
                "splits": [],
            }
        table[seen[name]]["splits"].append(split)
    return table


def _prepare_out(out: Path) -> None:
    """Start from a clean folder; refuse to overwrite something that is not a corpus of ours."""
    la = out / "LA"
    if la.exists() and any(la.iterdir()) and not (out / "corpus.json").exists():
        raise CorpusError(
            f"{la} already holds files that are not a spoofvoice corpus; choose an empty --out folder."
        )
    if la.exists():
        shutil.rmtree(la)
    for name in ("corpus.json", "clips.tsv"):
        (out / name).unlink(missing_ok=True)
    for split in SPLITS:
        flac_path(out, split, "x").parent.mkdir(parents=True, exist_ok=True)
    protocol_path(out, "train").parent.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class Plan:
    """The whole corpus decided up front: jobs, speaker table, families, disjointness."""

    jobs: list[Job]
    speakers: dict[str, dict]
    families: list[Family]
    disjoint: bool


def plan_corpus(
    size: str, seed: int, log: Callable[[str], None], extras: tuple[str, ...] = ()
) -> Plan:
    """Find sources and families, split speakers and plan every clip; no audio is made yet."""
    if size not in BUILD_SIZES:
        raise CorpusError(f"Unknown size {size!r}; use small, full or large.")
    known = extra_sets()
    unknown = sorted(set(extras) - set(known))
    if unknown:
        raise CorpusError(
            f"Unknown extra source set {unknown[0]!r}; use one of: {', '.join(known)}."
        )
    speakers: dict[str, list[SourceClip]] = defaultdict(list)
    train_only: set[str] = set()
    for source, clips in available_sources(log, extras=extras):
        log(
            f"corpus: source {source.name}: {len(clips)} clips, {len({c.speaker for c in clips})} speaker(s)"
            + (", train only" if source.train_only else "")
        )
        for clip in clips:
            speakers[clip.speaker].append(clip)
            if source.train_only:
                train_only.add(clip.speaker)
    if not speakers:
        raise CorpusError(
            "No real speech is installed; run: apt-get install asterisk-core-sounds-en-wav"
        )
    families = usable_families(log)
    per_split, disjoint = split_clips(
        dict(speakers), log, np.random.default_rng([seed, 99]), frozenset(train_only)
    )
    table = _speaker_table(per_split, frozenset(train_only))
    speaker_ids = {info["name"]: sid for sid, info in table.items()}
    return Plan(plan_jobs(per_split, families, size, seed, speaker_ids), table, families, disjoint)


def build_corpus(
    out: Path,
    size: str = "small",
    seed: int = 0,
    log: Callable[[str], None] = print,
    workers: int = 2,
    extras: tuple[str, ...] = (),
) -> Path:
    """Build the corpus into `out` (ASVspoof 2019 LA layout) and return `out`; `extras` names
    the extra source sets to add to train (sources.Source.extra)."""
    from training.corpus.render import render_all

    out = Path(out)
    if size not in BUILD_SIZES:
        raise CorpusError(f"Unknown size {size!r}; use small, full or large.")
    log(f"corpus: building the {size} corpus with seed {seed} into {out}")
    plan = plan_corpus(size, seed, log, tuple(extras))
    _prepare_out(out)
    log(
        f"corpus: {len(plan.speakers)} speakers, {len(plan.families)} families, "
        f"{len(plan.jobs)} clips to make with {workers} workers"
    )
    results = render_all(out, plan.jobs, workers, log)
    _write_outputs(out, plan, results, size, seed, sorted(extras))
    log(f"corpus: done, {sum(1 for r in results.values() if r.ok)} clips in {out / 'LA'}")
    return out


def _write_outputs(
    out: Path, plan: Plan, results: dict, size: str, seed: int, extras: list[str]
) -> None:
    """Protocol files (ASVspoof 2019 LA format), clips.tsv and corpus.json."""
    jobs, table, families = plan.jobs, plan.speakers, plan.families
    lines: dict[str, list[str]] = {s: [] for s in SPLITS}
    rows = ["file\tsplit\tlabel\tattack\tspeaker\tsource\tlang\tdetail\tchannel"]
    counts: dict[str, Counter] = {s: Counter() for s in SPLITS}
    for job in jobs:
        res = results[job.file_id]
        if not res.ok:
            continue
        lines[job.split].append(f"{job.speaker} {job.file_id} - {job.attack} {job.label}")
        rows.append(
            f"{job.file_id}\t{job.split}\t{job.label}\t{job.attack}\t{job.speaker}\t"
            f"{res.source}\t{res.lang}\t{res.detail}\t{res.channel}"
        )
        counts[job.split][job.label] += 1
        if job.label == "spoof":
            counts[job.split][job.attack] += 1
    for split in SPLITS:
        protocol_path(out, split).write_text(
            "".join(line + "\n" for line in lines[split]), encoding="utf-8"
        )
    (out / "clips.tsv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    meta = {
        "format": "ASVspoof 2019 LA",
        "size": size,
        "seed": seed,
        "extras": extras,
        "sample_rate": 16000,
        "speaker_disjoint": plan.disjoint,
        "counts": {s: dict(sorted(counts[s].items())) for s in SPLITS},
        "families": {
            f.attack: {
                "name": f.name,
                "description": f.description,
                "splits": list(f.splits),
                "seen_in_train": "train" in f.splits,
                "built": True,
            }
            for f in families
        },
        "families_missing": [f.attack for f in FAMILIES if f not in families],
        "speakers": table,
        "splits": {
            s: sorted(sid for sid, info in table.items() if s in info["splits"]) for s in SPLITS
        },
    }
    (out / "corpus.json").write_text(
        json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def default_workers() -> int:
    return max(1, min(2, multiprocessing.cpu_count()))
