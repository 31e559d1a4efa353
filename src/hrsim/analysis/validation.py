"""The validation suite: the default model against every published target it can be held to.

Two experiments run the default scenario (or a given one, e.g. a calibrated scenario) over
several replicate seeds, in parallel through
``hrsim.batch.executors``: usual care, and a trial-like MOUD setting (lower discontinuation). Each
replicate is reduced in its worker to what the targets need (spells, follow-ups, counts and
weekly PWID series), so only small arrays travel back; the parent pools them and measures
each quantity the way the study did:

- relapse after detox (Smyth 2010) and abstinence at 12 months (Hunt 1971): Kaplan-Meier;
- MOUD retention (Soeffing 2009; Kakko 2003): Kaplan-Meier of new starts;
- overdose death by weeks since prison release (Merrall 2010; jail releases are reported
  alongside, not held to it);
- all-cause death in the 4 weeks after release, released on MOUD vs not (Marsden 2017);
- overdose and all-cause mortality off vs on methadone and buprenorphine (Sordo 2017);
- overdose and all-cause deaths after inpatient detox (Strang 2003), like with like: those who
  completed the programme against Strang's completers, all discharges against all admissions;
- fatal overdose among people who inject, followed through every care state as in a cohort
  (Caudarella 2016);
- HIV and HCV among people who injected in the past year, from one setting (US cities and
  cohorts): HIV incidence (derived from Lansky 2014) and prevalence (NHBS), primary HCV
  incidence (US cohorts) and antibody prevalence (NHBS, Abara 2019), viraemic prevalence
  (Grebely 2019, global: no US survey found), the share of HCV infections in people who did not
  share syringes (Hagan 2001), incidence on vs off MOUD (MacArthur 2012; Platt 2018),
  reinfection after cure (Hajarizadeh 2020), viral suppression among people with diagnosed HIV
  (Karch 2016) and receptive sharing in the past 12 months (NHBS), measured as those studies
  define them (``hrsim.analysis.measures``).

Every target is labelled: *calibration* when a parameter was set from the same study (the
result names it; meeting it shows the setting carried through), *validation* when no parameter
was chosen with it in view.

Tolerances use the published uncertainty. Where a study gives a proportion and its sample
size, or a 95% interval, the simulated value must lie within 1.96 x the combined standard
error of the study (from its sample size or interval) and the simulation; ratios and rates
are compared on the log scale. Where a study gives a range (several surveys, a band read off a
figure), the simulated 95% interval must overlap it; for small counts the study's exact
binomial interval is the range. Each result says which rule it used. Nothing is loosened to
pass: a target the model misses is reported as failing.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from dataclasses import field as dataclass_field
from typing import Any

import numpy as np
import pandas as pd

from hrsim.analysis.events import follow_until_removed, spells_from, state_changes
from hrsim.analysis.measures import ObservedRun, PwidWeekly, observe_run, pwid_weekly
from hrsim.analysis.stats import (
    Z95,
    binomial_se,
    exact_binomial,
    kaplan_meier,
    kaplan_meier_curve,
    log_se_from_ci,
    normal_interval,
    poisson_rate,
    proportion_interval,
    t_interval,
)
from hrsim.batch.executors import execute
from hrsim.core.rng import replicate_seeds
from hrsim.processes.care import DETOX_SELF_DISCHARGES, RELEASES_ON_MOUD
from hrsim.scenario import Scenario
from hrsim.scenario.library import builtin

DEFAULT_PEOPLE = 30_000
DEFAULT_REPLICATES = 4
DEFAULT_YEARS = 10.0
TRIAL_LIKE_HAZARD_RATIO = 0.51  # ln(0.75)/ln(0.569): Kakko 2003 vs Soeffing 2009
STRANG_WEEKS = 17  # four months after discharge
# The receptive-sharing parameters fitted to NHBS sharing and US HCV incidence
# (docs/examples/calibration_targets.toml).
SHARING_CALIBRATION = (
    "injecting.sharing_episode_start_probability_per_week, "
    "injecting.sharing_episode_mean_weeks, injecting.episode_shared_injection_fraction"
)


@dataclass
class Published:
    """What the study reported: a value (None for a range), its low and high, and where.

    ``at`` is the x position on the target's curve (weeks, years); None means the published
    value holds over the whole curve (drawn as a band).
    """

    value: float | None
    low: float
    high: float
    at: float | None = None


@dataclass
class Curve:
    """The simulated quantity over time, with a 95% interval, for the target's plot."""

    x: list[float]
    y: list[float]
    low: list[float]
    high: list[float]
    xlabel: str
    ylabel: str


@dataclass
class TargetResult:
    """One target: what the study found, what the model gives, and whether they agree."""

    name: str
    source: str
    target: str
    simulated: float
    interval: tuple[float, float]
    tolerance: str
    passed: bool
    published: Published | None = None
    curve: Curve | None = None
    #: "calibration" (a parameter was set from this study: ``calibrates`` names it) or
    #: "validation" (independent of every parameter choice). Set by ``label``.
    role: str = "validation"
    calibrates: str = ""
    #: False when the run is too small to judge the target (see ``check_enough_data``); then
    #: ``passed`` is False and ``status`` is "not enough data".
    enough_data: bool = True
    #: Whether the interval is compared on the log scale (a rate ratio), for that check.
    log_scale: bool = dataclass_field(default=False, repr=False)

    @property
    def status(self) -> str:
        """``pass``, ``fail`` or ``not enough data``."""
        if not self.enough_data:
            return NOT_ENOUGH_DATA
        return "pass" if self.passed else "fail"

    def as_dict(self) -> dict[str, Any]:
        """Plain types, for JSON (the curve is left out: it is for the HTML page)."""
        d = asdict(self)
        d.pop("curve")
        d.pop("log_scale")
        d["simulated"] = _finite_or_none(self.simulated)
        d["interval"] = [_finite_or_none(x) for x in self.interval]
        d["passed"] = bool(self.passed)
        d["status"] = self.status
        return d


NOT_ENOUGH_DATA = "not enough data"


def _finite_or_none(value: float) -> float | None:
    """JSON has no NaN: an unmeasurable value is null."""
    return float(value) if np.isfinite(value) else None


