"""Fuzz: mutated sweep files through ``hrsim sweep`` (and ``report`` on what it wrote), in process.

The same oracle as the scenario files: no traceback, exit 0 or 2, one line on failure, no
write outside the store (``--out``, or ``runs/NAME`` from the file's name), no user file lost.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from .budget import fuzz_settings
from .oracle import locations, run_in_process
from .sandbox import Sandbox
from .strategies import sweep_file


@fuzz_settings(150)
@given(
    data=sweep_file(),
    dry_run=st.booleans(),
    replicates=st.sampled_from(["1", "2"]),
    out=st.sampled_from([None, "out", "out", "store", "keep", "prev_run"]),
    report=st.integers(0, 3),
)
def test_sweep_file(
    templates: Path, data: bytes, dry_run: bool, replicates: str, out: str | None, report: int
) -> None:
    with Sandbox(templates) as box:
        box.write_input("sweep.toml", data)
        argv = ["sweep", "inputs/sweep.toml", "--people", "20", "--years", "0.04"]
        argv += ["--replicates", replicates, "--workers", "1", "--quiet"]
        argv += (["--dry-run"] if dry_run else []) + ([] if out is None else ["--out", out])
        outputs, replaceable = locations(argv)
        files = {"sweep.toml": data}
        done = run_in_process(box, argv, outputs, replaceable, files)
        if done.code == 0 and not dry_run and out == "out" and report == 0:
            argv = ["report", "out"]
            outputs, replaceable = locations(argv)
            run_in_process(box, argv, outputs, replaceable, files)
