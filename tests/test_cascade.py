"""The HIV and HCV cascades, mortality by HIV stage and infection at week 0, against parameters.

Hand-set populations where each weekly transition has a known probability; binomial standard
errors, 4 SE; fixed seeds.
"""

from __future__ import annotations

import numpy as np

from conftest import binomial_se, isolated_model, within
from hrsim import HarmReductionModel
from hrsim.core.states import Care
from hrsim.processes import Cascade, Demography
from hrsim.processes.base import weekly_probability

N = 20_000
EVERYONE_ACTIVE = {
    "population.moud_fraction": 0.0,
    "population.recovery_fraction": 0.0,
    "population.detox_fraction": 0.0,
    "population.prison_fraction": 0.0,
}


def _share_ok(mask: np.ndarray, expected: float) -> None:
    share = float(mask.mean())
    assert within(share, expected, binomial_se(expected, mask.size), k=4.0), (share, expected)


def _hiv_model(**overrides: object):
    m = isolated_model(N, (Cascade,), **{**EVERYONE_ACTIVE, **overrides})
    p = m.people
    p.hiv[:] = True
    p.hiv_weeks[:] = 100
    for name in ("hiv_diagnosed", "hiv_linked", "hiv_on_art", "hiv_suppressed"):
        getattr(p, name)[:] = False
    p.hiv_art_weeks[:] = 0
    return m, p, m.scenario.infection


def test_hiv_testing_and_linkage_at_diagnosis():
    m, p, i = _hiv_model()
    m.step()
    p_test = float(weekly_probability(i.hiv_testing_rate_per_year))
    assert abs(i.hiv_testing_rate_per_year - -np.log(1 - 0.55)) < 0.01  # NHBS 2018: 55%/year
    _share_ok(p.hiv_diagnosed, p_test)
    _share_ok(p.hiv_linked[p.hiv_diagnosed], i.hiv_linkage_probability)
    assert not p.hiv_linked[~p.hiv_diagnosed].any()


def test_art_start_dropout_and_reengagement_rates():
    m, p, i = _hiv_model()
    p.hiv_diagnosed[:] = True
    third = np.arange(N) % 3
    p.hiv_linked[third < 2] = True  # in care
    p.hiv_on_art[third == 1] = True  # in care, on ART (not yet suppressed)
    p.hiv_art_weeks[third == 1] = 1
    m.step()
    p_art = float(weekly_probability(i.hiv_art_start_rate_per_year))
    p_drop = float(weekly_probability(i.hiv_art_dropout_rate_per_year))
    p_back = float(weekly_probability(i.hiv_reengagement_rate_per_year))
    waiting = third == 0
    _share_ok(p.hiv_on_art[waiting], p_art)
    _share_ok(~p.hiv_linked[waiting], p_drop)
    assert not (p.hiv_on_art & ~p.hiv_linked).any()
    _share_ok(~p.hiv_on_art[third == 1], p_drop)
    _share_ok(p.hiv_linked[third == 2], p_back)
    assert not p.hiv_on_art[third == 2].any()


def test_suppression_after_its_weeks_on_art_and_lost_at_dropout():
    m, p, i = _hiv_model(**{"infection.hiv_art_dropout_rate_per_year": 0.0})
    k = i.hiv_weeks_to_suppression
    p.hiv_diagnosed[:] = True
    p.hiv_linked[:] = True
    p.hiv_on_art[:] = True
    half = np.arange(N) % 2 == 0
    p.hiv_art_weeks[:] = np.where(half, k - 1, k - 2)
    m.step()
    assert p.hiv_suppressed[half].all()
    assert not p.hiv_suppressed[~half].any()
    m2, p2, i2 = _hiv_model(**{"infection.hiv_art_dropout_rate_per_year": 5.0})
    for name in ("hiv_diagnosed", "hiv_linked", "hiv_on_art", "hiv_suppressed"):
        getattr(p2, name)[:] = True
    p2.hiv_art_weeks[:] = 100
    m2.step()
    dropped = ~p2.hiv_linked
    _share_ok(dropped, float(weekly_probability(5.0)))
    assert not (p2.hiv_suppressed[dropped] | p2.hiv_on_art[dropped]).any()


def test_hiv_excess_mortality_by_stage():
    untreated, suppressed = 2.0, 0.4
    m = isolated_model(
        40_000,
        (Demography,),
        **{
            **EVERYONE_ACTIVE,
            "demography.other_cause_smr": 0.0,
            "demography.initiation_per_1000_by_year": [0.0],
            "demography.age_out_years": 120.0,
            "demography.hiv_untreated_extra_death_rate_per_year": untreated,
            "infection.hiv_suppressed_extra_death_rate_per_year": suppressed,
        },
    )
    p = m.people
    group = np.arange(p.n) % 3  # 0: HIV-negative, 1: HIV on ART not suppressed, 2: suppressed
    p.hiv[:] = group > 0
    p.hiv_on_art[:] = group > 0
    p.hiv_suppressed[:] = group == 2
    m.step()
    dead = p.state == Care.DEAD
    assert not dead[group == 0].any()
    _share_ok(dead[group == 1], float(weekly_probability(untreated)))
    _share_ok(dead[group == 2], float(weekly_probability(suppressed)))


def _hcv_model(**overrides: object):
    m = isolated_model(N, (Cascade,), **{**EVERYONE_ACTIVE, **overrides})
    p = m.people
    p.hcv[:] = True
    p.hcv_antibody[:] = True
    p.hcv_weeks[:] = 100
    p.hcv_will_clear[:] = False
    p.hcv_diagnosed[:] = False
    p.hcv_treatment_weeks[:] = 0
    return m, p, m.scenario.infection


