"""Fuzz: command lines for every command but ``dashboard``, in process.

Options and values are drawn at random (sizes kept tiny), including ``--out`` at the
working directory, at a file, at a symbolic link, at a user's non-empty folder, at a sweep
store or an earlier run, long names, and ``--set`` values with odd names and deep nesting.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given

from .budget import fuzz_settings
from .oracle import locations, run_in_process
from .sandbox import Sandbox
from .strategies import CLI_INPUTS, command_line


@fuzz_settings(150)
@given(argv=command_line())
def test_command_line(templates: Path, argv: list[str]) -> None:
    with Sandbox(templates) as box:
        for name, data in CLI_INPUTS.items():
            box.write_input(name, data)
        outputs, replaceable = locations(argv)
        run_in_process(box, argv, outputs, replaceable, {}, exit_one=argv[0] == "validate")
