"""How a verdict looks as a line and sounds as a sentence, the same everywhere.

`check`, the session and the watch folder all print `SPOOF 97% interview.wav` and speak
"Spoof. 97 percent. interview.", so logs, braille displays and ears read them alike.
"""

from __future__ import annotations

from spoofvoice.speech.phrasing import whole_percent
from spoofvoice.verdict import SPOOF, Verdict


def verdict_line(verdict: Verdict, shown_path: str) -> str:
    """`SPOOF 97% name.wav`, `BONAFIDE 88% name.wav` or `UNCERTAIN 55% spoof name.wav`."""
    return line_for(verdict.label, verdict.spoof_probability, verdict.uncertain, shown_path)


def line_for(label: str, spoof_probability: float, uncertain: bool, shown_path: str) -> str:
    """The verdict line from its stored fields (the history keeps these, not Verdicts)."""
    if uncertain:
        return f"UNCERTAIN {whole_percent(spoof_probability)}% spoof {shown_path}"
    confidence = spoof_probability if label == SPOOF else 1.0 - spoof_probability
    return f"{label.upper()} {whole_percent(confidence)}% {shown_path}"


def error_line(shown_path: str, reason: str, advice: str = "") -> str:
    """`ERROR name.m4a: not an audio file. Give a WAV, FLAC, OGG or MP3 recording.` — what to do
    is on the line too, for a person who reads the screen with speech muted or no sound card."""
    return f"ERROR {shown_path}: {reason}" + (f". {advice}." if advice else "")


def advice_in(sentence: str, reason: str) -> str:
    """What the error sentence (`name: reason. advice.`) tells the person to do, or ''."""
    _, found, rest = sentence.partition(f"{reason}.")
    return rest.strip().rstrip(".") if found else ""


def spoken_verdict(verdict: Verdict, name: str) -> str:
    """"Spoof. 97 percent. interview." — the verdict word first."""
    from spoofvoice.speech.phrasing import spoken_verdict as phrase

    return phrase(verdict.label, verdict.spoof_probability, name, uncertain=verdict.uncertain)


def announce_verdict(context, verdict: Verdict, shown_path: str) -> None:
    """Print the line and speak the sentence; a spoof is `important` with its earcon."""
    spoof = verdict.label == SPOOF and not verdict.uncertain
    context.say(
        spoken_verdict(verdict, shown_path),
        "important" if spoof else "message",
        display=verdict_line(verdict, shown_path),
        earcon="spoof" if spoof else "bonafide",
    )


def announce_error(context, shown_path: str, sentence: str, reason: str) -> None:
    """Print `ERROR path: reason. advice.` and speak the full sentence with the error earcon.
    The advice is read back from the sentence, which every error source already builds, so the
    job store needs no column of its own for it."""
    context.say(sentence, "important", display=error_line(shown_path, reason, advice_in(sentence, reason)), earcon="error")
