"""The event log is complete: weekly people-in-state counts rebuilt from it alone match the
timeseries for every week and state."""

from __future__ import annotations

import numpy as np
import pytest

from hrsim import HarmReductionModel
from hrsim.core.results import STATE_COLUMNS
from hrsim.scenario import build_scenario

STATE_KINDS = ["initial", "transition", "death", "exit", "entry"]


def rebuilt_counts(events, weeks: int) -> dict[str, np.ndarray]:
    """People in each state at the end of every week, from state-changing events only."""
    ev = events[events["kind"].astype(str).isin(STATE_KINDS)].reset_index(drop=True)
    ev["order"] = np.arange(len(ev))  # log order breaks ties within a week
    ev = ev.sort_values(["person", "week", "order"]).drop_duplicates(
        ["person", "week"], keep="last"
    )
    person = ev["person"].to_numpy()
    start = ev["week"].to_numpy()
    state = ev["to_state"].astype(str).to_numpy()
    same_next = np.append(person[1:] == person[:-1], False)
    end = np.where(same_next, np.append(start[1:], 0), weeks + 1)
    counts = {}
    for name in STATE_COLUMNS:
        diff = np.zeros(weeks + 2, dtype=np.int64)
        mask = state == name
        np.add.at(diff, start[mask], 1)
        np.add.at(diff, end[mask], -1)
        counts[name] = np.cumsum(diff)[: weeks + 1]
    return counts


@pytest.mark.parametrize("programme", [None, "syringe_services"])
def test_state_counts_rebuilt_from_the_event_log_match_the_timeseries(programme):
    data = {"run": {"people": 2000, "years": 2.0, "seed": 8, "name": "log"}}
    if programme:
        data["interventions"] = [{"type": programme}]
    model = HarmReductionModel(build_scenario(data))
    model.run()
    ts = model.timeseries_frame()
    counts = rebuilt_counts(model.events_frame(), model.weeks)
    for name in STATE_COLUMNS:
        np.testing.assert_array_equal(counts[name], ts[name].to_numpy(), err_msg=name)
    assert ts["relapses"].sum() > 0 and ts["moud_starts"].sum() > 0  # states do change
