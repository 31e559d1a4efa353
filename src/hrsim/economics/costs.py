"""The weekly cost ledger: unit costs in the price year, times the weekly counts.

Every unit cost in ``[costs]`` is in its own price year's dollars (the ``price_year`` next to
its default); ``unit_costs`` converts them all to ``economics.price_year``. ``weekly_costs``
multiplies them by the timeseries' counts, week by week, into the cost components reported as
outcomes (``hrsim.batch.outcomes``):

- ``treatment``: methadone and buprenorphine per person-week, detox per person-week, ART and
  HIV care per person-week on ART, each DAA course in the week it starts (everyone treated,
  in every arm);
- ``chronic``: HIV care per person-week in care before ART, chronic HCV and liver care per
  person-week with viraemic HCV;
- ``acute``: each EMS call to an overdose, each ED visit after a non-fatal overdose and its
  share of hospital admissions;
- ``criminal_justice`` (societal perspective only): person-weeks in jail and prison, arrests;
- ``productivity`` (societal only): production lost per person-week in active use or detox,
  and in custody;
- ``programmes``: the programmes' own ``cost_usd`` (already in the price year, see
  ``Intervention.spend``).

Person-weeks are the counts at the end of each week (the timeseries' state columns). Week 0
is the starting population: it costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from hrsim.economics.prices import factor

if TYPE_CHECKING:
    from hrsim.scenario.scenario import CostParams

#: The cost components, in the order outcomes report them.
COMPONENTS: tuple[str, ...] = (
    "programmes",
    "treatment",
    "acute",
    "chronic",
    "criminal_justice",
    "productivity",
)
#: Components counted only from the societal perspective.
SOCIETAL_ONLY: frozenset[str] = frozenset({"criminal_justice", "productivity"})


def unit_costs(
    costs: CostParams, to_year: int, price_years: Mapping[str, int] | None = None
) -> dict[str, float]:
    """Every ``[costs]`` value in ``to_year`` dollars (fractions, without a price year, as is).

    ``price_years`` defaults to the defaults' (``CostParams.price_years()``).
    """
    if price_years is None:
        price_years = costs.price_years()
    out: dict[str, float] = {}
    for key, value in costs.model_dump().items():
        year = price_years.get(key)
        out[key] = float(value) if year is None else float(value) * factor(year, to_year)
    return out


def weekly_costs(
    ts: pd.DataFrame, programme_usd: np.ndarray, unit: Mapping[str, float], perspective: str
) -> dict[str, np.ndarray]:
    """Each component's cost per week (one value per timeseries row; row of week 0 is 0).

    ``unit`` holds the unit costs in the price year (``unit_costs``); ``programme_usd`` the
    programmes' weekly spending, aligned with the rows.
    """

    def col(name: str) -> np.ndarray:
        return ts[name].to_numpy(dtype=np.float64)

    per_year = 1.0 / 52.0
    out = {
        "programmes": np.asarray(programme_usd, dtype=np.float64).copy(),
        "treatment": (
            col("methadone") * unit["methadone_usd_per_person_year"] * per_year
            + col("buprenorphine") * unit["buprenorphine_usd_per_person_year"] * per_year
            + col("detox") * unit["detox_usd_per_person_week"]
            + col("hiv_on_art") * unit["art_usd_per_person_year"] * per_year
            + col("daa_starts") * unit["daa_usd_per_course"]
        ),
        "chronic": (
            col("hiv_in_care_not_on_art") * unit["hiv_care_usd_per_person_year"] * per_year
            + col("hcv_viraemic") * unit["hcv_care_usd_per_person_year"] * per_year
        ),
        "acute": (
            col("ems_calls") * unit["ems_usd_per_call"]
            + col("ed_visits")
            * (
                unit["ed_visit_usd"]
                + unit["ed_visit_admission_fraction"] * unit["hospital_admission_usd"]
            )
        ),
        "criminal_justice": (
            col("jail") * unit["jail_usd_per_person_week"]
            + col("prison") * unit["prison_usd_per_person_week"]
            + col("arrests") * unit["arrest_usd"]
        ),
        "productivity": (
            (col("active") + col("detox"))
            * unit["productivity_loss_usd_per_person_year_using"]
            * per_year
            + (col("jail") + col("prison"))
            * unit["productivity_loss_usd_per_person_year_custody"]
            * per_year
        ),
    }
    start = ts["week"].to_numpy() == 0  # the starting population: no care given, no cost
    for name, values in out.items():
        if perspective != "societal" and name in SOCIETAL_ONLY:
            values[:] = 0.0
        values[start] = 0.0
    return out
