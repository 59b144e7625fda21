"""`python -m training.corpus build --out DIR [--size small|full] [--seed N] [--workers K]`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.corpus", description="Build the open spoofing corpus."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build", help="build the corpus in the ASVspoof 2019 LA layout")
    build.add_argument("--out", type=Path, required=True, help="output folder")
    build.add_argument("--size", choices=("small", "full"), default="small")
    build.add_argument("--seed", type=int, default=0)
    build.add_argument(
        "--workers", type=int, default=None, help="worker processes (default: up to 2)"
    )
    args = parser.parse_args(argv)

    from training.corpus.build import CorpusError, build_corpus, default_workers

    try:
        build_corpus(
            args.out,
            size=args.size,
            seed=args.seed,
            log=lambda line: print(line, flush=True),
            workers=args.workers or default_workers(),
        )
    except CorpusError as exc:
        print(f"corpus: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
