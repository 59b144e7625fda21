"""Each speech-dispatcher priority rule, with a fake engine that records what was spoken."""

from __future__ import annotations

import threading

import pytest
from speech_fakes import fake_announcer, wait_until

from spoofvoice.speech import PRIORITIES
from spoofvoice.speech.priorities import SpeechQueue, Utterance


@pytest.fixture
def rig():
    announcer, engine, events, lines = fake_announcer(duration=0.25)
    yield announcer, engine, events, lines
    announcer.close(timeout=5)


def _start(announcer, engine, text, priority="message"):
    """Say text and wait until the engine is speaking it."""
    count = len(engine.spoken)
    announcer.say(text, priority)
    assert wait_until(lambda: len(engine.spoken) > count)


def test_priority_names_match_speech_dispatcher():
    assert PRIORITIES == ("important", "message", "text", "notification", "progress")


def test_messages_are_spoken_in_order_and_never_cut(rig):
    announcer, engine, events, _ = rig
    for text in ("one", "two", "three"):
        announcer.say(text, "message")
    assert announcer.wait_idle(5)
    assert engine.texts() == ["one", "two", "three"]
    assert events.of("end") == ["one", "two", "three"]
    assert events.of("stopped") == []


def test_important_interrupts_a_message_which_is_then_spoken_again(rig):
    announcer, engine, events, _ = rig
    _start(announcer, engine, "verdict")
    announcer.say("error", "important")
    assert announcer.wait_idle(5)
    assert engine.texts() == ["verdict", "error", "verdict"]
    assert events.of("stopped") == ["verdict"]


def test_important_is_never_interrupted_and_queues_in_order(rig):
    announcer, engine, events, _ = rig
    _start(announcer, engine, "alert one", "important")
    announcer.say("alert two", "important")
    announcer.say("a message", "message")
    announcer.say("more text", "text")
    assert announcer.wait_idle(5)
    assert engine.texts() == ["alert one", "alert two", "a message", "more text"]
    assert events.of("stopped") == []


def test_message_cancels_pending_text_notification_and_progress(rig):
    announcer, engine, events, _ = rig
    _start(announcer, engine, "first")
    announcer.say("stale text", "text")
    announcer.say("second", "message")
    assert announcer.wait_idle(5)
    assert engine.texts() == ["first", "second"]
    assert "stale text" in events.of("dropped")


def test_newest_text_replaces_older_text(rig):
    announcer, engine, events, _ = rig
    _start(announcer, engine, "typing h", "text")
    announcer.say("typing he", "text")
    announcer.say("typing hel", "text")
    announcer.say("typing help", "text")
    assert announcer.wait_idle(5)
    assert engine.texts() == ["typing h", "typing help"]
    assert events.of("interrupted") == ["typing h"]
    assert set(events.of("dropped")) == {"typing he", "typing hel"}


def test_text_waits_for_a_message_being_spoken(rig):
    announcer, engine, events, _ = rig
    _start(announcer, engine, "verdict")
    announcer.say("some text", "text")
    assert announcer.wait_idle(5)
    assert engine.texts() == ["verdict", "some text"]
    assert events.of("stopped") == []


def test_notification_is_cut_when_anything_arrives(rig):
    announcer, engine, events, _ = rig
    _start(announcer, engine, "new file seen", "notification")
    announcer.say("verdict", "message")
    assert announcer.wait_idle(5)
    assert engine.texts() == ["new file seen", "verdict"]
    assert events.of("stopped") == ["new file seen"]


def test_notification_is_dropped_while_something_speaks(rig):
    announcer, engine, events, _ = rig
    _start(announcer, engine, "verdict")
    announcer.say("ping", "notification")
    assert announcer.wait_idle(5)
    assert engine.texts() == ["verdict"]
    assert events.of("dropped") == ["ping"]


def test_progress_is_sparse_but_the_final_one_is_always_spoken(rig):
    announcer, engine, events, lines = rig
    _start(announcer, engine, "Training started.", "progress")
    for epoch in range(2, 6):
        announcer.say(f"Epoch {epoch}.", "progress")
    announcer.say("Training done.", "progress", final=True)
    announcer.say("Epoch after done.", "progress")
    assert announcer.wait_idle(5)
    assert engine.texts() == ["Training started.", "Training done."]
    assert "Epoch 3." in events.of("dropped")
    # every progress line was still printed
    assert lines[:6] == ["Training started.", "Epoch 2.", "Epoch 3.", "Epoch 4.", "Epoch 5.", "Training done."]


