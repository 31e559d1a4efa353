"""The contact network: three layers of ties (injecting, social, sexual) as edge arrays.

Each layer keeps every tie in both directions as sorted int64 keys ``(src << 32) | dst`` with
a CSR row index (see ``Layer``), so a person's ties are one slice, duplicates are found with
``searchsorted``, and weekly turnover touches only the ties that change. The encoding stays in
this module: other code gets ``(src, dst)`` rows from ``Layer.endpoints``, ``Layer.ties_of``
and ``Layer.sample_pairs`` (or ``encode`` and ``decode``).

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
from hrsim.core.sampling import bernoulli_positions
from hrsim.core.states import STATE_NAMES, Care

if TYPE_CHECKING:
    from hrsim.core.people import People
    from hrsim.core.rng import Streams
    from hrsim.scenario import Scenario

LAYERS: tuple[str, ...] = ("injecting", "social", "sexual")
_LOW = np.int64(0xFFFFFFFF)
_RECOVERY_POOL = -1  # group id for recovery-homophilous stubs
_GLOBAL_POOL = -2


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

    def sample(self, rng: np.random.Generator, p: float) -> tuple[np.ndarray, np.ndarray]:
        """Live directed ties, each picked independently with probability ``p``.

        Returns positions in ``main`` and keys in ``delta``; the cost is proportional to the
        number picked, not to the size of the layer.
        """
        picked = bernoulli_positions(rng, self.main.size + self.delta.size, p)
        in_main = picked < self.main.size
        main_pos = picked[in_main]
        main_pos = main_pos[self.main_live[main_pos]]  # dead slots are skipped, not redrawn
        return main_pos, self.delta[picked[~in_main] - self.main.size]

    def sample_keys(self, rng: np.random.Generator, p: float) -> np.ndarray:
        """Keys of live directed ties, each picked with probability ``p``."""
        pos, dkeys = self.sample(rng, p)
        return np.concatenate([self.main[pos], dkeys])

    def sample_pairs(
        self, rng: np.random.Generator, p: float, to: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(src, dst)`` of live directed ties, each picked with probability ``p``.

        With ``to`` (a mask over rows), only the picked ties whose destination it marks; the
        filter runs on the keys, before the sources are decoded.
        """
        keys = self.sample_keys(rng, p)
        if to is not None:
            keys = keys[to[keys & _LOW]]
        return decode(keys)

    def add(self, a: np.ndarray, b: np.ndarray) -> int:
        """Add ties (duplicates and self-ties ignored); returns how many were new.

        Both directions of a tie always sit in the same array, so looking up one direction
        (``a < b``) tells whether the tie exists.
        """
        lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        keep = lo != hi
        canon = _sorted_unique((lo[keep] << 32) | hi[keep])
        if canon.size == 0:
            return 0
        pos, found = _find(self.main, canon)
        dead = pos[found][~self.main_live[pos[found]]]
        if dead.size:  # a tie that ended and formed again: revive both directions
            rev = _find(self.main, np.sort(_reverse(self.main[dead])))[0]
            revive = np.concatenate([dead, rev])
            self.main_live[revive] = True
            self.dead -= revive.size
            _count_into(self.degree, np.sort(self.main[revive]) >> 32, +1)
        fresh = canon[~found]
        fresh = fresh[~_find(self.delta, fresh)[1]]
        if fresh.size:
            both = np.sort(np.concatenate([fresh, _reverse(fresh)]))
            self.delta = _merge_sorted(self.delta, both)
            _count_into(self.degree, both >> 32, +1)
        self._ends = None
        self._maybe_merge()
        return int(dead.size + fresh.size)

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

    # -- formation -------------------------------------------------------------------------
    def build(self, people: People, rng: np.random.Generator, rounds: int = 4) -> None:
        """Build the initial layers: pair every missing tie, then a few top-up rounds."""
        for name in LAYERS:
            for _ in range(rounds):
                self._form(name, people, rng, WeekView(people), weekly=False)

    def turnover(self, people: People, view: WeekView, streams: Streams, week: int) -> None:
        """This week's turnover of every layer: ties end, then new ties form.

        Each layer draws from its own stream, so the layers are independent and their order
        does not matter. In large populations the social layer (the biggest) turns over in a
        second thread while the others run here: NumPy releases the GIL in the sorts, searches
        and copies that dominate, and the results are identical either way.
        """

        def one(name: str) -> None:
            rng = streams.generator(f"ties.{name}", week)
            self._dissolve(name, rng, view)
            self._form(name, people, rng, view, weekly=True)

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

    def _form(
        self,
        name: str,
        people: People,
        rng: np.random.Generator,
        view: WeekView,
        *,
        weekly: bool,
    ) -> None:
        layer = self.layers[name]
        target = getattr(people, f"target_{name}")
        eligible = view.injecting_tie_eligible if name == "injecting" else view.free
        short = np.flatnonzero(eligible & (layer.degree < target))
        if weekly:
            # Each person short of ties makes one this week with the formation probability:
            # positions drawn by geometric gaps, a draw per tie made, not per person short.
            picked = bernoulli_positions(rng, short.size, self.formation_probability)
            layer.add(*self._weekly_pairs(name, picked, short, view, rng))
            return
        rows = np.repeat(short, target[short] - layer.degree[short])
        if rows.size < 2:
            return
        draws = rng.random((3, rows.size))
        group = np.full(rows.size, _GLOBAL_POOL, dtype=np.int64)
        local = draws[0] < self.local_fraction
        group[local] = rows[local] // self.community_size
        if name == "social" and self.homophily > 0:
            sober = ~local & (people.state[rows] == Care.RECOVERY) & (draws[1] < self.homophily)
            group[sober] = _RECOVERY_POOL
        a, b = _pair_within_groups(rows, group, draws[2])
        layer.add(a, b)

    def _weekly_pairs(
        self,
        name: str,
        picked: np.ndarray,
        short: np.ndarray,
        view: WeekView,
        rng: np.random.Generator,
    ) -> tuple[np.ndarray, np.ndarray]:
        """This week's new ties for ``short[picked]`` (people making a tie this week).

        A local stub picks a partner among everyone in its neighbourhood who is short of ties
        (not only among this week's stubs, which would rarely share a neighbourhood: the
        network would lose its short cycles week by week); a sober stub (social layer, in
        recovery) picks among people in recovery short of ties; whoever finds nobody, and the
        other stubs, pair at random.
        """
        if picked.size == 0:
            return short[picked], short[picked]
        local = rng.random(picked.size) < self.local_fraction
        a1, b1, alone = _pick_partners(short, short // self.community_size, picked[local], rng)
        rest = np.concatenate([alone, short[picked[~local]]])
        a2 = b2 = np.zeros(0, dtype=short.dtype)
        if name == "social" and self.homophily > 0:
            recovering = view.recovery
            sober = recovering[rest] & (rng.random(rest.size) < self.homophily)
            pool = short[recovering[short]]
            a2, b2, alone = _pick_partners(
                pool, np.zeros(pool.size, np.int64), np.searchsorted(pool, rest[sober]), rng
            )
            rest = np.concatenate([alone, rest[~sober]])
        rest = rest[rng.permutation(rest.size)]
        m = rest.size - rest.size % 2
        return (
            np.concatenate([a1, a2, rest[0:m:2]]),
            np.concatenate([b1, b2, rest[1:m:2]]),
        )

    # -- dissolution -----------------------------------------------------------------------
    def _dissolve(self, name: str, rng: np.random.Generator, view: WeekView) -> None:
        """End ties of one layer.

        Ties end at random (mean duration), faster across the recovery/use divide, and every
        tie of a person who has died or left ends now, before their row is reused. Injecting
        ties of a person whose route of use is no longer injecting end now too.
        """
        layer = self.layers[name]
        # Each direction is drawn at half the rate: a tie ends if either draw says so.
        p = 0.5 / layer.mean_duration_weeks
        mult = self.mixed_multiplier if name == "social" else 1.0
        pos, dkeys = layer.sample(rng, min(p * max(mult, 1.0), 1.0))
        if name == "social" and mult != 1.0:
            # Thinning: keep a picked tie with its own rate over the largest rate.
            kept = []
            for keys in (layer.main[pos], dkeys):
                src, dst = keys >> 32, keys & _LOW
                rec, use = view.recovery, view.active
                mixed = (rec[src] & use[dst]) | (use[src] & rec[dst])
                keep_prob = np.where(mixed, mult, 1.0) / max(mult, 1.0)
                kept.append(rng.random(keys.size) < keep_prob)
            pos, dkeys = pos[kept[0]], dkeys[kept[1]]
        if name == "injecting":  # people who stopped injecting (route of use) leave the layer
            people = view.people
            gone = (people.state >= Care.DEAD) | ~people.injects
            gone = np.flatnonzero(gone & (layer.degree > 0))  # one pass, no gather
        else:
            gone = view.left
            gone = gone[layer.degree[gone] > 0]
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


def _pick_partners(
    pool: np.ndarray, pool_group: np.ndarray, stubs: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each stub picks a random partner among the ``pool`` rows of its group, other than itself.

    ``pool`` is sorted by row and ``pool_group`` (non-negative group ids) is non-decreasing in
    the same order; ``stubs`` are positions in ``pool``. Returns the rows that found a partner,
    their partners, and the rows that did not.
    """
    counts = np.bincount(pool_group)
    group = pool_group[stubs]
    others = counts[group] - 1
    found = others >= 1
    chosen, others = stubs[found], others[found]
    start = (np.cumsum(counts) - counts)[group[found]]
    index = start + (rng.random(chosen.size) * others).astype(np.int64)
    index += index >= chosen  # skip the stub itself
    return pool[chosen], pool[index], pool[stubs[~found]]


def _expand_ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """All positions in the half-open ranges ``[lo, hi)``."""
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
