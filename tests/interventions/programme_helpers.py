"""Helpers shared by the programme tests: scenarios with or without a programme, runs,
weekly outputs, the event log as text, and the "changes nothing" comparisons.

Import them as ``from programme_helpers import ...``. The module is not called ``conftest``
so that it does not shadow ``tests/conftest.py`` (imported as ``from conftest import ...``).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from hrsim import HarmReductionModel, Scenario
from hrsim.processes import DEFAULT_PROCESSES, Process
from hrsim.scenario import build_scenario

# Columns of the event log whose categories depend on the kinds of event logged.
TEXT_COLUMNS = ("kind", "from_state", "to_state", "detail")
# Population overrides that put everyone in active use at the start.
EVERYONE_USING: dict[str, float] = {
    "moud_fraction": 0.0,
    "recovery_fraction": 0.0,
    "detox_fraction": 0.0,
    "prison_fraction": 0.0,
}


def programme_scenario(
    type_name: str,
    programme: dict[str, Any] | None = None,
    *,
    run: dict[str, Any],
    **sections: dict[str, Any],
) -> Scenario:
    """A scenario with the ``run`` settings and parameter ``sections``, and the programme
    ``type_name`` with parameters ``programme`` (no programme at all when it is None)."""
    data: dict[str, Any] = {"run": run, **sections}
    if programme is not None:
        data["interventions"] = [{"type": type_name, **programme}]
    return build_scenario(data)


def run_model(
    scenario: Scenario,
    weeks: int | None = None,
    processes: tuple[type[Process], ...] = DEFAULT_PROCESSES,
) -> HarmReductionModel:
    """A model of ``scenario`` run for ``weeks`` (default: to the horizon)."""
    return HarmReductionModel(scenario, processes=processes).run(weeks)


def weekly_outputs(model: HarmReductionModel) -> pd.DataFrame:
    """Weekly programme outputs, one column each, indexed by week, from week 1."""
    frame = model.programme_frame()
    return frame.pivot(index="week", columns="output", values="value").iloc[1:]


def text_events(model: HarmReductionModel) -> pd.DataFrame:
    """The event log with plain-text columns (categories depend on the kinds logged)."""
    return model.events_frame().astype(dict.fromkeys(TEXT_COLUMNS, str))


def assert_same_as_baseline(
    model_with: HarmReductionModel, model_without: HarmReductionModel, type_name: str
) -> None:
    """The run with the programme is the baseline's, bit for bit (weekly results and event
    log), and the programme logged no events of its own."""
    pd.testing.assert_frame_equal(model_without.timeseries_frame(), model_with.timeseries_frame())
    events = model_with.events_frame()
    pd.testing.assert_frame_equal(model_without.events_frame(), events)
    assert not (events["kind"] == type_name).any()


def assert_same_apart_from_own_events(
    model_with: HarmReductionModel,
    model_without: HarmReductionModel,
    type_name: str,
    *,
    logs_own: bool,
) -> None:
    """The run with the programme is the baseline's, bit for bit, once the programme's own
    events are left out of its event log; it logged events of its own iff ``logs_own``."""
    pd.testing.assert_frame_equal(model_without.timeseries_frame(), model_with.timeseries_frame())
    events = text_events(model_with)
    own = events["kind"] == type_name
    assert own.any() == logs_own
    pd.testing.assert_frame_equal(text_events(model_without), events[~own].reset_index(drop=True))
