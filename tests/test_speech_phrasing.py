"""Spoken sentences: important word first, numbers and file names as people say them."""

from __future__ import annotations

import pytest

from spoofvoice.speech.phrasing import spoken_name, spoken_number, spoken_verdict


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("spoof", 0.97, "interview.wav"), "Spoof. 97 percent. interview."),
        (("bonafide", 0.12, "call.flac"), "Bonafide. 88 percent. call."),
        (("Spoof", 0.999, "a/b/voice_mail-2.mp3"), "Spoof. 99 percent. voice mail 2."),
        (("bonafide", 0.0, "clip"), "Bonafide. 100 percent. clip."),
        (("spoof", 0.97, ""), "Spoof. 97 percent."),
    ],
)
def test_spoken_verdict(args, expected):
    assert spoken_verdict(*args) == expected


def test_uncertain_verdict_states_the_spoof_percent():
    assert spoken_verdict("bonafide", 0.55, "meeting_notes.wav", uncertain=True) == (
        "Uncertain. 55 percent spoof. meeting notes."
    )


def test_unknown_label_is_refused():
    with pytest.raises(ValueError, match="Unknown verdict label"):
        spoken_verdict("maybe", 0.5, "x.wav")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2.3", "2 point 3"), (2.3, "2 point 3"), (12, "12"), (12.0, "12"), (0.05, "0 point 0 5"),
     (4.356, "4 point 3 6"), (-1.5, "minus 1 point 5"), (1000, "1000"), (float("nan"), "not a number")],
)
def test_spoken_number(value, expected):
    assert spoken_number(value) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("interview.wav", "interview"), ("/data/meeting_notes.m4a", "meeting notes"),
     ("call--2024_01.flac", "call 2024 01"), ("README", "README"), ("archive.tar.gz", "archive.tar")],
)
def test_spoken_name(name, expected):
    assert spoken_name(name) == expected
