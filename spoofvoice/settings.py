"""User settings that persist between sessions (one JSON file in the config dir).

Kept as one small dataclass so the REPL, the announcer and the CLI all read the same values,
and an unknown or damaged file never stops the program: bad values fall back to defaults.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from spoofvoice.paths import config_dir

SETTINGS_FILE = "settings.json"


@dataclass
class Settings:
    """Everything a user can change and expects to find again next time."""

    model: str = "default"
    threshold: float | None = None  # None: the model card's threshold
    voice: str = "gtts"  # gtts | espeak | speechd | none
    language: str = "en"
    rate: float = 1.0  # 0.5 .. 2.0
    volume: float = 1.0  # 0.0 .. 1.0
    verbosity: str = "normal"  # brief | normal | verbose
    earcons: bool = True
    muted: bool = False
    offline_voice: str = "en-us+f3"  # espeak-ng voice; offline recognisers understand it
    speech_cache_mb: int = 200  # bound on the gTTS audio cache
    typing_interrupts: bool = True

    def save(self, path: Path | None = None) -> None:
        """Write atomically, so a crash mid-write never leaves a broken file."""
        target = path or config_dir() / SETTINGS_FILE
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".settings-", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2)
        os.replace(tmp, target)


def load_settings(path: Path | None = None) -> Settings:
    """Read settings; keys that are missing, unknown or of the wrong type get defaults."""
    source = path or config_dir() / SETTINGS_FILE
    settings = Settings()
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return settings
    if not isinstance(raw, dict):
        return settings
    for field in fields(Settings):
        if field.name not in raw:
            continue
        value = raw[field.name]
        default = getattr(settings, field.name)
        if field.name == "threshold":
            if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
                settings.threshold = None if value is None else float(value)
        elif isinstance(default, float) and isinstance(value, int | float) and not isinstance(
            value, bool
        ):
            setattr(settings, field.name, float(value))
        elif isinstance(value, type(default)):
            setattr(settings, field.name, value)
    return settings
