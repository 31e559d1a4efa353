"""A scenario and its baseline stepped together, week by week, on the same seed.

The dashboard shows what a scenario's programmes change *so far*, while the run unfolds. The
baseline is the same scenario with every programme removed: the same people, seed, fentanyl
supply and MOUD capacity, no ``[[interventions]]``. Both models draw from the same named
random streams, and programmes draw only from their own, so the two runs share their random
numbers (common random numbers) and a difference between them is mostly the programmes' doing,
not chance. ``hrsim compare`` does the same over many replicates, to the horizon, with
intervals; this module is one replicate, watched as it goes.

Also here: MOUD retention as a Kaplan-Meier curve over the treatment episodes that start
during the run (episodes under way at week 0 started before anyone was watching, so they are
left out); and QALYs and costs so far in both arms (:meth:`PairedRun.economics`): within the
run, discounted to week 0 at ``economics.discount_rate``, in ``economics.price_year`` dollars,
as ``hrsim.batch.outcomes`` counts them; once the run reaches its horizon, the lifetime values
(the run plus the tail after it), the same numbers ``hrsim compare`` reports for one replicate.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from hrsim.analysis.compare import (
    DOMINANT,
    DOMINATED,
    LESS_COSTLY_LESS_EFFECTIVE,
    MORE_COSTLY_MORE_EFFECTIVE,
    quadrant,
)
from hrsim.analysis.stats import kaplan_meier_curve
from hrsim.batch.outcomes import outcomes_of
from hrsim.burn_in import BurnIn, burn_in_key
from hrsim.core.people import People
from hrsim.core.results import TIMESERIES_COLUMNS
from hrsim.core.states import on_moud
from hrsim.economics.costs import unit_costs, weekly_costs
from hrsim.economics.lifetime import discount_factors
from hrsim.model import HarmReductionModel
from hrsim.processes import DEFAULT_PROCESSES
from hrsim.scenario import Scenario

ARMS: tuple[str, ...] = ("scenario", "baseline")

# Cumulative outcomes (names as in hrsim.batch.outcomes) -> the timeseries columns they add up.
OUTCOME_COLUMNS: dict[str, tuple[str, ...]] = {
    "deaths_all_causes": ("deaths_overdose", "deaths_other"),
    "fatal_overdoses": ("overdoses_fatal",),
    "nonfatal_overdoses": ("overdoses_nonfatal",),
    "new_hiv": ("hiv_infections",),
    "new_hcv": ("hcv_infections",),
}


def without_programmes(scenario: Scenario) -> Scenario:
    """The baseline of ``scenario``: the same parameters with no programmes."""
    return scenario.model_copy(update={"interventions": ()})


class BurnIns:
    """The last few burn-ins the page drew, by what they depend on (``burn_in_key``).

    A burn-in is most of the time it takes to start a run (five years of weeks before week 0),
    and it depends on neither the programmes nor the run's name: switching a programme on at
    week 0, Reset, or a lesson on the same community start from a kept one at once. A run
    from a kept burn-in is identical to one that ran its own (``hrsim.burn_in``). Shared by
    every tab of a server (the states are bytes, never changed).
    """

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._kept: OrderedDict[str, BurnIn] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, scenario: Scenario) -> BurnIn | None:
        """The kept burn-in of ``scenario``'s community and seed, if any."""
        key = burn_in_key(scenario, DEFAULT_PROCESSES)
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
            return found

    def keep(self, burn_in: BurnIn) -> None:
        """Keep ``burn_in``, forgetting the least recently used beyond ``size``."""
        with self._lock:
            self._kept[burn_in.key] = burn_in
            self._kept.move_to_end(burn_in.key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)


BURN_INS = BurnIns()


