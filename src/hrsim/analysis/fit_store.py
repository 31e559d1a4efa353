"""The fit folder: a new fit, the same fit continued, or another fit refused.

A fit writes into its folder as it goes (pyabc's database after each generation, every
finished batch of candidates), so that an interrupted fit continues where it stopped. The
folder's ``fit-settings.json`` records what defines the fit (its fingerprint: the data,
priors, scenario and settings; not the workers). Running a command again:

- into a new or empty folder: starts the fit;
- into a folder with the same fingerprint: continues it (or, when it is finished, only
  redoes the checks and outputs, which are quick);
- into a folder with another fit: refused, one line, unless ``--force``, which removes
  hrsim's fit files there and starts again (other files are kept);
- into a folder with anything else: refused, one line, ``--force`` included.
"""

from __future__ import annotations

import json
import shutil
from contextlib import suppress
from pathlib import Path
from typing import Any

from hrsim.analysis.posterior import CANDIDATES, DATABASE, SCALES, SETTINGS_FILE
from hrsim.files import write_text_atomic
from hrsim.outputs import OutputError

#: What the outputs step writes (hrsim.reporting.fit_page), after the fit itself.
OUTPUT_FILES = (
    "posterior.csv",
    "generations.csv",
    "predictive.csv",
    "intervals.csv",
    "fit.json",
    "predictive.png",
    "parameters.png",
    "fit.html",
    "scenario.toml",
)
_OWN = (SETTINGS_FILE, DATABASE, CANDIDATES, SCALES, *OUTPUT_FILES)


def open_fit_folder(
    folder: Path, fingerprint: str, describe: dict[str, Any], *, force: bool
) -> bool:
    """Make ``folder`` ready for the fit ``fingerprint``; True if it continues a fit there."""
    shown = str(folder)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--out {shown} is a file, not a folder")
    entries = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    marker = folder / SETTINGS_FILE
    if marker.is_file():
        try:
            previous = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            previous = {}
        if previous.get("fingerprint") == fingerprint:
            record = {"fingerprint": fingerprint, **describe}  # the same fit, described anew
            write_text_atomic(marker, json.dumps(record, indent=2, default=str) + "\n")
            return True
        if not force:
            raise OutputError(
                f"--out {shown} holds another fit ({_what(previous)}); give another --out, "
                "or --force to start this one there (hrsim's fit files are removed, yours kept)"
            )
        for name in _OWN:
            path = folder / name
            if path.is_dir():
                shutil.rmtree(path)
            else:
                with suppress(FileNotFoundError):
                    path.unlink()
    elif entries:
        raise OutputError(
            f"--out {shown} is not empty and holds no fit (it has {', '.join(entries[:3])}"
            f"{', ...' if len(entries) > 3 else ''}); give a new or empty folder"
        )
    folder.mkdir(parents=True, exist_ok=True)
    record = {"fingerprint": fingerprint, **describe}
    write_text_atomic(marker, json.dumps(record, indent=2, default=str) + "\n")
    return False


def _what(previous: dict[str, Any]) -> str:
    place = previous.get("place", "?")
    settings = previous.get("settings", {})
    parts = [f"place {place}"] + [f"{k} {v}" for k, v in settings.items()]
    return ", ".join(parts)