def check_enough_data(results: list[TargetResult]) -> list[TargetResult]:
    """Mark the targets a run is too small to judge, so none passes by being uncertain.

    A target has not enough data when its simulated value or interval is not a number (no
    events to count: no deaths on methadone, no prison releases), or when it would pass but
    its simulated 95% interval is wider than the published one (on the log scale for a rate
    ratio): the simulation is then less precise than the study it is held to, and agreement
    says little. Such a target is reported as "not enough data" and not counted as met. The
    targets and tolerances are unchanged; at the default size (30,000 people, 4 replicates,
    10 years) no target is affected, though one nearly is: Marsden's, whose simulated interval
    (5 deaths after releases on MOUD) is about 95% of the published one on the log scale; the
    next widest is about 70%.
    """
    for r in results:
        low, high = r.interval
        if not (np.isfinite(r.simulated) and np.isfinite(low) and np.isfinite(high)):
            r.enough_data = False
        elif r.passed and r.published is not None and r.published.high > r.published.low:
            if r.log_scale and low > 0 and r.published.low > 0:
                wide = np.log(high / low) > np.log(r.published.high / r.published.low)
            else:
                wide = high - low > r.published.high - r.published.low
            r.enough_data = not wide
        if not r.enough_data:
            r.passed = False
    return results


# ---------------------------------------------------------------------------------------------
# Calibration or validation

ROLES = ("calibration", "validation")


def label(result: TargetResult, calibrates: str = "") -> TargetResult:
    """Say what the target is: calibration or validation.

    *Calibration* when ``calibrates`` names the parameters set from the same study (meeting
    it shows the setting was carried through, not that the model predicts it); otherwise
    *validation* (no parameter was chosen with it in view).
    """
    result.role = "calibration" if calibrates else "validation"
    result.calibrates = calibrates
    return result


def role_text(result: TargetResult) -> str:
    """``validation`` or ``calibration (sets x, y)``: how the table and the page show it."""
    return f"calibration (sets {result.calibrates})" if result.calibrates else "validation"


# ---------------------------------------------------------------------------------------------
# Generic target rules


def proportion_target(
    name: str,
    source: str,
    target: float,
    study_n: int,
    simulated: float,
    se: float,
    published_at: float | None = None,
    curve: Curve | None = None,
) -> TargetResult:
    """A simulated proportion against a study's.

    It passes within 1.96 x the combined standard error of the study (binomial, ``study_n``
    people) and the simulation.
    """
    study_se = binomial_se(target, study_n)
    tol = Z95 * np.hypot(study_se, se)
    return TargetResult(
        name,
        source,
        f"{target}",
        simulated,
        proportion_interval(simulated, se),
        f"+/- {tol:.3f} (study and simulation SE, 95%)",
        bool(abs(simulated - target) <= tol),
        Published(target, target - Z95 * study_se, target + Z95 * study_se, published_at),
        curve,
    )


def ratio_target(
    name: str,
    source: str,
    published: tuple[float, float, float],
    simulated: float,
    sim_log_se: float,
    curve: Curve | None = None,
    at: float | None = None,
) -> TargetResult:
    """A simulated rate or rate ratio against a published one with a 95% interval.

    Compared on the log scale: it passes within 1.96 x the combined standard error of the
    study (from its 95% interval) and the simulation.
    """
    value, low, high = published
    pub_se = log_se_from_ci(low, high)
    tol = Z95 * float(np.hypot(pub_se, sim_log_se))
    ok = bool(np.isfinite(simulated) and simulated > 0 and abs(np.log(simulated / value)) <= tol)
    spread = float(np.exp(Z95 * sim_log_se)) if np.isfinite(sim_log_se) else float("nan")
    return TargetResult(
        name,
        source,
        f"{value:g} (95% CI {low:g}-{high:g})",
        simulated,
        (simulated / spread, simulated * spread),
        f"within x/÷ {np.exp(tol):.2f} (log scale: study CI and simulation SE combined, 95%)",
        ok,
        Published(value, low, high, at),
        curve,
        log_scale=True,
    )


def range_target(
    name: str,
    source: str,
    target: str,
    published: Published,
    simulated: float,
    interval: tuple[float, float],
    tolerance: str,
    curve: Curve | None = None,
) -> TargetResult:
    """Passes when the simulated 95% interval overlaps the published range."""
    lo, hi = interval
    ok = bool(np.isfinite(simulated) and hi >= published.low and lo <= published.high)
    return TargetResult(name, source, target, simulated, interval, tolerance, ok, published, curve)


def _km_curve(
    d: np.ndarray, e: np.ndarray, until: int, ylabel: str, *, failure: bool = False
) -> Curve:
    surv, se = kaplan_meier_curve(d, e, until)
    lo, hi = np.clip(surv - Z95 * se, 0, 1), np.clip(surv + Z95 * se, 0, 1)
    if failure:
        surv, lo, hi = 1 - surv, 1 - hi, 1 - lo
    return Curve(list(range(until + 1)), surv.tolist(), lo.tolist(), hi.tolist(), "weeks", ylabel)


# ---------------------------------------------------------------------------------------------
# Per-replicate measurements (run in a worker)


@dataclass(frozen=True)
class ReplicateTask:
    """One replicate of one experiment: everything a worker needs, seed included."""

    experiment: str
    scenario: Scenario


def _on_off_counts(moves: pd.DataFrame, weeks: int, medication: str) -> dict[str, float]:
    """Deaths and person-years on and off a medication among people who ever started it.

    Time counts from the first start. Off means out of treatment (Sordo's "out of
    treatment"): time on the other medication is neither on nor off, and time in prison or
    after death or exit is not at risk.
    """
    first = moves[moves["to_state"] == medication].groupby("person")["week"].min()
    mv = moves[moves["person"].isin(first.index)].copy()
    mv = mv[mv["week"] >= mv["person"].map(first)]
    end = np.where(mv["next_week"] >= 0, mv["next_week"], weeks)
    pt = (end - mv["week"]).to_numpy()
    state = mv["to_state"]
    on = (state == medication).to_numpy()
    off = ~state.isin(["dead", "exited", "jail", "prison", "methadone", "buprenorphine"])
    off = off.to_numpy()
    od = (mv["next_detail"] == "overdose").to_numpy()
    dead = (mv["next_to"] == "dead").to_numpy()
    return {
        "pt_on": pt[on].sum() / 52.0,
        "pt_off": pt[off].sum() / 52.0,
        "od_on": float((on & od).sum()),
        "od_off": float((off & od).sum()),
        "dead_on": float((on & dead).sum()),
        "dead_off": float((off & dead).sum()),
    }


