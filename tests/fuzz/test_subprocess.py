"""Fuzz: a small sample of command lines as a user runs them, in a subprocess.

HOME, TMPDIR and MPLCONFIGDIR point inside the sandbox (nothing may appear in HOME); the
process may use at most ``oracle.MEMORY_BYTES`` of memory. A case fails on ``Traceback`` on
stderr, an exit code other than 0, 1 or 2, a failure that is not one line, a hang, or a write
outside the output folder. The explicit examples are the reproductions of issue 18.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import example, given

from .budget import fuzz_settings
from .oracle import locations, run_subprocess
from .sandbox import Sandbox
from .strategies import CLI_INPUTS, command_line

#: A grid of 1000 x 100 values (100,000 arms, the most allowed) for 1000 replicates.
HUGE_SWEEP = (
    '[sweep]\nname = "huge"\n\n[grid]\n'
    f"care.aftercare_fraction = [{', '.join(str(i / 1000) for i in range(1000))}]\n"
    f"care.detox_to_moud_fraction = [{', '.join(str(i / 100) for i in range(100))}]\n"
).encode()
TINY = ["--people", "100", "--years", "0.1", "--quiet"]


@fuzz_settings(5)
@given(argv=command_line())
@example(argv=["run", *TINY, "--out", "keep"])
@example(argv=["run", *TINY, "--out", "."])
@example(argv=["run", *TINY, "--out", "store"])
@example(argv=["run", *TINY, "--out", "link"])
@example(argv=["run", *TINY, "--set", "run.name=../../escaped"])
@example(argv=["run", *TINY, "--set", "run.seed=" + "9" * 5000])
@example(argv=["run", *TINY, "--set", "care.aftercare_fraction=" + "[" * 1000 + "]" * 1000])
@example(argv=["report", "store", "--out", "keep"])
@example(argv=["run", "--people", "20000000", "--years", "0.02", "--quiet", "--out", "out"])
@example(argv=["sweep", "inputs/huge.toml", "--replicates", "1000", "--dry-run"])
@example(argv=["sweep", "inputs/sweep.toml", *TINY[:4], "--scheduler", "not a url", "--out", "o"])
def test_command_line_subprocess(templates: Path, argv: list[str]) -> None:
    with Sandbox(templates) as box:
        for name, data in {**CLI_INPUTS, "huge.toml": HUGE_SWEEP}.items():
            box.write_input(name, data)
        outputs, replaceable = locations(argv)
        run_subprocess(box, argv, outputs, replaceable, {}, timeout=30)
