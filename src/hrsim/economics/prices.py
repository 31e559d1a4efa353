"""Currency, price years and inflation: US dollars of one year into another's.

Costs come from sources in their own year's dollars; every cost default carries a
``price_year`` and a scenario states the year all costs are reported in
(``economics.price_year``). The conversion is the ratio of annual-average price indexes,
CPI-U Medical Care (U.S. Bureau of Labor Statistics series CUUR0000SAM, 1982-84 = 100),
shipped as package data (``cpi_medical_care.csv``, each year's source in the file). Only
years whose published level was read are in the table: asking for any other year is one
line naming the year and the years there are, never a silent interpolation.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources

from hrsim.errors import ScenarioError

CURRENCY = "USD"
#: The index: CPI-U Medical Care, U.S. city average, annual averages.
INDEX_SERIES = "CUUR0000SAM"
INDEX_NAME = "CPI-U Medical Care (BLS series CUUR0000SAM), annual average, 1982-84 = 100"


class PriceYearError(ScenarioError):
    """A year the price index table does not hold."""


@cache
def index_table() -> dict[int, float]:
    """The annual-average index by year (read once from the package's CSV)."""
    text = resources.files("hrsim.economics").joinpath("cpi_medical_care.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO("\n".join(ln for ln in text.splitlines() if ln[:1] != "#")))
    return {int(row["year"]): float(row["index"]) for row in rows}


def index_years() -> tuple[int, ...]:
    """The years the table holds, in order."""
    return tuple(sorted(index_table()))


def price_index(year: int) -> float:
    """CPI-U Medical Care annual average for ``year``; a year not in the table is one line."""
    table = index_table()
    if isinstance(year, bool) or not isinstance(year, int) or year not in table:
        years = index_years()
        raise PriceYearError(
            f"price year {year!r} is not in the price index table ({INDEX_NAME}); it holds "
            f"{', '.join(map(str, years))} (years whose published level was not verified are "
            "left out: use the nearest listed year and say so in the source)"
        )
    return table[year]


def inflate(amount: float, from_year: int, to_year: int) -> float:
    """``amount`` dollars of ``from_year`` in dollars of ``to_year`` (index ratio)."""
    return amount * price_index(to_year) / price_index(from_year)


def factor(from_year: int, to_year: int) -> float:
    """The multiplier that turns ``from_year`` dollars into ``to_year`` dollars."""
    return price_index(to_year) / price_index(from_year)
