"""The contact network: three layers of ties (injecting, social, sexual) as edge arrays.

Each layer keeps every tie in both directions as sorted int64 keys ``(src << 32) | dst`` with
a CSR row index (see ``Layer``), so a person's ties are one slice, duplicates are found with
``searchsorted``, and weekly turnover touches only the ties that change. The encoding stays in
this module: other code gets ``(src, dst)`` rows from ``Layer.endpoints``, ``Layer.ties_of``
(or ``encode`` and ``decode``).

Ties form by pairing "stubs" of people short of their target number of ties: a share of
stubs pair inside the person's neighbourhood (which closes short cycles, as Dombrowski 2013
saw among people who inject), stubs of people in recovery pair with each other with some
probability (sober networks), the rest pair at random (a configuration model). A networkx
graph of the current ties is available on demand for analysis and the Mesa space.

The ties of a person who dies or leaves are removed at the next weekly turnover, before the
row is reused; until then every process and view skips ties to people who are not alive.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from hrsim.core.people import WeekView
from hrsim.core.states import STATE_NAMES, Care

if TYPE_CHECKING:
    from hrsim.core.people import People
    from hrsim.core.rng import Streams
    from hrsim.scenario import Scenario

LAYERS: tuple[str, ...] = ("injecting", "social", "sexual")
_LOW = np.int64(0xFFFFFFFF)
_RECOVERY_POOL = -1  # group id for recovery-homophilous stubs
_GLOBAL_POOL = -2
# Neighbourhoods up to this size pick partners by a draw per pair (a stub times its
# neighbours); larger ones by seats in a sort of everyone short of ties.
_PAIRWISE_MAX_NEIGHBOURHOOD = 64


def encode(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The int64 keys of directed ties ``src -> dst``."""
    return (src.astype(np.int64) << 32) | dst.astype(np.int64)


