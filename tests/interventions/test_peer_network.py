"""Peer network: trained peers spread naloxone and safer use along the network."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from programme_helpers import (
    assert_same_apart_from_own_events,
    programme_scenario,
    run_model,
    weekly_outputs,
)

from conftest import within
from hrsim import HarmReductionModel
from hrsim.scenario import load_scenario

TYPE = "peer_network"
RUN = {"people": 2000, "years": 0.5, "seed": 7, "name": "t"}
SCENARIO_FILE = Path(__file__).parents[2] / "scenarios" / f"{TYPE}.toml"
LAYERS = ("injecting", "social")


def ties(model: HarmReductionModel) -> list[tuple[np.ndarray, np.ndarray]]:
    """A copy of this week's directed ties (both directions) in the spreading layers."""
    return [tuple(e.copy() for e in model.network.layers[name].endpoints()) for name in LAYERS]


def contacts_among(ends: list[tuple[np.ndarray, np.ndarray]], sources: np.ndarray) -> np.ndarray:
    """For every row, the number of its ties to ``sources`` rows, counted per layer (a
    contact in both layers counts twice)."""
    n = sources.size
    return sum(np.bincount(b[sources[a]], minlength=n) for a, b in ends)


@pytest.mark.parametrize(
    ("programme", "enrols"),
    [
        ({"peers_fraction": 0.0, "adoption_probability_per_week": 1.0}, False),
        (
            {
                "peers_fraction": 0.2,
                "alone_rr": 1.0,
                "overdose_rr_from_testing": 1.0,
                "naloxone_probability_per_week": 0.0,
            },
            True,
        ),
    ],
)
def test_a_network_without_peers_or_effects_changes_nothing(programme, enrols):
    """No peers, or peers whose practice changes nothing and who hand out no kits: results
    are the baseline's, bit for bit."""
    base = run_model(programme_scenario(TYPE, run=RUN))
    peer = run_model(programme_scenario(TYPE, programme, run=RUN))
    assert_same_apart_from_own_events(peer, base, TYPE, logs_own=enrols)
    assert (weekly_outputs(peer)["adopters"].sum() > 0) == enrols


def test_first_week_adoption_matches_the_exposure_to_peers():
    """From no adopters, a person who is neither peer nor adopter adopts with probability
    1 - (1 - q)^(number of peer contacts); the week's new adopters sum those chances."""
    q = 0.15
    model = HarmReductionModel(
        programme_scenario(
            TYPE,
            {
                "peers_fraction": 0.1,
                "adoption_probability_per_week": q,
                "secondary_spread_fraction": 0.0,
            },
            run={**RUN, "people": 5000},
        )
    )
    alive, before = model.people.alive.copy(), ties(model)
    model.step()  # the programme runs first, on these ties; then the ties process
    peers = model.interventions[0].enrolled.copy()
    assert not (peers & ~alive).any()
    k = contacts_among(before, peers)
    candidates = alive & ~peers
    p = 1.0 - (1.0 - q) ** k[candidates]
    expected, se = p.sum(), np.sqrt(np.sum(p * (1 - p)))
    observed = weekly_outputs(model)["new_adopters"].iloc[0]
    assert expected > 200
    assert within(observed, expected, se)
    adopters = model.interventions[0].adopted
    assert (k[adopters] > 0).all()  # nobody adopts without a peer contact
    assert not (adopters & peers).any()


def test_adopters_spread_further_at_the_secondary_rate():
    """Week 2 on a frozen population and network: a non-adopter's chance is
    1 - (1 - q)^(peer contacts) x (1 - q s)^(adopter contacts)."""
    q, s = 0.2, 0.5
    model = HarmReductionModel(
        programme_scenario(
            TYPE,
            {
                "peers_fraction": 0.05,
                "adoption_probability_per_week": q,
                "secondary_spread_fraction": s,
                "abandon_probability_per_week": 0.0,
            },
            run={**RUN, "people": 5000},
        ),
        processes=(),
    )
    programme = model.interventions[0]
    model.step()
    adopted = programme.adopted.copy()
    peers = programme.enrolled.copy()
    before = ties(model)
    k_peer, k_adopter = contacts_among(before, peers), contacts_among(before, adopted)
    candidates = model.people.alive & ~peers & ~adopted
    p = 1 - (1 - q) ** k_peer[candidates] * (1 - q * s) ** k_adopter[candidates]
    model.step()
    np.testing.assert_array_equal(programme.enrolled, peers)
    assert (programme.adopted >= adopted).all()  # nobody abandons
    observed = weekly_outputs(model)["new_adopters"].iloc[1]
    expected, se = p.sum(), np.sqrt(np.sum(p * (1 - p)))
    # The adopters' own contribution is large enough to be seen (so the test can fail).
    p_peers_only = 1 - (1 - q) ** k_peer[candidates]
    assert expected - p_peers_only.sum() > 6 * se
    assert within(observed, expected, se)


def test_practice_sets_the_hooks_and_costs_add_up():
    """Peers and adopters carry alone_rr and overdose_rr_from_testing, others stay neutral;
    training is paid once per peer, the stipend weekly, kits each."""
    programme = {
        "peers_fraction": 0.1,
        "adoption_probability_per_week": 0.1,
        "alone_rr": 0.4,
        "overdose_rr_from_testing": 0.8,
        "naloxone_probability_per_week": 0.2,
        "cost_usd_training_per_peer": 500.0,
        "cost_usd_stipend_per_peer_per_week": 50.0,
        "cost_usd_per_kit": 75.0,
    }
    model = HarmReductionModel(programme_scenario(TYPE, programme, run={**RUN, "people": 4000}))
    peer, people = model.interventions[0], model.people
    for _ in range(8):
        model.step()
        practising = (peer.enrolled | peer.adopted) & people.alive
        assert practising.sum() > peer.enrolled.sum()
        np.testing.assert_array_equal(people.alone_multiplier[practising], np.float32(0.4))
        np.testing.assert_array_equal(people.overdose_multiplier[practising], np.float32(0.8))
        assert (people.alone_multiplier[~practising & people.alive] == 1).all()
        assert (people.overdose_multiplier[~practising & people.alive] == 1).all()
    out = weekly_outputs(model)
    np.testing.assert_array_equal(
        out["cost_usd"],
        out["new_peers"] * 500.0 + out["peers"] * 50.0 + out["kits_given"] * 75.0,
    )
    assert out["new_peers"].iloc[0] == out["peers"].iloc[0] > 0
    assert out["new_peers"].iloc[1:].sum() < out["peers"].iloc[1:].sum() / 10  # trained once
    assert out["kits_given"].sum() > 0
    assert (out["kits_given"] <= out["peers"]).all()


def test_the_scenario_file_loads_and_runs():
    model = HarmReductionModel(load_scenario(SCENARIO_FILE, {"run.people": 1500}))
    assert model.scenario.run.name == TYPE
    assert [p.type for p in model.scenario.interventions] == [TYPE]
    model.run(weeks=4)
    out = weekly_outputs(model)
    assert len(out) == 4
    assert (out["peers"] > 0).all()
    assert out["new_adopters"].sum() > 0
