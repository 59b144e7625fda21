"""`spoofvoice` on the command line: subcommands from the shared command table.

With no subcommand it opens the interactive session. Usage errors exit 2, as argparse does.
"""

from __future__ import annotations

import argparse
import os
import sys

from spoofvoice import __version__
from spoofvoice.commands import COMMANDS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spoofvoice",
        description="Tells whether a voice recording is genuine human speech or machine-made. Every result is printed and spoken.",
    )
    parser.add_argument("--version", action="version", version=f"spoofvoice {__version__}")
    parser.add_argument("--no-speech", action="store_true", help="print only; never speak (also SPOOFVOICE_SPEECH=off)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in COMMANDS:
        if command.cli:
            sub = commands.add_parser(command.name, help=command.summary, description=command.summary)
            sub.add_argument("--no-speech", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
            command.configure(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    speech = not getattr(args, "no_speech", False) and os.environ.get("SPOOFVOICE_SPEECH", "on").lower() not in ("off", "0", "no")
    if args.command is None:
        from spoofvoice.repl import run_session

        return run_session(speech=speech)
    from spoofvoice.commands import find
    from spoofvoice.context import Context
    from spoofvoice.speech import make_announcer

    json_mode = bool(getattr(args, "json", False))
    announcer = make_announcer(speech=speech, print_line=None if json_mode else _print_line)
    try:
        return find(args.command).run(args, Context(announcer))
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130
    finally:
        announcer.close()


def _print_line(line: str) -> None:
    print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