class MoudRetention:
    """Retention on MOUD, by weeks since starting, for episodes that start during the run.

    Call :meth:`update` after every week. An episode runs from the first week a person is seen
    on MOUD to the first week they are not (a switch between methadone and buprenorphine
    continues it); a new person in a reused row starts afresh.
    """

    def __init__(self, people: People) -> None:
        self._on = on_moud(people.state)
        self._pid = people.pid.copy()
        self._start = np.full(people.n, -1, dtype=np.int64)  # -1: not a tracked episode
        self._ended: list[np.ndarray] = []
        self.week = 0

    def update(self, people: People, week: int) -> None:
        """Record the episodes that started and ended in ``week``."""
        on = on_moud(people.state)
        continuing = on & self._on & (people.pid == self._pid)
        ended = self._on & ~continuing
        tracked = ended & (self._start >= 0)
        if tracked.any():
            self._ended.append(week - self._start[tracked])
        self._start[ended] = -1
        self._start[on & ~continuing] = week
        self._on = on
        self._pid[:] = people.pid
        self.week = week

    @property
    def episodes(self) -> int:
        """Episodes started during the run so far."""
        return int(sum(e.size for e in self._ended) + np.count_nonzero(self._start >= 0))

    def curve(self, max_weeks: int = 52) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Kaplan-Meier retention: ``(weeks, share still on MOUD, number at risk)``.

        ``weeks`` runs from 0 to ``max_weeks`` or the longest episode seen, whichever is
        shorter; episodes still under way are censored at their current length.
        """
        ended = np.concatenate(self._ended) if self._ended else np.zeros(0, dtype=np.int64)
        ongoing = self.week - self._start[self._start >= 0]
        longest = int(max(ended.max(initial=0), ongoing.max(initial=0)))
        t_max = min(max_weeks, longest)
        lengths = np.concatenate([ended, ongoing])
        stopped = np.arange(lengths.size) < ended.size  # the rest are censored (still on)
        share, _ = kaplan_meier_curve(lengths, stopped, t_max)
        # At risk at t: every episode that lasted at least t weeks.
        at_risk = np.bincount(np.minimum(lengths, t_max + 1), minlength=t_max + 2)
        at_risk = at_risk[::-1].cumsum()[::-1][: t_max + 1]
        return np.arange(t_max + 1), share, at_risk


@dataclass(frozen=True)
class Averted:
    """Outcomes so far in both arms; ``averted`` is baseline minus scenario."""

    scenario: dict[str, int]
    baseline: dict[str, int]

    @property
    def averted(self) -> dict[str, int]:
        """Baseline minus scenario for each outcome (negative: more in the scenario)."""
        return {k: self.baseline[k] - self.scenario[k] for k in self.scenario}


#: Timeseries columns the weekly cost ledger reads (``hrsim.economics.costs.weekly_costs``).
COST_COLUMNS: tuple[str, ...] = (
    "week",
    "methadone",
    "buprenorphine",
    "detox",
    "hiv_on_art",
    "daa_starts",
    "hiv_in_care_not_on_art",
    "hcv_viraemic",
    "ems_calls",
    "ed_visits",
    "jail",
    "prison",
    "arrests",
    "active",
)


@dataclass(frozen=True)
class PairedEconomics:
    """Discounted QALYs and costs of both arms; the gains are scenario minus baseline.

    ``lifetime`` is False while the run goes on (the run so far, nothing after it) and True
    once it has reached its horizon with ``economics.horizon = "lifetime"`` (the run plus
    the rest of everyone's life: the values ``hrsim compare`` reports).
    """

    scenario_qalys: float
    baseline_qalys: float
    scenario_cost: float
    baseline_cost: float
    lifetime: bool
    price_year: int = 2024
    currency: str = "USD"
    discount_rate: float = 0.03
    perspective: str = "health_sector"

    @property
    def qalys_gained(self) -> float:
        """Scenario minus baseline QALYs."""
        return self.scenario_qalys - self.baseline_qalys

    @property
    def extra_cost(self) -> float:
        """Scenario minus baseline cost."""
        return self.scenario_cost - self.baseline_cost

    @property
    def quadrant(self) -> str:
        """Where the scenario lies against the baseline (``hrsim.analysis.compare.quadrant``)."""
        return quadrant(self.extra_cost, self.qalys_gained)

    @property
    def icer(self) -> float | None:
        """Extra cost per QALY gained, only where that is a price (more cost, more QALYs)."""
        if self.quadrant != MORE_COSTLY_MORE_EFFECTIVE:
            return None
        return self.extra_cost / self.qalys_gained

    def cells(self) -> list[tuple[str, str, str, str]]:
        """What the page shows: ``(key, title, value, detail)`` for QALYs, cost and ICER."""
        icer, where = self.icer, self.quadrant
        if icer is not None:
            ratio, how = _dollars(icer), "extra cost / QALYs gained"
        elif where == DOMINANT:
            ratio, how = "dominant", "cheaper, and more QALYs"
        elif where == DOMINATED:
            ratio, how = "dominated", "dearer, and fewer QALYs"
        elif where == LESS_COSTLY_LESS_EFFECTIVE:
            saved = _dollars(self.extra_cost / self.qalys_gained)
            ratio, how = f"saves {saved}", "per QALY lost: cheaper, and fewer QALYs"
        else:
            ratio, how = "-", "no QALYs gained or lost"
        return [
            (
                "qalys",
                "QALYs gained",
                f"{self.qalys_gained + 0.0:+,.2f}",
                f"{self.scenario_qalys:,.1f} in the scenario, {self.baseline_qalys:,.1f} in the"
                " baseline",
            ),
            (
                "cost",
                f"Extra cost ({self.currency})",
                _dollars(self.extra_cost, sign=True),
                f"{_dollars(self.scenario_cost)} in the scenario, {_dollars(self.baseline_cost)}"
                " in the baseline",
            ),
            ("icer", "Cost per QALY gained", ratio, how),
        ]

    def caption(self) -> str:
        """What the numbers are: horizon, discounting, price year, perspective."""
        rate = f"discounted at {self.discount_rate * 100:g}% a year to week 0"
        if self.discount_rate == 0:
            rate = "undiscounted"
        who = "health-sector" if self.perspective == "health_sector" else "societal"
        money = f"costs in {self.price_year} US dollars ({self.currency}), {who} perspective"
        if self.lifetime:
            return (
                f"Lifetime QALYs and costs: the run plus the rest of everyone's life, {rate};"
                f" {money}. One run: for intervals and the incremental table, use"
                " `hrsim compare` with replicates."
            )
        return (
            f"QALYs and costs so far in the run, {rate}; {money}. At the horizon they become"
            " lifetime values (the run plus the rest of everyone's life)."
        )


def _dollars(value: float, sign: bool = False) -> str:
    """``$1,234`` or ``-$1,234`` (``+$1,234`` with ``sign``)."""
    text = f"${abs(value):,.0f}"
    if value < 0 and text != "$0":
        return f"-{text}"
    return f"+{text}" if sign and text != "$0" else text


class PairedRun:
    """``scenario`` and its baseline (no programmes), on the same seed, advanced together.

    ``run.model`` is the scenario, ``run.baseline`` the baseline; both are ordinary
    :class:`HarmReductionModel` objects and can be inspected while the run goes on.
    """

    def __init__(self, scenario: Scenario, burn_ins: BurnIns | None = BURN_INS) -> None:
        self.scenario = scenario
        # Both arms start from one burn-in (the programmes start at week 0): run once, or
        # taken from the ones kept (``burn_ins``; None runs a fresh one).
        kept = burn_ins.get(scenario) if burn_ins is not None else None
        arm = HarmReductionModel(scenario, burn_in=kept, keep_burn_in=kept is None)
        if burn_ins is not None and kept is None and arm.burn_in_state is not None:
            burn_ins.keep(arm.burn_in_state)
        self.models: dict[str, HarmReductionModel] = {
            "scenario": arm,
            "baseline": HarmReductionModel(without_programmes(scenario), burn_in=arm.burn_in_state),
        }
        self.retention = {arm: MoudRetention(m.people) for arm, m in self.models.items()}
        econ = scenario.economics
        self._unit = unit_costs(scenario.costs, econ.price_year)
        self._lifetime: PairedEconomics | None = None  # computed once, at the horizon
        self._weekly_cost = {arm: np.zeros(self.weeks + 1) for arm in ARMS}
        self._costed = 0  # timeseries rows costed so far

    @property
    def model(self) -> HarmReductionModel:
        """The scenario's model."""
        return self.models["scenario"]

    @property
    def baseline(self) -> HarmReductionModel:
        """The baseline's model."""
        return self.models["baseline"]

    @property
    def week(self) -> int:
        """Weeks simulated so far (0 = the starting population)."""
        return self.model.week

    @property
    def weeks(self) -> int:
        """The horizon in weeks."""
        return self.model.weeks

    @property
    def done(self) -> bool:
        """True once the horizon is reached."""
        return self.week >= self.weeks

    def step(self, weeks: int = 1) -> int:
        """Advance both arms by up to ``weeks`` weeks (not past the horizon); returns how many."""
        n = max(0, min(weeks, self.weeks - self.week))
        for _ in range(n):
            for arm, model in self.models.items():
                model.step()
                self.retention[arm].update(model.people, model.week)
        return n

    def continue_with(self, scenario: Scenario) -> None:
        """From the next week on, run ``scenario`` and its baseline (no programmes).

        Only what ``hrsim.model.CHANGEABLE_MID_RUN`` names may differ (the supply, the MOUD
        places, the programmes); the weeks so far stay as they were.
        """
        self.models["scenario"].continue_with(scenario)
        self.models["baseline"].continue_with(without_programmes(scenario))
        self.scenario = self.model.scenario
        self._lifetime = None

    def series(self, arm: str, column: str) -> np.ndarray:
        """One weekly timeseries column of one arm, weeks 0 to now (a read-only view)."""
        ts = self.models[arm].timeseries
        view = ts.data[column][: ts.rows]
        view.flags.writeable = False
        return view

    def totals(self, arm: str) -> dict[str, int]:
        """Each outcome added up over weeks 1 to now (week 0 is the starting population)."""
        return {
            outcome: int(sum(self.series(arm, c)[1:].sum() for c in columns))
            for outcome, columns in OUTCOME_COLUMNS.items()
        }

    def averted(self) -> Averted:
        """Outcomes so far in both arms, and what the programmes averted."""
        return Averted(self.totals("scenario"), self.totals("baseline"))

    def _cost_new_weeks(self) -> None:
        """Cost the weeks recorded since the last call (both arms in one ledger call)."""
        rows = self.model.timeseries.rows
        start = self._costed
        if start >= rows:
            return
        blocks, programmes = [], []
        for arm in ARMS:
            blocks.append(np.column_stack([self.series(arm, c)[start:rows] for c in COST_COLUMNS]))
            spent = np.zeros(rows - start)
            for (_, output), values in self.models[arm].programme_outputs.series.items():
                if output == "cost_usd":
                    spent += values[start:rows]
            programmes.append(spent)
        # One frame of one float block: a pandas frame built per column costs milliseconds.
        frame = pd.DataFrame(np.vstack(blocks).astype(np.float64), columns=list(COST_COLUMNS))
        econ = self.scenario.economics
        parts = weekly_costs(frame, np.concatenate(programmes), self._unit, econ.perspective)
        total = np.sum(list(parts.values()), axis=0)
        n = rows - start
        self._weekly_cost["scenario"][start:rows] = total[:n]
        self._weekly_cost["baseline"][start:rows] = total[n:]
        self._costed = rows

    def cost_and_qalys(self, arm: str) -> tuple[float, float]:
        """One arm's cost and QALYs over weeks 0 to now, discounted to week 0 (no tail).

        The cost is the perspective's weekly ledger (``hrsim.economics.costs.weekly_costs``),
        as ``hrsim.batch.outcomes`` counts it.
        """
        self._cost_new_weeks()
        rows = self.model.timeseries.rows
        d = discount_factors(np.arange(rows), self.scenario.economics.discount_rate)
        cost = float(self._weekly_cost[arm][:rows] @ d)
        return cost, float(self.series(arm, "qalys") @ d)

    def economics(self) -> PairedEconomics:
        """Both arms' discounted QALYs and costs: the run so far, or lifetime at the horizon."""
        if self.done and self.scenario.economics.horizon == "lifetime":
            if self._lifetime is None:
                totals = {
                    arm: outcomes_of(
                        model.scenario,
                        model.timeseries_frame(),
                        model.programme_frame(),
                        model.lifetime_tail(),
                    )
                    for arm, model in self.models.items()
                }
                s, b = totals["scenario"], totals["baseline"]
                self._lifetime = PairedEconomics(
                    s["qalys"],
                    b["qalys"],
                    s["cost_discounted_usd"],
                    b["cost_discounted_usd"],
                    True,
                    **self._stated(),
                )
            return self._lifetime
        (s_cost, s_qalys), (b_cost, b_qalys) = (self.cost_and_qalys(a) for a in ARMS)
        return PairedEconomics(s_qalys, b_qalys, s_cost, b_cost, False, **self._stated())

    def _stated(self) -> dict[str, Any]:
        econ = self.scenario.economics
        return {
            "price_year": econ.price_year,
            "currency": econ.currency,
            "discount_rate": econ.discount_rate,
            "perspective": econ.perspective,
        }

    def results_frame(self) -> pd.DataFrame:
        """Both arms' weekly results in one table: ``arm, week, year, <timeseries columns>``."""
        frames = []
        for arm, model in self.models.items():
            df = model.timeseries_frame()
            df.insert(0, "arm", arm)
            df.insert(2, "year", df["week"] / 52.0)
            frames.append(df)
        out = pd.concat(frames, ignore_index=True)
        return out[["arm", "week", "year", *[c for c in TIMESERIES_COLUMNS if c != "week"]]]
