"""`report FILE`: the verdict history written as CSV or JSON, chosen by the file's extension.

Written to a temporary file and renamed, so a full disk or Ctrl-C never leaves half a report
where the user expects a whole one.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from pathlib import Path

COLUMNS = ("scored_at", "path", "label", "score", "spoof_probability", "duration_s", "model", "uncertain", "source")
FORMATS = {".csv": "csv", ".json": "json"}


class ReportError(Exception):
    """A report that cannot be written, said in one sentence."""


def report_format(path: Path) -> str:
    """`csv` or `json` from the extension; anything else is one clear sentence."""
    kind = FORMATS.get(path.suffix.lower())
    if kind is None:
        raise ReportError(f"{path.name}: choose a file name ending in .csv or .json.")
    return kind


def write_report(rows: list[dict], path: Path) -> str:
    """Write rows (newest first, as the store gives them) to path; returns the format used."""
    kind = report_format(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ReportError(f"{path.name}: the folder {folder} does not exist. Create it or choose another.")
    records = [{column: row.get(column) for column in COLUMNS} for row in rows]
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}-", suffix=".tmp")
    except OSError as error:
        raise ReportError(f"{path.name}: cannot write in {folder} ({error.strerror}). Choose another folder.") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            if kind == "csv":
                writer = csv.DictWriter(handle, fieldnames=COLUMNS)
                writer.writeheader()
                writer.writerows(records)
            else:
                json.dump(records, handle, indent=2)
                handle.write("\n")
        os.replace(tmp, path)
    except BaseException as error:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(error, OSError):
            raise ReportError(f"{path.name}: could not be written ({error.strerror}).") from None
        raise
    return kind
