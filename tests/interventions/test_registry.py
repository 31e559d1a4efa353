"""Every programme, whatever it does: registry errors, and 'not started' means untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from programme_helpers import programme_scenario, run_model

from hrsim import HarmReductionModel
from hrsim.interventions import BUILT_IN, Intervention, InterventionParams, register, registered
from hrsim.scenario import ScenarioError, build_scenario

RUN = {"people": 1500, "years": 0.5, "seed": 4, "name": "t"}


def test_every_built_in_programme_is_registered():
    assert set(BUILT_IN) <= set(registered())


def test_misspelt_type_names_the_valid_ones():
    with pytest.raises(ScenarioError) as info:
        build_scenario({"interventions": [{"type": "syringe_service"}]}, "x.toml")
    message = str(info.value)
    assert "did you mean 'syringe_services'" in message
    for name in registered():
        assert name in message
    assert "\n" not in message


def test_misspelt_programme_key_suggests_the_closest():
    with pytest.raises(ScenarioError, match="did you mean 'coverage_fraction'"):
        build_scenario(
            {"interventions": [{"type": "syringe_services", "coverage_fractoin": 0.3}]}, "x.toml"
        )


def test_a_programme_cannot_be_declared_twice():
    with pytest.raises(ScenarioError, match="more than once"):
        build_scenario({"interventions": [{"type": "syringe_services"}] * 2}, "x.toml")


@pytest.mark.parametrize("type_name", sorted(BUILT_IN))
def test_a_programme_that_has_not_started_changes_nothing(type_name):
    """Before its start week a programme must not touch any hook or draw: the run is the
    baseline's, bit for bit (common random numbers)."""
    if type_name not in registered():
        pytest.fail(f"{type_name} is not implemented")
    base = run_model(programme_scenario(type_name, run=RUN))
    later = run_model(programme_scenario(type_name, {"start_week": 1000}, run=RUN))
    pd.testing.assert_frame_equal(base.timeseries_frame(), later.timeseries_frame())
    pd.testing.assert_frame_equal(base.events_frame(), later.events_frame())


def test_a_researcher_can_register_a_programme_from_their_own_code():
    class HalfAlone(Intervention):
        type = "half_alone_test"
        Params = InterventionParams

        def step(self, model):
            if self.scale(model.week) > 0:
                model.people.alone_multiplier *= 0.5

    register(HalfAlone)
    scenario = programme_scenario("half_alone_test", {}, run=RUN)
    model = HarmReductionModel(scenario)
    living = model.people.alive.copy()  # rows filled this week (initiates) start neutral
    model.step()
    assert (model.people.alone_multiplier[living & model.people.alive] == 0.5).all()
    registered().pop("half_alone_test")


@pytest.mark.parametrize(
    ("start", "ramp", "expected"),
    [
        (0, 4, [0.25, 0.5, 0.75, 1.0, 1.0]),
        (1, 4, [0.25, 0.5, 0.75, 1.0, 1.0]),
        (3, 2, [0.0, 0.0, 0.5, 1.0, 1.0]),
        (2, 0, [0.0, 1.0, 1.0, 1.0, 1.0]),
    ],
)
def test_ramp_up_reaches_full_scale_after_ramp_up_weeks(start, ramp, expected):
    programme = registered()["syringe_services"](
        build_scenario(
            {
                "interventions": [
                    {"type": "syringe_services", "start_week": start, "ramp_up_weeks": ramp}
                ]
            }
        ).interventions[0]
    )
    assert [programme.scale(week) for week in range(1, 6)] == pytest.approx(expected)


def test_client_lists_follow_enrolment_and_cannot_be_written_to():
    """``clients`` is kept until enrol or leave changes the enrolment: it must always equal
    the rows of the ``enrolled`` mask, and neither may be written by programme code."""
    m = HarmReductionModel("scenarios/full_package.toml", people=3000, years=2, seed=2)
    for _ in range(m.weeks):
        m.step()
        for programme in m.interventions:
            np.testing.assert_array_equal(programme.clients, np.flatnonzero(programme.enrolled))
    programme = m.interventions[0]
    assert programme.clients.size > 0
    with pytest.raises(ValueError, match="read-only"):
        programme.enrolled[0] = True
    with pytest.raises(ValueError, match="read-only"):
        programme.clients[0] = 1


@pytest.mark.parametrize("factor", [0.0, 0.4, 0.9, 1.0, 1.7, 3.0])
def test_multiply_where_is_the_indexed_product_bit_for_bit(factor):
    from hrsim.interventions.helpers import multiply_where

    rng = np.random.default_rng(5)
    hook = rng.uniform(0.1, 2.0, 10_001).astype(np.float32)
    mask = rng.random(hook.size) < 0.6
    expected = hook.copy()
    expected[np.flatnonzero(mask)] *= factor
    multiply_where(hook, mask, factor)
    np.testing.assert_array_equal(hook, expected)
