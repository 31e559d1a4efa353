"""Where results go: output folders that never lose what was there before.

One policy for every command that writes a folder of results (``run``, ``calibrate``,
``sensitivity``, ``report``):

- Each output folder carries a marker, ``.hrsim-output``: JSON ``{"kind": "run", "files":
  [...], "hrsim_version": ..., "created": ...}`` naming what kind of output it is and every file
  hrsim wrote there.
- ``--out`` may be a folder that does not exist, an empty folder, or a previous output of the
  same kind holding only hrsim's files; that one is replaced. Anything else (a user's files,
  another kind of output, a sweep store, the current directory or one above it, home, ``/``) is
  refused with one line, before any run starts.
- ``--force`` writes into a non-empty folder, replacing only the files this output writes (and
  deleting the files a previous output of the same kind listed); every other file stays. It
  never applies to a sweep store, the current directory, home or ``/``.
- Results are written into a temporary sibling (``.NAME.hrsim-new-*``) and put in place by
  renames: a new folder is renamed into place; a previous output is swapped with the new one
  in one atomic exchange (``renameat2``; where that is missing, renamed aside first) and then
  deleted. A crash at any point leaves the old results or the new, complete.
- An ``OSError`` while writing (disk full, quota, permissions) becomes a :class:`WriteError`:
  one line saying what failed, how much had been written and that the previous results are
  untouched.

Folders written before the marker existed are recognised by their files (a run's
``metadata.json`` with ``hrsim_version``, a calibration's ``calibration.json``, a sensitivity's
``sensitivity.html``, a report's ``Sweep report`` page), so reruns keep working.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from hrsim._version import __version__
from hrsim.errors import HrsimError, ScenarioError

MARKER = ".hrsim-output"
STORE_MANIFEST = "manifest.json"  # a sweep store's (hrsim.batch.store.MANIFEST)
STORE_FORMAT = "hrsim-sweep/"


@dataclass(frozen=True)
class Kind:
    """One kind of output.

    ``files``: the names (or glob patterns) it writes; ``signature``: a file and a text in it
    that recognise a folder this kind wrote before the marker existed.
    """

    name: str
    label: str
    files: tuple[str, ...]
    signature: tuple[str, str]


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "run",
            "a run's results",
            (
                "timeseries.parquet",
                "events.parquet",
                "programmes.parquet",
                "scenario.toml",
                "metadata.json",
            ),
            ("metadata.json", '"hrsim_version"'),
        ),
        Kind(
            "calibrate",
            "a calibration's results",
            ("calibrated.toml", "trials.csv", "loss.png", "fit.png", "calibration.json"),
            ("calibration.json", '"best_trial"'),
        ),
        Kind(
            "sensitivity",
            "a sensitivity analysis",
            ("indices.csv", "samples.csv", "indices.png", "sensitivity.html"),
            ("sensitivity.html", "<title>hrsim sensitivity"),
        ),
        Kind(
            "report",
            "a sweep report",
            ("*.html", "*.png", "*.csv"),
            ("*.html", "<title>Sweep report"),
        ),
    )
}


class OutputError(ScenarioError):
    """An output folder cannot be used as asked (one line; the CLI exits 2)."""


class WriteError(HrsimError):
    """The operating system refused a write (disk full, quota, permissions); one line."""

    def __init__(self, message: str, errno_: int | None) -> None:
        super().__init__(message)
        self.errno = errno_


def os_error_text(exc: OSError) -> str:
    """An ``OSError`` as a short phrase: ``no space left on device (errno 28)``."""
    if exc.errno is not None:
        text = os.strerror(exc.errno)
        return f"{text[:1].lower()}{text[1:]} (errno {exc.errno})"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def folder_size(path: Path) -> int:
    """Bytes in the files under ``path`` (0 if it is gone)."""
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(root, name)).st_size
    return total


def format_bytes(n: int) -> str:
    """``1234567`` -> ``1.2 MB``."""
    size = float(n)
    for unit in ("bytes", "kB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{int(size)} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size:.1f} TB"  # not reached


# ---------------------------------------------------------------------------------------------
# What is at a path


def _entries(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, relative, sorted (folders end in ``/``)."""
    found = []
    for root, dirs, files in os.walk(folder):
        rel = Path(root).relative_to(folder)
        found += [(rel / d).as_posix() + "/" for d in dirs]
        found += [(rel / f).as_posix() for f in files]
    return sorted(found)