def _reinfection(run: ObservedRun) -> tuple[int, float]:
    """HCV reinfections after cure, and the weeks at risk, among people who inject.

    Each cure opens a spell at risk that ends at the next HCV infection, at death or exit,
    or at the end of the run (Hajarizadeh 2020 counts reinfection after successful
    treatment, not after spontaneous clearance).
    """
    ev, weeks = run.events, run.weeks
    cures = ev[(ev["kind"] == "clinical") & (ev["detail"] == "hcv_cured")]
    cures = cures[run.pwid.injects_by_pid[cures["person"].to_numpy()]]
    if cures.empty:
        return 0, 0.0
    cures = cures[["person", "week"]].sort_values("week")
    infections = ev[(ev["kind"] == "infection") & ev["detail"].str.startswith("hcv_")]
    infections = infections[~infections["detail"].str.endswith("_initial")]
    infections = infections[["person", "week"]].rename(columns={"week": "infected"})
    spells = pd.merge_asof(
        cures,
        infections.sort_values("infected"),
        left_on="week",
        right_on="infected",
        by="person",
        direction="forward",
        allow_exact_matches=False,
    )
    removed = ev[ev["kind"].isin(["death", "exit"])].groupby("person")["week"].min()
    gone = spells["person"].map(removed).fillna(weeks).to_numpy()
    infected = spells["infected"].fillna(np.inf).to_numpy()
    end = np.minimum(np.minimum(infected, gone), weeks)
    return int(np.count_nonzero(infected <= end)), float((end - spells["week"]).sum())


def release_follow_up(moves: pd.DataFrame, weeks: int) -> dict[str, Any]:
    """Follow-up after release, for Merrall's target: from prison, and from jail.

    Releases from prison are every move out of it; from jail, the moves out of it that are
    not a sentence to prison. Each is followed until the next custody, death or exit.
    """
    transition = moves["kind"] == "transition"
    prison = moves[(moves["from_state"] == "prison") & transition]
    jail = moves[(moves["from_state"] == "jail") & transition & (moves["to_state"] != "prison")]
    last, od_week, _ = follow_until_removed(moves, prison, weeks)
    jail_last, jail_od_week, _ = follow_until_removed(moves, jail, weeks)
    return {"release": (last, od_week), "jail_release": (jail_last, jail_od_week)}


def release_on_moud_follow_up(moves: pd.DataFrame, weeks: int) -> dict[str, Any]:
    """Follow-up after release from custody, by MOUD at release, for Marsden's target.

    Exposed, as in Marsden's intention-to-treat comparison, are the releases of people on
    MOUD in custody (continued there, or begun there by the post-release programme), whether
    or not a community place was free; unexposed are all other releases. Releases from jail
    and from prison are pooled (see ``release_on_moud_target``). Each is followed until the
    next custody, death or exit: (weeks at risk, week of any death; 1 = the release week).
    """
    transition = moves["kind"] == "transition"
    released = moves[
        transition & moves["from_state"].isin(["jail", "prison"]) & (moves["to_state"] != "prison")
    ]
    exposed = released["detail"].isin(RELEASES_ON_MOUD)
    out = {}
    for key, rows in (("on_moud", released[exposed]), ("not_on_moud", released[~exposed])):
        last, _, died = follow_until_removed(moves, rows, weeks)
        out[key] = (last, died)
    return {"release_on_moud": out}


def detox_follow_up(moves: pd.DataFrame, weeks: int) -> dict[str, Any]:
    """Follow-up after detox discharge, for Strang's targets: all discharges and completers.

    All discharges are Strang's all admissions (completers and early leavers alike); the
    completers are the discharges that were not an early self-discharge (Strang's "lost
    tolerance" group). Each is followed until death or exit: (discharge week, week of
    overdose death, week of any death), weeks counted from the discharge (1 = its week).
    """
    discharges = moves[(moves["from_state"] == "detox") & (moves["kind"] == "transition")]
    completers = discharges[~discharges["detail"].isin(DETOX_SELF_DISCHARGES)]
    out = {}
    for key, rows in (("detox_discharge", discharges), ("detox_completed", completers)):
        _, od, died = follow_until_removed(moves, rows, weeks, ("dead", "exited"))
        out[key] = (rows["week"].to_numpy(), od, died)
    return out


def measure_replicate(task: ReplicateTask) -> dict[str, Any]:
    """Run one replicate and reduce it to what the targets need (small arrays and counts)."""
    run = observe_run(task.scenario)
    moves = state_changes(run.events)
    weeks = run.weeks
    starts = (moves["to_state"] == "buprenorphine") & (moves["kind"] != "initial")
    # New starts only: people already in treatment at week 0 are past the early dropout.
    out: dict[str, Any] = {
        "buprenorphine": spells_from(moves, starts, None, weeks, same_week=False)
    }
    if task.experiment == "pre_fentanyl":
        return {"pwid": pwid_weekly(run)}
    if task.experiment != "usual_care":
        return out
    no_aftercare = moves["detail"] == "discharge_no_aftercare"
    treated = moves["detail"].isin(["discharge_no_aftercare", "discharge_aftercare"])
    detox = (moves["to_state"] == "detox") & (moves["kind"] != "initial")
    out.update(
        relapse_no_aftercare=spells_from(moves, no_aftercare, {"active"}, weeks, same_week=True),
        relapse_treated=spells_from(moves, treated, {"active"}, weeks, same_week=True),
        detox=spells_from(moves, detox, None, weeks, same_week=False),
        **release_follow_up(moves, weeks),
        **release_on_moud_follow_up(moves, weeks),
        **detox_follow_up(moves, weeks),
        methadone=_on_off_counts(moves, weeks, "methadone"),
        buprenorphine_mortality=_on_off_counts(moves, weeks, "buprenorphine"),
        pwid=pwid_weekly(run),
        hcv_reinfection=_reinfection(run),
        overdose_response=_response_counts(run),
    )
    return out


#: Timeseries counts the overdose-response targets need (processes/overdose_response.py).
RESPONSE_COUNTS = (
    "overdoses_fatal",
    "overdoses_fatal_bystander_present",
    "overdoses_kit_holder_witnessed",
    "overdoses_fatal_kit_holder_witnessed",
    "overdoses_fatal_no_naloxone",
)


def _response_counts(run: ObservedRun) -> dict[str, float]:
    """The run's totals of ``RESPONSE_COUNTS`` (weeks 1 on)."""
    ts = run.timeseries
    return {c: float(ts[c].to_numpy()[1:].sum()) for c in RESPONSE_COUNTS if c in ts}


# ---------------------------------------------------------------------------------------------
# The targets (pooled over replicates)


def _pooled_spells(reps: list[dict[str, Any]], key: str) -> tuple[np.ndarray, np.ndarray]:
    return (
        np.concatenate([r[key][0] for r in reps]),
        np.concatenate([r[key][1] for r in reps]),
    )


