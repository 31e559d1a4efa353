"""The oracle: run the real CLI on a case and fail on a traceback or a write where none belongs.

Two ways to run a command line:
- ``run_in_process``: ``hrsim.cli.main(argv)`` in this process (fast: the bulk of the cases).
  Any exception that escapes ``main`` is what a user would see as a traceback, so it is
  re-raised as it is (hypothesis then reports each distinct one separately); ``SystemExit``
  from argparse (code 2, or 0 for ``--help``) is fine. pytest turns warnings into errors, so a
  warning escaping ``main`` fails too (a user would see it printed).
- ``run_subprocess``: ``python -m hrsim.cli`` with HOME, TMPDIR and MPLCONFIGDIR inside the
  sandbox, as a user meets it: no ``Traceback`` on stderr, exit code 0, 1 or 2, and a failure
  says so in one line.

After either, the sandbox is compared with its state before (``Sandbox.check``).

``HRSIM_FUZZ_FINDINGS=FILE.jsonl`` records every failing case in that file instead of
failing the test (to list every distinct failure of a long local run in one go).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import signal
import subprocess
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .sandbox import Sandbox

#: Seconds one in-process case may take before it counts as a hang.
CASE_SECONDS = 30
#: Memory a case may use (address space of a subprocess, data segment in process).
MEMORY_BYTES = 3 * 2**30
#: Lines a command may print on stderr besides its error line (progress, announcements).
NOISE = re.compile(r"^(.*\d+/\d+ \[|.*week/s|.*it/s|trials \d+/\d+|(sobol|morris): [\d,]+ runs)")
ERROR_LINE = re.compile(r"^hrsim( [a-z]+)?: (error: )?\S")


class Traceback(AssertionError):
    """A subprocess printed a traceback."""


class Hang(AssertionError):
    """A case did not finish in ``CASE_SECONDS``."""


class OutsideWrite(AssertionError):
    """A file was created outside the output locations."""


class DataLoss(AssertionError):
    """A file that existed before (a sentinel, an input) was changed or deleted."""


class BadExit(AssertionError):
    """An exit code other than the documented ones."""


class BadMessage(AssertionError):
    """A failure that is not one readable line on stderr."""


class _Alarm(BaseException):
    """Raised in the main thread when a case runs too long (not caught by ``except Exception``)."""


@dataclass
class Outcome:
    """What a command did."""

    code: int
    stdout: str
    stderr: str


def reproducer(sandbox: Sandbox, argv: list[str], files: dict[str, bytes]) -> str:
    """How to repeat a case: the files (as Python bytes) and the command line."""
    lines = [
        f"    {name}: {data[:600]!r}{' ...' if len(data) > 600 else ''}"
        for name, data in files.items()
    ]
    shown = " ".join(_quote(sandbox.expand(a)) for a in argv)
    return "\n".join(["  files in work/inputs/:", *lines, f"  in work/: hrsim {shown}"])


def _quote(arg: str) -> str:
    if len(arg) > 200:
        return f"<{len(arg)} chars: {arg[:40]!r}...>"
    return arg if re.fullmatch(r"[\w./=:,+@%-]+", arg) else repr(arg)


def _record(kind: str, detail: str, where: str) -> bool:
    """In findings mode, append the failure and return True (the case then passes)."""
    path = os.environ.get("HRSIM_FUZZ_FINDINGS")
    if not path:
        return False
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps({"kind": kind, "detail": detail, "case": where}) + "\n")
    return True


def _fail(error: type[AssertionError], detail: str, where: str) -> None:
    if not _record(error.__name__, detail, where):
        raise error(f"{detail}\n{where}")


def run_in_process(
    sandbox: Sandbox,
    argv: list[str],
    outputs: list[str],
    replaceable: list[str],
    files: dict[str, bytes],
    exit_one: bool = False,
) -> Outcome:
    """Run ``hrsim.cli.main(argv)`` with cwd in the sandbox; check what it did."""
    from hrsim.cli import main

    argv = [sandbox.expand(a) for a in argv]
    where = reproducer(sandbox, argv, files)
    out, err = io.StringIO(), io.StringIO()
    cwd = os.getcwd()
    limit = resource.getrlimit(resource.RLIMIT_DATA)
    previous = signal.signal(signal.SIGALRM, _raise_alarm)
    sandbox.start()
    code: int | None = None
    escaped: BaseException | None = None
    try:
        os.chdir(sandbox.work)
        resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_BYTES, limit[1]))
        signal.alarm(CASE_SECONDS)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(argv)
            except SystemExit as exc:  # argparse: 2 for a usage error, 0 for --help
                code = exc.code if isinstance(exc.code, int) else 1
                if code not in (0, 2):
                    escaped = exc
            except _Alarm:
                code = -1
            except BaseException as exc:  # any exception escaping main is a traceback
                escaped = exc
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
        resource.setrlimit(resource.RLIMIT_DATA, limit)
        os.chdir(cwd)
    outcome = Outcome(-1 if code is None else code, out.getvalue(), err.getvalue())
    diff = sandbox.check(outputs, replaceable)
    if escaped is not None:
        if _record(type(escaped).__name__, _last_frames(escaped), where):
            return outcome
        escaped.add_note(f"hrsim fuzz case (a traceback escaped hrsim.cli.main):\n{where}")
        if diff:
            escaped.add_note(f"and the tree changed: {diff.describe()}")
        raise escaped
    if code == -1:
        _fail(Hang, f"no answer after {CASE_SECONDS} s", where)
    _check_tree(diff, where)
    _check_exit(outcome, exit_one, where)
    return outcome


def _raise_alarm(signum: int, frame: Any) -> None:
    raise _Alarm


def _last_frames(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    places = " <- ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    return f"{type(exc).__name__}: {str(exc)[:200]} at {places}"


def _check_tree(diff: Any, where: str) -> None:
    if diff.deleted or diff.changed:
        _fail(DataLoss, diff.describe(), where)
    elif diff.created_outside:
        _fail(OutsideWrite, diff.describe(), where)


def _check_exit(outcome: Outcome, exit_one: bool, where: str) -> None:
    allowed = {0, 2, 1} if exit_one else {0, 2}
    if outcome.code not in allowed:
        _fail(BadExit, f"exit {outcome.code}; stderr {outcome.stderr[-300:]!r}", where)
        return
    if outcome.code == 0 or (outcome.code == 1 and not outcome.stderr.strip()):
        return
    lines = [ln for ln in re.split(r"[\r\n]+", outcome.stderr) if ln.strip()]
    errors = [ln for ln in lines if not NOISE.match(ln)]
    if len(errors) != 1 or not ERROR_LINE.match(errors[0]) or errors[0] != lines[-1]:
        _fail(BadMessage, f"exit {outcome.code}; stderr {outcome.stderr[-400:]!r}", where)


def run_subprocess(
    sandbox: Sandbox,
    argv: list[str],
    outputs: list[str],
    replaceable: list[str],
    files: dict[str, bytes],
    timeout: float = 60,
) -> Outcome:
    """Run ``python -m hrsim.cli argv`` as a user would, with its HOME and TMPDIR in the sandbox."""
    argv = [sandbox.expand(a) for a in argv]
    where = reproducer(sandbox, argv, files)
    env = {
        **os.environ,
        "HOME": str(sandbox.root / "home"),
        "TMPDIR": str(sandbox.root / "tmp"),
        "MPLCONFIGDIR": str(sandbox.root / "mpl"),
        "XDG_CACHE_HOME": str(sandbox.root / "home" / ".cache"),
        "PYTHONWARNINGS": "default",
    }
    sandbox.start()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "hrsim.cli", *argv],
            cwd=sandbox.work,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            preexec_fn=_limit_memory,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        _check_tree(sandbox.check(outputs, replaceable), where)
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else ""
        _fail(Hang, f"no answer after {timeout:g} s; stderr {stderr[-300:]!r}", where)
        return Outcome(-1, "", stderr)
    outcome = Outcome(done.returncode, done.stdout, done.stderr)
    if "Traceback" in done.stderr:
        last = done.stderr.strip().splitlines()[-1]
        _fail(Traceback, f"exit {done.returncode}: {last[:300]}", where)
        return outcome
    _check_tree(sandbox.check(outputs, replaceable), where)
    _check_exit(outcome, exit_one=True, where=where)
    return outcome


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (MEMORY_BYTES, MEMORY_BYTES))


def _option(argv: list[str], flag: str) -> str | None:
    """The value argparse would take for ``flag`` (the last one given), if any."""
    value = None
    for i, arg in enumerate(argv[:-1]):
        if arg == flag:
            value = argv[i + 1]
    return value


def locations(argv: list[str]) -> tuple[list[str], list[str]]:
    """Where ``argv`` may create files, and which earlier hrsim outputs it may replace.

    Paths are as given on the command line (relative to the working directory). A command
    writes its ``--out`` (or its default under ``runs/``); ``report`` writes its page's folder;
    ``validate --html`` its page's folder. Only an output of the same kind may be replaced:
    ``run --out prev_run`` a previous run, ``sweep --out store`` the finished store.
    """
    command = argv[0] if argv else ""
    out = _option(argv, "--out")
    outputs: list[str] = []
    replaceable: list[str] = []
    if command in ("run", "sweep", "calibrate", "sensitivity"):
        outputs.append(out if out is not None else "runs")
        same_kind = {"run": "prev_run", "sweep": "store"}.get(command)
        if out is not None and os.path.normpath(out) == same_kind:
            replaceable.append(out)
    elif command == "report":
        store = argv[1] if len(argv) > 1 and not argv[1].startswith("-") else "."
        outputs.append(f"{store}/report" if out is None else os.path.dirname(out) or ".")
    elif command == "validate":
        html = _option(argv, "--html")
        if html is not None:
            outputs += [html, os.path.dirname(html) or "."]
    return outputs, replaceable
