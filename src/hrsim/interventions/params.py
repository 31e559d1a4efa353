"""What every programme's scenario table holds: the parameters common to all programmes.

Kept apart from the programme classes so the scenario floor can validate tables without
importing the programmes' machinery.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class InterventionParams(BaseModel):
    """Parameters every programme has. Subclasses add their own (with units in the names)."""

    # strict: a boolean or a string is not a number (an int is still taken for a float);
    # programmes that subclass these parameters inherit it.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    type: str
    start_week: int = Field(0, ge=0, le=5200)
    ramp_up_weeks: int = Field(0, ge=0, le=5200)
    fixed_cost_usd_per_week: float = Field(0.0, ge=0.0, le=1e9)
