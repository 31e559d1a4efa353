"""ED-initiated buprenorphine: the hook it turns, and the starts that follow at ED visits."""

from __future__ import annotations

from programme_helpers import EVERYONE_USING, programme_scenario

from conftest import binomial_se, within
from hrsim import HarmReductionModel
from hrsim.processes import Overdose

TYPE = "ed_buprenorphine"


def test_ed_visits_start_buprenorphine_at_the_mixed_probability():
    """A visit starts buprenorphine with base + coverage (p - base); cost = covered visits."""
    base, coverage, p, cost = 0.02, 0.5, 0.6, 100.0
    scenario = programme_scenario(
        TYPE,
        {"coverage_fraction": coverage, "start_probability": p, "cost_usd_per_ed_visit": cost},
        # No burn-in: 5 years at this rate would leave few to overdose.
        run={"name": "t", "people": 20_000, "years": 0.1, "seed": 5, "burn_in_years": 0.0},
        population={**EVERYONE_USING, "uses_alone_probability": 0.0},
        overdose={"base_rate_per_year": 5.0},
        supply={"fentanyl_share_by_year": [0.0]},
        response={
            "bystander_able_probability": 1.0,
            "ems_call_probability": 1.0,
            "ed_buprenorphine_probability": base,
        },
        care={"overdose_referral_to_moud_probability": 0.0},
    )
    m = HarmReductionModel(scenario, processes=(Overdose,))
    m.run()
    ts = m.timeseries_frame().sum()
    visits = int(ts["ed_visits"])
    assert visits > 1000
    q = base + coverage * (p - base)
    assert within(ts["ed_buprenorphine"] / visits, q, binomial_se(q, visits))
    out = m.programme_frame().groupby("output")["value"].sum()
    assert abs(out["ed_visits_covered"] - coverage * visits) < 1e-6
    assert abs(out["cost_usd"] - cost * coverage * visits) < 1e-6
