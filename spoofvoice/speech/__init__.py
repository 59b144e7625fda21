"""Speech output: the announcer, its engines, player, earcons and phrasing."""

from spoofvoice.speech.announcer import Announcer, make_announcer
from spoofvoice.speech.hooks import clear_speech_cache, say_command, speech_info_lines
from spoofvoice.speech.priorities import PRIORITIES

__all__ = [
    "PRIORITIES",
    "Announcer",
    "clear_speech_cache",
    "make_announcer",
    "say_command",
    "speech_info_lines",
]