def _read_marker(folder: Path) -> dict[str, Any] | None:
    try:
        marker = json.loads((folder / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(marker, dict) or not isinstance(marker.get("kind"), str):
        return None
    files = marker.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return marker


def is_sweep_store(folder: Path) -> bool:
    """Whether ``folder`` is a sweep's result store (its manifest says ``hrsim-sweep/...``)."""
    manifest = folder / STORE_MANIFEST
    try:
        text = manifest.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return manifest.exists()  # there but unreadable: still not ours to touch
    return STORE_FORMAT in text or ((folder / "runs").is_dir() and (folder / ".lock").exists())


def _matches(kind: Kind, name: str) -> bool:
    return "/" not in name and any(fnmatch(name, pattern) for pattern in kind.files)


def _legacy(folder: Path, kind: Kind, entries: list[str]) -> bool:
    """A folder this kind wrote before the marker existed: only its files, and its signature."""
    if not entries or not all(_matches(kind, e) for e in entries):
        return False
    pattern, text = kind.signature
    for name in entries:
        if fnmatch(name, pattern):
            with contextlib.suppress(OSError):
                with (folder / name).open(encoding="utf-8", errors="replace") as handle:
                    if text in handle.read(4096):
                        return True
    return False


def _protected(path: Path) -> str | None:
    """Why ``path`` may never be an output folder, or None."""
    if path == Path(path.anchor):
        return "the root folder"
    cwd = Path.cwd().resolve()
    if path == cwd:
        return "the current directory"
    if path in cwd.parents:
        return "a folder above the current directory"
    with contextlib.suppress(RuntimeError, KeyError, OSError):
        if path == Path.home().resolve():
            return "your home folder"
    return None


def _listing(names: list[str], limit: int = 3) -> str:
    shown = ", ".join(n.rstrip("/") for n in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


# ---------------------------------------------------------------------------------------------
# An output folder, checked before the work and written after it


@dataclass
class Output:
    """An output folder checked by :func:`prepare`: write into :meth:`staging`, which commits."""

    path: Path  # the folder, resolved (symlinks followed)
    shown: str  # as the user gave it, for messages
    kind: Kind
    force: bool = False
    option: str = "--out"
    replaces: bool = False  # a previous output of this kind is there
    previous_files: list[str] = field(default_factory=list)  # its files (to delete on --force)

    @contextlib.contextmanager
    def staging(self, keep_on_interrupt: bool = False) -> Iterator[Path]:
        """A fresh temporary sibling to write the results into; put in place on success.

        On an error the sibling is deleted (with ``keep_on_interrupt``, kept on Ctrl-C, so
        what was finished can be read from it) and an ``OSError`` becomes a ``WriteError``.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.path.name}.hrsim-new-", dir=self.path.parent))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; results are ordinary files
        try:
            yield tmp
            self._commit(tmp)
        except OutputError as exc:  # the folder changed during the work: keep the new results
            raise OutputError(f"{exc}; the new results are kept in {tmp}") from None
        except OSError as exc:
            written = folder_size(tmp)
            shutil.rmtree(tmp, ignore_errors=True)
            raise self._write_error(exc, written) from exc
        except KeyboardInterrupt:
            if not keep_on_interrupt or not any(tmp.iterdir()):
                shutil.rmtree(tmp, ignore_errors=True)
            raise
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def _write_error(self, exc: OSError, written: int) -> WriteError:
        kept = (
            f"the previous results in {self.shown} are untouched"
            if self.replaces or self.force
            else "nothing half-written was left behind"
        )
        where = f" ({exc.filename})" if exc.filename else ""
        return WriteError(
            f"could not write {self.kind.label} to {self.shown}: {os_error_text(exc)}{where} "
            f"after {format_bytes(written)} of it were written; {kept}",
            exc.errno,
        )

    def _commit(self, tmp: Path) -> None:
        files = [e for e in _entries(tmp) if not e.endswith("/")]
        marker = {
            "kind": self.kind.name,
            "files": files,
            "hrsim_version": __version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (tmp / MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        # The long run is over: look again, in case something appeared at the path meanwhile.
        again = prepare(self.path, self.kind.name, force=self.force, option=self.option)
        again.shown = self.shown
        if not self.path.exists():
            os.replace(tmp, self.path)
        elif not any(self.path.iterdir()):
            try:
                os.replace(tmp, self.path)  # rename(2) replaces an empty directory
            except OSError:  # a mount point or the like: fill it instead
                again._merge(tmp, [])
        elif self.force:
            again._merge(tmp, again.previous_files if again.replaces else [])
        else:
            _swap(tmp, self.path)

    def _merge(self, tmp: Path, stale: list[str]) -> None:
        """``--force``: move each new file into the folder, then drop the stale hrsim files."""
        new = [e for e in _entries(tmp) if not e.endswith("/") and e != MARKER]
        for name in new:
            (self.path / name).parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp / name, self.path / name)
        for name in stale:
            if name not in new and name != MARKER:
                with contextlib.suppress(FileNotFoundError):
                    (self.path / name).unlink()
        os.replace(tmp / MARKER, self.path / MARKER)
        shutil.rmtree(tmp, ignore_errors=True)


def _swap(new: Path, target: Path) -> None:
    """Put ``new`` in place of the folder ``target`` and delete the old one."""
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.hrsim-old-", dir=target.parent))
    if _exchange(new, target):
        os.rmdir(old)
        shutil.rmtree(new)  # ``new`` now holds the old results
        return
    os.replace(target, old)  # no atomic exchange here: aside, then in (the old is complete)
    os.replace(new, target)
    shutil.rmtree(old)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    result = renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def resolve_folder(out: Path | str, option: str = "--out") -> Path:
    """``out`` resolved (symlinks followed), if a folder of results may go there.

    Not a file, not a dangling link or a loop, not the current directory or one above it, home
    or ``/``, and its nearest existing parent is a writable folder: else one-line
    ``OutputError``. Used by every command that writes a folder (sweep stores included).
    """
    given = Path(out)
    shown = str(given)
    try:
        path = given.resolve()
    except (OSError, RuntimeError) as exc:
        raise OutputError(f"{option} {shown}: cannot be resolved ({exc})") from None
    if given.is_symlink() and not path.exists():
        raise OutputError(f"{option} {shown} is a symlink to {path}, which does not exist")
    if path.is_symlink():  # still a link after resolving: a loop
        raise OutputError(f"{option} {shown} is a symlink loop")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{option} {shown} is a file, not a folder; give a folder")
    where = _protected(path)
    if where:
        raise OutputError(
            f"{option} {shown} is {where}; hrsim writes results only into a folder of their "
            "own: give a new folder, e.g. runs/NAME"
        )
    _check_parent(path, shown, option)
    return path


def prepare(out: Path | str, kind: str, *, force: bool = False, option: str = "--out") -> Output:
    """Check ``out`` for an output of ``kind`` before any work.

    Raises ``OutputError`` (one line naming the folder and why) if it may not be used.
    """
    shown = str(out)
    spec = KINDS[kind]
    path = resolve_folder(out, option)
    result = Output(path, shown, spec, force=force, option=option)
    if not path.exists():
        return result
    if is_sweep_store(path):
        raise OutputError(
            f"{option} {shown} is a sweep store (it has {STORE_MANIFEST}); hrsim never writes "
            f"over one, --force included: give another {option}"
        )
    if not os.access(path, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {shown} is not writable")
    entries = _entries(path)
    if not entries:
        return result
    marker = _read_marker(path)
    if marker is not None:
        listed = [str(f) for f in marker["files"]]
        if marker["kind"] != kind:
            other = KINDS.get(str(marker["kind"]))
            what = other.label if other else f"hrsim {marker['kind']!s} output"
            if force:
                return result
            raise OutputError(
                f"{option} {shown} holds {what}, not {spec.label}; give another {option}, or "
                f"--force to write {spec.label} into it (only hrsim's files are replaced)"
            )
        extra = [
            e for e in entries if e != MARKER and e not in listed and not _parent_of(e, listed)
        ]
        result.replaces, result.previous_files = True, listed
        if extra and not force:
            raise OutputError(
                f"{option} {shown} holds {spec.label} and also files hrsim did not write "
                f"({_listing(extra)}); give another {option}, or --force to replace only "
                "hrsim's files and keep yours"
            )
        return result
    if _legacy(path, spec, entries):
        result.replaces, result.previous_files = True, entries
        return result
    if force:
        return result
    raise OutputError(
        f"{option} {shown} is not empty and is not {spec.label} written by hrsim (it has "
        f"{_listing(entries)}); give a new or empty folder, or --force to write into it "
        "(only hrsim's files are replaced; yours are kept)"
    )


def _parent_of(entry: str, listed: list[str]) -> bool:
    """Whether ``entry`` (a folder, ending in ``/``) holds files the marker lists."""
    return entry.endswith("/") and any(f.startswith(entry) for f in listed)


def _check_parent(path: Path, shown: str, option: str) -> None:
    """The nearest existing folder above ``path`` must be a writable folder."""
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise OutputError(f"{option} {shown}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {shown}: {ancestor} is not writable")


def check_page(path: Path | str, title: str, *, force: bool = False, option: str) -> Path:
    """Check a single page to be written (``validate --html``); returns it resolved.

    Not a folder, and not a file hrsim did not write (its ``<title>`` starting with
    ``title``) unless ``force``.
    """
    given = Path(path)
    target = given.resolve()
    if target.is_dir():
        raise OutputError(f"{option} {given} is a directory; give a file name")
    if target.exists():
        try:
            with target.open(encoding="utf-8", errors="replace") as handle:
                ours = f"<title>{title}" in handle.read(4096)
        except OSError:
            ours = False
        if not ours and not force:
            raise OutputError(
                f"{option} {given} exists and is not a page hrsim wrote; give another file "
                "name, or --force to replace it"
            )
    _check_parent(target, str(given), option)
    return target


__all__ = [
    "KINDS",
    "MARKER",
    "Output",
    "OutputError",
    "WriteError",
    "check_page",
    "folder_size",
    "format_bytes",
    "is_sweep_store",
    "os_error_text",
    "prepare",
]
