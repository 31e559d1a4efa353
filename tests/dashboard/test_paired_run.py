"""The paired run starts both arms from one burn-in, and keeps a few for the next run.

Starting from a kept burn-in must be exactly a run that drew its own: every weekly result
of both arms is compared with models built the ordinary way.
"""

from __future__ import annotations

import numpy as np

from hrsim import HarmReductionModel
from hrsim.core.results import TIMESERIES_COLUMNS
from hrsim.dashboard.paired_run import BurnIns, PairedRun, without_programmes
from hrsim.dashboard.parameters import Settings, to_scenario


def _scenario(file: str = "naloxone_distribution.toml", seed: int = 1):
    return to_scenario(Settings.from_file(file, people=300, seed=seed))


def _same_as_own_burn_ins(run: PairedRun, weeks: int) -> None:
    run.step(weeks)
    for arm, scenario in (
        ("scenario", run.scenario),
        ("baseline", without_programmes(run.scenario)),
    ):
        own = HarmReductionModel(scenario).run(weeks)
        for column in TIMESERIES_COLUMNS:
            assert np.array_equal(
                run.series(arm, column), own.timeseries.data[column][: own.timeseries.rows]
            ), (arm, column)


def test_a_run_from_a_kept_burn_in_is_a_run_with_its_own():
    kept = BurnIns()
    first = PairedRun(_scenario(), kept)
    assert kept.get(_scenario()) is first.model.burn_in_state  # kept for the next run
    # Another programme on the same community and seed takes it.
    other = _scenario("syringe_services.toml")
    assert kept.get(other) is first.model.burn_in_state
    _same_as_own_burn_ins(PairedRun(other, kept), 12)
    _same_as_own_burn_ins(first, 12)


def test_burn_ins_are_kept_by_community_and_seed_and_the_oldest_goes():
    kept = BurnIns(size=2)
    for seed in (1, 2, 3):
        PairedRun(_scenario(seed=seed), kept)
    assert kept.get(_scenario(seed=1)) is None
    assert kept.get(_scenario(seed=2)) is not None and kept.get(_scenario(seed=3)) is not None
    fresh = PairedRun(_scenario(seed=4), None)  # None: nothing kept, nothing taken
    assert kept.get(_scenario(seed=4)) is None
    _same_as_own_burn_ins(fresh, 5)
