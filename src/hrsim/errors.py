"""The errors hrsim raises for bad input: each message is one readable line.

They live here, on the ground floor, so every floor can raise them without importing the
floor that defines the thing that went wrong (a plug-in file, a scenario, a sweep, a store).
"""

from __future__ import annotations


class HrsimError(Exception):
    """Something a user gave hrsim is wrong; ``str(error)`` says what, in one line."""


class ScenarioError(HrsimError, ValueError):
    """A scenario could not be loaded or validated."""


class InterventionSpecError(HrsimError):
    """A programme's table in a scenario is wrong.

    Not a ``ValueError``: pydantic turns a ``ValueError`` raised inside a validator into its own
    error, and this message must reach the user as it is.
    """


class SweepError(ScenarioError):
    """A sweep specification is wrong."""


class StoreError(ScenarioError):
    """A result store cannot be used (another sweep's, damaged, or locked)."""


class ExecutorError(HrsimError, RuntimeError):
    """Runs could not be executed (a lost cluster, a broken worker pool)."""
