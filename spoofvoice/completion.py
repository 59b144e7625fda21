"""Tab completion at the session prompt: command names first, then words or file paths.

The first word completes to a command name. After it, commands with fixed choices
(verbosity, earcons, voice, model, help) complete to those choices; everything else completes
to file paths, with spaces escaped so the completed line splits back into the same path.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable

from prompt_toolkit.completion import Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from spoofvoice.commands import names
from spoofvoice.session_dispatch import ALIASES

WORD_CHOICES: dict[str, tuple[str, ...]] = {
    "verbosity": ("brief", "normal", "verbose"),
    "earcons": ("on", "off"),
    "typing-interrupts": ("on", "off"),
    "voice": ("gtts", "espeak", "speechd", "none"),
    "threshold": ("default",),
}


class SessionCompleter(Completer):
    """Completes command names, their fixed words, model names and paths."""

    def __init__(self) -> None:
        self._paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document, complete_event) -> Iterable[Completion]:
        text = document.text_before_cursor
        words = _words(text)
        if not words or (len(words) == 1 and not text.endswith(" ")):
            yield from _matching(words[0] if words else "", names("repl"))
            return
        command = ALIASES.get(words[0].lower(), words[0].lower())
        current = "" if text.endswith(" ") else words[-1]
        position = len(words) if text.endswith(" ") else len(words) - 1
        choices = _choices(command, position, words)
        if choices is not None:
            yield from _matching(current, choices)
            return
        yield from self._path_completions(current, complete_event)

    def _path_completions(self, current: str, complete_event) -> Iterable[Completion]:
        for completion in self._paths.get_completions(Document(current, len(current)), complete_event):
            replaced = current[len(current) + completion.start_position :]
            yield Completion(
                (replaced + completion.text).replace(" ", "\\ "),
                start_position=-len(replaced.replace(" ", "\\ ")),
                display=completion.display,
            )


def _words(text: str) -> list[str]:
    """The words so far; an unfinished quote still gives its words."""
    try:
        return shlex.split(text)
    except ValueError:
        return text.split()


def _choices(command: str, position: int, words: list[str]) -> tuple[str, ...] | list[str] | None:
    """Fixed words for this argument position, or None for a file path."""
    if position == 1 and command in WORD_CHOICES:
        return WORD_CHOICES[command]
    if command == "help" and position == 1:
        return [*names("repl"), "keys"]
    if command == "model":
        if position == 1:
            return ("list", "use", "info")
        if position == 2 and len(words) > 1 and words[1] in ("use", "info"):
            from spoofvoice.detector import list_models

            return list_models()
        return ()
    if command in ("check", "report"):
        return None
    return () if command in names("repl") else None


def _matching(prefix: str, options: Iterable[str]) -> Iterable[Completion]:
    lowered = prefix.lower()
    for option in options:
        if option.lower().startswith(lowered):
            yield Completion(option, start_position=-len(prefix))
