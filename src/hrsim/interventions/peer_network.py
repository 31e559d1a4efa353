"""Peer network: trained peers spread naloxone and safer-use practice to their contacts.

A share of the people in recovery (abstinent or on MOUD) or in active use are trained as
peers; who is a peer is each person's fixed draw. The practice is not using alone and testing
the supply. Each week a contact (injecting or social) of a peer who has not taken it up does
so with the adoption probability per peer contact; contacts of adopters take it up with that
probability times ``secondary_spread_fraction`` (spread beyond the peers). Each tie is its own
chance (see ``spread``). Adopters may drop the practice again. Peers practise it themselves.
People who practise use alone less (``alone_multiplier``) and overdose less because they test
the supply (``overdose_multiplier``). Peers also hand naloxone kits to contacts without one,
through the run's kit ledger (``model.kits``); a kit used at an overdose leaves circulation
(``kits_used``), as does the kit of a holder who dies or leaves. Costs: a training cost per new
peer, a weekly stipend and the kits.

Inputs (``interventions/defaults.toml``): the share of peers, adoption, secondary spread and
abandonment, the two effects of the practice (``alone_rr``, ``overdose_rr_from_testing``),
the kit probability and costs. What emerges: how far the practice spreads through the
network, kits given, and the overdoses witnessed, reversed and averted. The overdose effect
of testing is still an assumed multiplier on every practising week, not the information in a
test result (as in ``fentanyl_test_strips``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from hrsim.core.sampling import bernoulli_positions
from hrsim.interventions.base import Intervention
from hrsim.interventions.helpers import multiply_where, pick_contact
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import register

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


class PeerNetworkParams(InterventionParams):
    """Share of peers, spread of the practice, its effects, kits and costs."""

    peers_fraction: float = Field(ge=0.0, le=1.0)
    adoption_probability_per_week: float = Field(ge=0.0, le=1.0)
    secondary_spread_fraction: float = Field(ge=0.0, le=1.0)
    abandon_probability_per_week: float = Field(ge=0.0, le=1.0)
    alone_rr: float = Field(ge=0.0, le=1.0)
    overdose_rr_from_testing: float = Field(ge=0.0, le=1.0)
    naloxone_probability_per_week: float = Field(ge=0.0, le=1.0)
    cost_usd_training_per_peer: float = Field(ge=0.0, le=1e6)
    cost_usd_stipend_per_peer_per_week: float = Field(ge=0.0, le=1e5)
    cost_usd_per_kit: float = Field(ge=0.0, le=1e4)


SPREAD_LAYERS = ("injecting", "social")  # practice passes where people use or meet


def spread(
    model: WeekContext,
    stream: str,
    passes_on: np.ndarray,
    passes_on_less: np.ndarray,
    open_to: np.ndarray,
    q: float,
    less: float,
) -> np.ndarray:
    """Rows that take up the practice this week (sorted).

    Every tie (injecting or social) from a person who ``passes_on`` to a person ``open_to`` it
    passes the practice with probability ``q`` a week, and from a person who
    ``passes_on_less`` with probability ``q * less``, each tie independently: a person with
    k and j such contacts takes it up with probability ``1 - (1 - q)^k (1 - q less)^j``. A
    contact in both layers counts twice: two kinds of contact are two chances. Each tie's draw
    is keyed to its two people, the week and the layer (common random numbers: an arm with one
    more peer leaves every other tie's draw alone); the cost follows the ties of the people who
    pass it on.
    """
    sources = np.flatnonzero(passes_on | passes_on_less)
    pid = model.people.pid
    taken = []
    for name in SPREAD_LAYERS:
        src, dst = model.network.layers[name].ties_of(sources)
        keep = open_to[dst]
        src, dst = src[keep], dst[keep]
        chance = np.where(passes_on[src], q, q * less)
        u = model.streams.pair_uniform(f"{stream}.{name}", model.week, pid[dst], pid[src])
        taken.append(dst[u < chance])
    return np.unique(np.concatenate(taken))


@register
class PeerNetwork(Intervention[PeerNetworkParams]):
    """Trained peers who pass on naloxone and safer use along the network."""

    type = "peer_network"
    Params = PeerNetworkParams
    outputs = (
        "enrolled",
        "peers",
        "new_peers",
        "adopters",
        "new_adopters",
        "kits_given",
        "kits_used",
    )

    def init(self, model: WeekContext) -> None:
        """Per-person state: trained once, practising (the kits are in ``model.kits``)."""
        super().init(model)
        n = model.people.n
        self.trained = np.zeros(n, dtype=bool)
        self.adopted = np.zeros(n, dtype=bool)

    def step(self, model: WeekContext) -> None:
        """Train peers, spread and drop the practice, hand out kits, write the hooks."""
        p = self.params
        people, kits = model.people, model.kits
        alive = model.week_view.alive
        used = kits.retire_used(self.type)  # used at last week's overdoses
        # A row whose person died or left will hold a newcomer: forget them (and their kit).
        gone = model.week_view.left
        self.trained[gone] = False
        self.adopted[gone] = False
        kits.retire(self.type, gone)

        view = model.week_view
        eligible = view.active | view.recovery | view.on_moud
        was_peer = self.enrolled.copy()
        self.enrol_to_coverage(model, eligible, p.peers_fraction * self.scale(model.week))
        # A peer who is no longer one (in prison, say) keeps the practice as an adopter.
        self.adopted[was_peer & ~self.enrolled & alive] = True
        peers = self.clients
        self.adopted[peers] = False  # peers practise as peers, not as adopters
        new_peers = peers[~self.trained[peers]]
        self.trained[new_peers] = True

        # Spread from this week's peers and last week's adopters who are free to meet.
        free = view.free
        new = spread(
            model,
            f"{self.stream}.adopt",
            passes_on=self.enrolled,
            passes_on_less=self.adopted & free & ~self.enrolled,
            open_to=alive & ~self.adopted & ~self.enrolled,
            q=p.adoption_probability_per_week,
            less=p.secondary_spread_fraction,
        )
        # Each adopter drops the practice with its probability: rows drawn by geometric gaps
        # (the cost follows the rows drawn), kept if they are adopters.
        rng = model.streams.generator(f"{self.stream}.abandon", model.week)
        dropped = bernoulli_positions(rng, people.n, p.abandon_probability_per_week)
        self.adopted[dropped[self.adopted[dropped] & alive[dropped]]] = False
        self.adopted[new] = True

        practising = (self.adopted | self.enrolled) & alive  # often most people
        multiply_where(people.alone_multiplier, practising, p.alone_rr)
        multiply_where(people.overdose_multiplier, practising, p.overdose_rr_from_testing)

        giving = peers[self.uniform(model, "naloxone", peers) < p.naloxone_probability_per_week]
        given = pick_contact(
            model, f"{self.stream}.contact", giving, free & ~people.carries_naloxone
        )
        kits.give(self.type, given)

        self.report(model, "peers", peers.size)
        self.report(model, "new_peers", new_peers.size)
        self.report(model, "adopters", int(np.count_nonzero(self.adopted & alive)))
        self.report(model, "new_adopters", new.size)
        self.report(model, "kits_given", given.size)
        self.report(model, "kits_used", used.size)
        self.spend(
            model,
            new_peers.size * p.cost_usd_training_per_peer
            + peers.size * p.cost_usd_stipend_per_peer_per_week
            + given.size * p.cost_usd_per_kit,
        )
