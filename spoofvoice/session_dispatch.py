"""One typed line in, one command run: the part of the session shared by the keyboard and pipes.

Whatever goes wrong — an unknown word, bad arguments, a broken file, a bug — ends as one
printed and spoken sentence, and the session carries on. Ctrl-C cancels only the command.
"""

from __future__ import annotations

import datetime
import difflib
import re
import shlex
import traceback

from spoofvoice.commands import ArgumentError, Command, find, names, session_parser

ALIASES = {"?": "help", "exit": "quit", "bye": "quit", "q": "quit"}
ERROR_LOG = "session-errors.log"
USAGE = 2  # status of a line that named no command or gave bad arguments, as argparse exits


def split_line(line: str) -> list[str]:
    """Words as a shell splits them, so quoted paths with spaces stay whole."""
    return shlex.split(line)


def resolve(word: str) -> Command | None:
    """The session command a typed word names (aliases included), or None."""
    name = ALIASES.get(word.lower(), word.lower())
    return find(name) if name in names("repl") else None


def suggestion(word: str) -> str | None:
    """The closest command name, for "did you mean"."""
    close = difflib.get_close_matches(word.lower(), names("repl"), n=1, cutoff=0.6)
    return close[0] if close else None


def unknown_command_sentence(word: str) -> str:
    guess = suggestion(word)
    if guess:
        return f"Unknown command {word}. Did you mean {guess}?"
    return f"Unknown command {word}. Type help for the list of commands."


def friendly_argument_error(command: Command, message: str) -> str:
    """argparse's wording made into a sentence that says what to type."""
    missing = re.search(r"the following arguments are required: (.+?)\.?$", message)
    if missing:
        return f"{command.name} needs {missing.group(1).lower()}. Type help {command.name} for an example."
    choice = re.search(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.+)\)\.?$", message)
    if choice:
        options = [option.strip(" '") for option in choice.group(3).split(",")]
        listed = ", ".join(options[:-1]) + f" or {options[-1]}" if len(options) > 1 else options[0]
        return f"{command.name} does not know {choice.group(2)}; choose {listed}."
    number = re.search(r"argument (\S+): invalid (float|int) value: '([^']*)'", message)
    if number:
        example = "5" if number.group(2) == "int" else "1.5"
        return f"{command.name} needs a number, such as {command.name} {example}; {number.group(3)} is not one."
    text = message.rstrip(".")
    return f"{text}. Type help {command.name} for how to use it."


def run_line(line: str, context) -> int | None:
    """Run one typed line; returns the command's status (2: not understood), None for a blank line."""
    try:
        words = split_line(line)
    except ValueError:
        context.say("That line has a quote that is not closed. Close it and try again.", "important", earcon="error")
        return USAGE
    if not words:
        return None
    command = resolve(words[0])
    if command is None:
        context.say(unknown_command_sentence(words[0]), "important", earcon="error")
        return USAGE
    try:
        args = session_parser(command).parse_args(words[1:])
    except ArgumentError as error:
        context.say(friendly_argument_error(command, str(error)), "important", earcon="error")
        return USAGE
    try:
        return command.run(args, context)
    except KeyboardInterrupt:  # Ctrl-C: the command and its speech stop, the session stays
        if context.announcer is not None:
            context.announcer.stop()
        context.say(f"Cancelled {command.name}.", "message")
        return 130
    except Exception as error:  # a bug in one command must never end the session
        log = _log_failure(command.name, line)
        context.say(
            f"{command.name} failed unexpectedly ({type(error).__name__}: {error}); details are in {log}.",
            "important",
            earcon="error",
        )
        return 1


def _log_failure(name: str, line: str) -> str:
    """Append the traceback to the session error log; returns where it went."""
    from spoofvoice.paths import data_dir

    path = data_dir() / ERROR_LOG
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"--- {stamp} {line!r}\n{traceback.format_exc()}\n")
    except OSError:
        return "no log (the data folder is not writable)"
    return str(path)
