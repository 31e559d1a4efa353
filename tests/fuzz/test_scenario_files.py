"""Fuzz: mutated scenario files through ``hrsim run``, ``compare`` and ``validate``, in process.

Fails on any exception escaping ``hrsim.cli.main`` (a traceback for a user), on an exit code
other than 0 or 2 (1 for ``validate``: a target missed), on a failure that is not one line on
stderr, and on any file created outside the output folder or any user file changed or deleted.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from .budget import fuzz_settings
from .oracle import locations, run_in_process
from .sandbox import Sandbox
from .strategies import scenario_file, small_run

SIZES = ["--people", "40", "--years", "0.05"]


@fuzz_settings(150)
@given(
    data=scenario_file(),
    command=st.sampled_from(["run", "run", "run", "compare", "validate"]),
    out=st.sampled_from([None, "out"]),
)
def test_scenario_file(templates: Path, data: bytes, command: str, out: str | None) -> None:
    with Sandbox(templates) as box:
        box.write_input("scenario.toml", data)
        if command == "run":
            argv = ["run", "inputs/scenario.toml", "--quiet", "--no-events"]
            argv += [] if small_run(data) else SIZES
            argv += [] if out is None else ["--out", out]  # None: runs/NAME-seedS, from the file
        elif command == "compare":
            argv = ["compare", "scenarios/baseline.toml", "inputs/scenario.toml", *SIZES]
            argv += ["--replicates", "2", "--workers", "1"]
        else:
            argv = ["validate", "inputs/scenario.toml", "--people", "10", "--years", "0.02"]
            argv += ["--replicates", "1", "--workers", "1"]
        outputs, replaceable = locations(argv)
        files = {"scenario.toml": data}
        run_in_process(box, argv, outputs, replaceable, files, exit_one=command == "validate")
