"""A burn-in shared between paired arms (hrsim.burn_in): a run that starts from another arm's
week 0 is identical to one that ran its own burn-in, for every shipped scenario."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from hrsim import HarmReductionModel
from hrsim.batch.outcomes import run_outcomes, run_outcomes_sharing_burn_in
from hrsim.burn_in import BurnIn, burn_in_key
from hrsim.processes import DEFAULT_PROCESSES
from hrsim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SIZE = {"run.people": 400, "run.years": 1.0, "run.burn_in_years": 1.0, "run.seed": 5}


def _results(model: HarmReductionModel) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    model.run()
    return model.timeseries_frame(), model.programme_frame(), model.events_frame()


def _arms() -> list[Path]:
    """Every shipped scenario whose burn-in is the baseline's (programmes only differ)."""
    base = load_scenario(SCENARIOS / "baseline.toml", SIZE)
    key = burn_in_key(base, DEFAULT_PROCESSES)
    return [
        path
        for path in sorted(SCENARIOS.glob("*.toml"))
        if burn_in_key(load_scenario(path, SIZE), DEFAULT_PROCESSES) == key
    ]


def test_most_shipped_scenarios_share_the_baselines_burn_in():
    """Programme scenarios change only programmes; a supply scenario has a burn-in of its own."""
    arms = {path.stem for path in _arms()}
    assert {"baseline", "naloxone_distribution", "full_package", "syringe_services"} <= arms
    assert "fentanyl_surge" not in arms


@pytest.mark.parametrize("path", _arms(), ids=lambda p: p.stem)
def test_a_run_from_a_shared_burn_in_is_identical(path: Path):
    base = HarmReductionModel(load_scenario(SCENARIOS / "baseline.toml", SIZE), keep_burn_in=True)
    assert isinstance(base.burn_in_state, BurnIn)
    arm = load_scenario(path, SIZE)
    shared = _results(HarmReductionModel(arm, burn_in=base.burn_in_state))
    own = _results(HarmReductionModel(arm))
    for got, expected in zip(shared, own, strict=True):
        assert_frame_equal(got, expected)


def test_a_burn_in_is_not_reused_where_it_does_not_belong():
    """A scenario that differs outside its programmes (here the seed) refuses another's."""
    base = HarmReductionModel(load_scenario(SCENARIOS / "baseline.toml", SIZE), keep_burn_in=True)
    other = load_scenario(SCENARIOS / "naloxone_distribution.toml", {**SIZE, "run.seed": 6})
    with pytest.raises(ValueError, match="another scenario"):
        HarmReductionModel(other, burn_in=base.burn_in_state)


def test_two_runs_from_one_burn_in_do_not_share_arrays():
    base = HarmReductionModel(load_scenario(SCENARIOS / "baseline.toml", SIZE), keep_burn_in=True)
    a = HarmReductionModel(base.scenario, burn_in=base.burn_in_state)
    b = HarmReductionModel(base.scenario, burn_in=base.burn_in_state)
    assert a.people.state is not b.people.state
    a.run()
    assert_frame_equal(b.run().timeseries_frame(), base.run().timeseries_frame())


def test_outcomes_of_arms_sharing_a_burn_in_equal_separate_runs():
    names = ("baseline", "naloxone_distribution", "fentanyl_surge")
    scenarios = [load_scenario(SCENARIOS / f"{name}.toml", SIZE) for name in names]
    assert run_outcomes_sharing_burn_in(scenarios) == [run_outcomes(s) for s in scenarios]