def test_hcv_antibody_test_then_rna_confirmation():
    m, p, i = _hcv_model(**{"infection.hcv_testing_rate_per_year": 3.0})
    m.step()
    p_test = float(weekly_probability(3.0))
    _share_ok(p.hcv_antibody_diagnosed, p_test)
    _share_ok(p.hcv_diagnosed[p.hcv_antibody_diagnosed], i.hcv_rna_confirmation_probability)
    assert not (p.hcv_diagnosed & ~p.hcv_antibody_diagnosed).any()


def test_daa_start_completion_and_cure():
    m, p, i = _hcv_model(**{"infection.hcv_treatment_start_rate_per_year": 2.0})
    p.hcv_diagnosed[:] = True
    m.step()
    _share_ok(p.hcv_treatment_weeks == 1, float(weekly_probability(2.0)))
    m2, p2, i2 = _hcv_model(**{"infection.hcv_treatment_start_rate_per_year": 0.0})
    p2.hcv_diagnosed[:] = True
    p2.hcv_treatment_weeks[:] = 1
    m2.run(weeks=i2.hcv_treatment_weeks - 1)
    assert p2.hcv.all()  # still on the course
    m2.step()
    cured = ~p2.hcv
    _share_ok(cured, i2.hcv_cure_probability)
    assert abs(i2.hcv_cure_probability - 0.874) < 1e-12  # Hajarizadeh 2018, recent injecting
    assert p2.hcv_antibody.all()  # the antibody stays after cure
    assert not p2.hcv_diagnosed[cured].any()  # cured: undiagnosed, can be reinfected
    assert (p2.hcv_treatment_weeks == 0).all()
    ev = m2.events_frame()
    failed = int((ev["detail"] == "hcv_treatment_failed").sum())
    incomplete = int((ev["detail"] == "hcv_treatment_incomplete").sum())
    assert failed + incomplete == int(p2.hcv.sum())
    expected = 1 - i2.hcv_treatment_completion_probability
    assert within(incomplete / N, expected, binomial_se(expected, N), k=4.0)


def test_spontaneous_clearance_keeps_the_antibody():
    m, p, i = _hcv_model(**{"infection.hcv_testing_rate_per_year": 0.0})
    p.hcv_weeks[:] = 0
    p.hcv_will_clear[:] = m.streams.generator("test", 0).random(N) < 0.26
    m.run(weeks=i.hcv_acute_weeks)
    _share_ok(~p.hcv, i.hcv_spontaneous_clearance_fraction)
    assert p.hcv_antibody.all()


def test_week_0_prevalence_equals_the_parameters_and_rises_with_risk():
    n = 40_000
    m = HarmReductionModel(
        people=n, seed=4, years=1, run__burn_in_years=0.0, demography__row_headroom=1.0
    )
    p, pop = m.people, m.scenario.population
    inj = p.injects
    for flag, target in (
        (p.hiv, pop.hiv_prevalence_inject),
        (p.hcv_antibody, pop.hcv_prevalence_inject),
        (p.hcv, pop.hcv_viraemic_prevalence_inject),
    ):
        _share_ok(flag[inj], target)
    _share_ok(p.hiv[~inj], pop.hiv_prevalence_noninject)
    _share_ok(p.hcv_antibody[~inj], pop.hcv_prevalence_noninject)
    assert not (p.hcv & ~p.hcv_antibody).any()
    # Higher among the higher-risk groups (odds ratios > 1): more than 4 SE apart.
    for flag in (p.hiv, p.hcv_antibody):
        for risk in (p.sharing_episode & inj, p.heavy_use & inj):
            hi, lo = flag[risk], flag[inj & ~risk]
            se = np.hypot(binomial_se(hi.mean(), hi.size), binomial_se(lo.mean(), lo.size))
            assert hi.mean() - lo.mean() > 4 * se
    # HIV care at week 0 from the cited shares.
    _share_ok(p.hiv_diagnosed[p.hiv], pop.hiv_diagnosed_fraction)
    _share_ok(p.hiv_linked[p.hiv_diagnosed], pop.hiv_in_care_fraction_of_diagnosed)
    _share_ok(p.hiv_suppressed[p.hiv_linked], pop.hiv_suppressed_fraction_of_in_care)
    assert (p.hiv_on_art == p.hiv_suppressed).all()


def test_week_0_odds_ratio_within_injectors():
    """With the odds ratio for sharing and none for heavy use, the odds ratio between sharers
    and non-sharers who inject is the parameter (log-OR within 4 SE, Woolf)."""
    n = 60_000
    m = HarmReductionModel(
        people=n,
        seed=5,
        years=1,
        run__burn_in_years=0.0,
        demography__row_headroom=1.0,
        population__initial_infection_or_heavy_use=1.0,
    )
    p, pop = m.people, m.scenario.population
    inj = p.injects
    share = p.sharing_episode
    a = np.count_nonzero(p.hcv_antibody & inj & share)
    b = np.count_nonzero(~p.hcv_antibody & inj & share)
    c = np.count_nonzero(p.hcv_antibody & inj & ~share)
    d = np.count_nonzero(~p.hcv_antibody & inj & ~share)
    log_or = np.log(a * d / (b * c))
    se = np.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    assert within(log_or, np.log(pop.initial_infection_or_sharing), se, k=4.0)
