"""Short spoken sentences, important word first.

A listener hears the verdict word before anything else, then one number, then the file, so the
answer arrives in the first half second even when the sentence is cut short by the next one.
"""

from __future__ import annotations

import math
import re
from pathlib import PurePath

_LABELS = {"spoof": "Spoof", "bonafide": "Bonafide"}


def spoken_number(x: float | int | str) -> str:
    """Say a number the way a person would: "2.3" -> "2 point 3", 12.0 -> "12".

    Digits after the point are read one by one (as people read decimals aloud); at most two
    decimals are kept, because more is noise to a listener.
    """
    value = float(x)
    if math.isnan(value) or math.isinf(value):
        return "not a number" if math.isnan(value) else ("infinity" if value > 0 else "minus infinity")
    value = round(value, 2)
    sign = "minus " if value < 0 else ""
    value = abs(value)
    if value == int(value):
        return f"{sign}{int(value)}"
    whole, _, fraction = f"{value:.2f}".partition(".")
    fraction = fraction.rstrip("0")
    return f"{sign}{whole} point {' '.join(fraction)}"


def spoken_name(path_or_name: str | PurePath) -> str:
    """A file name as it should be heard: no folder, no extension, separators as spaces."""
    name = PurePath(str(path_or_name)).name
    stem = PurePath(name).stem if PurePath(name).suffix else name
    spoken = re.sub(r"[_\-]+", " ", stem)
    return re.sub(r"\s+", " ", spoken).strip()


def whole_percent(probability: float) -> int:
    """Whole percent, never claiming 100 unless it is exactly certain (or 0 unless exactly 0)."""
    probability = min(max(float(probability), 0.0), 1.0)
    percent = int(round(probability * 100))
    if percent == 100 and probability < 1.0:
        return 99
    if percent == 0 and probability > 0.0:
        return 1
    return percent


def spoken_verdict(label: str, spoof_probability: float, name: str, uncertain: bool = False) -> str:
    """"Spoof. 97 percent. interview." The percent is the confidence in the stated label.

    Uncertain verdicts state the spoof percent ("Uncertain. 55 percent spoof. meeting notes.")
    so the number always has a clear meaning.
    """
    spoken_file = spoken_name(name) if name else ""
    if uncertain:
        parts = ["Uncertain.", f"{whole_percent(spoof_probability)} percent spoof."]
    else:
        key = label.strip().lower()
        if key not in _LABELS:
            raise ValueError(f"Unknown verdict label {label!r}; expected bonafide or spoof.")
        confidence = spoof_probability if key == "spoof" else 1.0 - spoof_probability
        parts = [f"{_LABELS[key]}.", f"{whole_percent(confidence)} percent."]
    if spoken_file:
        parts.append(f"{spoken_file}.")
    return " ".join(parts)
