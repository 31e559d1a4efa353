"""Prices: the CPI-U Medical Care table, inflation to the price year, refused years."""

from __future__ import annotations

import pytest

from hrsim.economics.prices import (
    CURRENCY,
    PriceYearError,
    factor,
    index_table,
    index_years,
    inflate,
    price_index,
)
from hrsim.errors import ScenarioError
from hrsim.scenario import Scenario, build_scenario, cost_price_years

# Annual-average percent changes of CUUR0000SAM (4 decimals), read as a cross-check; each pair
# of consecutive listed years must agree with their product within the rounding.
ANNUAL_CHANGE = {
    2011: 0.0304, 2012: 0.0366, 2013: 0.0246, 2014: 0.0239, 2015: 0.0263, 2016: 0.0379,
    2017: 0.0251, 2018: 0.0197, 2019: 0.0283, 2020: 0.0411, 2021: 0.0123, 2022: 0.0405,
    2023: 0.0046, 2024: 0.0269,
}  # fmt: skip


def test_inflation_is_the_index_ratio_worked_by_hand():
    # $1,000 of 2010 in 2024 dollars: 1000 x 563.841 / 388.436 = 1451.57...
    assert inflate(1000.0, 2010, 2024) == pytest.approx(1000.0 * 563.841 / 388.436, rel=1e-12)
    assert inflate(1000.0, 2010, 2024) == pytest.approx(1451.5673, abs=1e-3)
    # NIDA's methadone year, 2016 dollars, in 2024: 6552 x 563.841 / 463.675 = 7967.40...
    assert inflate(6552.0, 2016, 2024) == pytest.approx(7967.4044, abs=1e-3)
    assert factor(2024, 2024) == 1.0
    assert inflate(inflate(50.0, 2015, 2022), 2022, 2015) == pytest.approx(50.0)


def test_listed_years_agree_with_the_published_annual_changes():
    years = index_years()
    assert years == tuple(sorted(years)) and len(years) >= 8
    for a, b in zip(years, years[1:], strict=False):
        product = 1.0
        for y in range(a + 1, b + 1):
            product *= 1.0 + ANNUAL_CHANGE[y]
        # 4-decimal rates: each is within 0.00005 of the truth
        assert abs(price_index(b) / price_index(a) / product - 1.0) < 0.00006 * (b - a), (a, b)


def test_a_year_outside_the_table_is_one_line_naming_the_years():
    with pytest.raises(PriceYearError) as err:
        price_index(2013)
    message = str(err.value)
    assert "\n" not in message and "2013" in message and "2024" in message
    assert "CUUR0000SAM" in message
    with pytest.raises(PriceYearError):
        inflate(1.0, 1999, 2024)
    assert isinstance(err.value, ScenarioError)


def test_scenario_price_year_must_be_in_the_table():
    with pytest.raises(ScenarioError) as err:
        build_scenario({"economics": {"price_year": 2013}})
    message = str(err.value)
    assert "economics.price_year" in message and "2013" in message and "\n" not in message
    assert Scenario.default().economics.currency == CURRENCY


def test_programme_price_year_must_be_in_the_table():
    with pytest.raises(ScenarioError) as err:
        build_scenario({"interventions": [{"type": "prep", "price_year": 2012}]})
    assert "price_year" in str(err.value) and "2012" in str(err.value)


def test_every_cost_default_has_a_listed_price_year():
    years = cost_price_years()
    assert years["methadone_usd_per_person_year"] == 2016
    table = index_table()
    assert all(y in table for y in years.values())
