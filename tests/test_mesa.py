"""Mesa integration: Person agents over the arrays, the Network space, the DataCollector."""

from __future__ import annotations

import mesa
import numpy as np
from mesa.discrete_space import Network

from hrsim import HarmReductionModel, Person
from hrsim.core.states import STATE_NAMES, Care


def test_every_living_person_is_a_mesa_agent():
    m = HarmReductionModel(people=1000, years=1, seed=1)
    agents = m.agents
    assert isinstance(m, mesa.Model)
    assert len(agents) == int(m.people.alive.sum())
    assert all(isinstance(a, Person) and isinstance(a, mesa.Agent) for a in agents)
    assert len({a.pid for a in agents}) == len(agents)


def test_agent_attributes_read_and_write_the_arrays():
    m = HarmReductionModel(people=500, years=1, seed=2)
    person = m.person(10)
    assert person.care_state == STATE_NAMES[m.people.state[10]]
    assert person.age == float(m.people.age[10])
    person.care_state = "methadone"
    assert m.people.state[10] == Care.METHADONE
    assert person.on_moud
    person.carries_naloxone = True
    assert m.people.carries_naloxone[10]
    person.tolerance = 0.25
    assert m.people.tolerance[10] == np.float32(0.25)


def test_select_matches_arrays():
    m = HarmReductionModel(people=2000, years=1, seed=3)
    m.run(weeks=10)
    on_moud = m.agents.select(lambda p: p.on_moud)
    expected = np.count_nonzero(np.isin(m.people.state, (Care.METHADONE, Care.BUPRENORPHINE)))
    assert len(on_moud) == expected


def test_agents_follow_deaths_and_entries():
    m = HarmReductionModel(people=2000, years=3, seed=4)
    _ = m.agents
    pids_before = {a.pid for a in m.agents}
    m.run(weeks=104)
    alive = m.people.alive
    assert len(m.agents) == int(alive.sum())
    assert {a.pid for a in m.agents} == set(m.people.pid[alive].tolist())
    assert pids_before - {a.pid for a in m.agents}  # some people left
    assert all(m.people.pid[a.row] == a.pid for a in m.agents)


def test_agents_sit_on_a_mesa_network_of_their_ties():
    m = HarmReductionModel(people=1000, years=1, seed=5)
    m.run(weeks=3)
    space = m.space
    assert isinstance(space, Network)
    for agent in list(m.agents)[:100]:
        cell = agent.cell
        assert agent in cell.agents
        neighbour_rows = {c.coordinate for c in cell.neighborhood}
        ties = set()
        for layer in m.network.layers.values():
            _, nb = layer.ties_of(np.array([agent.row]))
            ties |= set(nb[m.people.alive[nb]].tolist())
        assert neighbour_rows == ties


def test_datacollector_matches_the_timeseries():
    m = HarmReductionModel(people=1000, years=0.5, seed=6)
    m.run()
    collected = m.datacollector.get_model_vars_dataframe()
    ts = m.timeseries_frame()
    assert len(collected) == len(ts)
    for column in ("active", "methadone", "overdoses_fatal", "hiv_prevalence", "population"):
        np.testing.assert_allclose(collected[column].to_numpy(), ts[column].to_numpy())


def test_mesa_run_model_stops_at_the_horizon():
    m = HarmReductionModel(people=300, years=0.25, seed=7)
    m.run_model()
    assert m.week == m.weeks == 13
    assert not m.running
