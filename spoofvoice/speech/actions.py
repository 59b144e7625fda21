"""The `say` and `speech` commands, as run from the shared command table (CLI and session)."""

from __future__ import annotations

import argparse

from spoofvoice.speech.hooks import clear_speech_cache, say_command, speech_info_lines


def run_say(args: argparse.Namespace, context) -> int:
    """`spoofvoice say TEXT`: speak through the configured voice (the CLI waits until it is said)."""
    return say_command(" ".join(args.text), context.announcer, wait=not context.interactive)


def run_speech(args: argparse.Namespace, context) -> int:
    """`spoofvoice speech`: change voice settings, clear the cache, or describe it all."""
    announcer = context.announcer
    changed: list[str] = []
    try:
        if args.voice:
            announcer.set_engine(args.voice)  # says so itself when it falls back
            changed.append(f"Voice: {announcer.settings.voice}.")
        if args.rate is not None:
            changed.append(f"Rate: {announcer.set_rate(args.rate):g} times.")
        if args.volume is not None:
            changed.append(f"Volume: {round(announcer.set_volume(args.volume) * 100)} percent.")
        if args.verbosity:
            changed.append(f"Verbosity: {announcer.set_verbosity(args.verbosity)}.")
    except ValueError as exc:
        context.say(str(exc), "important", earcon="error")
        announcer.wait_idle(30)
        return 2
    if args.earcons:
        announcer.set_earcons(args.earcons == "on")
        changed.append(f"Earcons: {args.earcons}.")
    if args.unmute:
        announcer.unmute()
        changed.append("Speech on.")
    if args.mute:
        changed.append("Speech muted; lines are still printed.")
    if args.clear_cache:
        removed = clear_speech_cache()
        changed.append(f"Speech cache cleared: {removed} files removed.")
    for line in changed:
        context.say(line)
    if args.mute:
        announcer.wait_idle(30)
        announcer.mute()
    if args.info or not changed:
        for line in speech_info_lines():
            context.say(line)
    announcer.wait_idle(60)
    return 0
