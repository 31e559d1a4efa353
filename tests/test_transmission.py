"""Transmission by exposure on hand-built ties: one week's infections against 1-(1-p)^n.

Each test builds groups of people: a susceptible destination tied to one infected source and
``k - 1`` uninfected partners, all of whom injected this week; the destination's exposures
this week are set by hand and split among its ``k`` partners. The share of destinations
infected in one week is compared with the exact per-tie probability (binomial standard
errors, 4 SE; fixed seeds).
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import binomial_se, isolated_model, within
from hrsim.core.network import Layer
from hrsim.core.states import Care
from hrsim.processes import Infections

NOBODY_INFECTED = {
    "population.moud_fraction": 0.0,
    "population.recovery_fraction": 0.0,
    "population.detox_fraction": 0.0,
    "population.prison_fraction": 0.0,
    "population.hiv_prevalence_inject": 0.0,
    "population.hiv_prevalence_noninject": 0.0,
    "population.hcv_prevalence_inject": 0.0,
    "population.hcv_prevalence_noninject": 0.0,
    "population.hcv_viraemic_prevalence_inject": 0.0,
}


def _groups(k: int, groups: int = 10_000, seed: int = 1, **overrides: object):
    """A model of ``groups`` destinations, each tied to a source (row +1) and k-1 others."""
    n = groups * (k + 1)
    m = isolated_model(n, (Infections,), seed=seed, **{**NOBODY_INFECTED, **overrides})
    p = m.people
    p.state[:] = Care.ACTIVE
    base = np.arange(groups) * (k + 1)
    dst, src = base, base + 1
    layer = Layer("injecting", 26.0, n)
    layer.add(np.repeat(dst, k), (base[:, None] + 1 + np.arange(k)).ravel())
    m.network.layers["injecting"] = layer
    m.network.layers["sexual"] = Layer("sexual", 52.0, n)
    p.injected_this_week[:] = True
    p.receptive_shared_injections[:] = 0.0
    p.equipment_shared_injections[:] = 0.0
    return m, dst, src


def _check(observed: np.ndarray, expected: float) -> None:
    share = float(observed.mean())
    assert within(share, expected, binomial_se(expected, observed.size), k=4.0), (share, expected)


def _p(per: float, n: float) -> float:
    return float(1.0 - (1.0 - per) ** n)


@pytest.mark.parametrize("k", [1, 3])
def test_hiv_by_syringe_splits_exposures_among_partners_who_injected(k):
    m, dst, src = _groups(k)
    p, i = m.people, m.scenario.infection
    p.hiv[src] = True
    p.hiv_weeks[src] = 100  # chronic
    p.receptive_shared_injections[dst] = 6.0
    m.step()
    _check(p.hiv[dst], _p(i.hiv_per_shared_injection, 6.0 / k))
    ev = m.events_frame()
    assert set(ev.loc[ev["kind"] == "infection", "detail"]) <= {"hiv_injecting"}


def test_partners_who_did_not_inject_do_not_count_and_do_not_transmit():
    m, dst, src = _groups(3)
    p, i = m.people, m.scenario.infection
    p.hiv[src] = True
    p.hiv_weeks[src] = 100
    p.receptive_shared_injections[dst] = 6.0
    p.injected_this_week[dst + 2] = False  # one of the two others: 2 partners injected
    m.step()
    _check(p.hiv[dst], _p(i.hiv_per_shared_injection, 3.0))
    m2, dst2, src2 = _groups(1, seed=2)
    m2.people.hiv[src2] = True
    m2.people.receptive_shared_injections[dst2] = 6.0
    m2.people.injected_this_week[src2] = False
    m2.step()
    assert not m2.people.hiv[dst2].any()


@pytest.mark.parametrize("stage", ["acute", "suppressed", "suppressed_and_acute"])
def test_hiv_source_stage_scales_the_per_exposure_probability(stage):
    m, dst, src = _groups(1)
    p, i = m.people, m.scenario.infection
    p.hiv[src] = True
    p.hiv_weeks[src] = 1 if "acute" in stage else 100
    p.hiv_suppressed[src] = "suppressed" in stage
    p.receptive_shared_injections[dst] = 6.0
    m.step()
    rr = i.hiv_suppressed_injecting_rr if "suppressed" in stage else i.hiv_acute_infectiousness_rr
    _check(p.hiv[dst], _p(i.hiv_per_shared_injection * rr, 6.0))


def test_acute_phase_ends_after_its_weeks():
    m, dst, src = _groups(1)
    p, i = m.people, m.scenario.infection
    p.hiv[src] = True
    acute = np.arange(src.size) % 2 == 0
    p.hiv_weeks[src] = np.where(acute, i.hiv_acute_weeks, i.hiv_acute_weeks + 1)
    p.receptive_shared_injections[dst] = 6.0
    m.step()
    _check(p.hiv[dst[acute]], _p(i.hiv_per_shared_injection * i.hiv_acute_infectiousness_rr, 6))
    _check(p.hiv[dst[~acute]], _p(i.hiv_per_shared_injection, 6))


def test_hcv_by_syringe_and_by_equipment_and_no_hiv_by_equipment():
    m, dst, src = _groups(2)
    p, i = m.people, m.scenario.infection
    p.hcv[src] = True
    p.hiv[src] = True
    p.hiv_weeks[src] = 100
    half = np.arange(dst.size) % 2 == 0
    p.receptive_shared_injections[dst[half]] = 8.0  # syringe route only
    p.equipment_shared_injections[dst[~half]] = 8.0  # equipment route only
    m.step()
    _check(p.hcv[dst[half]], _p(i.hcv_per_shared_injection, 4.0))
    _check(p.hcv[dst[~half]], _p(i.hcv_per_shared_equipment, 4.0))
    assert not p.hiv[dst[~half]].any()
    ev = m.events_frame()
    infected = ev[ev["kind"] == "infection"]
    by_route = infected.groupby("detail", observed=True)["person"].apply(set)
    assert by_route["hcv_equipment"] <= set(p.pid[dst[~half]])
    assert by_route["hcv_injecting"] <= set(p.pid[dst[half]])
    # New HCV infections are viraemic and antibody-positive.
    assert (p.hcv_antibody[dst] == p.hcv[dst]).all()


def test_both_hcv_routes_combine_as_independent_exposures():
    m, dst, src = _groups(1)
    p, i = m.people, m.scenario.infection
    p.hcv[src] = True
    p.receptive_shared_injections[dst] = 3.0
    p.equipment_shared_injections[dst] = 5.0
    m.step()
    escape = (1 - i.hcv_per_shared_injection) ** 3 * (1 - i.hcv_per_shared_equipment) ** 5
    _check(p.hcv[dst], 1.0 - escape)


def test_daa_course_stops_transmission_from_its_stated_week():
    m, dst, src = _groups(1)
    p, i = m.people, m.scenario.infection
    p.hcv[src] = True
    early = np.arange(src.size) % 2 == 0
    week = i.hcv_daa_nonviraemic_from_week
    p.hcv_treatment_weeks[src] = np.where(early, week - 1, week)
    p.receptive_shared_injections[dst] = 8.0
    m.step()
    _check(p.hcv[dst[early]], _p(i.hcv_per_shared_injection, 8.0))
    assert not p.hcv[dst[~early]].any()


def test_reinfection_after_cure_at_the_same_rate():
    """A cured person (antibody-positive, not viraemic) is infected like anyone else."""
    m, dst, src = _groups(1)
    p, i = m.people, m.scenario.infection
    p.hcv[src] = True
    p.hcv_antibody[dst] = True  # cured earlier
    p.receptive_shared_injections[dst] = 8.0
    m.step()
    _check(p.hcv[dst], _p(i.hcv_per_shared_injection, 8.0))
    ev = m.events_frame()
    assert (ev["detail"] == "hcv_injecting").sum() == p.hcv[dst].sum()


def test_sexual_transmission_stops_when_the_source_is_suppressed():
    per_act, acts = 0.02, 3.0
    settings = {
        "infection.hiv_per_sex_act": per_act,
        "infection.sex_acts_per_partner_per_week": acts,
    }
    m, dst, src = _groups(1, **settings)
    p, i = m.people, m.scenario.infection
    sexual = Layer("sexual", 52.0, p.n)
    sexual.add(dst, src)
    m.network.layers["sexual"] = sexual
    m.network.layers["injecting"] = Layer("injecting", 26.0, p.n)
    p.hiv[src] = True
    p.hiv_weeks[src] = 100
    suppressed = np.arange(src.size) % 2 == 0
    p.hiv_suppressed[src] = suppressed
    m.step()
    assert i.hiv_suppressed_sexual_rr == 0.0
    assert not p.hiv[dst[suppressed]].any()
    _check(p.hiv[dst[~suppressed]], _p(per_act, acts))


# -- common random numbers: a pair's draw is its own -------------------------------------------


def _syringe_world(extra_source: bool, sexual: bool = False):
    settings = {"infection.hiv_per_sex_act": 0.05, "infection.sex_acts_per_partner_per_week": 3.0}
    m, dst, src = _groups(1, seed=5, **settings)
    p = m.people
    if sexual:
        layer = Layer("sexual", 52.0, p.n)
        layer.add(dst, src)
        m.network.layers["sexual"] = layer
        m.network.layers["injecting"] = Layer("injecting", 26.0, p.n)
    p.hiv[src[1:]] = True  # every group's source has HIV but the first's ...
    p.hiv[src[0]] = extra_source  # ... unless this world's extra survivor does
    p.hiv_weeks[src] = 100
    p.receptive_shared_injections[dst] = 20.0
    m.step()
    return p.hiv[dst].copy()


@pytest.mark.parametrize("sexual", [False, True], ids=["injecting", "sexual"])
def test_one_more_infectious_partnership_changes_no_other_pairs_infection(sexual):
    # Starsim's "worlds" test: the two worlds differ by one infectious partnership at the
    # front of the arrays. Every other destination's infection must be the same; positional
    # draws (one uniform per position among this week's pairs) would reshuffle all of them.
    without, with_extra = _syringe_world(False, sexual), _syringe_world(True, sexual)
    assert not without[0]
    assert without[1:].sum() > 500  # enough infections (about 13%) that a reshuffle would show
    np.testing.assert_array_equal(without[1:], with_extra[1:])
