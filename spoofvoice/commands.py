"""The one table of commands, shared by the CLI (`spoofvoice NAME ...`) and the session.

Each command names its arguments (an argparse configurator), a one-line summary, a longer
help text that the session speaks, and where its code lives as "module:function". The code
is imported only when the command runs, so listing commands or starting the session never
pulls in numpy, LiteRT or TensorFlow.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Callable
from dataclasses import dataclass

Configure = Callable[[argparse.ArgumentParser], None]


@dataclass(frozen=True)
class Command:
    """One command: its name, help, arguments and the function that runs it."""

    name: str
    summary: str
    details: str
    configure: Configure
    target: str  # "module:function", called as function(args, context) -> exit status
    cli: bool = True
    repl: bool = True

    def run(self, args: argparse.Namespace, context) -> int:
        module, function = self.target.split(":")
        return int(getattr(importlib.import_module(module), function)(args, context) or 0)


def _check_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="audio files or folders (folders are searched recursively)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per input instead of text lines")
    parser.add_argument("--model", metavar="M", help="model name in models/ or path to a model card (default: your chosen model)")
    parser.add_argument("--threshold", type=float, metavar="T", help="decision threshold on the score; higher scores mean more bonafide (default: the model card's)")
    parser.add_argument("--workers", type=int, default=0, metavar="N", help="processes for large folders (default: one per core)")


def _eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", metavar="M", help="model name in models/ or path to a model card (default: your chosen model)")
    parser.add_argument("--dataset", required=True, metavar="KIND", help="asvspoof2019-la, asvspoof2021-la, asvspoof2021-df, asvspoof5, in-the-wild or folder")
    parser.add_argument("--data", required=True, metavar="DIR", help="the dataset's root folder")
    parser.add_argument("--report", metavar="DIR", help="write scores.txt, metrics.json, summary.txt, det.png and roc.png into DIR")
    parser.add_argument("--asv-scores", metavar="FILE", help="the ASVspoof 2019 ASV score file, for min t-DCF")
    parser.add_argument("--subset", metavar="PART", help="which part to evaluate (default: eval for the ASVspoof layouts, everything otherwise)")
    parser.add_argument("--json", action="store_true", help="print metrics.json to standard output")
    parser.add_argument("--workers", type=int, default=0, metavar="N", help="processes for scoring (default: one per core)")


COMMANDS: list[Command] = [
    Command(
        name="check",
        summary="Check audio files or folders: bonafide or spoof.",
        details=(
            "check, then one or more files or folders. Each file gets one line, the verdict first: "
            "spoof or bonafide, then how sure the model is, then the file name. "
            "Folders are searched for audio files. Add dash dash json for machine-readable output."
        ),
        configure=_check_arguments,
        target="spoofvoice.check:run_check",
    ),
    Command(
        name="eval",
        summary="Evaluate a model on a labelled dataset: EER, accuracy and more.",
        details=(
            "eval, then dash dash dataset and the kind, such as folder or asvspoof2019-la, "
            "and dash dash data and the folder. It scores every clip, then says the equal error rate "
            "and the accuracy. Add dash dash report and a folder for the score file, metrics, "
            "a summary and plots. Add dash dash asv-scores with the ASVspoof 2019 ASV score file "
            "for the min t-DCF."
        ),
        configure=_eval_arguments,
        target="training.evaluate:run_eval",
    ),
]


def find(name: str) -> Command | None:
    """The command called `name`, or None."""
    return next((command for command in COMMANDS if command.name == name), None)


def names(where: str = "repl") -> list[str]:
    """Command names available in the CLI (`where="cli"`) or the session."""
    return [c.name for c in COMMANDS if getattr(c, where)]


def register(command: Command) -> None:
    """Add a command to the table (used by modules that define their own)."""
    if find(command.name):
        raise ValueError(f"command {command.name!r} is already defined")
    COMMANDS.append(command)


class ArgumentError(Exception):
    """Bad arguments to a command, said in one sentence (the session must not exit)."""


class _SessionParser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, for use inside the session."""

    def error(self, message: str):  # type: ignore[override]
        raise ArgumentError(f"{self.prog}: {message}.")

    def exit(self, status: int = 0, message: str | None = None):  # type: ignore[override]
        raise ArgumentError(message.strip() if message else f"{self.prog}: done.")


def session_parser(command: Command) -> argparse.ArgumentParser:
    """A parser for one command typed at the session prompt."""
    parser = _SessionParser(prog=command.name, description=command.summary, add_help=False)
    command.configure(parser)
    return parser