def test_final_progress_survives_a_later_message(rig):
    announcer, engine, _, _ = rig
    _start(announcer, engine, "busy")
    announcer.say("Scoring finished.", "progress", final=True)
    announcer.say("Next verdict.", "message")
    assert announcer.wait_idle(5)
    assert engine.texts() == ["busy", "Scoring finished.", "Next verdict."]


def test_stop_cuts_speech_and_cancels_the_queue(rig):
    announcer, engine, events, _ = rig
    _start(announcer, engine, "long one")
    announcer.say("waiting one")
    announcer.say("waiting two")
    announcer.stop()
    assert announcer.wait_idle(2)
    assert engine.texts() == ["long one"]
    assert events.of("stopped") == ["long one"]


def test_mute_prints_but_does_not_speak_and_repeat_speaks_again(rig):
    announcer, engine, _, lines = rig
    announcer.mute()
    announcer.say("quiet verdict")
    assert announcer.wait_idle(2)
    assert engine.texts() == []
    assert lines == ["quiet verdict"]
    announcer.unmute()
    announcer.repeat()
    assert announcer.wait_idle(5)
    assert engine.texts() == ["quiet verdict"]
    assert lines == ["quiet verdict", "quiet verdict"]


def test_repeat_with_empty_history_says_so(rig):
    announcer, engine, _, lines = rig
    announcer.repeat()
    assert lines == ["Nothing to repeat yet."]
    assert engine.texts() == []


def test_history_keeps_the_last_100_newest_last():
    announcer, _, _, lines = fake_announcer(duration=0.0)
    announcer.mute()
    for n in range(130):
        announcer.say(f"line {n}", "notification" if n % 2 else "message")
    assert len(announcer.history) == 100
    assert announcer.history[0] == ("line 30", "message")
    assert announcer.history[-1] == ("line 129", "notification")
    assert len(lines) == 130
    announcer.close()


def test_display_is_printed_and_text_is_spoken(rig):
    announcer, engine, _, lines = rig
    announcer.say("Spoof. 97 percent. interview.", display="interview.wav: spoof (97%)")
    assert announcer.wait_idle(5)
    assert lines == ["interview.wav: spoof (97%)"]
    assert engine.texts() == ["Spoof. 97 percent. interview."]


def test_bad_priority_or_earcon_is_refused_in_one_sentence(rig):
    announcer, _, _, _ = rig
    with pytest.raises(ValueError, match="Unknown priority"):
        announcer.say("x", "urgent")
    with pytest.raises(ValueError, match="Unknown earcon"):
        announcer.say("x", earcon="beep")


def test_many_threads_print_whole_lines_and_speak_without_errors():
    announcer, engine, _, lines = fake_announcer(duration=0.001)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for k in range(25):
                announcer.say(f"thread {n} line {k}", "message")
        except BaseException as exc:  # noqa: BLE001 - any failure fails the test
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert announcer.wait_idle(20)
    announcer.close()
    assert errors == []
    assert sorted(lines) == sorted(f"thread {n} line {k}" for n in range(8) for k in range(25))
    assert len(engine.texts()) == 200
    for n in range(8):  # each thread's messages are spoken in the order it said them
        mine = [t for t in engine.texts() if t.startswith(f"thread {n} ")]
        assert mine == [f"thread {n} line {k}" for k in range(25)]


def test_close_lets_queued_speech_finish_then_stops_the_worker():
    announcer, engine, _, _ = fake_announcer(duration=0.05)
    for text in ("a", "b", "c"):
        announcer.say(text)
    announcer.close(timeout=5)
    assert engine.texts() == ["a", "b", "c"]
    assert announcer._worker is None or not announcer._worker.is_alive()
    announcer.say("after close")  # printed, not spoken, no error
    assert engine.texts() == ["a", "b", "c"]


def test_queue_orders_by_class_then_arrival():
    queue = SpeechQueue()
    for text, priority in [("t", "text"), ("m1", "message"), ("i", "important"), ("m2", "message")]:
        queue.offer(Utterance(text, priority))
    # the text was dropped by the messages; important first, then messages in order
    assert [u.text for u in queue.pending] == ["i", "m1", "m2"]
