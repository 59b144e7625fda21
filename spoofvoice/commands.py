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
from pathlib import Path

from spoofvoice.watch_args import configure_queue, configure_unwatch, configure_watch

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


def _train_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, metavar="CONFIG", help="experiment config: a name in training/configs (seed-mlp, lcnn-logmel...) or a path")
    parser.add_argument("--dataset", required=True, metavar="KIND", help="asvspoof2019-la (also the local corpus), asvspoof2021-la, asvspoof2021-df, asvspoof5, in-the-wild or folder")
    parser.add_argument("--data", required=True, metavar="DIR", help="the dataset's root folder")
    parser.add_argument("--epochs", type=int, metavar="N", help="override the config's number of epochs")
    parser.add_argument("--out", metavar="NAME", help="model name to save as in models/ (default: the config's name)")
    parser.add_argument("--models-dir", metavar="DIR", help="where to save the model (default: the project's models/ folder)")
    parser.add_argument("--strategy", choices=("default", "mirrored", "multi-worker"), default="default", help="tf.distribute strategy; multi-worker reads TF_CONFIG")
    parser.add_argument("--band", type=float, metavar="B", help="uncertainty band around the threshold, in score units (overrides the config)")
    parser.add_argument("--workers", type=int, default=0, metavar="N", help="processes for feature extraction (default: one per core)")
    parser.add_argument("--threads", type=int, metavar="N", help="TensorFlow threads for training (overrides the config; another count gives another model)")


def train_arguments(parser: argparse.ArgumentParser) -> None:
    """The train options, shared by `spoofvoice train` and `python -m training.train`."""
    _train_arguments(parser)


def corpus_arguments(parser: argparse.ArgumentParser) -> None:
    """The corpus options, shared by `spoofvoice corpus` and `python -m training.corpus` (defined
    here, so listing commands never imports training code, and once, so the two cannot drift)."""
    parser.add_argument(
        "action",
        choices=("build", "heldout", "fotaq"),
        help="build: the corpus in the ASVspoof 2019 LA layout; heldout: the reserved evaluation set; "
        "fotaq: real voices of a game's cast, in no split (check them with spoofvoice check)",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument("--size", choices=("small", "full", "large"), default="small", help="small: about 200 clips; full: about 10,000; large: full with twice the training clips")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="same seed, same corpus")
    parser.add_argument("--workers", type=int, default=0, metavar="N", help="worker processes (default: up to 2)")
    parser.add_argument("--extra", action="append", default=[], metavar="SET", help="build: add an extra set of train-only real voices (games: game voice acting)")
    parser.add_argument("--partial", action="store_true", help="heldout: build from the reserved voices that are installed, not refuse")


def _say_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="+", metavar="TEXT", help="the words to speak")


def _speech_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--info", action="store_true", help="show the voice, the speech cache and the sound output (the default)")
    parser.add_argument("--clear-cache", action="store_true", help="delete the cached online-voice audio")
    parser.add_argument("--voice", metavar="NAME", help="gtts (online, default), espeak (offline), speechd (your screen reader's voice) or none")
    parser.add_argument("--rate", type=float, metavar="X", help="speaking rate from 0.5 to 2 times")
    parser.add_argument("--volume", type=float, metavar="X", help="volume from 0 to 1")
    parser.add_argument("--verbosity", choices=("brief", "normal", "verbose"), help="how much is said about each result")
    parser.add_argument("--earcons", choices=("on", "off"), help="short tones before verdicts")
    parser.add_argument("--mute", action="store_true", help="stop speaking; lines are still printed")
    parser.add_argument("--unmute", action="store_true", help="speak again")


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
    Command(
        name="train",
        summary="Train a model from an experiment config on a labelled dataset.",
        details=(
            "train, then dash dash config and a config name such as seed-mlp, dash dash dataset and "
            "the kind, and dash dash data and the folder. Progress is spoken now and then; at the end "
            "the dev equal error rate is spoken and the model is saved in the models folder."
        ),
        configure=_train_arguments,
        target="training.train:run_train",
    ),
    Command(
        name="corpus",
        summary="Build the open spoofing corpus from real voices and many speech generators.",
        details=(
            "corpus build, then dash dash out and a folder. It writes real recordings and machine-made "
            "speech in the ASVspoof 2019 LA layout, ready for train. Add dash dash size full for about "
            "ten thousand clips, and dash dash seed for another draw. corpus heldout builds the "
            "evaluation set from voices never used in training. corpus fotaq makes a probe of a "
            "game cast's real voices, to check with the check command."
        ),
        configure=corpus_arguments,
        target="training.corpus.__main__:run_corpus",
    ),
    Command(
        name="say",
        summary="Speak some words with your chosen voice.",
        details=(
            "say, then the words. They are printed and spoken with your chosen voice, "
            "so you can hear the voice, its rate and its volume."
        ),
        configure=_say_arguments,
        target="spoofvoice.speech.actions:run_say",
    ),
    Command(
        name="speech",
        summary="Voice settings and the speech cache: show, change or clear.",
        details=(
            "speech on its own says which voice is used, how big the speech cache is and whether "
            "sound can be played. Add dash dash voice and gtts, espeak, speechd or none to change "
            "the voice; dash dash rate and a number from 0.5 to 2; dash dash volume from 0 to 1; "
            "dash dash verbosity brief, normal or verbose; dash dash earcons on or off; "
            "dash dash mute or dash dash unmute; dash dash clear-cache to delete cached audio."
        ),
        configure=_speech_arguments,
        target="spoofvoice.speech.actions:run_speech",
    ),
    Command(
        name="watch",
        summary="Watch a folder: every new clip in it is checked and its verdict said.",
        details=(
            "watch, then a folder. Each clip that is saved or moved into it is checked once, in the "
            "order it arrived, and its verdict is said. Clips already there that were never checked "
            "are checked first; add dash dash existing skip to leave them. Add dash dash recursive for "
            "subfolders, dash dash sort to move checked files into bonafide, spoof and failed folders, "
            "and dash dash poll for network folders. In the session it runs in the background; on the "
            "command line it runs until Control C."
        ),
        configure=configure_watch,
        target="spoofvoice.watch:run_watch",
    ),
    Command(
        name="unwatch",
        summary="Stop watching a folder, or all folders.",
        details="unwatch, then a folder, stops watching it. unwatch alone stops watching every folder. Clips still queued are checked when you watch the folder again.",
        configure=configure_unwatch,
        target="spoofvoice.watch:run_unwatch",
        cli=False,
    ),
    Command(
        name="queue",
        summary="How many clips wait in the watch queue, and which one is being checked.",
        details="queue says, for each watched folder, how many clips wait and which clip is being checked now.",
        configure=configure_queue,
        target="spoofvoice.watch:run_queue",
    ),
]


