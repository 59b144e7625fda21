"""The session's keys: stop speech, repeat the last message, speak help.

One table (`KEYS`) is what `help keys` says and what the README lists, and `key_bindings`
binds exactly those keys, so the spoken list and the real bindings cannot drift apart.
prompt_toolkit is imported only by `key_bindings`, which the interactive loop calls.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Key:
    """One binding: the keys as prompt_toolkit names them, how a person says them, what it does."""

    keys: tuple[str, ...]
    spoken: str
    action: str


STOP_KEYS = Key(("escape", "f2"), "Escape or F2", "stops speech at once")
REPEAT_KEYS = Key(("f3", "c-o"), "F3 or Control O", "repeats the last message")
HELP_KEYS = Key(("f1",), "F1", "speaks help")

# Keys handled by prompt_toolkit itself, listed so `help keys` tells the whole story.
BUILT_IN: tuple[tuple[str, str], ...] = (
    ("Tab", "completes a command name or a file path"),
    ("Up and Down arrows", "step through earlier commands, kept between sessions"),
    ("Control R", "searches earlier commands"),
    ("Control C", "cancels the command that is running, or clears the line and stops speech"),
    ("Control D", "on an empty line, leaves the session"),
)

KEYS: tuple[Key, ...] = (STOP_KEYS, REPEAT_KEYS, HELP_KEYS)
ESCAPE_WAIT_S = 0.05  # how long Escape waits for a following key before it counts alone


def key_help_lines(typing_interrupts: bool) -> list[str]:
    """One sentence per binding, the keys first: `F1: speaks help.`"""
    lines = [f"{key.spoken}: {key.action}." for key in KEYS]
    lines += [f"{spoken}: {action}." for spoken, action in BUILT_IN]
    state = "on" if typing_interrupts else "off"
    lines.append(f"Typing stops speech; this is {state}. Change it with: typing-interrupts on or off.")
    return lines


def key_bindings(stop: Callable[[], None], repeat: Callable[[], None], speak_help: Callable[[], None]):
    """prompt_toolkit bindings for the session's own keys; the handlers never redraw the screen."""
    from prompt_toolkit.key_binding import KeyBindings

    bindings = KeyBindings()
    for key, handler in ((STOP_KEYS, stop), (REPEAT_KEYS, repeat), (HELP_KEYS, speak_help)):
        for name in key.keys:
            bindings.add(name)(_ignore_event(handler))
    return bindings


def _ignore_event(handler: Callable[[], None]):
    """prompt_toolkit passes the key event; our handlers do not need it."""

    def on_key(event) -> None:
        handler()

    return on_key
