"""The validation suite at its default size: the numbers ``hrsim validate`` prints.

The experiments run once per module (30,000 people, 4 replicates, 10 years, two settings,
through the local process pool); each target is its own test so a failure names the target.
Tolerances are set in hrsim.analysis.validation from the studies' uncertainty and the simulation's
standard errors; none is chosen here.

Targets the model meets must pass. Targets it misses must be reported as failing, and each miss
is checked to be real: the simulated 95% interval lies wholly outside the published one. A
change to the model may flip a target, and then these lists must be
revisited, not the tolerance. Every target is labelled calibration or validation.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from hrsim.analysis.validation import run_validation

MEETS = [
    "relapse within 1 week of detox discharge, no aftercare",
    "relapsed by 18-36 months (at 27 months) after detox, no aftercare",
    "abstinent 12 months after treatment (detox, any aftercare)",
    "buprenorphine retained at 12 months, usual care",
    "buprenorphine retained at 12 months, trial-like setting",
    "still in treatment at 12 months without medication (detox/psychosocial only)",
    "overdose death rate, weeks 1-2 vs 3-12 after prison release",
    "overdose mortality off vs on methadone (rate ratio)",
    "all-cause mortality off vs on buprenorphine (rate ratio)",
    "death from any cause within 12 months of inpatient detox discharge",
    "fatal overdose rate among people who inject (per 1000 person-years)",
    "HIV incidence among people who injected in the past year (per 100 person-years)",
    "receptive syringe sharing in the past 12 months, HIV-negative people who inject",
]

# The model misses these; they are reported, not loosened. Values with the defaults.
MISSES = [
    # About 2.0 vs 3.2: MOUD's effect on non-overdose deaths is taken as partly causal
    # (demography.moud_other_death_rr 0.61, not the observed 0.37), so the observed gap,
    # which includes selection into treatment, is not reproduced: by design.
    "all-cause mortality off vs on methadone (rate ratio)",
    # About 0.3% die of overdose within 4 months of detox; Strang saw 3 of 137 (2.2%).
    "overdose death within 4 months of inpatient detox discharge",
    # About 5.0 per 100 PY against 15-30 (US cohorts): the sharing calibration could not
    # reach it within the parameters' plausible ranges.
    "primary HCV incidence among people who injected in the past year (per 100 person-years)",
    # About 20% against 42 of 53: equipment sharing is the only route for people who do not
    # share syringes.
    "share of primary HCV infections in people who did not share syringes in the past 12 months",
    # About 0.26 and 0.02 against 0.46 and 0.50: few people on MOUD inject (2.3% of weeks,
    # from Sullivan's buprenorphine patients), and then less often and sharing less; HIV on
    # MOUD comes mostly by sex, which MOUD does not change.
    "HIV incidence on vs off MOUD among people who inject (rate ratio)",
    "primary HCV incidence on vs off MOUD among people who inject (rate ratio)",
    # About 3.7 against 6.2 (4.3-9.0) per 100 PY.
    "HCV reinfection after cure among people who inject (per 100 person-years)",
    # HIV prevalence falls from 7% to about 5%, HCV antibody from 55% to about 38% and
    # viraemic HCV from 39% to about 24%: incidence does not balance deaths, exits, cure and
    # HIV-negative entrants.
    "HIV prevalence among people who injected in the past year, at the end",
    "HCV antibody prevalence among people who injected in the past year, at the end",
    "HCV (viraemic) prevalence among people who injected in the past year, at the end",
    # About 36% against 42.8%.
    "virally suppressed among people who inject with diagnosed HIV, at the end",
]


@pytest.fixture(scope="module")
def results():
    return {r.name: r for r in run_validation()}


@pytest.mark.validation
@pytest.mark.parametrize("name", MEETS)
def test_target_met(results, name):
    r = results[name]
    assert r.passed, f"{name}: simulated {r.simulated:.3f} {r.interval}, target {r.target}"


@pytest.mark.validation
@pytest.mark.parametrize("name", MISSES)
def test_target_missed_is_reported_as_failing(results, name):
    r = results[name]
    assert not r.passed
    low, high = r.interval
    assert high < r.published.low or low > r.published.high, (
        f"{name}: reported failing but the intervals overlap: simulated {r.interval}, "
        f"published {r.published.low}-{r.published.high}"
    )


@pytest.mark.validation
def test_every_target_is_checked(results):
    assert sorted(results) == sorted(MEETS + MISSES)


@pytest.mark.validation
def test_every_target_is_labelled_calibration_or_validation(results):
    """A calibration target names the parameters set from it, and those are real keys."""
    from hrsim.scenario import Scenario

    sections = Scenario.default().model_dump()
    for r in results.values():
        assert r.role in ("calibration", "validation"), r.name
        if r.role == "validation":
            assert not r.calibrates, r.name
            continue
        for key in r.calibrates.split(", "):
            section, _, name = key.partition(".")
            if section in sections:
                assert name in sections[section], f"{r.name}: {key} is not a parameter"


@pytest.mark.validation
def test_every_target_says_where_it_comes_from_and_how_it_is_judged(results):
    for r in results.values():
        assert r.source and r.tolerance and r.target
        assert r.published is not None
        assert r.published.low <= r.published.high
        if r.curve is not None:
            assert len(r.curve.x) == len(r.curve.y) == len(r.curve.low) == len(r.curve.high)


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
    assert {r["name"] for r in rows} == set(MEETS + MISSES)
    for r in rows:
        assert set(r) == {
            "name",
            "source",
            "target",
            "simulated",
            "interval",
            "tolerance",
            "passed",
            "published",
            "role",
            "calibrates",
        }
        assert r["role"] in ("calibration", "validation")
        assert bool(r["calibrates"]) == (r["role"] == "calibration")
        assert set(r["published"]) == {"value", "low", "high", "at"}
    assert out.returncode == (0 if all(r["passed"] for r in rows) else 1)
