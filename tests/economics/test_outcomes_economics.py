"""Outcomes: costs by perspective, treatment costed in every arm, discounting, price years."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hrsim import HarmReductionModel, Scenario
from hrsim.batch.outcomes import OUTCOMES, outcomes_of, weekly_cost, weekly_cost_components
from hrsim.economics.costs import unit_costs
from hrsim.economics.prices import inflate
from hrsim.errors import ScenarioError
from hrsim.scenario import build_scenario

SMALL = {"run.people": 600, "run.years": 1.0, "run.burn_in_years": 0.5, "run.seed": 3}


def _run(overrides: dict[str, object], interventions: list[dict[str, object]] | None = None):
    data: dict[str, object] = {}
    if interventions:
        data["interventions"] = interventions
    scenario = build_scenario(data).with_overrides({**SMALL, **overrides})
    model = HarmReductionModel(scenario, record_events=False).run()
    ts, progs = model.timeseries_frame(), model.programme_frame()
    return scenario, model, ts, progs, outcomes_of(scenario, ts, progs, model.lifetime_tail())


def test_every_outcome_name_of_the_design_is_there():
    for name in (
        "qalys", "qalys_run", "life_years_discounted", "cost_usd", "cost_discounted_usd",
        "qalys_tail", "cost_tail_usd", "cost_programmes_usd", "cost_treatment_usd",
        "cost_acute_usd", "cost_chronic_usd", "cost_criminal_justice_usd",
        "cost_productivity_usd",
    ):  # fmt: skip
        assert name in OUTCOMES, name


def test_art_and_daa_are_costed_without_the_testing_programme():
    # More DAA starts than the default, so the run has some; no programme runs.
    s, m, ts, progs, out = _run({"infection.hcv_treatment_start_rate_per_year": 2.0})
    assert progs.empty or progs.loc[progs["output"] == "cost_usd", "value"].sum() == 0.0
    assert ts["hiv_on_art"].iloc[1:].sum() > 0 and ts["daa_starts"].sum() > 0
    unit = unit_costs(s.costs, s.economics.price_year)
    parts = weekly_cost_components(s, ts, progs)
    w = ts.iloc[1:]
    moud_detox = (
        w["methadone"] * unit["methadone_usd_per_person_year"] / 52
        + w["buprenorphine"] * unit["buprenorphine_usd_per_person_year"] / 52
        + w["detox"] * unit["detox_usd_per_person_week"]
    )
    art_daa = parts["treatment"][1:] - moud_detox.to_numpy()
    by_hand = (
        w["hiv_on_art"] * unit["art_usd_per_person_year"] / 52
        + w["daa_starts"] * unit["daa_usd_per_course"]
    ).to_numpy()
    np.testing.assert_allclose(art_daa, by_hand, rtol=1e-9)
    assert art_daa.sum() > 0
    # ART's unit cost is 2019 dollars, converted to 2024
    assert unit["art_usd_per_person_year"] == pytest.approx(inflate(40000.0, 2019, 2024))


def test_societal_adds_custody_and_productivity_health_sector_has_none():
    s1, m1, ts1, p1, health = _run({"economics.perspective": "health_sector"})
    s2, m2, ts2, p2, societal = _run({"economics.perspective": "societal"})
    assert ts1.equals(ts2.assign(exits_tail_productivity_usd=ts1["exits_tail_productivity_usd"]))
    assert health["cost_criminal_justice_usd"] == 0.0 and health["cost_productivity_usd"] == 0.0
    assert societal["cost_criminal_justice_usd"] > 0.0 and societal["cost_productivity_usd"] > 0.0
    for part in ("programmes", "treatment", "acute", "chronic"):
        key = f"cost_{part}_usd"
        assert societal[key] == pytest.approx(health[key], rel=1e-12), key
    assert societal["cost_usd"] > health["cost_usd"]
    # criminal justice by hand: person-weeks in jail and prison and arrests, discounted
    unit = unit_costs(s2.costs, s2.economics.price_year)
    w = ts2.iloc[1:]
    d = (1.03) ** (-w["week"].to_numpy() / 52)
    cj = (
        w["jail"] * unit["jail_usd_per_person_week"]
        + w["prison"] * unit["prison_usd_per_person_week"]
        + w["arrests"] * unit["arrest_usd"]
    ).to_numpy()
    assert societal["cost_criminal_justice_usd"] == pytest.approx(float(cj @ d), rel=1e-9)


def test_discount_rate_zero_makes_discounted_equal_undiscounted_within_the_run():
    s, m, ts, progs, out = _run({"economics.discount_rate": 0.0, "economics.horizon": "run"})
    assert out["cost_discounted_usd"] == pytest.approx(out["cost_usd"], rel=1e-12)
    assert out["qalys"] == pytest.approx(out["qalys_run"], rel=1e-12)
    assert out["life_years_discounted"] == pytest.approx(ts["population"].iloc[1:].sum() / 52)
    assert out["cost_usd"] == pytest.approx(float(weekly_cost(s, ts, progs).sum()))
    assert weekly_cost(s, ts, progs)[0] == 0.0  # week 0: the starting population costs nothing
    # a positive rate discounts: less than undiscounted
    _, _, _, _, discounted = _run({"economics.horizon": "run"})
    assert discounted["cost_discounted_usd"] < discounted["cost_usd"]
    assert discounted["qalys"] < discounted["qalys_run"]


def test_lifetime_adds_the_tail_to_qalys_and_costs():
    _, _, _, _, out = _run({})
    assert out["qalys_tail"] > out["qalys_run"] > 0  # decades left after one year
    assert out["qalys"] > out["qalys_tail"]
    assert out["cost_tail_usd"] > 0
    parts = sum(out[f"cost_{c}_usd"] for c in (
        "programmes", "treatment", "acute", "chronic", "criminal_justice", "productivity"
    ))  # fmt: skip
    assert out["cost_discounted_usd"] == pytest.approx(parts, rel=1e-12)


def test_programme_costs_are_converted_from_their_price_year():
    prep = {"type": "prep", "coverage_fraction": 0.5}
    *_, progs_2024, _ = _run({}, [{**prep, "price_year": 2024}])
    *_, progs_2010, _ = _run({}, [{**prep, "price_year": 2010}])
    spent = [p.loc[p["output"] == "cost_usd", "value"].sum() for p in (progs_2024, progs_2010)]
    assert spent[0] > 0
    # the same spending, read in 2010 dollars, is worth 563.841 / 388.436 as much in 2024's
    assert spent[1] == pytest.approx(spent[0] * 563.841 / 388.436, rel=1e-12)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("economics.discount_rate", 0.5, "discount_rate = 0.5 is out of range: allowed 0 to 0.2"),
        ("economics.utility_active", 1.5, "utility_active = 1.5 is out of range: allowed 0 to 1"),
        ("economics.post_overdose_weeks", -1, "economics.post_overdose_weeks = -1 is out of range"),
        ("costs.ed_visit_usd", -5.0, "costs.ed_visit_usd = -5.0 is out of range: allowed 0 to"),
        ("economics.perspective", "patient", "economics.perspective"),
        ("economics.horizon", "forever", "forever"),
        ("economics.currency", "EUR", "USD"),
    ],
)
def test_bad_economics_values_are_one_line_naming_field_value_and_range(key, value, expected):
    with pytest.raises(ScenarioError) as err:
        Scenario.default().with_overrides({key: value})
    message = str(err.value)
    assert "\n" not in message and expected in message, message
    assert key in message


def test_moved_programme_cost_keys_name_the_new_key():
    for old, new in (
        ("cost_usd_per_art_person_week", "costs.art_usd_per_person_year"),
        ("cost_usd_per_daa_course", "costs.daa_usd_per_course"),
    ):
        with pytest.raises(ScenarioError) as err:
            build_scenario({"interventions": [{"type": "hiv_hcv_testing_treatment", old: 1.0}]})
        message = str(err.value)
        assert "\n" not in message and old in message and f"it moved: use {new}" in message


def test_weekly_cost_is_the_sum_of_the_components():
    s, m, ts, progs, _ = _run({"economics.perspective": "societal"})
    parts = weekly_cost_components(s, ts, progs)
    assert isinstance(ts, pd.DataFrame)
    np.testing.assert_allclose(weekly_cost(s, ts, progs), sum(parts.values()))
