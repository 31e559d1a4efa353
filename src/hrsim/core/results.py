"""Declared results: the weekly timeseries and the event log.

The timeseries has one row per week (week 0 is the initial population). The event log has one
row per event (``person, week, kind, from_state, to_state, detail``): every change of care
state, every overdose, infection, entry and exit, and each person's initial state at week 0,
so that person-time in any state can be rebuilt from the log alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from hrsim.core.states import LIVING_STATES, STATE_NAMES

STATE_COLUMNS: tuple[str, ...] = tuple(STATE_NAMES[s] for s in LIVING_STATES)

# Weekly counts of new events (reset every week).
FLOW_COLUMNS: tuple[str, ...] = (
    "overdoses_nonfatal",
    "overdoses_fatal",
    "overdoses_reversed",
    "overdoses_witnessed",
    "naloxone_kits_used",
    "hiv_infections",
    "hcv_infections",
    "entries",
    "exits",
    "deaths_overdose",
    "deaths_other",
    "detox_admissions",
    "moud_starts",
    "moud_exits",
    "relapses",
    "arrests",
    "releases",
    # MOUD waiting list (issue 12): joins, admissions from the list, exits without a place
    # (gave up, arrested, recovered, died...), the sum of the waits (weeks) of those
    # admitted this week, and the number waiting after the week's care step (a level).
    "moud_waitlist_joins",
    "moud_waitlist_admissions",
    "moud_waitlist_exits",
    "moud_wait_weeks",
    "moud_waiting",
    "started_injecting",  # route changes (processes/injecting.py): started or returned
    "stopped_injecting",  # switched to smoking or stopped (cessation)
    "people_injecting",  # people who injected this week (a count, not a flow of events)
    # The supply and co-use (issue 13): lapses (a single use in recovery, processes/
    # overdose.py); overdoses whose dose held fentanyl or xylazine; stimulant co-use spells
    # started and ended (processes/stimulants.py).
    "lapses",
    "overdoses_fentanyl",
    "overdoses_xylazine",
    "stimulant_starts",
    "stimulant_stops",
    # Overdose response (issue 13, processes/overdose_response.py): company present (not at a
    # supervised site), fatal among them; able company with a kit holder, fatal among them;
    # fatal without naloxone from anyone; EMS calls and EMS reversals; ED visits and
    # ED-initiated buprenorphine; kits expired (any source), lost and re-acquired (baseline).
    "overdoses_bystander_present",
    "overdoses_fatal_bystander_present",
    "overdoses_kit_holder_witnessed",
    "overdoses_fatal_kit_holder_witnessed",
    "overdoses_fatal_no_naloxone",
    "ems_calls",
    "overdoses_reversed_ems",
    "ed_visits",
    "ed_buprenorphine",
    "naloxone_kits_expired",
    "naloxone_kits_lost",
    "naloxone_kits_acquired",
    # Health economics (issue 15, hrsim.economics): DAA courses started this week (each is
    # costed once, costs.daa_usd_per_course); QALYs lived this week (the summed utility of the
    # people alive at the end of the week / 52, undiscounted; 0 at week 0); and, with the
    # lifetime horizon, the tail of the people who left the modelled population alive this
    # week (aged out, sustained recovery), discounted to this week (economics/lifetime.py):
    # their remaining life-years, QALYs, and treatment, chronic-care and (societal)
    # productivity costs in price-year dollars.
    "daa_starts",
    "qalys",
    "exits_tail_life_years",
    "exits_tail_qalys",
    "exits_tail_treatment_usd",
    "exits_tail_chronic_usd",
    "exits_tail_productivity_usd",
)
#: Columns holding fractions of a unit (everything else is a whole count).
FLOAT_COLUMNS: frozenset[str] = frozenset(
    {
        "hiv_prevalence",
        "hcv_prevalence",
        "qalys",
        "exits_tail_life_years",
        "exits_tail_qalys",
        "exits_tail_treatment_usd",
        "exits_tail_chronic_usd",
        "exits_tail_productivity_usd",
    }
)
# Levels after the week: the population, prevalences, and (issue 15, for costs) people on ART,
# in HIV care before ART, and with viraemic HCV (counted at the end of the week, like the care
# states; costed per person-week).
LEVEL_COLUMNS: tuple[str, ...] = (
    "population",
    "hiv_prevalence",
    "hcv_prevalence",
    "hiv_on_art",
    "hiv_in_care_not_on_art",
    "hcv_viraemic",
)
TIMESERIES_COLUMNS: tuple[str, ...] = ("week", *STATE_COLUMNS, *FLOW_COLUMNS, *LEVEL_COLUMNS)

EVENT_KINDS: tuple[str, ...] = (
    "initial",
    "transition",
    "overdose",
    "infection",
    "clinical",
    "entry",
    "death",
    "exit",
    "behaviour",  # route changes (processes/injecting.py)
)
NO_STATE = -1


class Timeseries:
    """Preallocated weekly columns; ``flows`` accumulate during a week, then ``close_week``."""

    def __init__(self, weeks: int) -> None:
        self.data = {c: np.zeros(weeks + 1, dtype=np.float64) for c in TIMESERIES_COLUMNS}
        self.data["week"][:] = np.arange(weeks + 1)
        self.flows: dict[str, float] = dict.fromkeys(FLOW_COLUMNS, 0)
        self.rows = 0

    def add(self, column: str, count: float) -> None:
        """Add to this week's count (or amount, for the float columns) of ``column``."""
        self.flows[column] += count

    def close_week(
        self,
        week: int,
        state: np.ndarray,
        hiv: np.ndarray,
        hcv: np.ndarray,
        levels: dict[str, float] | None = None,
    ) -> None:
        """Record week ``week``: counts by state, the week's flows, prevalences.

        ``levels`` sets other level columns the caller counted (issue 15: people on ART, in
        HIV care before ART, with viraemic HCV); columns not given stay 0.
        """
        counts = [np.count_nonzero(state == s) for s in range(len(STATE_NAMES))]
        row = self.data
        for column, s in zip(STATE_COLUMNS, LIVING_STATES, strict=True):
            row[column][week] = counts[s]
        alive = state < len(LIVING_STATES)
        population = int(sum(counts[: len(LIVING_STATES)]))
        row["population"][week] = population
        row["hiv_prevalence"][week] = np.count_nonzero(hiv & alive) / max(population, 1)
        row["hcv_prevalence"][week] = np.count_nonzero(hcv & alive) / max(population, 1)
        for column in FLOW_COLUMNS:
            row[column][week] = self.flows[column]
            self.flows[column] = 0
        for column, value in (levels or {}).items():
            row[column][week] = value
        self.rows = week + 1

    def latest(self, column: str) -> float:
        """The most recently recorded value of ``column``."""
        return float(self.data[column][max(self.rows - 1, 0)])

    def to_frame(self) -> pd.DataFrame:
        """The recorded weeks as a DataFrame (counts as integers, ``FLOAT_COLUMNS`` as floats)."""
        df = pd.DataFrame({c: v[: self.rows] for c, v in self.data.items()})
        ints = [c for c in df.columns if c not in FLOAT_COLUMNS]
        return df.astype(dict.fromkeys(ints, "int64"))


