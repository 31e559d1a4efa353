"""More coverage never gives more expected deaths than less (within the paired interval)."""

from __future__ import annotations

import pytest
from programme_helpers import programme_scenario

from hrsim.analysis.compare import compare

RUN = {"people": 3000, "years": 2.0, "seed": 11, "name": "arm"}
LEVELS = (0.0, 0.5, 1.0)


@pytest.mark.parametrize(
    ("programme", "knob"),
    [
        ("naloxone_distribution", "coverage_fraction"),
        ("supervised_consumption", "reach_fraction"),
        ("syringe_services", "coverage_fraction"),
        ("peer_navigation", "coverage_fraction"),
    ],
)
def test_more_coverage_never_more_deaths(programme, knob):
    arms = [
        programme_scenario(programme, {knob: level}, run={**RUN, "name": f"{knob}={level}"})
        for level in LEVELS
    ]
    for low, high in zip(arms, arms[1:], strict=False):
        result = compare(low, [high], replicates=6, seed=3, workers=2)
        for outcome in ("fatal_overdoses", "deaths_all_causes"):
            lo, _ = result.arms[0].outcomes[outcome].difference_ci95
            assert lo <= 0, f"{programme}: {high.run.name} has more {outcome} than {low.run.name}"
            assert result.arms[0].outcomes[outcome].baseline_mean > 0  # not a degenerate test