# ----- the interactive session's own commands (spoofvoice/session_commands.py) --------------


def _no_arguments(parser: argparse.ArgumentParser) -> None:
    """Commands that take nothing after their name."""


def _session(name: str, summary: str, details: str, configure: Configure = _no_arguments) -> Command:
    """A session-only command whose code is spoofvoice.session_commands:run_NAME."""
    function = "run_" + name.replace("-", "_")
    return Command(name, summary, details, configure, f"spoofvoice.session_commands:{function}", cli=False)


def _history_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("count", nargs="?", type=int, default=10, metavar="N", help="how many verdicts (default 10)")


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="where to write: a name ending in .csv or .json")


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", choices=("list", "use", "info"), help="list the models, use one, or describe one")
    parser.add_argument("name", nargs="?", metavar="NAME", help="the model to use or describe")


def _threshold_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("value", nargs="?", metavar="VALUE", help="a number, or default for the model's own")


def _number_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("value", type=float, metavar="VALUE", help="a number")


def _voice_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("engine", nargs="?", metavar="ENGINE", help="gtts, espeak, speechd or none")


def _verbosity_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("level", choices=("brief", "normal", "verbose"), metavar="brief|normal|verbose")


def _stop_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("what", nargs="?", choices=["speech", "training", "evaluation"], help="what to stop (default: speech)")


def _on_off_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("state", choices=("on", "off"), metavar="on|off")


def _help_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("topic", nargs="?", metavar="COMMAND", help="a command name, or keys")


COMMANDS += [
    _session("history", "Say the most recent verdicts, newest first.", "history, then how many, such as history 5. Without a number, the last 10 verdicts are said, newest first.", _history_arguments),
    _session("report", "Save the verdict history to a CSV or JSON file.", "report, then a file name ending in dot csv or dot json. Every verdict in the history is written to it, newest first.", _report_arguments),
    _session("model", "Which model is in use; list, use or describe models.", "model alone says which model is in use. model list names the installed models. model use, then a name, switches to it. model info describes the model: how it was trained and how well it did.", _model_arguments),
    _session("threshold", "Say or set the decision threshold.", "threshold alone says the threshold. threshold, then a number, sets it: scores below it are spoof. threshold default returns to the model's own.", _threshold_arguments),
    _session("repeat", "Say the last message again.", "repeat says the last message again. F3 does the same."),
    _session("stop", "Stop speaking now, or stop training or evaluation.", "stop silences speech at once and drops what was waiting. Escape does the same. stop training ends a training run after the current batch and keeps the best model so far; stop evaluation ends an evaluation.", _stop_arguments),
    _session("results", "Say the last evaluation summary again.", "results repeats the summary of the last evaluation: the equal error rate and accuracy, and more at verbose."),
    _session("mute", "Stop all speech until unmute; lines are still printed.", "mute stops all speech; every line is still printed. unmute brings speech back."),
    _session("unmute", "Speak again after mute.", "unmute turns speech back on after mute."),
    _session("rate", "Set how fast speech is, from 0.5 to 2 times.", "rate, then a number from 0.5 to 2: 1 is normal, 2 is twice as fast.", _number_argument),
    _session("volume", "Set the speech volume, from 0 to 100 percent.", "volume, then a percent from 0 to 100, or a fraction from 0 to 1.", _number_argument),
    _session("voice", "Say or change the voice: gtts, espeak, speechd or none.", "voice alone says which voice speaks. voice, then gtts for the online voice, espeak for the offline voice, speechd for your screen reader's voice, or none for text only.", _voice_arguments),
    _session("verbosity", "How much is said: brief, normal or verbose.", "verbosity, then brief, normal or verbose. Brief says the least; verbose adds details.", _verbosity_arguments),
    _session("earcons", "Turn the short tones before verdicts on or off.", "earcons on or earcons off. Earcons are short tones before a verdict: a rising pair for bonafide, falling buzzes for spoof, a low tone for errors.", _on_off_argument),
    _session("typing-interrupts", "Whether typing stops speech: on or off.", "typing-interrupts on makes any key you type stop speech; off lets speech finish while you type.", _on_off_argument),
    _session("status", "Where am I: model, threshold, voice, settings, watch queue.", "status says the model and whether it is loaded, the threshold, the voice, rate and volume, verbosity, earcons, and how many clips wait in the watch queue."),
    _session("help", "Say the commands, one command's help, or the keys.", "help alone lists the commands. help, then a command name, explains it. help keys lists the keys. F1 speaks help.", _help_arguments),
    _session("quit", "Leave the session. Control D does the same.", "quit leaves the session; your settings and command history are kept. Control D does the same."),
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
