"""The gTTS path end to end with a faked HTTP transport (never the network).

requests.Session.send is replaced by a fake Google endpoint that answers in gTTS's own reply
format with real MP3 audio (espeak-ng speech encoded by ffmpeg), fails to connect, or answers
HTTP 429.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time

import pytest
import requests
import soundfile as sf
from speech_fakes import Events, silent_player

from spoofvoice.paths import cache_dir
from spoofvoice.settings import Settings
from spoofvoice.speech.announcer import Announcer
from spoofvoice.speech.cache import SpeechCache
from spoofvoice.speech.capture import AudioCapture, read_log
from spoofvoice.speech.engines import EspeakEngine, VoiceParams
from spoofvoice.speech.factory import BACKOFF_STATE
from spoofvoice.speech.fallback import FALLBACK_NOTICE, OnlineWithFallback
from spoofvoice.speech.gtts_engine import GttsEngine, OnlineVoiceUnavailable


@pytest.fixture(scope="module")
def mp3_bytes(tmp_path_factory) -> bytes:
    """Real MP3 speech, as the gTTS service would send."""
    folder = tmp_path_factory.mktemp("mp3")
    wav, mp3 = folder / "voice.wav", folder / "voice.mp3"
    subprocess.run(["espeak-ng", "-v", "en-us+f3", "-w", str(wav), "Hello from the cloud."], check=True)
    subprocess.run(
        ["ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", str(wav), "-codec:a", "libmp3lame", "-b:a", "32k", str(mp3)],
        check=True,
    )
    return mp3.read_bytes()


class FakeGoogle:
    """Stands in for translate.google.com: mode is ok, connection, 429 or drop-second."""

    def __init__(self, mp3: bytes, mode: str = "ok") -> None:
        self.mp3 = mp3
        self.mode = mode
        self.calls = 0

    def reply(self, request, status: int, audio: bytes | None) -> requests.Response:
        response = requests.Response()
        response.status_code = status
        response.request = request
        response.url = request.url
        if audio is not None:
            b64 = base64.b64encode(audio).decode("ascii")
            body = ')]}\'\n\n[["wrb.fr","jQ1olc","[\\"' + b64 + '\\"]",null,null,null,"generic"]]\n'
        else:
            body = "Too Many Requests"
        response._content = body.encode("utf-8")
        response._content_consumed = True
        return response

    def send(self, session, request, **kwargs):
        self.calls += 1
        assert kwargs.get("timeout") is not None, "gTTS must always be called with a timeout"
        if self.mode == "connection":
            raise requests.exceptions.ConnectionError("Failed to resolve 'translate.google.com'")
        if self.mode == "429":
            return self.reply(request, 429, None)
        if self.mode == "drop-second" and self.calls >= 2:
            raise requests.exceptions.ConnectionError("connection reset by peer")
        return self.reply(request, 200, self.mp3)


@pytest.fixture
def google(monkeypatch, mp3_bytes):
    fake = FakeGoogle(mp3_bytes)
    monkeypatch.setattr(requests.Session, "send", lambda session, request, **kw: fake.send(session, request, **kw))
    return fake


def _cache_files(cache: SpeechCache) -> list[str]:
    return sorted(p.name for p in cache.root.iterdir())


def test_first_call_fetches_and_caches_second_makes_no_request(google, mp3_bytes):
    cache = SpeechCache()
    params = VoiceParams()
    first = GttsEngine(cache).synthesize("Spoof. 97 percent. interview.", params)
    assert google.calls == 1
    assert first.engine == "gtts" and first.path.read_bytes() == mp3_bytes
    again = GttsEngine(SpeechCache()).synthesize("Spoof. 97 percent. interview.", params)
    assert google.calls == 1
    assert again.path == first.path
    assert _cache_files(cache) == [first.path.name]


def test_cache_key_covers_language(google):
    cache = SpeechCache()
    engine = GttsEngine(cache)
    a = engine.synthesize("Hello.", VoiceParams(language="en"))
    b = engine.synthesize("Hello.", VoiceParams(language="fr"))
    assert google.calls == 2 and a.path != b.path


def test_failed_multi_part_download_leaves_no_partial_file(google):
    google.mode = "drop-second"
    cache = SpeechCache()
    long_text = "This sentence is long enough that gTTS has to split it in two parts. " * 3
    with pytest.raises(OnlineVoiceUnavailable):
        GttsEngine(cache).synthesize(long_text, VoiceParams())
    assert google.calls >= 2
    assert _cache_files(cache) == []


@pytest.mark.parametrize("mode", ["connection", "429"])
def test_failure_falls_back_to_offline_voice_at_once_and_says_so_once(google, mode, tmp_path):
    google.mode = mode
    lines: list[str] = []
    events = Events()
    starts: dict[str, float] = {}

    def observer(event, item):
        events(event, item)
        if event == "start":
            starts.setdefault(item.text, time.monotonic())

    announcer = Announcer(
        Settings(voice="gtts"), print_line=lines.append, player=silent_player(),
        capture=AudioCapture(tmp_path), persist=False, observer=observer,
    )
    said_at = time.monotonic()
    announcer.say("Spoof. 97 percent. interview.")
    assert announcer.wait_idle(10)
    first_delay = starts["Spoof. 97 percent. interview."] - said_at
    assert first_delay < 0.5, f"fallback took {first_delay:.3f} s"
    calls_after_first = google.calls
    announcer.say("Bonafide. 88 percent. call.")
    assert announcer.wait_idle(10)
    announcer.close()
    assert google.calls == calls_after_first == 1  # backing off: the second phrase never tried
    assert lines.count(FALLBACK_NOTICE) == 1
    log = read_log(tmp_path)
    spoken = {entry["text"]: entry for entry in log}
    assert spoken["Spoof. 97 percent. interview."]["engine"] == "espeak"
    assert spoken["Bonafide. 88 percent. call."]["engine"] == "espeak"
    assert spoken[FALLBACK_NOTICE]["engine"] == "espeak"
    assert all(os.path.getsize(entry["file"]) > 1000 for entry in log)
    assert _cache_files(SpeechCache()) == []


def test_back_off_outlives_the_process_then_retries(google, mp3_bytes):
    google.mode = "connection"
    now = [1_000_000.0]
    state = cache_dir() / "backoff-test.json"

    def voice():
        return OnlineWithFallback(GttsEngine(SpeechCache()), EspeakEngine(), state, clock=lambda: now[0])

    assert voice().synthesize("One.", VoiceParams()).engine == "espeak"
    assert google.calls == 1
    # a new process (new object) while resting: no request at all
    assert voice().synthesize("Two.", VoiceParams()).engine == "espeak"
    assert google.calls == 1
    # the back-off ends, the network is back: gTTS again, and the back-off is forgotten
    google.mode = "ok"
    now[0] += 61
    result = voice().synthesize("Three.", VoiceParams())
    assert result.engine == "gtts" and result.path.read_bytes() == mp3_bytes
    assert google.calls == 2
    assert json.loads(state.read_text()) == {}


def test_a_resting_online_voice_is_announced_before_the_first_words(google, tmp_path):
    google.mode = "connection"
    state = cache_dir() / BACKOFF_STATE
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps({"failures": 1, "until": time.time() + 600}))
    lines: list[str] = []
    announcer = Announcer(Settings(voice="gtts"), print_line=lines.append, player=silent_player(),
                          capture=AudioCapture(tmp_path), persist=False)
    assert lines == [FALLBACK_NOTICE]  # before the session has said anything
    announcer.say("Goodbye.")
    assert announcer.wait_idle(10)
    announcer.close()
    assert lines == [FALLBACK_NOTICE, "Goodbye."]
    assert google.calls == 0
    assert [entry["text"] for entry in read_log(tmp_path)] == [FALLBACK_NOTICE, "Goodbye."]


def test_cached_phrases_still_use_the_online_voice_when_offline(google):
    cache_params = VoiceParams()
    GttsEngine(SpeechCache()).synthesize("Done.", cache_params)
    google.mode = "connection"
    voice = OnlineWithFallback(GttsEngine(SpeechCache()), EspeakEngine(), cache_dir() / "b.json")
    assert voice.synthesize("Done.", cache_params).engine == "gtts"
    assert google.calls == 1


def test_announcer_speaks_gtts_audio_into_the_capture_folder(google, mp3_bytes, tmp_path):
    lines: list[str] = []
    announcer = Announcer(
        Settings(voice="gtts"), print_line=lines.append, player=silent_player(),
        capture=AudioCapture(tmp_path), persist=False,
    )
    announcer.say("Bonafide. 88 percent. call.", earcon="bonafide")
    assert announcer.wait_idle(10)
    announcer.close()
    [entry] = read_log(tmp_path)
    assert entry["engine"] == "gtts" and entry["priority"] == "message"
    assert entry["earcon"] == "bonafide"
    assert open(entry["file"], "rb").read() == mp3_bytes
    assert lines == ["Bonafide. 88 percent. call."]


def test_rate_change_applies_to_gtts_audio_without_new_requests(google):
    cache = SpeechCache()
    engine = GttsEngine(cache)
    normal = engine.synthesize("Hello.", VoiceParams(rate=1.0))
    fast = engine.synthesize("Hello.", VoiceParams(rate=1.5))
    slow = engine.synthesize("Hello.", VoiceParams(rate=0.75, volume=0.5))
    assert google.calls == 1
    base = sf.info(str(normal.path)).duration
    assert sf.info(str(fast.path)).duration == pytest.approx(base / 1.5, rel=0.12)
    assert sf.info(str(slow.path)).duration == pytest.approx(base / 0.75, rel=0.12)
    quiet, _ = sf.read(str(slow.path))
    loud, _ = sf.read(str(engine.synthesize("Hello.", VoiceParams(rate=0.75)).path))
    assert abs(quiet).max() == pytest.approx(abs(loud).max() * 0.5, rel=0.1)
    # derived audio is cached too
    assert engine.synthesize("Hello.", VoiceParams(rate=1.5)).path == fast.path


def test_cache_is_bounded_and_drops_the_least_recently_used(tmp_path):
    cache = SpeechCache(tmp_path / "c", max_bytes=3500)
    for n in range(3):
        path = cache.store(f"k{n}", bytes(1000), ".mp3")
        os.utime(path, (1000 + n, 1000 + n))
    # k0 is the oldest but is used now, so k1 becomes the least recently used
    assert cache.lookup("k0", ".mp3") is not None
    cache.store("k3", bytes(1000), ".mp3")
    assert sorted(p.name for p in cache.root.iterdir()) == ["k0.mp3", "k2.mp3", "k3.mp3"]
    assert cache.stats() == (3, 3000)


def test_partial_files_left_by_a_dead_download_are_removed_once_stale(tmp_path):
    cache = SpeechCache(tmp_path / "c")
    stale, fresh = cache.temp_path(".mp3"), cache.temp_path(".mp3")  # the second is mid-download
    os.utime(stale, (time.time() - 2 * 3600,) * 2)
    cache.store("a", b"ID3abc", ".mp3")
    assert not stale.exists()
    assert fresh.exists()
    assert cache.stats() == (1, 6)


def test_clear_removes_everything(tmp_path):
    cache = SpeechCache(tmp_path / "c")
    cache.store("a", b"ID3abc", ".mp3")
    cache.temp_path(".mp3")  # a stray partial file from a crash
    assert cache.clear() == 2
    assert cache.stats() == (0, 0)


def test_rate_change_works_without_ffmpeg(google, monkeypatch):
    import spoofvoice.speech.audio_fx as audio_fx

    engine = GttsEngine(SpeechCache())
    normal = engine.synthesize("Hello.", VoiceParams())
    monkeypatch.setattr(audio_fx.shutil, "which", lambda name: None)
    fast = engine.synthesize("Hello.", VoiceParams(rate=2.0))
    assert sf.info(str(fast.path)).duration == pytest.approx(sf.info(str(normal.path)).duration / 2, rel=0.12)
