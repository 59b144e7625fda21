"""The arguments of `watch`, `unwatch` and `queue`.

Kept apart from spoofvoice/watch.py because the command table builds every parser when the
CLI or the session starts, and that must not import numpy, SQLite or watchdog.
"""

from __future__ import annotations

import argparse

DEFAULT_MAX_MB = 400  # a 30-minute 48 kHz stereo WAV is about 350 MB
DEFAULT_STABLE_S = 2.0


def configure_watch(parser: argparse.ArgumentParser) -> None:
    """`watch DIR [--poll] [--recursive] [--existing scan|skip] [--sort] ...` (CLI and session)."""
    parser.add_argument("folder", metavar="DIR", help="the folder to watch")
    parser.add_argument("--poll", action="store_true", help="check the folder every second instead of relying on change notices (network folders are polled automatically)")
    parser.add_argument("--recursive", action="store_true", help="watch subfolders too")
    parser.add_argument("--existing", choices=("scan", "skip"), default="scan", help="scan: check clips already in the folder that were never checked (default); skip: only new ones")
    parser.add_argument("--sort", action="store_true", help="move checked files into bonafide/, spoof/ and failed/ subfolders (never overwriting)")
    parser.add_argument("--model", metavar="M", help="model name in models/ or path to a model card (default: your chosen model)")
    parser.add_argument("--threshold", type=float, metavar="T", help="decision threshold on the score; higher scores mean more bonafide (default: the model card's)")
    parser.add_argument("--stable", type=float, default=DEFAULT_STABLE_S, metavar="S", help=f"when polling: seconds a file's size and time must stay the same before it counts as complete (default {DEFAULT_STABLE_S:g})")
    parser.add_argument("--max-mb", type=int, default=DEFAULT_MAX_MB, metavar="MB", help=f"refuse files larger than this before decoding them (default {DEFAULT_MAX_MB})")


def configure_unwatch(parser: argparse.ArgumentParser) -> None:
    """`unwatch [DIR]` (session only)."""
    parser.add_argument("folder", nargs="?", metavar="DIR", help="the folder to stop watching (default: all)")


def configure_queue(parser: argparse.ArgumentParser) -> None:
    """`queue` takes no arguments."""
