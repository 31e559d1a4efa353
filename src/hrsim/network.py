"""The contact network: three layers of ties (injecting, social, sexual) as edge arrays.

Each layer is a sorted array of edge keys ``(a << 32) | b`` with ``a < b``: removal keeps the
order, new ties are merged in with ``searchsorted`` (which also rejects duplicates), and the
endpoint arrays come from two integer operations. No adjacency structure is rebuilt per week.

Ties form by pairing "stubs" of people short of their target number of ties: a share of
stubs pair inside the person's neighbourhood (which closes short cycles, as Dombrowski 2013
saw among people who inject), stubs of people in recovery pair with each other with some
probability (sober networks), the rest pair at random (a configuration model). A networkx
graph of the current ties is available on demand for analysis and the Mesa space.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class Layer:
    """One layer of ties as a sorted array of edge keys."""

    name: str
    mean_duration_weeks: float
    keys: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def size(self) -> int:
        """Number of ties."""
        return int(self.keys.size)

    def endpoints(self) -> tuple[np.ndarray, np.ndarray]:
        """The two endpoint rows of every tie (``a < b``)."""
        return (self.keys >> 32).astype(np.intp), (self.keys & _LOW).astype(np.intp)

    def add(self, a: np.ndarray, b: np.ndarray) -> int:
        """Add ties (any order, duplicates and self-ties ignored); returns how many were new."""
        lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
        new = np.unique(((lo << 32) | hi)[lo != hi])
        if new.size == 0:
            return 0
        pos = np.searchsorted(self.keys, new)
        exists = np.zeros(new.size, dtype=bool)
        inside = pos < self.keys.size
        exists[inside] = self.keys[pos[inside]] == new[inside]
        new, pos = new[~exists], pos[~exists]
        self.keys = np.insert(self.keys, pos, new)
        return int(new.size)

    def degree(self, n: int) -> np.ndarray:
        """Number of ties of every row."""
        a, b = self.endpoints()
        return np.bincount(a, minlength=n) + np.bincount(b, minlength=n)


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
            "injecting": Layer("injecting", net.injecting_tie_mean_weeks),
            "social": Layer("social", net.social_tie_mean_weeks),
            "sexual": Layer("sexual", net.sexual_tie_mean_weeks),
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

    def _form(self, name: str, people: People, rng: np.random.Generator, *,
              weekly: bool) -> None:
        layer = self.layers[name]
        deficit = self._target(name, people).astype(np.int32) - layer.degree(self.n)
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
    def dissolve(self, people: People, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """End ties: at random (mean duration), faster across the recovery/use divide, and
        every tie of a person who has died or left. Returns the ended ties' keys per layer."""
        ended: dict[str, np.ndarray] = {}
        gone = ~people.alive
        recovering = people.state == Care.RECOVERY
        using = people.state == Care.ACTIVE
        for name in LAYERS:
            layer = self.layers[name]
            if layer.size == 0:
                ended[name] = layer.keys
                continue
            a, b = layer.endpoints()
            p = np.float32(1.0 / layer.mean_duration_weeks)
            u = rng.random(layer.size, dtype=np.float32)
            if name == "social" and self.mixed_multiplier != 1.0:
                mixed = (recovering[a] & using[b]) | (using[a] & recovering[b])
                end = u < np.where(mixed, p * np.float32(self.mixed_multiplier), p)
            else:
                end = u < p
            end |= gone[a] | gone[b]
            ended[name] = layer.keys[end]
            layer.keys = layer.keys[~end]
        return ended

    # -- views -----------------------------------------------------------------------------
    def neighbours_of(self, rows: np.ndarray, layers: tuple[str, ...] = ("injecting", "social")
                      ) -> tuple[np.ndarray, np.ndarray]:
        """All (row, neighbour) pairs for ``rows`` over the given layers (duplicates kept)."""
        mark = np.zeros(self.n, dtype=bool)
        mark[rows] = True
        out_r, out_n = [], []
        for name in layers:
            a, b = self.layers[name].endpoints()
            hit = np.flatnonzero(mark[a] | mark[b])
            ah, bh = a[hit], b[hit]
            fa, fb = mark[ah], mark[bh]
            out_r += [ah[fa], bh[fb]]
            out_n += [bh[fa], ah[fb]]
        return np.concatenate(out_r), np.concatenate(out_n)

    def graph(self, people: People, layers: tuple[str, ...] = LAYERS) -> nx.Graph:
        """A networkx graph of living people (nodes are rows) and their current ties.

        Edge attribute ``layers`` lists the layers a tie belongs to; node attributes give
        ``pid`` and ``care_state``.
        """
        from hrsim.people import STATE_NAMES

        g = nx.Graph()
        alive = np.flatnonzero(people.alive)
        g.add_nodes_from(
            (int(r), {"pid": int(people.pid[r]), "care_state": STATE_NAMES[people.state[r]]})
            for r in alive
        )
        for name in layers:
            a, b = self.layers[name].endpoints()
            for x, y in zip(a.tolist(), b.tolist(), strict=True):
                if g.has_edge(x, y):
                    g.edges[x, y]["layers"].append(name)
                else:
                    g.add_edge(x, y, layers=[name])
        return g


def _pair_within_groups(rows: np.ndarray, group: np.ndarray, rand: np.ndarray
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Pair stubs: consecutive stubs of the same group (in random order) pair up; whatever
    is left joins one global pool and pairs at random."""
    order = np.lexsort((rand, group))
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
