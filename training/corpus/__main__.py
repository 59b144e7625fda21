"""`python -m training.corpus build --out DIR [--size small|full|large] [--seed N] [--workers K]
[--extra SET]`
and `python -m training.corpus heldout --out DIR [--seed N] [--partial]`
and `python -m training.corpus fotaq --out DIR` (the FOTAQ probe of real game voices)."""

from __future__ import annotations

import argparse
import sys


def configure(parser: argparse.ArgumentParser) -> None:
    """Arguments shared by `python -m training.corpus` and `spoofvoice corpus`."""
    from spoofvoice.commands import corpus_arguments

    corpus_arguments(parser)


def run(args: argparse.Namespace, log) -> int:
    """Build what `args` asks for; a user error is one line and exit status 1."""
    import soundfile

    from training.corpus.build import CorpusError, build_corpus, default_workers
    from training.corpus.fotaq import build_fotaq
    from training.corpus.heldout import build_heldout

    workers = args.workers or default_workers()
    try:
        if args.action == "fotaq":
            build_fotaq(args.out, log=log)
        elif args.action == "heldout":
            build_heldout(args.out, seed=args.seed, log=log, workers=workers, partial=args.partial)
        else:
            build_corpus(
                args.out,
                size=args.size,
                seed=args.seed,
                log=log,
                workers=workers,
                extras=tuple(args.extra),
            )
    except (CorpusError, OSError) as exc:
        log(f"corpus: {exc}")
        return 1
    except soundfile.SoundFileError as exc:  # libsndfile's "System error." on a full disk, say
        log(f"corpus: {str(exc).rstrip('.')}. Check that {args.out} is writable and has free space, then run it again.")
        return 1
    return 0


def run_corpus(args: argparse.Namespace, context) -> int:
    """The `spoofvoice corpus` command: lines are printed, progress spoken now and then."""

    def log(line: str) -> None:
        if "clips made" in line:
            context.say(line.removeprefix("corpus: "), "progress", display=line)
        elif line.startswith("corpus: done"):
            context.say(line.removeprefix("corpus: "), "message", display=line, final=True)
        else:
            context.show(line)

    status = run(args, log)
    if status:
        context.say("Corpus build failed; the line above says why.", "important", earcon="error")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m training.corpus", description="Build the open spoofing corpus."
    )
    configure(parser)
    args = parser.parse_args(argv)
    return run(args, lambda line: print(line, flush=True))


if __name__ == "__main__":
    sys.exit(main())
