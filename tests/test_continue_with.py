"""A change made while a run is under way (``HarmReductionModel.continue_with``), and copies.

The dashboard's "play from here" continues a run with new settings, and keeps the run without
the change going beside it (a deep copy). Both must be exact: a copy continues as the
original would, and a change at week ``w`` gives what a run that had the change written in
from the start (a supply series that switches that year, a programme whose ``start_week``
is ``w + 1``) gives.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest
from pandas.testing import assert_frame_equal

from hrsim import HarmReductionModel
from hrsim.model import CHANGEABLE_MID_RUN
from hrsim.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
SIZE = {"run.people": 500, "run.years": 1.5, "run.burn_in_years": 0.5, "run.seed": 3}


def _scenario(name: str, **overrides: object) -> Scenario:
    return load_scenario(SCENARIOS / f"{name}.toml", {**SIZE, **overrides})


def _programme_scenarios() -> list[str]:
    return sorted(
        path.stem
        for path in SCENARIOS.glob("*.toml")
        if load_scenario(path, SIZE).interventions and path.stem != "massachusetts"
    )


def _same_results(a: HarmReductionModel, b: HarmReductionModel) -> None:
    assert_frame_equal(a.timeseries_frame(), b.timeseries_frame())
    assert_frame_equal(a.programme_frame(), b.programme_frame())
    assert_frame_equal(a.events_frame(), b.events_frame())


@pytest.mark.parametrize("name", ["full_package", "peer_network", "post_release_moud"])
def test_a_deep_copy_mid_run_continues_exactly_as_the_original(name: str):
    original = HarmReductionModel(_scenario(name))
    original.run(30)
    twin = copy.deepcopy(original)
    original.run()
    twin.run()
    _same_results(original, twin)


def test_continuing_with_the_same_scenario_changes_nothing():
    whole = HarmReductionModel(_scenario("full_package")).run()
    split = HarmReductionModel(_scenario("full_package"))
    split.run(40)
    split.continue_with(split.scenario)
    split.run()
    _same_results(whole, split)


def test_a_supply_change_at_a_year_boundary_equals_the_series_written_in_from_the_start():
    """Week 52 is year 1: changing after week 51 is the series ``[0.3, 0.9]``."""
    share = "supply.fentanyl_share_by_year"
    written = HarmReductionModel(_scenario("baseline", **{share: [0.3, 0.9]})).run()
    changed = HarmReductionModel(_scenario("baseline", **{share: [0.3]}))
    changed.run(51)
    changed.continue_with(changed.scenario.with_overrides({share: [0.3, 0.9]}))
    changed.run()
    _same_results(written, changed)


@pytest.mark.parametrize("name", _programme_scenarios())
def test_a_programme_added_mid_run_starts_the_next_week(name: str):
    """Added after week 30, a programme runs as one with ``start_week`` 31 does."""
    arm = _scenario(name)
    late = arm.model_copy(
        update={
            "interventions": tuple(
                p.model_copy(update={"start_week": max(p.start_week, 31)})
                for p in arm.interventions
            )
        }
    )
    written = HarmReductionModel(late).run()
    changed = HarmReductionModel(arm.model_copy(update={"interventions": ()}))
    changed.run(30)
    changed.continue_with(arm)
    assert [p.start_week for p in changed.scenario.interventions] == [
        max(p.start_week, 31) for p in arm.interventions
    ]
    changed.run()
    assert_frame_equal(written.timeseries_frame(), changed.timeseries_frame())
    assert_frame_equal(written.events_frame(), changed.events_frame())
    # Before it starts a programme may report its inputs (moud_expansion its places); one
    # added later has nothing to report for the weeks before it existed.
    a, b = written.programme_frame(), changed.programme_frame()
    assert_frame_equal(
        a[a["week"] > 30].reset_index(drop=True), b[b["week"] > 30].reset_index(drop=True)
    )


def test_a_programme_at_a_new_level_keeps_its_clients_and_works_at_the_new_level():
    model = HarmReductionModel(_scenario("naloxone_distribution"))
    model.run(30)
    (programme,) = model.interventions
    clients = set(programme.clients.tolist())
    assert clients
    higher = model.scenario.model_copy(
        update={
            "interventions": (
                programme.params.model_copy(
                    update={"coverage_fraction": min(1.0, 2 * programme.params.coverage_fraction)}
                ),
            )
        }
    )
    model.continue_with(higher)
    assert model.interventions[0] is programme
    assert (
        model.interventions[0].params.coverage_fraction == higher.interventions[0].coverage_fraction
    )


def test_a_removed_programme_stops_and_leaves_no_hook_behind():
    model = HarmReductionModel(_scenario("full_package"))
    model.run(20)
    model.continue_with(model.scenario.model_copy(update={"interventions": ()}))
    assert model.interventions == []
    assert model.hooks.moud_capacity_places == round(
        model.scenario.care.moud_capacity_fraction * model.scenario.run.people
    )
    model.run(5)
    frame = model.programme_frame()
    assert (frame.loc[frame["week"] > 20, "value"] == 0).all()


def test_a_change_of_anything_else_is_refused_by_name():
    model = HarmReductionModel(_scenario("baseline"))
    model.run(3)
    rate = model.scenario.overdose.base_rate_per_year
    other = model.scenario.with_overrides(
        {"overdose.base_rate_per_year": 2 * rate, "care.moud_capacity_fraction": 0.5}
    )  # the capacity may change: it is not named
    with pytest.raises(ValueError, match=r"^overdose\.base_rate_per_year cannot change") as err:
        model.continue_with(other)
    assert "moud_capacity" not in str(err.value).split("(")[0]
    assert model.scenario.overdose.base_rate_per_year != other.overdose.base_rate_per_year


def test_the_changeable_fields_exist():
    dumped = _scenario("baseline").model_dump()
    for field in CHANGEABLE_MID_RUN:
        section, _, key = field.partition(".")
        assert section in dumped and (not key or key in dumped[section]), field
    assert np.isfinite(dumped["care"]["moud_capacity_fraction"])
