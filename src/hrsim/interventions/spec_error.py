"""The error a programme's scenario table raises (kept apart so scenario.py can import it)."""


class InterventionSpecError(Exception):
    """A programme's table in a scenario is wrong (not a ValueError, so pydantic passes it on)."""
