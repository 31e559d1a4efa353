"""Summary statistics of one run, shared by validation (``hrsim validate``) and calibration.

A run is observed week by week: besides the model's own timeseries and event log, a tracker
records how many people who inject are alive at the end of every week and how many of them
have HIV and HCV, and which lifelong person ids inject (rows are reused, so a trait is looked
up by id, not by row). People who inject (PWID) are everyone alive with the injecting trait,
whatever their care state that week: the way cohort studies of PWID keep following people
through treatment, abstinence and prison.

Rates use the person-time at risk at the start of each week (the count at the end of the
week before) and the events of that week from the event log.

``STATISTICS`` names every summary statistic a calibration target can use; each is one
number per run. ``run_statistics`` computes all of them for one scenario (module-level, so it
can run in a worker process).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import pandas as pd

from hrsim.model import HarmReductionModel
from hrsim.scenario import Scenario


class PwidTracker:
    """People who inject, counted at week 0 and at the end of every week."""

    def __init__(self, weeks: int, people: int) -> None:
        self.alive = np.zeros(weeks + 1, dtype=np.int64)
        self.hiv = np.zeros(weeks + 1, dtype=np.int64)
        self.hcv = np.zeros(weeks + 1, dtype=np.int64)
        self.injects_by_pid = np.zeros(2 * people, dtype=bool)

    def observe(self, model: HarmReductionModel) -> None:
        """Record the end of ``model.week`` (call at week 0 and after every step)."""
        p = model.people
        if p.next_pid > self.injects_by_pid.size:
            grown = np.zeros(2 * p.next_pid, dtype=bool)
            grown[: self.injects_by_pid.size] = self.injects_by_pid
            self.injects_by_pid = grown
        # Every row, living or not: a row keeps the traits of whoever died in it this week.
        self.injects_by_pid[p.pid] = p.injects
        pwid = p.alive & p.injects
        week = model.week
        self.alive[week] = np.count_nonzero(pwid)
        self.hiv[week] = np.count_nonzero(pwid & p.hiv)
        self.hcv[week] = np.count_nonzero(pwid & p.hcv)


@dataclass
class ObservedRun:
    """A finished run: its timeseries, its event log (text columns as str) and PWID counts."""

    scenario: Scenario
    timeseries: pd.DataFrame
    events: pd.DataFrame
    pwid: PwidTracker

    @property
    def weeks(self) -> int:
        """Weeks simulated."""
        return self.scenario.weeks


def observe_run(scenario: Scenario) -> ObservedRun:
    """Run ``scenario`` to its horizon with the event log and the PWID tracker."""
    model = HarmReductionModel(scenario, record_events=True)
    tracker = PwidTracker(model.weeks, scenario.run.people)
    tracker.observe(model)
    for _ in range(model.weeks):
        model.step()
        tracker.observe(model)
    events = model.events_frame()
    for column in ("kind", "from_state", "to_state", "detail"):
        events[column] = events[column].astype(str)
    return ObservedRun(scenario, model.timeseries_frame(), events, tracker)


class PwidWeekly(NamedTuple):
    """Weekly numerators and person-weeks at risk among PWID, for weeks 1..W (index 0 = week 1).

    ``hiv_prevalence`` and ``hcv_prevalence`` are levels at the end of weeks 0..W.
    """

    person_weeks: np.ndarray
    overdose_deaths: np.ndarray
    hiv_negative_weeks: np.ndarray
    hiv_infections: np.ndarray
    hcv_negative_weeks: np.ndarray
    hcv_infections: np.ndarray
    hiv_prevalence: np.ndarray
    hcv_prevalence: np.ndarray


def pwid_weekly(run: ObservedRun) -> PwidWeekly:
    """Weekly PWID person-time, overdose deaths and new infections, and prevalence."""
    t, ev, weeks = run.pwid, run.events, run.weeks
    injects = t.injects_by_pid

    def per_week(rows: pd.DataFrame) -> np.ndarray:
        rows = rows[injects[rows["person"].to_numpy()]]
        counts = np.bincount(rows["week"].to_numpy(), minlength=weeks + 1)
        return counts[1 : weeks + 1].astype(np.float64)

    od = ev[(ev["kind"] == "death") & (ev["detail"] == "overdose")]
    hiv = ev[(ev["kind"] == "infection") & ev["detail"].isin(["hiv_injecting", "hiv_sexual"])]
    hcv = ev[(ev["kind"] == "infection") & (ev["detail"] == "hcv_injecting")]
    at_risk = t.alive[:-1].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        hiv_prev = np.where(t.alive > 0, t.hiv / t.alive, np.nan)
        hcv_prev = np.where(t.alive > 0, t.hcv / t.alive, np.nan)
    return PwidWeekly(
        person_weeks=at_risk,
        overdose_deaths=per_week(od),
        hiv_negative_weeks=at_risk - t.hiv[:-1],
        hiv_infections=per_week(hiv),
        hcv_negative_weeks=at_risk - t.hcv[:-1],
        hcv_infections=per_week(hcv),
        hiv_prevalence=hiv_prev,
        hcv_prevalence=hcv_prev,
    )


# ---------------------------------------------------------------------------------------------
# Named statistics (calibration targets)


@dataclass(frozen=True)
class Statistic:
    """A named summary statistic of one run."""

    description: str
    unit: str
    compute: Callable[[ObservedRun, PwidWeekly], float]


def _person_years(run: ObservedRun) -> float:
    """Person-years at risk: the population at the start of each week."""
    return max(float(run.timeseries["population"].iloc[:-1].sum()) / 52.0, 1e-12)


def _per_1000_py(column: str) -> Callable[[ObservedRun, PwidWeekly], float]:
    def compute(run: ObservedRun, _: PwidWeekly) -> float:
        return float(1000.0 * run.timeseries[column].iloc[1:].sum() / _person_years(run))

    return compute


def _overdoses_per_1000_py(run: ObservedRun, _: PwidWeekly) -> float:
    weeks = run.timeseries.iloc[1:]
    total = weeks["overdoses_fatal"].sum() + weeks["overdoses_nonfatal"].sum()
    return float(1000.0 * total / _person_years(run))


def _moud_fraction(which: str) -> Callable[[ObservedRun, PwidWeekly], float]:
    def compute(run: ObservedRun, _: PwidWeekly) -> float:
        ts = run.timeseries.iloc[1:]
        share = (ts["methadone"] + ts["buprenorphine"]) / ts["population"].clip(lower=1)
        return float(share.mean() if which == "mean" else share.iloc[-1])

    return compute


def _level(column: str) -> Callable[[ObservedRun, PwidWeekly], float]:
    def compute(run: ObservedRun, _: PwidWeekly) -> float:
        return float(run.timeseries[column].iloc[-1])

    return compute


def _pwid_rate(numerator: str, denominator: str, per: float) -> Callable[..., float]:
    def compute(_: ObservedRun, w: PwidWeekly) -> float:
        years = getattr(w, denominator).sum() / 52.0
        return float(per * getattr(w, numerator).sum() / max(years, 1e-12))

    return compute


def _pwid_prevalence_end(field: str) -> Callable[..., float]:
    def compute(_: ObservedRun, w: PwidWeekly) -> float:
        return float(getattr(w, field)[-1])

    return compute


STATISTICS: dict[str, Statistic] = {
    "overdoses_per_1000_py": Statistic(
        "fatal and non-fatal overdoses per 1000 person-years (everyone)",
        "per 1000 PY",
        _overdoses_per_1000_py,
    ),
    "fatal_overdoses_per_1000_py": Statistic(
        "fatal overdoses per 1000 person-years (everyone)",
        "per 1000 PY",
        _per_1000_py("overdoses_fatal"),
    ),
    "deaths_per_1000_py": Statistic(
        "deaths from other causes per 1000 person-years (everyone)",
        "per 1000 PY",
        _per_1000_py("deaths_other"),
    ),
    "arrests_per_1000_py": Statistic(
        "arrests per 1000 person-years (everyone)", "per 1000 PY", _per_1000_py("arrests")
    ),
    "relapses_per_1000_py": Statistic(
        "relapses from recovery per 1000 person-years (everyone)",
        "per 1000 PY",
        _per_1000_py("relapses"),
    ),
    "detox_admissions_per_1000_py": Statistic(
        "detox admissions per 1000 person-years (everyone)",
        "per 1000 PY",
        _per_1000_py("detox_admissions"),
    ),
    "moud_starts_per_1000_py": Statistic(
        "MOUD starts per 1000 person-years (everyone)",
        "per 1000 PY",
        _per_1000_py("moud_starts"),
    ),
    "moud_fraction_mean": Statistic(
        "share of the population on MOUD, averaged over the weeks",
        "fraction",
        _moud_fraction("mean"),
    ),
    "moud_fraction_end": Statistic(
        "share of the population on MOUD in the last week", "fraction", _moud_fraction("end")
    ),
    "hiv_prevalence_end": Statistic(
        "HIV prevalence (everyone) in the last week", "fraction", _level("hiv_prevalence")
    ),
    "hcv_prevalence_end": Statistic(
        "HCV prevalence (everyone) in the last week", "fraction", _level("hcv_prevalence")
    ),
    "pwid_fatal_overdoses_per_1000_py": Statistic(
        "fatal overdoses per 1000 person-years among people who inject",
        "per 1000 PY",
        _pwid_rate("overdose_deaths", "person_weeks", 1000.0),
    ),
    "pwid_hiv_incidence_per_100_py": Statistic(
        "new HIV infections per 100 HIV-negative person-years among people who inject",
        "per 100 PY",
        _pwid_rate("hiv_infections", "hiv_negative_weeks", 100.0),
    ),
    "pwid_hcv_incidence_per_100_py": Statistic(
        "new HCV infections per 100 HCV-negative person-years among people who inject",
        "per 100 PY",
        _pwid_rate("hcv_infections", "hcv_negative_weeks", 100.0),
    ),
    "pwid_hiv_prevalence_end": Statistic(
        "HIV prevalence among people who inject in the last week",
        "fraction",
        _pwid_prevalence_end("hiv_prevalence"),
    ),
    "pwid_hcv_prevalence_end": Statistic(
        "HCV prevalence among people who inject in the last week",
        "fraction",
        _pwid_prevalence_end("hcv_prevalence"),
    ),
}


def run_statistics(scenario: Scenario) -> dict[str, float]:
    """Run one scenario and return every named statistic (a worker's unit of work)."""
    run = observe_run(scenario)
    weekly = pwid_weekly(run)
    return {name: stat.compute(run, weekly) for name, stat in STATISTICS.items()}
