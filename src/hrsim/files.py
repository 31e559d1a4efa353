"""Writing files so that a reader never sees half of one.

Every result file (run stores, reports, figures, calibration and sensitivity tables) is written
to a temporary name in the same directory, flushed to disk, then renamed: a file exists under
its name only once it is complete, even if the process is killed mid-write. CSV files are
written through ``write_csv_atomic`` (or ``csv_text``), which keeps a user's text from being
read as a spreadsheet formula.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` exists only if the whole file is there."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # on disk before the name says it is complete
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def write_text_atomic(path: Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically; returns ``path``."""
    write_atomic(path, text.encode("utf-8"))
    return path


# A file name made from a user's label (a scenario's or a sweep's name): one path component,
# never "..", no separators, NUL or control characters, and short enough for every file system.
MAX_NAME_BYTES = 80  # in UTF-8, so that a suffix such as "-seed123" still fits in 255 bytes
_UNSAFE_RUN = re.compile(r"[^\w.+-]+")


def safe_file_name(label: str, default: str = "run") -> str:
    """``label`` as a safe file name: ``"../../x y"`` becomes ``"x_y"``; empty becomes ``default``.

    Letters (any script), digits and ``. _ + -`` are kept; every other run of characters
    becomes one ``_``; leading dots and underscores are dropped (no hidden files, no ``..``);
    at most ``MAX_NAME_BYTES`` bytes in UTF-8, cut on a character boundary.
    """
    name = _UNSAFE_RUN.sub("_", label).lstrip("._")
    name = name.encode()[:MAX_NAME_BYTES].decode(errors="ignore").rstrip("._")
    return name or default


# CSV cells a spreadsheet would run as a formula ("CSV injection", OWASP): text that begins
# with one of these is written with a single quote in front, which spreadsheets show as text.
# Arm, scenario and parameter names are a user's text and go into CSV files verbatim.
CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: object) -> object:
    """``value`` with a ``'`` in front if it is text a spreadsheet would read as a formula."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_START):
        return "'" + value
    return value


def neutralise_csv_cells(frame: pd.DataFrame, *, index: bool = False) -> pd.DataFrame:
    """``frame`` with every formula-like text cell (and column name) neutralised.

    Only text is touched: numeric, boolean and date columns are left as they are, so ``-1.5``
    in a number column stays a negative number. The index is neutralised too if ``index``.
    Returns ``frame`` itself when nothing needs a change.
    """
    from pandas.api import types

    out = frame
    for position, (_, column) in enumerate(frame.items()):
        if (
            types.is_numeric_dtype(column.dtype)
            or types.is_bool_dtype(column.dtype)
            or types.is_datetime64_any_dtype(column.dtype)
            or types.is_timedelta64_dtype(column.dtype)
        ):
            continue
        if not column.map(lambda v: neutralise_cell(v) is not v).any():
            continue
        if out is frame:
            out = frame.copy()
        out.isetitem(position, column.map(neutralise_cell))
    if any(_neutralise_label(name) is not name for name in frame.columns):
        out = frame.copy() if out is frame else out
        out.columns = frame.columns.map(_neutralise_label)
    if index and any(_neutralise_label(label) is not label for label in frame.index):
        out = frame.copy() if out is frame else out
        out.index = frame.index.map(_neutralise_label)
    return out


def csv_text(frame: pd.DataFrame, **to_csv_kwargs: Any) -> str:
    """``frame.to_csv(**to_csv_kwargs)`` as text, with formula-like text cells neutralised."""
    index = bool(to_csv_kwargs.get("index", True))
    text = neutralise_csv_cells(frame, index=index).to_csv(**to_csv_kwargs)
    return str(text)


def write_csv_atomic(path: Path, frame: pd.DataFrame, **to_csv_kwargs: Any) -> Path:
    """Write ``frame`` as CSV to ``path`` atomically, formula-like text neutralised."""
    return write_text_atomic(path, csv_text(frame, **to_csv_kwargs))


def _neutralise_label(label: Any) -> Any:
    if isinstance(label, tuple):  # a MultiIndex label
        parts = tuple(neutralise_cell(part) for part in label)
        return label if all(a is b for a, b in zip(parts, label, strict=True)) else parts
    return neutralise_cell(label)
