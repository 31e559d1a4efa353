"""Summary statistics of one run, shared by validation (``hrsim validate``) and calibration.

A run is observed week by week: besides the model's own timeseries and event log, a tracker
follows people who inject, in the two ways studies define them:

- **people who inject** (a cohort's definition): everyone alive whose route of use is
  injecting, whatever their care state, as cohort studies of people who inject keep following
  people through treatment, abstinence and prison (Caudarella 2016's fatal overdose rate);
- **people who injected in the past 12 months** (the surveys' and incidence studies'
  definition: CDC NHBS, Grebely 2019, US incidence cohorts): alive and injected
  (``injected_this_week``, on MOUD too) at some point in the last 52 weeks, whatever their
  route is now. People whose route is injecting but who are in treatment, recovery, detox or
  prison at week 0 count as having injected until they entered that state (they start 1-52
  weeks into it).

Rows are reused, so traits are looked up by lifelong id. Rates use the person-time at risk at
the start of each week (the count at the end of the week before) and the events of that week;
a new infection is counted when the person was at risk (an uninfected recent injector; for
HCV, antibody-negative: primary infection) at the start of the week it happened.

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

from hrsim.core.states import Care, on_moud
from hrsim.model import HarmReductionModel
from hrsim.runner import run_model
from hrsim.scenario import Scenario

RECENT_WEEKS = 52  # "injected in the past 12 months"
_LONG_AGO = -(10**6)


class PwidTracker:
    """People who inject, counted at week 0 and at the end of every week.

    Besides the counts every PWID target needs, it splits the weeks at risk and the new
    infections by what studies compare: on MOUD or not at the start of the week (MacArthur
    2012, Platt 2018), and for HCV whether the person shared a syringe in the past 12 months
    (Hagan 2001). HCV incidence is primary infection: antibody-negative people at risk.
    """

    COUNTS: tuple[str, ...] = (
        "alive",
        "recent",
        "recent_hiv",
        "recent_hcv",
        "recent_hcv_antibody",
        "recent_shared",
        "recent_hiv_negative_moud",
        "recent_hcv_negative_moud",
        "ever_diagnosed",
        "ever_suppressed",
        "new_hiv",
        "new_hcv",
        "new_hiv_moud",
        "new_hcv_moud",
        "new_hcv_nonsharer",
    )
    alive: np.ndarray
    recent: np.ndarray
    recent_hiv: np.ndarray
    recent_hcv: np.ndarray
    recent_hcv_antibody: np.ndarray
    recent_shared: np.ndarray
    recent_hiv_negative_moud: np.ndarray
    recent_hcv_negative_moud: np.ndarray
    ever_diagnosed: np.ndarray
    ever_suppressed: np.ndarray
    new_hiv: np.ndarray
    new_hcv: np.ndarray
    new_hiv_moud: np.ndarray
    new_hcv_moud: np.ndarray
    new_hcv_nonsharer: np.ndarray

    def __init__(self, model: HarmReductionModel) -> None:
        weeks, p = model.weeks, model.people
        # alive: the injecting trait (a cohort's definition); recent: injected in the past
        # 12 months (recent_hcv is viraemic); recent_shared: HIV-negative recent injectors who
        # shared a syringe in 12 months; *_moud: of them, on MOUD; ever_diagnosed: ever
        # injected with diagnosed HIV (Karch 2016's denominator), ever_suppressed: and
        # suppressed; new_*: infections among recent injectors at risk (HCV: primary).
        for name in self.COUNTS:
            setattr(self, name, np.zeros(weeks + 1, dtype=np.int64))
        size = 2 * p.n
        self.injects_by_pid = np.zeros(size, dtype=bool)
        self.last_injected = np.full(size, _LONG_AGO, dtype=np.int64)
        self._before: tuple[np.ndarray, ...] | None = None
        self._grow(p.next_pid)
        start = p.alive & p.injects
        # People injecting at week 0 injected this week; the others in treatment, recovery,
        # detox or prison injected until they entered that state.
        self.last_injected[p.pid[start]] = np.where(
            p.state[start] == Care.ACTIVE, 0, -p.weeks_in_state[start].astype(np.int64)
        )
        self._record(model)

    def _grow(self, next_pid: int) -> None:
        if next_pid <= self.injects_by_pid.size:
            return
        size = 2 * next_pid
        self.injects_by_pid = np.concatenate(
            [self.injects_by_pid, np.zeros(size - self.injects_by_pid.size, dtype=bool)]
        )
        self.last_injected = np.concatenate(
            [self.last_injected, np.full(size - self.last_injected.size, _LONG_AGO)]
        )

    def _recent_rows(self, model: HarmReductionModel) -> np.ndarray:
        """Alive and injected in the past 12 months (whatever the route is now)."""
        p = model.people
        last = self.last_injected[p.pid]
        return p.alive & (model.week - last <= RECENT_WEEKS)

    def _record(self, model: HarmReductionModel) -> None:
        p, week = model.people, model.week
        self._grow(p.next_pid)
        # Every row, living or not: a row keeps the traits of whoever died in it this week.
        self.injects_by_pid[p.pid] = p.injects
        if week > 0:
            self.last_injected[p.pid[p.alive & p.injected_this_week]] = week
        recent = self._recent_rows(model)
        moud = on_moud(p.state)
        shared = p.weeks_since_sharing < RECENT_WEEKS
        ever = p.alive & (self.last_injected[p.pid] > _LONG_AGO)
        diagnosed = ever & p.hiv & p.hiv_diagnosed
        self.alive[week] = np.count_nonzero(p.alive & p.injects)
        self.recent[week] = np.count_nonzero(recent)
        self.recent_hiv[week] = np.count_nonzero(recent & p.hiv)
        self.recent_hcv[week] = np.count_nonzero(recent & p.hcv)
        self.recent_hcv_antibody[week] = np.count_nonzero(recent & p.hcv_antibody)
        self.recent_shared[week] = np.count_nonzero(recent & ~p.hiv & shared)
        self.recent_hiv_negative_moud[week] = np.count_nonzero(recent & ~p.hiv & moud)
        self.recent_hcv_negative_moud[week] = np.count_nonzero(recent & ~p.hcv_antibody & moud)
        self.ever_diagnosed[week] = np.count_nonzero(diagnosed)
        self.ever_suppressed[week] = np.count_nonzero(diagnosed & p.hiv_suppressed)

    def before_step(self, model: HarmReductionModel) -> None:
        """Remember who is at risk at the start of the week, and how."""
        p = model.people
        self._before = (
            p.pid.copy(),
            self._recent_rows(model),
            p.hiv.copy(),
            p.hcv_antibody.copy(),
            on_moud(p.state),
            p.weeks_since_sharing < RECENT_WEEKS,
        )

    def after_step(self, model: HarmReductionModel) -> None:
        """Count the week's new infections among those at risk, then record the week's end."""
        assert self._before is not None, "call before_step first"
        pid, recent, hiv, hcv_antibody, moud, shared = self._before
        p, week = model.people, model.week
        same = recent & (p.pid == pid)  # rows refilled this week held someone else before
        new_hiv = same & ~hiv & p.hiv
        new_hcv = same & ~hcv_antibody & p.hcv_antibody
        self.new_hiv[week] = np.count_nonzero(new_hiv)
        self.new_hcv[week] = np.count_nonzero(new_hcv)
        self.new_hiv_moud[week] = np.count_nonzero(new_hiv & moud)
        self.new_hcv_moud[week] = np.count_nonzero(new_hcv & moud)
        self.new_hcv_nonsharer[week] = np.count_nonzero(new_hcv & ~shared)
        self._record(model)


def _keep(made: list[PwidTracker]) -> Callable[[HarmReductionModel], PwidTracker]:
    def factory(model: HarmReductionModel) -> PwidTracker:
        made.append(PwidTracker(model))
        return made[-1]

    return factory


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
    trackers: list[PwidTracker] = []
    model = run_model(scenario, record_events=True, observers=(_keep(trackers),))
    tracker = trackers[0]
    events = model.events_frame()
    for column in ("kind", "from_state", "to_state", "detail"):
        events[column] = events[column].astype(str)
    return ObservedRun(scenario, model.timeseries_frame(), events, tracker)


class PwidWeekly(NamedTuple):
    """Weekly series among people who inject, for weeks 1..W (index 0 = week 1).

    ``person_weeks`` and ``overdose_deaths``: everyone with the injecting trait (a cohort's
    definition). The rest: people who injected in the past 12 months. Weeks at risk are
    counted at the start of each week (the end of the week before); the prevalences and
    shares are levels at the end of weeks 0..W. HCV incidence is primary infection: weeks
    at risk are antibody-negative weeks.
    """

    person_weeks: np.ndarray
    overdose_deaths: np.ndarray
    hiv_negative_weeks: np.ndarray
    hiv_infections: np.ndarray
    hcv_negative_weeks: np.ndarray
    hcv_infections: np.ndarray
    hiv_prevalence: np.ndarray
    hcv_prevalence: np.ndarray
    recent_weeks: np.ndarray
    hiv_negative_weeks_moud: np.ndarray
    hiv_infections_moud: np.ndarray
    hcv_negative_weeks_moud: np.ndarray
    hcv_infections_moud: np.ndarray
    hcv_infections_nonsharer: np.ndarray
    hcv_antibody_prevalence: np.ndarray
    shared_past_year: np.ndarray  # among HIV-negative recent injectors (NHBS's definition)
    suppressed_of_diagnosed: np.ndarray  # ever injected, HIV diagnosed (Karch 2016)


def _share(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def pwid_weekly(run: ObservedRun) -> PwidWeekly:
    """Weekly PWID person-time, overdose deaths and new infections, and prevalence."""
    t, ev, weeks = run.pwid, run.events, run.weeks
    od = ev[(ev["kind"] == "death") & (ev["detail"] == "overdose")]
    od = od[t.injects_by_pid[od["person"].to_numpy()]]
    deaths = np.bincount(od["week"].to_numpy(), minlength=weeks + 1)[1 : weeks + 1]
    recent = t.recent[:-1].astype(np.float64)
    hiv_negative = t.recent - t.recent_hiv
    return PwidWeekly(
        person_weeks=t.alive[:-1].astype(np.float64),
        overdose_deaths=deaths.astype(np.float64),
        hiv_negative_weeks=recent - t.recent_hiv[:-1],
        hiv_infections=t.new_hiv[1:].astype(np.float64),
        hcv_negative_weeks=recent - t.recent_hcv_antibody[:-1],
        hcv_infections=t.new_hcv[1:].astype(np.float64),
        hiv_prevalence=_share(t.recent_hiv, t.recent),
        hcv_prevalence=_share(t.recent_hcv, t.recent),
        recent_weeks=recent,
        hiv_negative_weeks_moud=t.recent_hiv_negative_moud[:-1].astype(np.float64),
        hiv_infections_moud=t.new_hiv_moud[1:].astype(np.float64),
        hcv_negative_weeks_moud=t.recent_hcv_negative_moud[:-1].astype(np.float64),
        hcv_infections_moud=t.new_hcv_moud[1:].astype(np.float64),
        hcv_infections_nonsharer=t.new_hcv_nonsharer[1:].astype(np.float64),
        hcv_antibody_prevalence=_share(t.recent_hcv_antibody, t.recent),
        shared_past_year=_share(t.recent_shared, hiv_negative),
        suppressed_of_diagnosed=_share(t.ever_suppressed, t.ever_diagnosed),
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
        "fatal overdoses per 1000 person-years among people who inject (everyone with the "
        "injecting trait, in every care state)",
        "per 1000 PY",
        _pwid_rate("overdose_deaths", "person_weeks", 1000.0),
    ),
    "pwid_hiv_incidence_per_100_py": Statistic(
        "new HIV infections per 100 HIV-negative person-years among people who injected in "
        "the past 12 months",
        "per 100 PY",
        _pwid_rate("hiv_infections", "hiv_negative_weeks", 100.0),
    ),
    "pwid_hcv_incidence_per_100_py": Statistic(
        "primary HCV infections per 100 antibody-negative person-years among people who "
        "injected in the past 12 months",
        "per 100 PY",
        _pwid_rate("hcv_infections", "hcv_negative_weeks", 100.0),
    ),
    "pwid_hiv_prevalence_end": Statistic(
        "HIV prevalence among people who injected in the past 12 months, in the last week",
        "fraction",
        _pwid_prevalence_end("hiv_prevalence"),
    ),
    "pwid_hcv_prevalence_end": Statistic(
        "HCV (viraemic) prevalence among people who injected in the past 12 months, in the "
        "last week",
        "fraction",
        _pwid_prevalence_end("hcv_prevalence"),
    ),
    "pwid_hcv_antibody_prevalence_end": Statistic(
        "HCV antibody prevalence among people who injected in the past 12 months, in the last week",
        "fraction",
        _pwid_prevalence_end("hcv_antibody_prevalence"),
    ),
    "pwid_shared_past_year_end": Statistic(
        "share of HIV-negative people who injected in the past 12 months who shared a "
        "syringe (receptively) in those 12 months, in the last week",
        "fraction",
        _pwid_prevalence_end("shared_past_year"),
    ),
    "pwid_hiv_suppressed_of_diagnosed_end": Statistic(
        "share virally suppressed among people who ever injected with diagnosed HIV, in the "
        "last week",
        "fraction",
        _pwid_prevalence_end("suppressed_of_diagnosed"),
    ),
}


def run_statistics(scenario: Scenario) -> dict[str, float]:
    """Run one scenario and return every named statistic (a worker's unit of work)."""
    run = observe_run(scenario)
    weekly = pwid_weekly(run)
    return {name: stat.compute(run, weekly) for name, stat in STATISTICS.items()}
