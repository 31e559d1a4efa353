"""The validation suite at its default size: the numbers ``hrsim validate`` prints.

The experiments run once per module (30,000 people, 4 replicates, 10 years; three settings:
usual care, trial-like MOUD and a pre-fentanyl supply; through the local process pool); each
target is its own test so a failure names the target.
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
    # About 0.39 (0.16-0.95) from 5 deaths in 4,048 releases on MOUD: met, and nearly too thin
    # to judge (its interval is about 95% of Marsden's on the log scale).
    "all-cause death rate, 4 weeks after release, on MOUD vs not (rate ratio)",
    "overdose mortality off vs on methadone (rate ratio)",
    "all-cause mortality off vs on buprenorphine (rate ratio)",
    "overdose death within 4 months of inpatient detox discharge",
    "death from any cause within 12 months of inpatient detox discharge",
    "fatal overdose rate among people who inject, fentanyl era (per 1000 person-years)",
    "HIV incidence among people who injected in the past year (per 100 person-years)",
    "receptive syringe sharing in the past 12 months, HIV-negative people who inject",
    "fatality of overdoses witnessed by a kit holder",
]

# The model misses these; they are reported, not loosened. Values with the defaults.
MISSES = [
    # About 2.4 vs 3.2: MOUD's effect on non-overdose deaths is taken as partly causal
    # (demography.moud_other_death_rr 0.61), so the observed gap, which includes selection into
    # treatment, is not reproduced: by design.
    "all-cause mortality off vs on methadone (rate ratio)",
    # About 0.5% vs 3 of 37: a completer's tolerance returns within about a week of use
    # (tolerance.regain_fraction_per_week 0.7).
    "overdose death within 4 months of completing an inpatient detox programme",
    # About 5.3 vs 8.94: with the base rate fitted to fentanyl-era deaths, the model's fentanyl-
    # era to pre-fentanyl ratio (about 2.8) is above the data's (about 1.7).
    "fatal overdose rate among people who inject, pre-fentanyl supply (per 1000 person-years)",
    # About 4.5 per 100 PY vs 15-30 (US cohorts): the sharing calibration could not reach it
    # within the parameters' plausible ranges.
    "primary HCV incidence among people who injected in the past year (per 100 person-years)",
    # About 19% vs 42 of 53: equipment sharing is the only route for people who do not share
    # syringes.
    "share of primary HCV infections in people who did not share syringes in the past 12 months",
    # About 0.02 vs 0.50: few people on MOUD inject (2.3% of weeks, from Sullivan's buprenorphine
    # patients), and then less often and sharing less.
    "primary HCV incidence on vs off MOUD among people who inject (rate ratio)",
    # HIV prevalence about 5% vs 6-7%, HCV antibody about 36% and viraemic about 21% vs 55% and
    # 39%: incidence does not balance deaths, exits, cure and uninfected entrants.
    "HIV prevalence among people who injected in the past year, at the end",
    "HCV antibody prevalence among people who injected in the past year, at the end",
    "HCV (viraemic) prevalence among people who injected in the past year, at the end",
    # About 35% vs 42.8%.
    "virally suppressed among people who inject with diagnosed HIV, at the end",
    # About 33% vs 44%: company is present at half of uses (overdose.uses_alone_probability 0.5,
    # a placeholder), and fatal overdoses are those with nobody able to help.
    "share of fatal overdoses with a bystander present",
    # About 96% vs 77%: no 'found later, EMS too late' path, so almost no fatal overdose gets
    # naloxone.
    "share of fatal overdoses with no naloxone given",
]


# Missed by the target's rule (the study's and the simulation's errors combined), with the two
# 95% intervals touching: reported failing, and a small change to the model may flip them.
NEAR_MISSES = [
    # About 4.1 (3.9-4.3) against 6.2 (4.3-9.0) per 100 PY: low HCV incidence.
    "HCV reinfection after cure among people who inject (per 100 person-years)",
    # About 0.28 (0.24-0.33) against 0.46 (0.32-0.67): MOUD protects more against HIV than
    # MacArthur's pooled ratio. It sat at the edge of the rule: a near miss (0.30), met (0.31)
    # once tie formation was keyed to people (issue 14), missed again (0.28) once care's
    # draws were keyed to people too. Each change redrew the realisation, not the mechanism.
    "HIV incidence on vs off MOUD among people who inject (rate ratio)",
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
@pytest.mark.parametrize("name", NEAR_MISSES)
def test_near_miss_is_reported_as_failing(results, name):
    assert not results[name].passed


@pytest.mark.validation
def test_every_target_is_checked(results):
    assert sorted(results) == sorted(MEETS + MISSES + NEAR_MISSES)


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
    assert {r["name"] for r in rows} == set(MEETS + MISSES + NEAR_MISSES)
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
            "enough_data",
            "status",
        }
        assert r["status"] == "pass" if r["passed"] else r["status"] in ("fail", "not enough data")
        assert r["role"] in ("calibration", "validation")
        assert bool(r["calibrates"]) == (r["role"] == "calibration")
        assert set(r["published"]) == {"value", "low", "high", "at"}
    assert out.returncode == (0 if all(r["passed"] for r in rows) else 1)
