"""Offline speech-recognition round trip: what the announcer says is what a listener hears.

With SPOOFVOICE_AUDIO_OUT set, the spoken verdicts (espeak-ng en-us+f3) are captured and then
decoded by pocketsphinx with a JSGF grammar of verdict phrases and numbers.
"""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
import soxr

from spoofvoice.settings import Settings
from spoofvoice.speech import make_announcer
from spoofvoice.speech.capture import read_log
from spoofvoice.speech.phrasing import spoken_verdict

GRAMMAR = """#JSGF V1.0;
grammar verdict;
public <verdict> = <label> <number> percent [spoof] [<name>];
<label> = spoof | bonafide | uncertain;
<number> = <tens> [<ones>] | <ones> | <teens> | one hundred;
<tens> = twenty | thirty | forty | fifty | sixty | seventy | eighty | ninety;
<ones> = one | two | three | four | five | six | seven | eight | nine;
<teens> = ten | eleven | twelve | thirteen | fourteen | fifteen | sixteen | seventeen | eighteen | nineteen;
<name> = interview | call | meeting notes | voicemail;
"""


@pytest.fixture(scope="module")
def decoder(tmp_path_factory):
    from pocketsphinx import Decoder

    grammar = tmp_path_factory.mktemp("jsgf") / "verdict.jsgf"
    grammar.write_text(GRAMMAR)
    return Decoder(jsgf=str(grammar), samprate=16000, loglevel="FATAL")


def decode(decoder, path) -> str:
    samples, rate = sf.read(str(path), dtype="float32", always_2d=True)
    mono = soxr.resample(samples.mean(axis=1), rate, 16000)
    pcm = (np.clip(mono, -1, 1) * 32767).astype(np.int16).tobytes()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp else ""


def test_spoken_verdicts_are_recognised_offline(decoder, tmp_path, monkeypatch):
    out = tmp_path / "out"
    monkeypatch.setenv("SPOOFVOICE_AUDIO_OUT", str(out))
    lines: list[str] = []
    announcer = make_announcer(print_line=lines.append, settings=Settings(voice="espeak"))
    verdicts = [
        (spoken_verdict("spoof", 0.97, "interview.wav"), "spoof ninety seven percent interview"),
        (spoken_verdict("bonafide", 0.12, "call.flac"), "bonafide eighty eight percent call"),
        (spoken_verdict("spoof", 0.55, "meeting_notes.m4a", uncertain=True), "uncertain fifty five percent spoof meeting notes"),
    ]
    for text, _ in verdicts:
        announcer.say(text, "message", earcon="spoof")
    assert announcer.wait_idle(20)
    announcer.close()
    log = read_log(out)
    assert [entry["text"] for entry in log] == [text for text, _ in verdicts]
    assert {entry["engine"] for entry in log} == {"espeak"}
    for entry, (_, expected) in zip(log, verdicts, strict=True):
        assert decode(decoder, entry["file"]) == expected
