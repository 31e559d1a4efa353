"""A fresh folder tree per fuzz case, with the user's files around it, and a before/after diff.

Layout (``root`` is a new temporary folder; the command runs with ``root/work`` as its cwd)::

    root/parent_note.txt        a user's file beside the working directory
    root/sibling/note.txt       a user's folder beside it (``work/link`` points here)
    root/home/                  HOME of a subprocess (nothing may appear here)
    root/tmp/, root/mpl/        TMPDIR and MPLCONFIGDIR of a subprocess (allowed)
    root/work/
        inputs/                 the case's generated files (scenario, sweep, targets, plugin)
        scenarios/, experiments/  copies of the shipped files (sweeps refer to ../scenarios/)
        keep/note.txt           a user's non-empty folder: a would-be --out
        file.txt                a user's file: a would-be --out
        link -> ../sibling      a symbolic link: a would-be --out
        prev_run/               an earlier ``hrsim run`` output (``run --out prev_run`` may redo it)
        store/                  a finished sweep store (``sweep --out store`` may resume it)

A command may create files only inside its output locations (``--out``, the default
``runs/``, a report's folder, ...) and may change or delete files that existed before only
inside the hrsim output it was asked to replace. Everything else (every sentinel, every input)
must be byte for byte what it was.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"
EXPERIMENTS = REPO / "experiments"

#: Entries of a snapshot: ("d",), ("l", target) or ("f", size, mtime_ns, sha256).
Entry = tuple[object, ...]


def snapshot(root: Path) -> dict[str, Entry]:
    """Every path under ``root`` (links not followed) with what identifies its contents."""
    entries: dict[str, Entry] = {}
    for folder, dirs, files in os.walk(root, followlinks=False):
        for name in dirs + files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                entries[rel] = ("l", os.readlink(path))
            elif os.path.isdir(path):
                entries[rel] = ("d",)
            else:
                try:
                    st = os.stat(path)
                    with open(path, "rb") as f:
                        digest = hashlib.sha256(f.read()).hexdigest()
                except OSError as exc:  # e.g. a file without read permission
                    entries[rel] = ("?", str(exc))
                    continue
                entries[rel] = ("f", st.st_size, st.st_mtime_ns, digest)
    return entries


def _inside(path: str, roots: list[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


@dataclass
class Diff:
    """What a command did to the tree outside where it was allowed to."""

    created_outside: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.created_outside or self.changed or self.deleted)

    def describe(self) -> str:
        """One line per kind, a few paths each."""
        parts = []
        for label, paths in (
            ("created outside the output folder", self.created_outside),
            ("changed", self.changed),
            ("deleted", self.deleted),
        ):
            if paths:
                shown = ", ".join(sorted(paths)[:6]) + (" ..." if len(paths) > 6 else "")
                parts.append(f"{label} ({len(paths)}): {shown}")
        return "; ".join(parts)


class Sandbox:
    """A fresh tree for one case (a context manager: the tree is removed on exit)."""

    def __init__(self, templates: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="hrsim-fuzz-")).resolve()
        self.work = self.root / "work"
        self.inputs = self.work / "inputs"
        for folder in ("sibling", "home", "tmp", "mpl", "work/inputs", "work/keep"):
            (self.root / folder).mkdir(parents=True)
        (self.root / "parent_note.txt").write_text("the user's file beside the cwd\n")
        (self.root / "sibling" / "note.txt").write_text("the user's file in a sibling folder\n")
        (self.work / "keep" / "note.txt").write_text("the user's file in a folder of theirs\n")
        (self.work / "file.txt").write_text("the user's file\n")
        (self.work / "link").symlink_to(Path("..") / "sibling")
        shutil.copytree(SCENARIOS, self.work / "scenarios")
        shutil.copytree(EXPERIMENTS, self.work / "experiments")
        shutil.copytree(templates / "prev_run", self.work / "prev_run")
        shutil.copytree(templates / "store", self.work / "store")
        self.before: dict[str, Entry] = {}

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        # A fuzzed command may have left a folder without write permission: restore, then remove.
        for folder, dirs, _ in os.walk(self.root):
            for name in dirs:
                path = os.path.join(folder, name)
                if not os.path.islink(path):
                    os.chmod(path, 0o755)
        shutil.rmtree(self.root, ignore_errors=True)

    def expand(self, text: str) -> str:
        """Put the sandbox's absolute root where a generated value says ``{ROOT}``."""
        return text.replace("{ROOT}", str(self.root))

    def write_input(self, name: str, data: bytes) -> Path:
        """A generated input file, inside ``work/inputs``."""
        path = self.inputs / name
        path.write_bytes(self.expand(data.decode("latin-1")).encode("latin-1"))
        return path

    def start(self) -> None:
        """Record the tree before the command."""
        self.before = snapshot(self.root)

    def check(self, outputs: list[str], replaceable: list[str]) -> Diff:
        """Compare the tree with the one recorded by ``start``.

        Args:
            outputs: paths relative to ``work`` (or absolute) where new files may appear
                (their missing parent folders may be created too).
            replaceable: paths of earlier hrsim outputs the command may change or delete.
        """
        after = snapshot(self.root)
        out_roots = [self._rel(p) for p in outputs + ["../tmp", "../mpl"]]
        out_roots = [r for r in out_roots if r is not None]
        repl_roots = [r for r in (self._rel(p) for p in replaceable) if r is not None]
        diff = Diff()
        for path, entry in after.items():
            old = self.before.get(path)
            if old is None:
                parent_of_output = any(r.startswith(path + os.sep) for r in out_roots)
                if not (_inside(path, out_roots) or parent_of_output):
                    diff.created_outside.append(path)
            elif old != entry and old[0] != "d" and not _inside(path, repl_roots):
                diff.changed.append(path)
        for path in self.before:
            if path not in after and not _inside(path, repl_roots):
                diff.deleted.append(path)
        return diff

    def _rel(self, path: str) -> str | None:
        """``path`` (relative to ``work`` or absolute) as a normalised path relative to root."""
        if "\x00" in path:
            return None
        full = os.path.normpath(os.path.join(self.work, path))
        rel = os.path.relpath(full, self.root)
        return None if rel.startswith("..") else rel


def build_templates(folder: Path) -> Path:
    """A previous run's output and a finished sweep store, built once per test process."""
    from hrsim.cli import main

    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / "tiny_sweep.toml"
    spec.write_text(
        '[sweep]\nname = "tiny"\nreplicates = 2\npeople = 20\nyears = 0.04\n\n'
        "[grid]\ncare.aftercare_fraction = [0.3, 0.6]\n"
    )
    cwd = os.getcwd()
    try:
        os.chdir(folder)
        run_argv = ["run", "--people", "20", "--years", "0.04", "--out", "prev_run", "--quiet"]
        sweep_argv = ["sweep", str(spec), "--out", "store", "--workers", "1", "--quiet"]
        assert main(run_argv) == 0
        assert main(sweep_argv) == 0
    finally:
        os.chdir(cwd)
    return folder
