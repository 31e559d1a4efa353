"""Writing files so that a reader never sees half of one.

Every result file (run stores, reports, figures, calibration and sensitivity tables) is written
to a temporary name in the same directory, flushed to disk, then renamed: a file exists under
its name only once it is complete, even if the process is killed mid-write.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path


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