def decode(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Source and destination rows of directed keys (as ``np.intp``)."""
    return (keys >> 32).astype(np.intp, copy=False), (keys & _LOW).astype(np.intp, copy=False)


class Layer:
    """One layer of ties, each stored in both directions as a key ``(src << 32) | dst``.

    Sorted directed keys are a compressed adjacency list: the ties of row ``r`` are the keys
    between ``r << 32`` and ``(r + 1) << 32``, found with ``searchsorted``. To avoid copying the
    whole array every week, the layer is log-structured: removed ties are only marked dead in
    the sorted ``main`` array, new ties go into a small sorted ``delta`` array, and the two are
    merged once the churn passes ``MERGE_FRACTION`` of the layer. ``degree`` is always up to date.
    """

    # A merge costs a pass over the layer; a large delta costs copies every week. Measured at
    # 100,000 people: 0.35 is ~0.4 ms/week faster than 0.5; 0.25 no faster than 0.35.
    MERGE_FRACTION = 0.35

    def __init__(self, name: str, mean_duration_weeks: float, n: int) -> None:
        self.name = name
        self.mean_duration_weeks = mean_duration_weeks
        self.main = np.zeros(0, dtype=np.int64)
        self.main_live = np.zeros(0, dtype=bool)
        self.main_indptr = np.zeros(n + 1, dtype=np.int64)  # CSR row pointers into main
        self.delta = np.zeros(0, dtype=np.int64)
        self.dead = 0
        self.degree = np.zeros(n, dtype=np.int32)
        self._ends: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def size(self) -> int:
        """Number of ties (each counted once)."""
        return (self.main.size - self.dead + self.delta.size) // 2

    @property
    def keys(self) -> np.ndarray:
        """Every live directed key, sorted."""
        return np.sort(np.concatenate([self.main[self.main_live], self.delta]))

    def endpoints(self) -> tuple[np.ndarray, np.ndarray]:
        """Source and destination rows of every directed tie (each tie appears both ways)."""
        if self._ends is None:
            self._ends = decode(np.concatenate([self.main[self.main_live], self.delta]))
        return self._ends

    def slots_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The ties of ``rows``: positions of live keys in ``main`` and keys in ``delta``."""
        lo, hi = self.main_indptr[rows], self.main_indptr[rows + 1]
        pos = _expand_ranges(lo, hi)
        pos = pos[self.main_live[pos]]
        r = rows.astype(np.int64)
        dlo, dhi = np.searchsorted(self.delta, r << 32), np.searchsorted(self.delta, (r + 1) << 32)
        return pos, self.delta[_expand_ranges(dlo, dhi)]

    def neighbours_by_index(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(i, neighbour)`` for every tie of ``rows[i]`` (``i`` indexes ``rows``).

        The index comes from the row ranges themselves, so ``rows`` need not be sorted and
        no search maps a tie back to its row.
        """
        index = np.arange(rows.size)
        lo, hi = self.main_indptr[rows], self.main_indptr[rows + 1]
        pos = _expand_ranges(lo, hi)
        owner = np.repeat(index, hi - lo)
        live = self.main_live[pos]
        r = rows.astype(np.int64)
        dlo, dhi = np.searchsorted(self.delta, r << 32), np.searchsorted(self.delta, (r + 1) << 32)
        keys = np.concatenate([self.main[pos[live]], self.delta[_expand_ranges(dlo, dhi)]])
        owner = np.concatenate([owner[live], np.repeat(index, dhi - dlo)])
        return owner, (keys & _LOW).astype(np.intp, copy=False)

    def ties_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(row, neighbour)`` for every tie of ``rows``."""
        pos, dkeys = self.slots_of(rows)
        return decode(np.concatenate([self.main[pos], dkeys]))

    def add(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Add ties (duplicates and self-ties ignored); returns the new ones as canonical keys.

        A canonical key is ``(lo << 32) | hi`` with ``lo < hi``, sorted. Both directions of a
        tie always sit in the same array, so looking up one direction tells whether it exists.
        """
        lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        keep = lo != hi
        canon = _sorted_unique((lo[keep] << 32) | hi[keep])
        if canon.size == 0:
            return canon
        pos, found = _find(self.main, canon)
        revived = found.copy()
        revived[found] = ~self.main_live[pos[found]]
        dead = pos[revived]
        if dead.size:  # a tie that ended and formed again: revive both directions
            rev = _find(self.main, np.sort(_reverse(self.main[dead])))[0]
            revive = np.concatenate([dead, rev])
            self.main_live[revive] = True
            self.dead -= revive.size
            _count_into(self.degree, np.sort(self.main[revive]) >> 32, +1)
        fresh = ~found
        fresh[fresh] = ~_find(self.delta, canon[fresh])[1]
        if fresh.any():
            both = np.sort(np.concatenate([canon[fresh], _reverse(canon[fresh])]))
            self.delta = _merge_sorted(self.delta, both)
            _count_into(self.degree, both >> 32, +1)
        self._ends = None
        self._maybe_merge()
        return canon[revived | fresh]

    def locate(self, canon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where live ties (canonical keys) are: positions in ``main`` and keys in ``delta``.

        Keys of ties that do not exist are left out of both.
        """
        canon = np.sort(canon)  # sorted needles search faster
        pos, found = _find(self.main, canon)
        found[found] = self.main_live[pos[found]]
        rest = canon[~found]
        return pos[found], rest[_find(self.delta, rest)[1]]

    def remove(self, main_pos: np.ndarray, delta_keys: np.ndarray) -> None:
        """Remove ties given one direction of each: positions in ``main``, keys in ``delta``."""
        if main_pos.size:
            rev = _find(self.main, np.sort(_reverse(self.main[main_pos])))[0]
            pos = _sorted_unique(np.concatenate([main_pos, rev]))
            pos = pos[self.main_live[pos]]
            self.main_live[pos] = False
            self.dead += pos.size
            _count_into(self.degree, self.main[pos] >> 32, -1)
        if delta_keys.size:
            both = _sorted_unique(np.concatenate([delta_keys, _reverse(delta_keys)]))
            dpos, there = _find(self.delta, both)
            self.delta = np.delete(self.delta, dpos[there])
            _count_into(self.degree, both[there] >> 32, -1)
        self._ends = None
        self._maybe_merge()

    def _maybe_merge(self) -> None:
        if self.dead + self.delta.size > self.MERGE_FRACTION * max(self.main.size, 1):
            self.merge()

    def merge(self) -> None:
        """Fold the delta into the main array and drop dead slots (one pass over the layer)."""
        self.main = _merge_sorted(self.main[self.main_live], self.delta)
        self.main_live = np.ones(self.main.size, dtype=bool)
        self.delta = np.zeros(0, dtype=np.int64)
        self.dead = 0
        # Every live directed key is now in main, and ``degree`` counts them by source row.
        self.main_indptr = np.zeros(self.degree.size + 1, dtype=np.int64)
        np.cumsum(self.degree, out=self.main_indptr[1:])


def _merge_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """One sorted array from two sorted ones (a stable sort of two runs is a single merge)."""
    return np.sort(np.concatenate([a, b]), kind="stable")


def _reverse(keys: np.ndarray) -> np.ndarray:
    """The other direction of each directed key."""
    return ((keys & _LOW) << 32) | (keys >> 32)


def _count_into(degree: np.ndarray, sorted_rows: np.ndarray, sign: int) -> None:
    """``degree[r] += sign`` for every ``r`` in ``sorted_rows`` (repeats counted; O(len))."""
    n = sorted_rows.size
    if n == 0:
        return
    edges = np.empty(n + 1, dtype=bool)  # where a run of equal rows begins, and the end
    edges[0] = edges[n] = True
    np.not_equal(sorted_rows[1:], sorted_rows[:-1], out=edges[1:n])
    bounds = np.flatnonzero(edges)
    counts = bounds[1:] - bounds[:-1]
    degree[sorted_rows[bounds[:-1]]] += (counts if sign > 0 else -counts).astype(degree.dtype)


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Indices where a run of equal values begins in a sorted, non-empty array."""
    change = np.empty(sorted_values.size, dtype=bool)
    change[0] = True
    np.not_equal(sorted_values[1:], sorted_values[:-1], out=change[1:])
    return np.flatnonzero(change)


def _sorted_unique(keys: np.ndarray) -> np.ndarray:
    """``np.unique`` for int64 keys by sorting (faster than hashing for these sizes)."""
    keys = np.sort(keys)
    return keys[_run_starts(keys)] if keys.size else keys


def _find(sorted_keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``values`` in ``sorted_keys`` and whether each is there."""
    pos = np.searchsorted(sorted_keys, values)
    found = np.zeros(values.size, dtype=bool)
    inside = pos < sorted_keys.size
    found[inside] = sorted_keys[pos[inside]] == values[inside]
    return pos, found


class ContactNetwork:
    """The three layers and the rules by which ties form and end."""

    parallel_min_people = 300_000  # measured: no gain at 100,000, a third less at 1,000,000

    def __init__(self, scenario: Scenario, n: int) -> None:
        net = scenario.network
        self.n = n
        self.community_size = net.community_size
        self.local_fraction = net.local_tie_fraction
        self.homophily = net.recovery_homophily_fraction
        self.mixed_multiplier = net.mixed_tie_dissolution_multiplier
        self.formation_probability = net.tie_formation_probability_per_week
        self.layers: dict[str, Layer] = {
            "injecting": Layer("injecting", net.injecting_tie_mean_weeks, n),
            "social": Layer("social", net.social_tie_mean_weeks, n),
            "sexual": Layer("sexual", net.sexual_tie_mean_weeks, n),
        }
        # A tie comes up for ending at the highest rate one of its layer can have (social
        # ties across the recovery/use divide end faster); thinning gives each its own.
        most = {"social": max(self.mixed_multiplier, 1.0)}
        self.ends: dict[str, _Ends] = {
            name: _Ends(n, min(most.get(name, 1.0) / layer.mean_duration_weeks, 1.0), name)
            for name, layer in self.layers.items()
        }

    # -- formation -------------------------------------------------------------------------
    def build(
        self, people: People, rng: np.random.Generator, week: int = 0, rounds: int = 4
    ) -> None:
        """Build the initial layers: pair every missing tie, then a few top-up rounds.

        The ties count as formed in ``week`` (the week before the first turnover); when each
        comes up for ending is drawn from ``rng`` too. Both arms of a paired run build the
        same network from the same draws, so the positional draws here stay paired.
        """
        for name in LAYERS:
            ends = self.ends[name]
            new = [self._build_round(name, people, rng) for _ in range(rounds)]
            canon = np.concatenate(new)
            ends.schedule(canon, week, week + _gaps(rng.random(canon.size), ends.rate))

    def _build_round(self, name: str, people: People, rng: np.random.Generator) -> np.ndarray:
        """One round of the build: every stub short of its target pairs (canonical keys)."""
        layer = self.layers[name]
        target = getattr(people, f"target_{name}")
        view = WeekView(people)
        eligible = view.injecting_tie_eligible if name == "injecting" else view.free
        short = np.flatnonzero(eligible & (layer.degree < target))
        rows = np.repeat(short, target[short] - layer.degree[short])
        if rows.size < 2:
            return np.zeros(0, dtype=np.int64)
        draws = rng.random((3, rows.size))
        group = np.full(rows.size, _GLOBAL_POOL, dtype=np.int64)
        local = draws[0] < self.local_fraction
        group[local] = rows[local] // self.community_size
        if name == "social" and self.homophily > 0:
            sober = ~local & (people.state[rows] == Care.RECOVERY) & (draws[1] < self.homophily)
            group[sober] = _RECOVERY_POOL
        return layer.add(*_pair_within_groups(rows, group, draws[2]))

    def turnover(self, people: People, view: WeekView, streams: Streams, week: int) -> None:
        """This week's turnover of every layer: ties end, then new ties form.

        Each layer draws from its own streams, so the layers are independent and their order
        does not matter. In large populations the social layer (the biggest) turns over in a
        second thread while the others run here: NumPy releases the GIL in the sorts, searches
        and copies that dominate, and the results are identical either way.
        """

        def one(name: str) -> None:
            self._dissolve(name, people, view, streams, week)
            self._form(name, people, view, streams, week)

        if people.n < self.parallel_min_people:
            for name in LAYERS:
                one(name)
            return
        errors: list[BaseException] = []

        def social() -> None:
            try:
                one("social")
            except BaseException as exc:  # re-raised in the calling thread below
                errors.append(exc)

        worker = threading.Thread(target=social, name="hrsim-social-ties")
        worker.start()
        one("injecting")
        one("sexual")
        worker.join()
        if errors:
            raise errors[0]

    def _form(self, name: str, people: People, view: WeekView, streams: Streams, week: int) -> None:
        """This week's new ties of one layer: a person short of ties makes one with some chance.

        The chance is the formation probability. Every draw is keyed to the person (or the
        pair) and the week, never to a position among this week's people (common random
        numbers through the network: an arm with one more person looking for partners changes
        only the ties that person makes or takes).
        A local stub takes, among everyone in its neighbourhood short of ties, the one whose
        draw for the pair is lowest (or, in neighbourhoods too large for that, whose weekly
        seat follows the stub's aim). A sober stub (social layer, in recovery) takes the
        person in recovery short of ties whose seat follows its aim. The rest, and whoever
        found nobody, sit in a ring ordered by their seats, and each ties to the next with
        probability one half: a stub then makes one tie on average, as when stubs pair off.
        """
        layer = self.layers[name]
        target = getattr(people, f"target_{name}")
        eligible = view.injecting_tie_eligible if name == "injecting" else view.free
        short = np.flatnonzero(eligible & (layer.degree < target))
        pid = people.pid[short]
        stub = np.flatnonzero(
            streams.uniform(f"ties.{name}.form", week, pid) < self.formation_probability
        )
        if stub.size == 0:
            return
        how = streams.uniform(f"ties.{name}.how", week, pid[stub])
        local = how < self.local_fraction
        a1, b1, alone = self._local_partners(name, short, pid, stub[local], streams, week)
        rest = np.concatenate([alone, stub[~local]])
        a2 = b2 = np.zeros(0, dtype=np.intp)
        if name == "social" and self.homophily > 0 and self.local_fraction < 1:
            sober_draw = (how[~local] - self.local_fraction) / (1 - self.local_fraction)
            sober = np.zeros(rest.size, dtype=bool)
            sober[alone.size :] = view.recovery[short[stub[~local]]] & (sober_draw < self.homophily)
            pool = np.flatnonzero(view.recovery[short])  # positions in short
            found, partner = _seat_partners(
                streams,
                f"ties.{name}.sober",
                week,
                pid[pool],
                np.zeros(pool.size, np.int64),
                np.searchsorted(pool, rest[sober]),
            )
            chosen = rest[sober]
            a2, b2 = short[chosen[found]], short[pool[partner[found]]]
            rest = np.concatenate([chosen[~found], rest[~sober]])
        a3, b3 = _ring_ties(streams, f"ties.{name}.ring", week, pid[rest])
        canon = layer.add(
            np.concatenate([a1, a2, short[rest[a3]]]), np.concatenate([b1, b2, short[rest[b3]]])
        )
        if canon.size:
            self.ends[name].schedule_keyed(canon, people.pid, streams, week)

    def _local_partners(
        self,
        name: str,
        short: np.ndarray,
        pid: np.ndarray,
        stubs: np.ndarray,
        streams: Streams,
        week: int,
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Partners in their neighbourhood for ``short[stubs]``.

        Returns the rows that found one, their partners' rows, and the positions in ``short``
        of stubs alone in their neighbourhood. ``short`` is sorted by row, so the people of a
        neighbourhood (``row // community_size``) are one run of it.
        """
        group = short // self.community_size
        if self.community_size <= _PAIRWISE_MAX_NEIGHBOURHOOD:
            found, partner = _lowest_pair_partners(
                streams, f"ties.{name}.partner", week, pid, group, stubs
            )
        else:
            found, partner = _seat_partners(streams, f"ties.{name}.local", week, pid, group, stubs)
        return short[stubs[found]], short[partner[found]], stubs[~found]

    # -- dissolution -----------------------------------------------------------------------
    def _dissolve(
        self, name: str, people: People, view: WeekView, streams: Streams, week: int
    ) -> None:
        """End ties of one layer.

        A tie comes up for ending at a week drawn when it formed (geometric, at the highest
        rate a tie of the layer can have), so the week costs a draw per tie that comes up,
        not per tie. Social ties across the recovery/use divide end faster: a tie that comes
        up ends with the ratio of its own rate to the highest (thinning), or comes up again
        later. Every tie of a person who has died or left ends now, before their row is
        reused; injecting ties of a person whose route of use is no longer injecting end now
        too. Each draw is keyed to the pair of person ids and the week.
        """
        layer, ends = self.layers[name], self.ends[name]
        if name == "injecting":  # people who stopped injecting (route of use) leave the layer
            gone = (people.state >= Care.DEAD) | ~people.injects
            gone = np.flatnonzero(gone & (layer.degree > 0))  # one pass, no gather
        else:
            gone = view.left
            gone = gone[layer.degree[gone] > 0]
        # Their ties end now, so their pending ends are void. A tie formed in a week never
        # involves a row cleared that week (neither could look for partners).
        ends.cleared[gone] = week
        canon, formed = ends.due(week)
        lo, hi = decode(canon)
        canon = canon[(ends.cleared[lo] < formed) & (ends.cleared[hi] < formed)]
        if name == "social" and self.mixed_multiplier != 1.0 and canon.size:
            lo, hi = decode(canon)
            rec, use = view.recovery, view.active
            mixed = (rec[lo] & use[hi]) | (use[lo] & rec[hi])
            mult = self.mixed_multiplier
            keep_prob = np.where(mixed, mult, 1.0) / max(mult, 1.0)
            a, b = _pid_pair(people.pid, canon)
            ending = streams.pair_uniform(f"ties.{name}.thin", week, a, b) < keep_prob
            ends.schedule_keyed(canon[~ending], people.pid, streams, week)
            canon = canon[ending]
        pos, dkeys = layer.locate(canon)
        gone_pos, gone_dkeys = layer.slots_of(gone)
        layer.remove(np.concatenate([pos, gone_pos]), np.concatenate([dkeys, gone_dkeys]))

    # -- views -----------------------------------------------------------------------------
    def neighbours_of(
        self, rows: np.ndarray, layers: tuple[str, ...] = ("injecting", "social")
    ) -> tuple[np.ndarray, np.ndarray]:
        """All ``(row, neighbour)`` pairs for ``rows`` over the given layers."""
        pairs = [self.layers[name].ties_of(rows) for name in layers]
        return np.concatenate([r for r, _ in pairs]), np.concatenate([nb for _, nb in pairs])

    def graph(self, people: People, layers: tuple[str, ...] = LAYERS) -> nx.Graph:
        """A networkx graph of living people (nodes are rows) and their current ties.

        Edge attribute ``layers`` lists the layers a tie belongs to; node attributes give
        ``pid`` and ``care_state``.
        """
        g = nx.Graph()
        living = people.alive
        alive = np.flatnonzero(living)
        g.add_nodes_from(
            (int(r), {"pid": int(people.pid[r]), "care_state": STATE_NAMES[people.state[r]]})
            for r in alive
        )
        for name in layers:
            a, b = self.layers[name].endpoints()
            once = (a < b) & living[a] & living[b]  # ties of this week's dead end next week
            for x, y in zip(a[once].tolist(), b[once].tolist(), strict=True):
                if g.has_edge(x, y):
                    g.edges[x, y]["layers"].append(name)
                else:
                    g.add_edge(x, y, layers=[name])
        return g


def _pair_within_groups(
    rows: np.ndarray, group: np.ndarray, rand: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Pair stubs into ties.

    Consecutive stubs of the same group (in random order) pair up; whatever is left joins one
    global pool and pairs at random.
    """
    # Sort by group, then by the random draw (one composite integer key is faster than lexsort).
    rank = (rand * (1 << 30)).astype(np.int64)
    order = np.argsort(((group - _GLOBAL_POOL) << 31) | rank)
    r, g = rows[order], group[order]
    n = r.size
    starts = _run_starts(g)
    run_start = np.repeat(starts, np.diff(starts, append=n))
    pos = np.arange(n) - run_start
    same_next = np.append(g[1:] == g[:-1], False)
    left = (pos % 2 == 0) & same_next & (g != _GLOBAL_POOL)
    li = np.flatnonzero(left)
    paired = np.zeros(n, dtype=bool)
    paired[li] = True
    paired[li + 1] = True
    rest = r[~paired]
    rest = rest[np.argsort(rand[order][~paired])]
    m = rest.size - rest.size % 2
    a = np.concatenate([r[li], rest[0:m:2]])
    b = np.concatenate([r[li + 1], rest[1:m:2]])
    return a, b


def _pid_pair(pid: np.ndarray, canon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The person ids of each tie's two ends, lower id first (a tie's key for its draws)."""
    lo, hi = decode(canon)
    a, b = pid[lo], pid[hi]
    return np.minimum(a, b), np.maximum(a, b)


def _gaps(u: np.ndarray, rate: float) -> np.ndarray:
    """Geometric waiting times in weeks (1, 2, ...) at ``rate`` per week, from uniforms ``u``."""
    if rate >= 1.0:
        return np.ones(u.size, dtype=np.int64)
    return (np.floor(np.log1p(-u) / np.log1p(-rate)) + 1).astype(np.int64)


class _Ends:
    """When each tie of one layer next comes up for ending.

    ``pending`` maps a block of ``BLOCK`` weeks to the ties that come up in it: the week each
    comes up, its canonical key and the week it formed (blocks keep the bookkeeping to a few
    array operations a week, whatever the spread of durations). A tie that ended early,
    because one of its people died, left or (injecting) stopped injecting, has its entry
    voided by ``cleared``: the last week all of that row's ties ended.
    """

    BLOCK = 16

    def __init__(self, n: int, rate: float, name: str) -> None:
        self.rate = rate
        self.stream = f"ties.{name}.end"
        self.pending: dict[int, list[tuple[np.ndarray, np.ndarray, np.ndarray]]] = {}
        self.cleared = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)

    def schedule(self, canon: np.ndarray, formed: int | np.ndarray, due: np.ndarray) -> None:
        """Ties ``canon``, formed in ``formed``, come up for ending in weeks ``due``."""
        if canon.size == 0:
            return
        formed = np.broadcast_to(np.asarray(formed, dtype=np.int64), canon.shape)
        block = due // self.BLOCK
        first, last = int(block.min()), int(block.max())
        if first == last:  # the usual case for a week's few new ties
            self.pending.setdefault(first, []).append((due, canon, formed))
            return
        order = np.argsort(block, kind="stable")
        block, due, canon, formed = block[order], due[order], canon[order], formed[order]
        starts = _run_starts(block)
        for lo, hi in zip(starts.tolist(), [*starts[1:].tolist(), due.size], strict=True):
            entry = (due[lo:hi], canon[lo:hi], formed[lo:hi])
            self.pending.setdefault(int(block[lo]), []).append(entry)

    def schedule_keyed(
        self, canon: np.ndarray, pid: np.ndarray, streams: Streams, week: int
    ) -> None:
        """Ties ``canon`` (current in ``week``) come up next at a gap keyed to their pair."""
        a, b = _pid_pair(pid, canon)
        u = streams.pair_uniform(self.stream, week, a, b)
        self.schedule(canon, week, week + _gaps(u, self.rate))

    def due(self, week: int) -> tuple[np.ndarray, np.ndarray]:
        """The ties that come up in ``week`` (canonical keys) and the week each formed."""
        block = week // self.BLOCK
        batches = self.pending.pop(block, [])
        if not batches:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        due, canon, formed = (np.concatenate(parts) for parts in zip(*batches, strict=True))
        now = due == week
        later = ~now
        if later.any():
            self.pending[block] = [(due[later], canon[later], formed[later])]
        return canon[now], formed[now]


def _lowest_pair_partners(
    streams: Streams, name: str, week: int, pid: np.ndarray, group: np.ndarray, stubs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each stub's partner in its group: the member with the lowest draw for the pair.

    ``group`` (non-decreasing) gives each pool member's group; ``stubs`` are positions in the
    pool. Returns whether each stub found someone other than itself, and the partner's position.
    An extra member changes a stub's choice only if its own draw with the stub is the lowest.
    """
    g = group[stubs]
    lo, hi = np.searchsorted(group, g, "left"), np.searchsorted(group, g, "right")
    cand = _expand_ranges(lo, hi)
    counts = hi - lo
    owner = np.repeat(np.arange(stubs.size), counts)
    draw = streams.pair_uniform(name, week, pid[stubs[owner]], pid[cand])
    draw[cand == stubs[owner]] = 2.0  # never oneself
    offsets = np.cumsum(counts) - counts
    best = np.minimum.reduceat(draw, offsets) if draw.size else draw
    hit = np.flatnonzero(draw == best[owner])
    first = hit[_run_starts(owner[hit])] if hit.size else hit
    return best < 1.0, cand[first]


def _seat_partners(
    streams: Streams, name: str, week: int, pid: np.ndarray, group: np.ndarray, stubs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each stub's partner in its group: the member whose seat follows the stub's aim.

    Seats (per member) and aims (per stub) are uniforms keyed to the person and the week; the
    partner is the next seat at or after the aim within the group, going round, other than the
    stub itself. An extra member changes the choice only of stubs whose aim falls just before
    its seat. Returns whether each stub found someone, and the partner's position in the pool.
    """
    if stubs.size == 0:
        return np.zeros(0, dtype=bool), stubs
    seat = (streams.uniform(f"{name}.seat", week, pid) * 2.0**32).astype(np.int64)
    aim = (streams.uniform(f"{name}.aim", week, pid[stubs]) * 2.0**32).astype(np.int64)
    key = (group.astype(np.int64) << 32) | seat
    order = np.argsort(key, kind="stable")
    key = key[order]
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size)
    g = group[stubs].astype(np.int64)
    lo, hi = np.searchsorted(key, g << 32), np.searchsorted(key, (g + 1) << 32)
    at = np.searchsorted(key, (g << 32) | aim)
    at = np.where(at >= hi, lo, at)
    at = np.where(at == rank[stubs], at + 1, at)  # never oneself
    at = np.where(at >= hi, lo, at)
    found = hi - lo >= 2
    return found, order[np.where(found, at, 0)]


def _ring_ties(
    streams: Streams, name: str, week: int, pid: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Ties among stubs in a ring ordered by their seats: each ties to the next with p 1/2.

    Returns positions of both ends. One more stub in the ring changes only its own tie and
    that of the stub before it.
    """
    if pid.size < 2:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    order = np.argsort(streams.uniform(f"{name}.seat", week, pid), kind="stable")
    nxt = np.roll(order, -1)
    ties = streams.uniform(f"{name}.next", week, pid[order]) < 0.5
    return order[ties], nxt[ties]


def _expand_ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """All positions in the half-open ranges ``[lo, hi)``."""
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