class EventLog:
    """Events appended as NumPy chunks; turned into a table once, at the end."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        # (pids, week, kind, from_state, to_state, detail): arrays or one value per chunk.
        self._chunks: list[tuple[Any, ...]] = []
        self._details: dict[str, int] = {"": 0}
        # Kinds: the core ones, then one per programme (its enrolments and exits).
        self._kinds: dict[str, int] = {k: i for i, k in enumerate(EVENT_KINDS)}

    def codes(self) -> tuple[dict[str, int], dict[str, int]]:
        """The detail and kind codes assigned so far (copies)."""
        return dict(self._details), dict(self._kinds)

    def adopt_codes(self, codes: tuple[dict[str, int], dict[str, int]]) -> None:
        """Number details and kinds as another log did (before any event is added here)."""
        if self._chunks:
            raise ValueError("codes can be adopted only by an empty event log")
        self._details, self._kinds = dict(codes[0]), dict(codes[1])

    def kind_code(self, kind: str) -> int:
        """A small integer for an event kind (programmes add their own on first use)."""
        code = self._kinds.get(kind)
        if code is None:
            code = self._kinds[kind] = len(self._kinds)
        return code

    def detail_code(self, detail: str) -> int:
        """A small integer for a detail string (codes are assigned on first use)."""
        code = self._details.get(detail)
        if code is None:
            code = self._details[detail] = len(self._details)
        return code

    def add(
        self,
        pids: np.ndarray,
        week: int,
        kind: str,
        from_state: np.ndarray | int,
        to_state: np.ndarray | int,
        detail: str | np.ndarray = "",
    ) -> None:
        """Log one event per pid.

        States are codes (``NO_STATE`` for none); ``detail`` is one string for all, or an
        array of detail codes from :meth:`detail_code`.
        """
        if not self.enabled or len(pids) == 0:
            return
        # Arrays are copied (callers may pass live arrays); values shared by the whole chunk
        # stay scalars and are expanded once, when the table is built.
        code = self.detail_code(detail) if isinstance(detail, str) else np.array(detail)
        self._chunks.append(
            (
                np.array(pids, dtype=np.int64),
                week,
                self.kind_code(kind),
                from_state if np.isscalar(from_state) else np.array(from_state),
                to_state if np.isscalar(to_state) else np.array(to_state),
                code,
            )
        )

    def __len__(self) -> int:
        return sum(c[0].size for c in self._chunks)

    def since(self, week: int, kind: str) -> tuple[np.ndarray, list[str]]:
        """Pids and details of the events of ``kind`` logged in ``week`` or later.

        Reads back from the newest chunk, so asking about the last week or two of a long run
        costs only those weeks (the dashboard asks every week).
        """
        code = self._kinds.get(kind)
        names = {c: d for d, c in self._details.items()}
        found: list[tuple[np.ndarray, list[str]]] = []
        for chunk in reversed(self._chunks):
            if chunk[1] < week:
                break
            if chunk[2] != code:
                continue
            detail = chunk[5]
            if isinstance(detail, np.ndarray):
                found.append((chunk[0], [names[int(c)] for c in detail]))
            else:
                found.append((chunk[0], [names[int(detail)]] * chunk[0].size))
        found.reverse()  # back to the order they were logged
        if not found:
            return np.zeros(0, dtype=np.int64), []
        return np.concatenate([p for p, _ in found]), [d for _, ds in found for d in ds]

    def _column(self, i: int, lengths: np.ndarray, dtype: type) -> np.ndarray:
        """Column ``i`` of every chunk, scalars repeated over their chunk's length."""
        values = [c[i] for c in self._chunks]
        scalars: np.ndarray = np.array(
            [0 if isinstance(v, np.ndarray) else v for v in values], dtype=dtype
        )
        column = np.repeat(scalars, lengths)
        ends = np.cumsum(lengths)
        for j, v in enumerate(values):
            if isinstance(v, np.ndarray):
                column[ends[j] - lengths[j] : ends[j]] = v
        return column

    def to_arrow(self) -> pa.Table:
        """The log as an Arrow table with dictionary-encoded text columns."""
        lengths = np.array([c[0].size for c in self._chunks], dtype=np.int64)
        persons = (
            np.concatenate([c[0] for c in self._chunks])
            if self._chunks
            else np.zeros(0, dtype=np.int64)
        )
        cols = [persons] + [
            self._column(i, lengths, dtype)
            for i, dtype in enumerate((np.int32, np.int8, np.int8, np.int8, np.int16), start=1)
        ]
        states = pa.array(["", *STATE_NAMES])  # code -1 (no state) -> ""
        details = pa.array(sorted(self._details, key=self._details.__getitem__))
        return pa.table(
            {
                "person": cols[0],
                "week": cols[1],
                "kind": pa.DictionaryArray.from_arrays(
                    cols[2].astype(np.int32),
                    pa.array(sorted(self._kinds, key=self._kinds.__getitem__)),
                ),
                "from_state": pa.DictionaryArray.from_arrays(cols[3].astype(np.int32) + 1, states),
                "to_state": pa.DictionaryArray.from_arrays(cols[4].astype(np.int32) + 1, states),
                "detail": pa.DictionaryArray.from_arrays(cols[5].astype(np.int32), details),
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """The log as a DataFrame (text columns as categoricals)."""
        return self.to_arrow().to_pandas()


class ProgrammeOutputs:
    """Weekly outputs of every programme, in long form ``(week, programme, output, value)``."""

    def __init__(self, weeks: int) -> None:
        self.weeks = weeks
        self.series: dict[tuple[str, str], np.ndarray] = {}
        self.week = 0

    def declare(self, programme: str, outputs: tuple[str, ...]) -> None:
        """Create zero series for a programme's outputs (so they exist even if never used)."""
        for output in (*outputs, "cost_usd"):
            self.series.setdefault((programme, output), np.zeros(self.weeks + 1))

    def add(self, programme: str, output: str, value: float) -> None:
        """Add to the current week's value."""
        key = (programme, output)
        if key not in self.series:
            self.series[key] = np.zeros(self.weeks + 1)
        self.series[key][self.week] += value

    def to_frame(self, weeks: int) -> pd.DataFrame:
        """The recorded weeks as a long DataFrame."""
        frames = [
            pd.DataFrame(
                {
                    "week": np.arange(weeks + 1),
                    "programme": prog,
                    "output": out,
                    "value": values[: weeks + 1],
                }
            )
            for (prog, out), values in sorted(self.series.items())
        ]
        if not frames:
            return pd.DataFrame(
                {
                    "week": pd.Series(dtype="int64"),
                    "programme": pd.Series(dtype="object"),
                    "output": pd.Series(dtype="object"),
                    "value": pd.Series(dtype="float64"),
                }
            )
        return pd.concat(frames, ignore_index=True)