def relapse_targets(reps: list[dict[str, Any]]) -> list[TargetResult]:
    """Smyth 2010 (no aftercare: week 1 and 18-36 months) and Hunt 1971 (12 months)."""
    d, e = _pooled_spells(reps, "relapse_no_aftercare")
    s1, se1 = kaplan_meier(d, e, 1)
    s27, se27 = kaplan_meier(d, e, 117)  # 27 months, the middle of 18-36 months
    relapsed = "relapsed (Kaplan-Meier), no aftercare"
    early = _km_curve(d, e, 12, relapsed, failure=True)
    late = _km_curve(d, e, 156, relapsed, failure=True)
    d, e = _pooled_spells(reps, "relapse_treated")
    s52, se52 = kaplan_meier(d, e, 52)
    return [
        label(
            proportion_target(
                "relapse within 1 week of detox discharge, no aftercare",
                "Smyth et al. 2010, Ir J Med Sci (n=109)",
                0.59,
                109,
                1 - s1,
                se1,
                1,
                early,
            ),
            "care.relapse_first_week_probability",
        ),
        label(
            proportion_target(
                "relapsed by 18-36 months (at 27 months) after detox, no aftercare",
                "Smyth et al. 2010 (99/109)",
                0.91,
                109,
                1 - s27,
                se27,
                117,
                late,
            ),
            "care.relapse_hazard_decay_exponent",
        ),
        label(
            TargetResult(
                "abstinent 12 months after treatment (detox, any aftercare)",
                "Hunt, Barnett & Branch 1971 (C2, a curve pooling 84 studies)",
                "0.25-0.30",
                s52,
                proportion_interval(s52, se52),
                "the published band +/- 0.05 (read off a figure)",
                0.20 <= s52 <= 0.35,
                Published(None, 0.25, 0.30, 52),
                _km_curve(d, e, 104, "abstinent (Kaplan-Meier)"),
            ),
            "care.aftercare_relapse_hazard_ratio",
        ),
    ]


def retention_targets(
    usual: list[dict[str, Any]], trial: list[dict[str, Any]]
) -> list[TargetResult]:
    """Buprenorphine retention at 12 months (usual care, trial-like) and without medication."""
    out = []
    for reps, target, n, name, source, calibrates in (
        (
            usual,
            0.569,
            255,
            "buprenorphine retained at 12 months, usual care",
            "Soeffing et al. 2009, J Subst Abuse Treat (145/255)",
            "care.buprenorphine_retention_12_months",
        ),
        (
            trial,
            0.75,
            20,
            "buprenorphine retained at 12 months, trial-like setting",
            "Kakko et al. 2003, Lancet (15/20)",
            "the trial-like setting's discontinuation hazard ratio (0.51)",
        ),
    ):
        d, e = _pooled_spells(reps, "buprenorphine")
        s, se = kaplan_meier(d, e, 52)
        curve = _km_curve(d, e, 104, "retained on buprenorphine")
        out.append(label(proportion_target(name, source, target, n, s, se, 52, curve), calibrates))
    d, e = _pooled_spells(usual, "detox")
    s, se = kaplan_meier(d, e, 52)
    out.append(
        label(
            TargetResult(
                "still in treatment at 12 months without medication (detox/psychosocial only)",
                "Kakko et al. 2003, placebo arm (0/20)",
                "0.0",
                s,
                proportion_interval(s, se),
                "at most 0.15 (upper 95% bound for 0/20, rule of three)",
                s <= 0.15,
                Published(0.0, 0.0, 0.15, 52),
                _km_curve(d, e, 60, "still in detox treatment"),
            )
        )
    )
    return out


def _release_ratio(last: np.ndarray, od_week: np.ndarray) -> tuple[float, float, float, int, int]:
    """Overdose death rate in weeks 1-2 vs 3-12 after release, its 95% CI and the deaths."""
    pt12 = np.minimum(last, 2).sum()
    pt312 = np.clip(np.minimum(last, 12) - 2, 0, None).sum()
    d12 = int(np.count_nonzero((od_week >= 1) & (od_week <= 2)))
    d312 = int(np.count_nonzero((od_week >= 3) & (od_week <= 12)))
    if d12 == 0 or d312 == 0:
        return float("nan"), float("nan"), float("nan"), d12, d312
    rr = (d12 / pt12) / (d312 / pt312)
    se = np.sqrt(1 / d12 + 1 / d312)
    return float(rr), float(rr * np.exp(-Z95 * se)), float(rr * np.exp(Z95 * se)), d12, d312


def post_release_target(reps: list[dict[str, Any]]) -> TargetResult:
    """Overdose death rate in weeks 1-2 vs 3-12 after prison release (Merrall 2010).

    Merrall's cohorts are releases from prison, so the target counts releases from prison
    only. Releases from jail (stays of weeks, less tolerance lost) are reported in the source
    text with their own ratio, not held to the target. Replicates measured before jail
    existed have no ``jail_release``.
    """
    last = np.concatenate([r["release"][0] for r in reps])
    od_week = np.concatenate([r["release"][1] for r in reps])
    rr, lo, hi, d12, d312 = _release_ratio(last, od_week)
    jail = [r["jail_release"] for r in reps if "jail_release" in r]
    jail_text = ""
    if jail:
        j_rr, j_lo, j_hi, j12, j312 = _release_ratio(
            np.concatenate([j[0] for j in jail]), np.concatenate([j[1] for j in jail])
        )
        jail_text = (
            f"; jail releases, not held to it: {j_rr:.1f} ({j_lo:.1f}-{j_hi:.1f}), "
            f"deaths {j12} and {j312}"
        )
    result = range_target(
        "overdose death rate, weeks 1-2 vs 3-12 after prison release",
        f"Merrall et al. 2010, Addiction (deaths here: {d12} and {d312}{jail_text})",
        "3.1-8.4",
        Published(None, 3.1, 8.4),
        rr,
        (lo, hi),
        "simulated 95% CI overlaps the published range (estimates across studies)",
    )
    return label(
        result,
        "overdose.min_effective_tolerance, overdose.potency_exponent, "
        "tolerance.regain_fraction_per_week",
    )


MARSDEN_WEEKS = 4  # Marsden 2017's window after release


