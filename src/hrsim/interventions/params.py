"""What every programme's scenario table holds: the parameters common to all programmes.

Kept apart from the programme classes so the scenario floor can validate tables without
importing the programmes' machinery.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hrsim.economics.prices import price_index


class InterventionParams(BaseModel):
    """Parameters every programme has. Subclasses add their own (with units in the names)."""

    # strict: a boolean or a string is not a number (an int is still taken for a float);
    # programmes that subclass these parameters inherit it.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    type: str
    start_week: int = Field(0, ge=0, le=5200)
    ramp_up_weeks: int = Field(0, ge=0, le=5200)
    fixed_cost_usd_per_week: float = Field(0.0, ge=0.0, le=1e9)
    # Issue 15: the year of the programme's unit costs (its dollars). The programme's reported
    # ``cost_usd`` is converted from it to ``economics.price_year``; None: the costs are already
    # in the scenario's price year (no conversion).
    price_year: int | None = Field(None, ge=1900, le=2100)

    @field_validator("price_year")
    @classmethod
    def _known_price_year(cls, value: int | None) -> int | None:
        if value is not None:
            price_index(value)  # one line naming the years the index table holds
        return value
