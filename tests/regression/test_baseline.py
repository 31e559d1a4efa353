"""Results equal the stored regression baseline exactly (see cases.py for how to update it)."""

from __future__ import annotations

import pytest
from tests.regression import cases


@pytest.mark.parametrize("case", cases.CASES, ids=lambda c: c.name)
def test_results_match_the_stored_baseline(case: cases.Case) -> None:
    stored = cases.load()
    assert case.name in stored, "case missing from baseline.json: run make baseline"
    changed = cases.differences({case.name: stored[case.name]}, {case.name: cases.compute(case)})
    assert not changed, (
        "results differ from tests/regression/baseline.json; if the change is intended, run "
        "`make baseline`, review the diff and say why in the commit:\n" + "\n".join(changed)
    )


def test_differences_names_what_changed() -> None:
    old = {"a": {"outcomes": {"x": 1.0, "y": 2.0}, "seed": 1}}
    new = {"a": {"outcomes": {"x": 1.0, "y": 3.0}, "seed": 1}, "b": {}}
    assert cases.differences(old, new) == ["a: outcomes.y: 2.0 -> 3.0", "b: added"]
    assert cases.differences(old, old) == []