def release_on_moud_target(reps: list[dict[str, Any]]) -> TargetResult:
    """All-cause death in the 4 weeks after release, on MOUD at release vs not (Marsden 2017).

    Marsden et al. 2017 followed 15,141 releases from 39 English prisons: 0.93 vs 3.67 deaths
    per 100 person-years in the first 4 weeks with and without opioid substitution treatment
    at release, HR 0.25 (95% CI 0.10-0.64; adjusted 0.27). The individual-level evidence for
    MOUD at release. No parameter was set from it (validation); the result follows from
    tolerance kept on MOUD, the overdose rate ratio on MOUD and MOUD's other-cause death rate
    ratio. Releases from jail and prison are pooled, since only custody continuation puts
    people on MOUD at release with the defaults and few of them are sentenced; Marsden's are
    prison releases only. The unadjusted ratios are compared.
    """
    rates = {}
    for key in ("on_moud", "not_on_moud"):
        last = np.concatenate([r["release_on_moud"][key][0] for r in reps])
        died = np.concatenate([r["release_on_moud"][key][1] for r in reps])
        deaths = int(np.count_nonzero((died >= 1) & (died <= MARSDEN_WEEKS)))
        years = float(np.minimum(last, MARSDEN_WEEKS).sum()) / 52.0
        rates[key] = (deaths, years, last.size)
    (d_on, y_on, n_on), (d_off, y_off, n_off) = rates["on_moud"], rates["not_on_moud"]
    if d_on and d_off:
        rr = (d_on / y_on) / (d_off / y_off)
        log_se = float(np.sqrt(1 / d_on + 1 / d_off))
    else:
        rr, log_se = float("nan"), float("nan")
    on_rate, off_rate = 100 * d_on / max(y_on, 1e-12), 100 * d_off / max(y_off, 1e-12)
    result = ratio_target(
        "all-cause death rate, 4 weeks after release, on MOUD vs not (rate ratio)",
        f"Marsden et al. 2017, Addiction (here, jail and prison releases: {on_rate:.2f} vs "
        f"{off_rate:.2f} per 100 PY; deaths {d_on} of {n_on} and {d_off} of {n_off} releases)",
        (0.25, 0.10, 0.64),
        rr,
        log_se,
    )
    return label(result)


def on_off_targets(reps: list[dict[str, Any]]) -> list[TargetResult]:
    """Overdose and all-cause mortality off vs on MOUD, among people ever treated (Sordo 2017)."""
    out = []
    for key, medication, cause, published, calibrates in (
        ("methadone", "methadone", "overdose", (4.8, 2.90, 7.95), "overdose.methadone_rate_ratio"),
        (
            "methadone",
            "methadone",
            "all-cause",
            (3.20, 2.65, 3.86),
            "demography.other_cause_smr, demography.moud_other_death_rr",
        ),
        (
            "buprenorphine_mortality",
            "buprenorphine",
            "all-cause",
            (2.20, 1.34, 3.61),
            "overdose.buprenorphine_rate_ratio",
        ),
    ):
        total = {k: sum(r[key][k] for r in reps) for k in reps[0][key]}
        dk = "od" if cause == "overdose" else "dead"
        d_on, d_off = total[f"{dk}_on"], total[f"{dk}_off"]
        pt_on, pt_off = total["pt_on"], total["pt_off"]
        if d_on and d_off:
            rr = (d_off / pt_off) / (d_on / pt_on)
            log_se = float(np.sqrt(1 / d_on + 1 / d_off))
        else:
            rr, log_se = float("nan"), float("nan")
        on_rate = 1000 * d_on / max(pt_on, 1e-12)
        off_rate = 1000 * d_off / max(pt_off, 1e-12)
        result = ratio_target(
            f"{cause} mortality off vs on {medication} (rate ratio)",
            f"Sordo et al. 2017, BMJ (here: {on_rate:.1f} on vs {off_rate:.1f} off "
            f"per 1000 PY; deaths {d_on:.0f} and {d_off:.0f})",
            published,
            rr,
            log_se,
        )
        out.append(label(result, calibrates))
    return out


# Strang et al. 2003 (BMJ 326:959): 137 admissions to a 28-day inpatient programme; 43 failed to
# complete detoxification, 57 completed it but left the programme early, 37 completed the
# programme. Three overdose deaths within 4 months of discharge, all among the 37; five deaths
# from any cause within 12 months.
STRANG_ADMISSIONS = 137
STRANG_COMPLETERS = 37


def after_detox_targets(reps: list[dict[str, Any]], weeks: int) -> list[TargetResult]:
    """Deaths after inpatient detox (Strang 2003), like with like.

    - overdose death within 4 months among those who completed the programme (3 of 37);
    - overdose death within 4 months among all discharges, completers and early leavers
      (3 of 137 admissions);
    - death from any cause within 12 months among all discharges (5 of 137).

    Counted over discharges followed for the whole window (discharged at least that many
    weeks before the end of the run), each against the study's exact binomial 95% interval.
    All three are validation: the self-discharge probabilities were set from Strang's split
    of discharges by kind (so the mix of completers and leavers is carried over), but no
    parameter was set from the deaths.
    """
    out = []
    for key, window, k, n_study, cause, name, group in (
        (
            "detox_completed",
            STRANG_WEEKS,
            3,
            STRANG_COMPLETERS,
            1,
            "overdose death within 4 months of completing an inpatient detox programme",
            "who completed the programme",
        ),
        (
            "detox_discharge",
            STRANG_WEEKS,
            3,
            STRANG_ADMISSIONS,
            1,
            "overdose death within 4 months of inpatient detox discharge",
            "admitted for inpatient detox",
        ),
        (
            "detox_discharge",
            52,
            5,
            STRANG_ADMISSIONS,
            2,
            "death from any cause within 12 months of inpatient detox discharge",
            "admitted for inpatient detox",
        ),
    ):
        start = np.concatenate([r[key][0] for r in reps])
        died = np.concatenate([r[key][cause] for r in reps])
        full = start <= weeks - window
        died = died[full]
        n = int(full.sum())
        by_week = np.array([np.count_nonzero((died >= 1) & (died <= w)) for w in range(window + 1)])
        share = by_week / max(n, 1)
        se = np.sqrt(share * (1 - share) / max(n, 1))
        curve = Curve(
            list(range(window + 1)),
            share.tolist(),
            np.clip(share - Z95 * se, 0, 1).tolist(),
            (share + Z95 * se).tolist(),
            "weeks since discharge",
            "died (cumulative share)",
        )
        low, high = exact_binomial(k, n_study)
        p = float(share[-1])
        out.append(
            label(
                range_target(
                    name,
                    f"Strang et al. 2003, BMJ ({k}/{n_study} {group}; "
                    f"here {int(by_week[-1])} of {n} discharges)",
                    f"{k / n_study:.3f} (exact 95% CI {low:.3f}-{high:.3f})",
                    Published(k / n_study, low, high, window),
                    p,
                    proportion_interval(p, float(se[-1])),
                    "simulated 95% CI overlaps the study's exact binomial 95% CI",
                    curve,
                )
            )
        )
    return out


