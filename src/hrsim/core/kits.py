"""Naloxone kits: who carries one, who gave it, how old it is, and which were used this week.

One ledger per run (``model.kits``) for every programme that hands out naloxone.
``people.carries_naloxone`` stays the per-person flag the overdose process reads; after
``People.fill`` draws a newcomer's own kit, only this ledger writes it.

Each kit has a source. Code 0 is a kit no programme gave: a baseline carrier's (drawn with
``population.naloxone_carrier_fraction``), or one set from outside a programme (a ``Person``
agent's ``carries_naloxone``). Each programme that gives kits gets its own code, by its
``type``, the first time it gives or asks. A row a new person takes (``People.fill``) holds
that person's own kit, if any, so its source is reset to 0.

Baseline carriers are a trait (issue 13): whoever carries a kit of their own when their row is
filled keeps getting kits on their own (a pharmacy, a friend), so their kits turn over like
everyone else's instead of lasting for ever.

A week's books:

- the overdose response (``turnover``, once a week, before this week's overdoses): every kit
  whose age reaches ``response.kit_shelf_life_weeks`` expires (any source); a baseline kit is
  lost with ``response.kit_loss_probability_per_week``; a baseline carrier without a kit gets
  one with ``response.kit_reacquire_probability_per_week``. A kit's age counts from the week
  it was given (``give``); the kits people hold at the start have ages drawn uniformly over the
  shelf life (keyed draws), a newcomer's own kit is new;
- the overdose process records the kits used at this week's overdoses (``record_used``: the
  witness whose kit was used, once per overdose, so a witness at two overdoses twice); a used
  baseline kit leaves circulation at once (``retire_used_baseline``);
- at its next step, before it hands out new kits, each programme takes its own used kits out
  of circulation (``retire_used``) and may replace them. A kit is retired by the programme
  that gave it and counted against no other. Its expired kits (``expired_from``) are gone;
- ``give`` hands kits out (to people without one) and ``retire`` takes them back (lost,
  or their holder died or left).

Inputs: the shelf life, the baseline loss and re-acquisition probabilities (``[response]``) and
each programme's own loss probability. What emerges: the share of people holding a kit, kits
used, lost and expired per week.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from hrsim.core.sampling import bernoulli_positions

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext
    from hrsim.core.people import People

BASELINE = "baseline"  # the source of kits no programme gave (code 0)


class NaloxoneKits:
    """The run's naloxone kits: carriers, sources, and this week's kits used."""

    def __init__(self, people: People) -> None:
        self.people = people
        self.givers: list[str] = [BASELINE]  # source code -> name
        self._codes = {BASELINE: 0}
        self._source = np.zeros(people.n, dtype=np.int8)  # meaningful where a kit is carried
        self._fills_seen = 0  # how many of ``people.filled`` have reset their rows' sources
        #: The week each row's kit was given (meaningful where a kit is carried).
        self._given_week = np.zeros(people.n, dtype=np.int32)
        #: Baseline carriers (a trait): they re-acquire a kit of their own.
        self.self_supplied = np.zeros(people.n, dtype=np.bool_)
        #: The week that ``give`` stamps on new kits (the week after the last turnover).
        self.week = 0
        self._aged = False  # the starting kits' ages drawn yet
        #: Rows whose kit expired at the last turnover, and their sources.
        self.expired = np.zeros(0, dtype=np.intp)
        self.expired_source = np.zeros(0, dtype=np.int8)
        #: Rows whose kit was used at the last recorded week's overdoses (repeats kept).
        self.used = np.zeros(0, dtype=np.intp)
        #: The source code of each of ``used`` when it was used.
        self.used_source = np.zeros(0, dtype=np.int8)

    # -- sources ---------------------------------------------------------------------------
    def code(self, giver: str) -> int:
        """The source code of ``giver``'s kits (a new code for a giver not seen before)."""
        if giver not in self._codes:
            if len(self.givers) > np.iinfo(np.int8).max:
                raise ValueError("too many programmes hand out naloxone kits (at most 127)")
            self._codes[giver] = len(self.givers)
            self.givers.append(giver)
        return self._codes[giver]

    def _sync(self) -> None:
        """Rows a new person took since the last call carry that person's own kit, if any."""
        filled = self.people.filled
        for rows in filled[self._fills_seen :]:
            self._source[rows] = 0
            self._given_week[rows] = self.week
            self.self_supplied[rows] = self.people.carries_naloxone[rows]
        self._fills_seen = len(filled)

    def sources(self, rows: np.ndarray) -> np.ndarray:
        """The source of each row's kit: ``"baseline"``, a programme's type, or ``""`` (none)."""
        self._sync()
        names = np.array(["", *self.givers])
        carried = self.people.carries_naloxone[rows]
        return names[np.where(carried, self._source[rows].astype(np.intp) + 1, 0)]

    def holding(self, giver: str, rows: np.ndarray) -> np.ndarray:
        """Which of ``rows`` carry a kit ``giver`` gave (a mask aligned with ``rows``)."""
        self._sync()
        code = self._codes.get(giver)
        if code is None:
            return np.zeros(rows.size, dtype=bool)
        # Carried, and given by ``giver`` (a kit taken away from outside the ledger, e.g. by a
        # Person agent, is not held however its source reads).
        return self.people.carries_naloxone[rows] & (self._source[rows] == code)

    def held_by(self, giver: str) -> np.ndarray:
        """Everyone who carries a kit ``giver`` gave (a mask over all rows)."""
        return self.holding(giver, np.arange(self.people.n))

    def count(self, giver: str) -> int:
        """How many people carry a kit ``giver`` gave."""
        self._sync()
        code = self._codes.get(giver)
        if code is None:
            return 0
        return int(np.count_nonzero(self.people.carries_naloxone & (self._source == code)))

    # -- the books -------------------------------------------------------------------------
    def give(self, giver: str, rows: np.ndarray) -> None:
        """Hand each of ``rows`` (people without a kit) one of ``giver``'s kits."""
        code = self.code(giver)
        self._sync()
        self.people.carries_naloxone[rows] = True
        self._source[rows] = code
        self._given_week[rows] = self.week

    def retire(self, giver: str, rows: np.ndarray) -> np.ndarray:
        """Take back ``giver``'s kits held by any of ``rows``; returns the rows that held one."""
        rows = rows[self.holding(giver, rows)]
        self.people.carries_naloxone[rows] = False
        self._source[rows] = 0
        return rows

    def record_used(self, rows: np.ndarray) -> None:
        """This week's kits used at overdoses: one row per use (replaces last week's record)."""
        self._sync()
        self.used = rows
        self.used_source = self._source[rows]

    def used_from(self, giver: str) -> np.ndarray:
        """Rows whose ``giver`` kit was used at the recorded overdoses (each row once, sorted)."""
        code = self._codes.get(giver)
        if code is None:
            return np.zeros(0, dtype=np.intp)
        return np.unique(self.used[self.used_source == code])

    def retire_used(self, giver: str) -> np.ndarray:
        """Take ``giver``'s kits used at the recorded overdoses out of circulation.

        Returns the rows whose kit it was (a witness who used a kit twice counts once).
        """
        return self.retire(giver, np.unique(self.used))

    def retire_used_baseline(self) -> np.ndarray:
        """Take the baseline kits used at the recorded overdoses out of circulation."""
        return self.retire(BASELINE, np.unique(self.used[self.used_source == 0]))

    def expired_from(self, giver: str) -> np.ndarray:
        """Rows whose ``giver`` kit expired at the last turnover (sorted)."""
        code = self._codes.get(giver)
        if code is None:
            return np.zeros(0, dtype=np.intp)
        return self.expired[self.expired_source == code]

    def ages(self, rows: np.ndarray, week: int) -> np.ndarray:
        """Weeks since each of ``rows``' kit was given (meaningful where a kit is carried)."""
        self._sync()
        return week - self._given_week[rows]

    # -- turnover --------------------------------------------------------------------------
    def turnover(self, model: WeekContext) -> dict[str, int]:
        """Expiry (every kit), loss and re-acquisition (baseline kits) for ``model.week``.

        Returns the week's counts: ``expired``, ``lost`` (baseline) and ``acquired``
        (baseline). The draws are keyed or per-week streams, so paired arms share them.
        """
        r = model.scenario.response
        people, week, streams = self.people, model.week, model.streams
        self._sync()
        if not self._aged:
            # The kits held at the start were acquired some time in the last shelf life.
            held = np.flatnonzero(people.carries_naloxone & (self._source == 0))
            u = streams.uniform("kits.age", 0, people.pid[held])
            self._given_week[held] = week - np.floor(u * r.kit_shelf_life_weeks).astype(np.int32)
            self._aged = True
        carried = people.carries_naloxone
        old = np.flatnonzero(carried & (week - self._given_week >= r.kit_shelf_life_weeks))
        self.expired = old
        self.expired_source = self._source[old]
        carried[old] = False
        self._source[old] = 0
        alive = people.alive
        rng = streams.generator("kits.loss", week)
        lost = bernoulli_positions(rng, people.n, r.kit_loss_probability_per_week)
        lost = self.retire(BASELINE, lost[alive[lost]])
        rng = streams.generator("kits.reacquire", week)
        rows = bernoulli_positions(rng, people.n, r.kit_reacquire_probability_per_week)
        rows = rows[self.self_supplied[rows] & ~carried[rows] & alive[rows]]
        self.week = week
        self.give(BASELINE, rows)
        self.week = week + 1  # programmes give next week's kits before the next turnover
        return {"expired": int(old.size), "lost": int(lost.size), "acquired": int(rows.size)}
