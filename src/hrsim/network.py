"""The contact network: three layers of ties (injecting, social, sexual) as edge arrays.

Each layer is a sorted array of edge keys ``(a << 32) | b`` with ``a < b``: removal keeps the
order, new ties are merged in with ``searchsorted`` (which also rejects duplicates), and the
endpoint arrays come from two integer operations. No adjacency structure is rebuilt per week.

Ties form by pairing "stubs" of people short of their target number of ties: a share of
stubs pair inside the person's neighbourhood (which closes short cycles, as Dombrowski 2013
saw among people who inject), stubs of people in recovery pair with each other with some
probability (sober networks), the rest pair at random (a configuration model). A networkx
graph of the current ties is available on demand for analysis and the Mesa space.

The ties of a person who dies or leaves are removed at the next weekly turnover, before the
row is reused; until then every process and view skips ties to people who are not alive.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import networkx as nx
import numpy as np

from hrsim.people import Care

if TYPE_CHECKING:
    from hrsim.people import People
    from hrsim.scenario import Scenario

LAYERS: tuple[str, ...] = ("injecting", "social", "sexual")
_LOW = np.int64(0xFFFFFFFF)
_RECOVERY_POOL = -1  # group id for recovery-homophilous stubs
_GLOBAL_POOL = -2


class Layer:
    """One layer of ties, stored in both directions as sorted keys ``(src << 32) | dst``.

    Sorted directed keys are a compressed adjacency list: the ties of row ``r`` are the
    contiguous range ``searchsorted(keys, r << 32)`` to ``searchsorted(keys, (r + 1) << 32)``.
    ``degree`` is kept up to date as ties are added and removed.
    """

    def __init__(self, name: str, mean_duration_weeks: float, n: int) -> None:
        self.name = name
        self.mean_duration_weeks = mean_duration_weeks
        self.keys = np.zeros(0, dtype=np.int64)
        self.degree = np.zeros(n, dtype=np.int32)
        self._ends: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def size(self) -> int:
        """Number of ties (each counted once)."""
        return int(self.keys.size // 2)

    def endpoints(self) -> tuple[np.ndarray, np.ndarray]:
        """Source and destination rows of every directed tie (each tie appears both ways)."""
        if self._ends is None:
            self._ends = ((self.keys >> 32).astype(np.intp), (self.keys & _LOW).astype(np.intp))
        return self._ends

    def ranges(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Start and end positions in ``keys`` of the ties of each row."""
        r = rows.astype(np.int64)
        return np.searchsorted(self.keys, r << 32), np.searchsorted(self.keys, (r + 1) << 32)

    def ties_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(row, neighbour)`` for every tie of ``rows``."""
        lo, hi = self.ranges(rows)
        positions = _expand_ranges(lo, hi)
        return np.repeat(rows, hi - lo), (self.keys[positions] & _LOW).astype(np.intp)

    def add(self, a: np.ndarray, b: np.ndarray) -> int:
        """Add ties (duplicates and self-ties ignored); returns how many were new."""
        a, b = a.astype(np.int64), b.astype(np.int64)
        keep = a != b
        new = np.sort(np.concatenate([(a[keep] << 32) | b[keep], (b[keep] << 32) | a[keep]]))
        if new.size == 0:
            return 0
        new = new[np.r_[True, new[1:] != new[:-1]]]
        pos = np.searchsorted(self.keys, new)
        exists = np.zeros(new.size, dtype=bool)
        inside = pos < self.keys.size
        exists[inside] = self.keys[pos[inside]] == new[inside]
        new, pos = new[~exists], pos[~exists]
        self.keys = np.insert(self.keys, pos, new)
        self.degree += np.bincount(new >> 32, minlength=self.degree.size).astype(np.int32)
        self._ends = None
        return int(new.size // 2)

    def remove(self, positions: np.ndarray) -> None:
        """Remove the ties at ``positions`` in ``keys`` (both directions of each)."""
        if positions.size == 0:
            return
        k = self.keys[positions]
        reverse = np.sort(((k & _LOW) << 32) | (k >> 32))
        drop = np.zeros(self.keys.size, dtype=bool)
        drop[positions] = True
        drop[np.searchsorted(self.keys, reverse)] = True
        removed_src = self.keys[drop] >> 32
        self.degree -= np.bincount(removed_src, minlength=self.degree.size).astype(np.int32)
        self.keys = self.keys[~drop]
        self._ends = None


class ContactNetwork:
    """The three layers and the rules by which ties form and end."""

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

    # -- eligibility and targets ------------------------------------------------------------
    @staticmethod
    def _eligible(layer: str, people: People) -> np.ndarray:
        state = people.state
        if layer == "injecting":  # injecting partnerships form while actively injecting
            return people.injects & (state == Care.ACTIVE)
        return (state < Care.PRISON) & (state != Care.DETOX)

    @staticmethod
    def _target(layer: str, people: People) -> np.ndarray:
        return getattr(people, f"target_{layer}")

    # -- formation -------------------------------------------------------------------------
    def build(self, people: People, rng: np.random.Generator, rounds: int = 4) -> None:
        """Build the initial layers: pair every missing tie, then a few top-up rounds."""
        for name in LAYERS:
            for _ in range(rounds):
                self._form(name, people, rng, weekly=False)

    def form(self, people: People, rng: np.random.Generator) -> None:
        """This week's new ties: each person short of ties makes at most one per layer."""
        for name in LAYERS:
            self._form(name, people, rng, weekly=True)

    def _form(self, name: str, people: People, rng: np.random.Generator, *, weekly: bool) -> None:
        layer = self.layers[name]
        deficit = self._target(name, people).astype(np.int32) - layer.degree
        u = rng.random(self.n, dtype=np.float32)  # drawn for every row (common random numbers)
        want = self._eligible(name, people) & (deficit > 0)
        if weekly:
            want &= u < self.formation_probability
            rows = np.flatnonzero(want)
        else:
            rows = np.repeat(np.flatnonzero(want), deficit[want])
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

    # -- dissolution -----------------------------------------------------------------------
    def dissolve(self, people: People, rng: np.random.Generator) -> None:
        """End this week's ties.

        Ties end at random (mean duration), faster across the recovery/use divide, and every
        tie of a person who has died or left ends now, before their row is reused.
        """
        gone = np.flatnonzero(~people.alive)
        recovering = people.state == Care.RECOVERY
        using = people.state == Care.ACTIVE
        for name in LAYERS:
            layer = self.layers[name]
            directed = layer.keys.size
            if directed == 0:
                continue
            # Each direction is drawn at half the rate: a tie ends if either draw says so.
            p = 0.5 / layer.mean_duration_weeks
            mult = self.mixed_multiplier if name == "social" else 1.0
            p_max = min(p * max(mult, 1.0), 1.0)
            k = int(rng.binomial(directed, p_max))
            picked = rng.choice(directed, size=k, replace=False) if k else _no_positions()
            if name == "social" and mult != 1.0 and k:
                src, dst = (layer.keys[picked] >> 32), (layer.keys[picked] & _LOW)
                mixed = (recovering[src] & using[dst]) | (using[src] & recovering[dst])
                keep_prob = np.where(mixed, mult, 1.0) / max(mult, 1.0)
                picked = picked[rng.random(k) < keep_prob]
            lo, hi = layer.ranges(gone[layer.degree[gone] > 0])
            of_gone = _expand_ranges(lo, hi)
            layer.remove(np.concatenate([picked, of_gone]))

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
        from hrsim.people import STATE_NAMES

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
    order = np.argsort(((group - _GLOBAL_POOL) << 31) | rank, kind="stable")
    r, g = rows[order], group[order]
    n = r.size
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    run_start = np.repeat(starts, np.diff(np.r_[starts, n]))
    pos = np.arange(n) - run_start
    same_next = np.r_[g[1:] == g[:-1], False]
    left = (pos % 2 == 0) & same_next & (g != _GLOBAL_POOL)
    li = np.flatnonzero(left)
    paired = np.zeros(n, dtype=bool)
    paired[li] = True
    paired[li + 1] = True
    rest = r[~paired]
    rest = rest[np.argsort(rand[order][~paired], kind="stable")]
    m = rest.size - rest.size % 2
    a = np.concatenate([r[li], rest[0:m:2]])
    b = np.concatenate([r[li + 1], rest[1:m:2]])
    return a, b


def _no_positions() -> np.ndarray:
    """An empty index array."""
    return np.zeros(0, dtype=np.int64)


def _expand_ranges(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """All positions in the half-open ranges ``[lo, hi)``."""
    counts = hi - lo
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    return np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