def _yearly(weekly: PwidWeekly, numerator: str, denominator: str, per: float) -> Curve:
    """A rate by simulated year with Poisson 95% intervals (pooled over replicates)."""
    num, den = getattr(weekly, numerator), getattr(weekly, denominator)
    years = max(1, num.size // 52)
    x, y, lo, hi = [], [], [], []
    for year in range(years):
        sl = slice(52 * year, 52 * (year + 1))
        rate, low, high = poisson_rate(num[sl].sum(), den[sl].sum() / 52.0, per)
        x.append(year + 0.5)
        y.append(rate)
        lo.append(low)
        hi.append(high)
    return Curve(x, y, lo, hi, "year", "")


def _sum_weekly(reps: list[dict[str, Any]]) -> PwidWeekly:
    weekly = [r["pwid"] for r in reps]
    return PwidWeekly(
        *(np.sum([getattr(w, f) for w in weekly], axis=0) for f in PwidWeekly._fields)
    )


def _rate_target(
    name: str,
    source: str,
    published: tuple[float, float, float] | Published,
    events: float,
    person_years: float,
    per: float,
    curve: Curve | None = None,
) -> TargetResult:
    """A rate per ``per`` person-years: on the log scale against a 95% CI, or against a range."""
    rate = per * events / max(person_years, 1e-12)
    log_se = 1 / np.sqrt(events) if events > 0 else float("nan")
    if isinstance(published, Published):
        _, low, high = poisson_rate(events, person_years, per)
        return range_target(
            name,
            source,
            f"{published.low:g}-{published.high:g}",
            published,
            rate,
            (low, high),
            "simulated 95% CI (Poisson) overlaps the published range",
            curve,
        )
    return ratio_target(name, source, published, rate, float(log_se), curve)


def _incidence_ratio_target(
    name: str,
    source: str,
    published: tuple[float, float, float],
    on: tuple[float, float],
    off: tuple[float, float],
) -> TargetResult:
    """Incidence on MOUD vs off it (events, person-weeks each), on the log scale."""
    (e_on, w_on), (e_off, w_off) = on, off
    if e_on > 0 and e_off > 0:
        rr = (e_on / w_on) / (e_off / w_off)
        log_se = float(np.sqrt(1 / e_on + 1 / e_off))
    else:
        rr, log_se = float("nan"), float("nan")
    here = f" (here {e_on:.0f} infections on MOUD and {e_off:.0f} off)"
    return ratio_target(name, source + here, published, rr, log_se)


def _fatal_overdose_rate(
    reps: list[dict[str, Any]],
) -> tuple[float, float, Curve]:
    """Overdose deaths, person-years and the yearly curve among people who inject."""
    w = _sum_weekly(reps)
    curve = _yearly(w, "overdose_deaths", "person_weeks", 1000.0)
    curve.ylabel = "per 1000 person-years"
    return float(w.overdose_deaths.sum()), float(w.person_weeks.sum()) / 52.0, curve


def pwid_targets(
    reps: list[dict[str, Any]], pre_fentanyl: list[dict[str, Any]] | None = None
) -> list[TargetResult]:
    """Overdose, HIV and HCV among people who inject, in one setting: US cities, 2011-2018.

    The HIV and HCV targets come from one epidemic (NHBS cities and US cohorts), not from a
    global pool set against a US prevalence. Where no US figure was found the target says
    which setting it is from. Fatal overdose: the fentanyl era with the scenario's supply
    (the base rate's calibration), and the pre-fentanyl cohorts with that era's supply
    (``pre_fentanyl``: a validation, when given).
    """
    w = _sum_weekly(reps)
    years = {k: float(getattr(w, k).sum()) / 52.0 for k in PwidWeekly._fields}
    out = []
    deaths, person_years, curve = _fatal_overdose_rate(reps)
    out.append(
        label(
            _rate_target(
                "fatal overdose rate among people who inject, fentanyl era (per 1000 person-years)",
                "Baltimore ALIVE 2018, 13 (Genberg et al. 2021, Drug Alcohol Depend); US "
                "people who inject after 2016, 25 (14-43) (Shealey et al. 2024, preprint)",
                Published(None, 13.0, 25.0),
                deaths,
                person_years,
                1000.0,
                curve,
            ),
            "overdose.base_rate_per_year",
        )
    )
    if pre_fentanyl:
        deaths, person_years, curve = _fatal_overdose_rate(pre_fentanyl)
        out.append(
            label(
                _rate_target(
                    "fatal overdose rate among people who inject, pre-fentanyl supply (per "
                    "1000 person-years)",
                    "Caudarella et al. 2016, Drug Alcohol Depend (Vancouver cohorts "
                    "1996-2011, 134 deaths); simulated with scenarios/pre_fentanyl.toml",
                    (8.94, 7.55, 10.59),
                    deaths,
                    person_years,
                    1000.0,
                    curve,
                )
            )
        )
    curve = _yearly(w, "hiv_infections", "hiv_negative_weeks", 100.0)
    curve.ylabel = "per 100 HIV-negative person-years"
    out.append(
        label(
            _rate_target(
                "HIV incidence among people who injected in the past year (per 100 person-years)",
                "derived from Lansky et al. 2014, PLoS One 9:e97596 (US, 2011): HIV diagnoses "
                "among people who inject (55 per 100,000 of 6.61 million who ever injected) "
                "over the 774,434 (494,605-1,054,263) who injected in the past year; "
                "diagnoses stand in for incidence",
                Published(None, 0.34, 0.74),
                float(w.hiv_infections.sum()),
                years["hiv_negative_weeks"],
                100.0,
                curve,
            )
        )
    )
    curve = _yearly(w, "hcv_infections", "hcv_negative_weeks", 100.0)
    curve.ylabel = "per 100 antibody-negative person-years"
    out.append(
        label(
            _rate_target(
                "primary HCV incidence among people who injected in the past year "
                "(per 100 person-years)",
                "US cohorts of people who inject, mostly 1994-2006 (Hagan 2001 Seattle 16.7; "
                "Garfein 1998; Hahn 2002; Thorpe 2002): 'between 15 and 30 per 100 person "
                "years', Institute of Medicine 2010, Hepatitis and Liver Cancer, p. 28",
                Published(None, 15.0, 30.0),
                float(w.hcv_infections.sum()),
                years["hcv_negative_weeks"],
                100.0,
                curve,
            ),
            SHARING_CALIBRATION,
        )
    )
    out.append(
        label(
            proportion_target(
                "share of primary HCV infections in people who did not share syringes in the "
                "past 12 months",
                "Hagan et al. 2001, Am J Public Health 91:42 (Seattle; 42 of 53 "
                "seroconversions, De et al. 2008 Table 1)",
                42 / 53,
                53,
                *_share_and_se(w.hcv_infections_nonsharer.sum(), w.hcv_infections.sum()),
            )
        )
    )
    out.append(
        label(
            _incidence_ratio_target(
                "HIV incidence on vs off MOUD among people who inject (rate ratio)",
                "MacArthur et al. 2012, BMJ 345:e5945 (9 studies, methadone)",
                (0.46, 0.32, 0.67),
                (float(w.hiv_infections_moud.sum()), float(w.hiv_negative_weeks_moud.sum())),
                (
                    float((w.hiv_infections - w.hiv_infections_moud).sum()),
                    float((w.hiv_negative_weeks - w.hiv_negative_weeks_moud).sum()),
                ),
            )
        )
    )
    out.append(
        label(
            _incidence_ratio_target(
                "primary HCV incidence on vs off MOUD among people who inject (rate ratio)",
                "Platt et al. 2018, Addiction 113:545 (current opioid substitution, 28 studies)",
                (0.50, 0.40, 0.63),
                (float(w.hcv_infections_moud.sum()), float(w.hcv_negative_weeks_moud.sum())),
                (
                    float((w.hcv_infections - w.hcv_infections_moud).sum()),
                    float((w.hcv_negative_weeks - w.hcv_negative_weeks_moud).sum()),
                ),
            )
        )
    )
    reinfected = sum(r["hcv_reinfection"][0] for r in reps)
    at_risk = sum(r["hcv_reinfection"][1] for r in reps)
    out.append(
        label(
            _rate_target(
                "HCV reinfection after cure among people who inject (per 100 person-years)",
                "Hajarizadeh et al. 2020, J Hepatol (recent injecting; 36 studies)",
                (6.2, 4.3, 9.0),
                float(reinfected),
                float(at_risk) / 52.0,
                100.0,
            )
        )
    )

    for field, name, source, published, calibrates in (
        (
            "hiv_prevalence",
            "HIV prevalence among people who injected in the past year, at the end",
            "CDC NHBS: 7% (20 cities, 2015; 23 cities, 2018), 6% of 2018 participants "
            "tested positive (Handanagic et al. 2021, MMWR 70:1459)",
            Published(None, 0.06, 0.07),
            "",
        ),
        (
            "hcv_antibody_prevalence",
            "HCV antibody prevalence among people who injected in the past year, at the end",
            "Abara et al. 2019, J Infect Dis 220:377 (NHBS 2015, 8 US cities; 55.2% of 4,094)",
            Published(0.552, 0.537, 0.567),
            "",
        ),
        (
            "hcv_prevalence",
            "HCV (viraemic) prevalence among people who injected in the past year, at the end",
            "Grebely et al. 2019, Addiction (global, recent injecting; no US viraemic survey "
            "was found)",
            Published(0.392, 0.316, 0.470),
            "",
        ),
        (
            "suppressed_of_diagnosed",
            "virally suppressed among people who inject with diagnosed HIV, at the end",
            "Karch et al. 2016, Open AIDS J 10:127 (US, 28 jurisdictions, 2012; 42.8% of 80,958)",
            Published(0.428, 0.425, 0.431),
            "",
        ),
        (
            "shared_past_year",
            "receptive syringe sharing in the past 12 months, HIV-negative people who inject",
            "CDC NHBS 2018 (23 cities): 26% (Handanagic et al. 2021); 27% in 2012 and 2015",
            Published(None, 0.26, 0.27),
            SHARING_CALIBRATION,
        ),
    ):
        mean, se, interval, curve = _prevalence_end(reps, field)
        if published.value is None:
            result = range_target(
                name,
                source,
                f"{published.low:g}-{published.high:g}",
                published,
                mean,
                interval,
                "simulated 95% CI (across replicates) overlaps the published range",
                curve,
            )
        else:
            tol = Z95 * float(np.hypot(se, (published.high - published.low) / (2 * Z95)))
            result = TargetResult(
                name,
                source,
                f"{published.value:g} (95% interval {published.low:g}-{published.high:g})",
                mean,
                interval,
                f"+/- {tol:.3f} (published interval and simulation SE across replicates "
                "combined, 95%)",
                bool(abs(mean - published.value) <= tol),
                published,
                curve,
            )
        out.append(label(result, calibrates))
    return out


def _share_and_se(part: float, whole: float) -> tuple[float, float]:
    """A share and its binomial SE (NaN when there is nothing to share)."""
    if whole <= 0:
        return float("nan"), float("nan")
    share = float(part) / float(whole)
    return share, binomial_se(share, int(whole))


def _prevalence_end(
    reps: list[dict[str, Any]], field: str
) -> tuple[float, float, tuple[float, float], Curve]:
    """Prevalence in the last week: mean over replicates, its SE, 95% t interval, and curve.

    The spread between replicates carries the noise of the whole epidemic, not only of the
    last week's sample; with one replicate, the binomial SE of that week stands in.
    """
    series = np.array([getattr(r["pwid"], field) for r in reps])  # replicates x weeks
    end = series[:, -1]
    mean, lo, hi = t_interval(end)
    if end.size > 1:
        se = float(end.std(ddof=1) / np.sqrt(end.size))
    else:
        n = int(reps[0]["pwid"].recent_weeks[-1])
        se = binomial_se(mean, max(n, 1))
        lo, hi = normal_interval(mean, se)
    return mean, se, (lo, hi), _prevalence_curve(series)


def _prevalence_curve(series: np.ndarray) -> Curve:
    """Prevalence at the start of every year and at the end, mean and 95% t interval."""
    weeks = series.shape[1] - 1
    points = sorted({*range(0, weeks + 1, 52), weeks})
    x, y, lo, hi = [], [], [], []
    for w in points:
        mean, low, high = t_interval(series[:, w])
        x.append(w / 52.0)
        y.append(mean)
        lo.append(low if np.isfinite(low) else mean)
        hi.append(high if np.isfinite(high) else mean)
    return Curve(x, y, lo, hi, "year", "prevalence")


# ---------------------------------------------------------------------------------------------
# Running the suite


EXPERIMENTS = ("usual_care", "trial_like", "pre_fentanyl")


def pre_fentanyl_overrides() -> dict[str, Any]:
    """What ``scenarios/pre_fentanyl.toml`` changes (every key but ``[run]``), as overrides.

    The validation's pre-fentanyl experiment is the scenario under test with that era's
    supply, so a calibrated scenario is checked against Caudarella's cohorts too.
    """
    with builtin("pre_fentanyl").open("rb") as f:
        data = tomllib.load(f)
    return {
        f"{section}.{key}": value
        for section, values in data.items()
        if section != "run"
        for key, value in values.items()
    }


def validation_tasks(
    people: int, replicates: int, seed: int, years: float, scenario: Scenario | None = None
) -> list[ReplicateTask]:
    """Every replicate of every experiment, each with its own seed.

    The experiments run ``scenario`` (default: the defaults) at the given size; the trial-like
    one multiplies its MOUD discontinuation hazard ratio by ``TRIAL_LIKE_HAZARD_RATIO``; the
    pre-fentanyl one gives it ``scenarios/pre_fentanyl.toml``'s supply.
    """
    base = (scenario or Scenario.default()).with_overrides(
        {"run.people": people, "run.years": years}
    )
    trial_hr = base.care.moud_discontinuation_hazard_ratio * TRIAL_LIKE_HAZARD_RATIO
    settings = {
        "usual_care": base,
        "trial_like": base.with_overrides({"care.moud_discontinuation_hazard_ratio": trial_hr}),
        "pre_fentanyl": base.with_overrides(pre_fentanyl_overrides()),
    }
    tasks = []
    for offset, experiment in enumerate(EXPERIMENTS):
        for s in replicate_seeds(seed + offset, replicates):
            tasks.append(
                ReplicateTask(experiment, settings[experiment].with_overrides({"run.seed": s}))
            )
    return tasks


def run_validation(
    people: int = DEFAULT_PEOPLE,
    replicates: int = DEFAULT_REPLICATES,
    seed: int = 1,
    years: float = DEFAULT_YEARS,
    workers: int | None = None,
    scheduler: str | None = None,
    scenario: Scenario | None = None,
    progress: Callable[[int], object] | None = None,
) -> list[TargetResult]:
    """Run every validation experiment and return one result per target.

    ``scenario`` is the parameter set to hold to the targets (default: the defaults), e.g. a
    calibrated one. ``progress`` (e.g. a tqdm bar's ``update``) is called with 1 after each
    of the ``len(validation_tasks(...))`` replicates.
    """
    tasks = validation_tasks(people, replicates, seed, years, scenario)
    results: list[dict[str, Any]] = [{} for _ in tasks]
    keys = [f"hrsim-validate-{t.experiment}-{t.scenario.run.seed}" for t in tasks]
    for index, data in execute(
        measure_replicate, tasks, workers=workers, scheduler=scheduler, keys=keys
    ):
        results[index] = data
        if progress is not None:
            progress(1)
    usual = [r for t, r in zip(tasks, results, strict=True) if t.experiment == "usual_care"]
    trial = [r for t, r in zip(tasks, results, strict=True) if t.experiment == "trial_like"]
    pre = [r for t, r in zip(tasks, results, strict=True) if t.experiment == "pre_fentanyl"]
    weeks = tasks[0].scenario.weeks
    return check_enough_data([
        *relapse_targets(usual),
        *retention_targets(usual, trial),
        post_release_target(usual),
        release_on_moud_target(usual),
        *on_off_targets(usual),
        *after_detox_targets(usual, weeks),
        *pwid_targets(usual, pre),
        *overdose_response_targets(usual),
    ])  # fmt: skip


def overdose_response_targets(reps: list[dict[str, Any]]) -> list[TargetResult]:
    """Who is there and what happens next: three validation targets (none set a parameter).

    - the share of fatal overdoses with a bystander present: 44% of 11,884 deaths (Mattson
      2018, SUDORS, 11 states, Jul 2016-Jun 2017). Simulated: fatal overdoses with company
      present (able to respond or not; supervised sites excluded) over all fatal overdoses;
    - the fatality of overdoses witnessed by kit holders: 9/153 = 6% (95% CI 2-11%; Bird,
      Parmar & Strang 2015, pooled take-home naloxone schemes). The denominator is overdoses
      witnessed by a kit holder (company able to respond, with a kit holder among them), not
      only those where the kit was used;
    - the share of fatal opioid overdoses with no naloxone given by anyone: 77.3% of 33,084
      (SUDORS 2019). EMS give naloxone whenever they attend.
    """
    total: dict[str, float] = dict.fromkeys(RESPONSE_COUNTS, 0.0)
    for r in reps:
        for key, value in r.get("overdose_response", {}).items():
            total[key] += value
    fatal = total["overdoses_fatal"]
    present, present_se = _share_and_se(total["overdoses_fatal_bystander_present"], fatal)
    kit, kit_se = _share_and_se(
        total["overdoses_fatal_kit_holder_witnessed"], total["overdoses_kit_holder_witnessed"]
    )
    none, none_se = _share_and_se(total["overdoses_fatal_no_naloxone"], fatal)
    bird = range_target(
        "fatality of overdoses witnessed by a kit holder",
        "Bird, Parmar & Strang 2015, Drugs Educ Prev Policy 22:66 (9/153; here "
        f"{int(total['overdoses_fatal_kit_holder_witnessed'])}/"
        f"{int(total['overdoses_kit_holder_witnessed'])})",
        "0.06 (95% CI 0.02-0.11)",
        Published(0.06, 0.02, 0.11),
        kit,
        proportion_interval(kit, kit_se),
        "simulated 95% CI overlaps the published interval",
    )
    return [
        label(
            proportion_target(
                "share of fatal overdoses with a bystander present",
                f"Mattson et al. 2018, MMWR 67:945 (SUDORS, 11,884 deaths; here {int(fatal)})",
                0.44,
                11884,
                present,
                present_se,
            )
        ),
        label(bird),
        label(
            proportion_target(
                "share of fatal overdoses with no naloxone given",
                "SUDORS 2019, 37 states and DC (33,084 deaths; authors unverified)",
                0.773,
                33084,
                none,
                none_se,
            )
        ),
    ]


def results_json(results: list[TargetResult]) -> str:
    """What ``hrsim validate --json`` prints, and ``--html`` writes beside the page.

    One JSON list, a row per target (:meth:`TargetResult.as_dict`); a sweep report reads it
    back (``hrsim.reporting.validation_status``).
    """
    return json.dumps([r.as_dict() for r in results], indent=2)


def format_table(results: list[TargetResult]) -> str:
    """A readable table: name, source, target, simulated (interval), tolerance, pass/fail."""
    lines = []
    for r in results:
        lines.append(f"[{r.status.upper()}] {r.name}")
        lines.append(f"       role:      {role_text(r)}")
        lines.append(f"       source:    {r.source}")
        lines.append(f"       target:    {r.target}")
        lines.append(f"       simulated: {_simulated_text(r)}")
        lines.append(f"       tolerance: {r.tolerance}")
    lines.append("")
    for role in ROLES:
        group = [r for r in results if r.role == role]
        met = sum(r.passed for r in group)
        lines.append(f"{role} targets: {met} of {len(group)} met{_thin_text(group)}")
    lines.append(
        f"{sum(r.passed for r in results)} of {len(results)} targets met{_thin_text(results)}"
    )
    return "\n".join(lines)


def _simulated_text(r: TargetResult) -> str:
    """``0.284 (95% interval 0.240 to 0.330)``, or why there is no number."""
    if not np.isfinite(r.simulated):
        return "none (nothing to measure in this run: too few events)"
    low, high = r.interval
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{r.simulated:.3f} (no interval: too few events)"
    wide = "; wider than the published interval" if not r.enough_data else ""
    return f"{r.simulated:.3f} (95% interval {low:.3f} to {high:.3f}{wide})"


def _thin_text(results: list[TargetResult]) -> str:
    thin = sum(not r.enough_data for r in results)
    return f", {thin} with not enough data" if thin else ""
