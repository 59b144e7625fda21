"""The held-out set: speakers reserved for independent evaluation, never in train or dev.

Real speech from asterisk-core-sounds-it-wav, asterisk-core-sounds-ru-wav and the alsa-utils
samples, spoofs from every family made the same way as in the corpus, through the same
channel, written as plain `bonafide/SPEAKER/` and `spoof/SNN/` folders (read them with the
`folder` reader, which takes the speaker and the attack from those subfolders).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path

from training.corpus import sources as sources_mod
from training.corpus.build import CorpusError, plan_jobs, usable_families
from training.corpus.sources import SourceClip, available_sources


def build_heldout(
    out: Path,
    seed: int = 0,
    log: Callable[[str], None] = print,
    workers: int = 2,
    partial: bool = False,
) -> Path:
    """Build about 300 held-out clips (half bonafide) into `out`; return `out`.

    Every reserved source must be installed unless `partial` is set: a set silently built from
    one voice gives numbers that look comparable with the recorded ones and are not.
    """
    from training.corpus.render import render_all

    out = Path(out)
    log(f"corpus: building the held-out set with seed {seed} into {out}")
    installed = available_sources(log, heldout=True)
    wanted = [s for s in sources_mod.SOURCES if s.heldout]
    missing = sorted({s.package for s in wanted} - {s.package for s, _ in installed})
    if missing and (not installed or not partial):
        raise CorpusError(
            f"The held-out set needs {', '.join(missing)}; run: apt-get install "
            f"{' '.join(missing)}"
            + ("" if not installed else ", or add --partial to build it without them")
        )
    speakers: dict[str, list[SourceClip]] = defaultdict(list)
    for source, clips in installed:
        log(f"corpus: held-out source {source.name}: {len(clips)} clips")
        for clip in clips:
            speakers[clip.speaker].append(clip)
    for folder in ("bonafide", "spoof"):
        shutil.rmtree(out / folder, ignore_errors=True)
    families = [dataclasses.replace(f, splits=("eval",)) for f in usable_families(log)]
    names = sorted(speakers)
    ids = {name: f"HO_{i + 1:04d}" for i, name in enumerate(names)}
    name_of = {sid: name for name, sid in ids.items()}
    per_split = {"train": {}, "dev": {}, "eval": dict(speakers)}
    jobs = [
        dataclasses.replace(
            job,
            dest=(
                f"bonafide/{name_of[job.speaker]}/{job.file_id}.flac"
                if job.label == "bonafide"
                else f"spoof/{job.attack}/{job.file_id}.flac"
            ),
        )
        for job in plan_jobs(per_split, families, "heldout", seed + 1_000_003, ids)
    ]
    results = render_all(out, jobs, workers, log)
    counts = Counter(job.attack for job in jobs if results[job.file_id].ok)
    meta = {
        "format": "folder (bonafide/SPEAKER/, spoof/SNN/)",
        "seed": seed,
        "missing_sources": missing,
        "counts": dict(sorted(counts.items())),
        "speakers": {
            ids[n]: {"name": n, "sources": sorted({c.source for c in speakers[n]})} for n in names
        },
        "families": {f.attack: f.description for f in families},
    }
    (out / "heldout.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    log(f"corpus: done, {sum(counts.values())} held-out clips in {out}")
    return out


__all__ = ["build_heldout"]
