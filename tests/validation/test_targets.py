"""The seed lecture's targets, reproduced by the default model (see hrsim.validation).

The experiments run once per session (20,000 people, 3 replicates, 10 years, two settings);
each target is its own test so a failure names the target. Tolerances are set in
hrsim.validation from the studies' sample sizes and the simulation's standard errors.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hrsim.validation import run_validation

TARGETS = [
    "relapse within 1 week of detox discharge, no aftercare",
    "relapsed by 18-36 months (at 27 months) after detox, no aftercare",
    "abstinent 12 months after treatment (detox, any aftercare)",
    "buprenorphine retained at 12 months, usual care",
    "buprenorphine retained at 12 months, trial-like setting",
    "still in treatment at 12 months without medication (detox/psychosocial only)",
    "overdose death rate, weeks 1-2 vs 3-12 after prison release",
    "overdose mortality off vs on methadone (rate ratio)",
]


@pytest.fixture(scope="module")
def results():
    return {r.name: r for r in run_validation()}


@pytest.mark.validation
@pytest.mark.parametrize("name", TARGETS)
def test_target(results, name):
    r = results[name]
    assert r.passed, f"{name}: simulated {r.simulated:.3f} {r.interval}, target {r.target}"


@pytest.mark.validation
def test_every_target_is_checked(results):
    assert sorted(results) == sorted(TARGETS)


@pytest.mark.validation
def test_validate_command_json_and_exit_code():
    """`hrsim validate --json` at a small size: the exit code says whether all passed."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "hrsim.cli",
            "validate",
            "--json",
            "--people",
            "4000",
            "--replicates",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    rows = json.loads(out.stdout)
    assert {r["name"] for r in rows} == set(TARGETS)
    for r in rows:
        assert set(r) == {
            "name",
            "source",
            "target",
            "simulated",
            "interval",
            "tolerance",
            "passed",
        }
    assert out.returncode == (0 if all(r["passed"] for r in rows) else 1)
