"""How far the model can be trusted: a validation result, read back for a sweep report.

``hrsim validate --json`` prints one row per published target (``TargetResult.as_dict``:
name, status, simulated value and 95% interval, the published value and interval, role), and
``hrsim validate --html DIR/PAGE.html`` writes the same as ``DIR/validation.json`` beside its
page (:func:`json_beside`, checked before the run by :func:`check_json_beside`). A report is
given such a file (``hrsim report --validation FILE``) or finds one (:func:`find_validation`)
and states how many targets are met, by role, which are missed and which are near misses
(:class:`ValidationStatus`). A near miss is
a missed target whose simulated 95% interval still touches the published one: a small change
to the model may flip it (as the validation suite's ``NEAR_MISSES`` in
``tests/validation/test_targets.py`` say).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hrsim.analysis.validation import NOT_ENOUGH_DATA, ROLES
from hrsim.outputs import OutputError

#: Where a report looks for a validation result, in order (relative to the sweep store, then
#: to the working directory): ``hrsim validate --json > runs/validation/validation.json``.
FILE_NAME = "validation.json"
COMMAND = "hrsim validate --json > runs/validation/validation.json"


def json_beside(page: Path) -> Path:
    """Where ``hrsim validate --html PAGE`` writes its JSON: ``validation.json`` beside it."""
    return Path(page).parent / FILE_NAME


def check_json_beside(page: Path, *, force: bool = False, option: str = "--html") -> Path:
    """Check, before the run, that the JSON beside ``page`` may be written; returns its path.

    Refused in one line (``OutputError``): a page itself named ``validation.json``, a folder
    of that name, or a file there that is not a validation result (unless ``force``). A
    previous validation result there is replaced.
    """
    target = json_beside(page)
    if Path(page).name == FILE_NAME:
        raise OutputError(
            f"{option} {page}: {FILE_NAME} is the name of the results written beside the page;"
            f" give the page another name, e.g. {Path(page).parent / 'validation.html'}"
        )
    if target.is_dir():
        raise OutputError(
            f"{option} {page}: {target}, where the results beside the page go, is a folder"
        )
    if target.exists() and not force:
        try:
            read_validation(target)
        except ValueError:
            raise OutputError(
                f"{option} {page}: {target} (the results written beside the page) exists and"
                " is not a validation result; give the page another folder, or --force to"
                " replace it"
            ) from None
    return target


def _number(value: Any) -> float:
    return math.nan if value is None else float(value)


def status_of(row: dict[str, Any]) -> str:
    """``pass``, ``fail`` or ``not enough data`` (older results have only ``passed``)."""
    if "status" in row:
        return str(row["status"])
    return "pass" if row.get("passed") else "fail"


def near_miss(row: dict[str, Any]) -> bool:
    """A failed target whose simulated 95% interval overlaps the published one."""
    published = row.get("published") or {}
    if status_of(row) != "fail" or not published:
        return False
    low, high = (_number(v) for v in row.get("interval") or (None, None))
    return bool(high >= float(published["low"]) and low <= float(published["high"]))


@dataclass(frozen=True)
class ValidationStatus:
    """A validation result read back: where it is and each target's row."""

    path: Path
    rows: list[dict[str, Any]]

    @property
    def passed(self) -> int:
        """Targets met."""
        return sum(status_of(r) == "pass" for r in self.rows)

    def met_by_role(self) -> str:
        """``calibration: 10 of 12; validation: 7 of 17``."""
        return "; ".join(
            f"{role}: {sum(status_of(r) == 'pass' for r in self.rows if r.get('role') == role)}"
            f" of {sum(r.get('role') == role for r in self.rows)}"
            for role in ROLES
        )

    def near_misses(self) -> list[str]:
        """The failed targets whose intervals touch the published ones."""
        return [str(r["name"]) for r in self.rows if near_miss(r)]

    def misses(self) -> list[str]:
        """The failed targets that are not near misses."""
        return [str(r["name"]) for r in self.rows if status_of(r) == "fail" and not near_miss(r)]

    def too_small(self) -> list[str]:
        """Targets the run was too small to judge."""
        return [str(r["name"]) for r in self.rows if status_of(r) == NOT_ENOUGH_DATA]


def read_validation(path: Path) -> ValidationStatus:
    """Read ``hrsim validate --json``'s output; ``ValueError`` (one line) if it is not one."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not a validation result ({exc})") from None
    if isinstance(data, dict):  # a wrapper with the rows under "results"
        data = data.get("results")
    if (
        not isinstance(data, list)
        or not data
        or not all(isinstance(r, dict) and {"name", "passed", "interval"} <= set(r) for r in data)
    ):
        raise ValueError(f"{path}: not a validation result (no list of targets)")
    return ValidationStatus(path, data)


def candidates(store: Path, cwd: Path | None = None) -> list[Path]:
    """Where a report looks: the store, beside it, then ``runs/validation/`` of the cwd."""
    here = Path.cwd() if cwd is None else cwd
    places = [
        store / FILE_NAME,
        store / "validation" / FILE_NAME,
        store.parent / "validation" / FILE_NAME,
        here / "runs" / "validation" / FILE_NAME,
    ]
    unique: list[Path] = []
    for p in places:
        if p not in unique:
            unique.append(p)
    return unique


def find_validation(
    places: Sequence[Path],
) -> tuple[ValidationStatus | None, list[str]]:
    """The first readable validation result among ``places``, and why others were not used."""
    problems: list[str] = []
    for place in places:
        if place.is_file():
            try:
                return read_validation(place), problems
            except ValueError as exc:
                problems.append(str(exc))
    return None, problems
