"""PSA distributions: moments from the declaration, Latin hypercube marginals, one-line errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from hrsim.economics.distributions import (
    DISTRIBUTIONS,
    Distribution,
    DistributionError,
    check_entry_keys,
    declared,
    latin_hypercube_column,
    parse,
    sample_parameters,
)
from hrsim.interventions import programme_defaults
from hrsim.scenario import Scenario, parameter_table
from hrsim.scenario.paramdocs import distribution_text, parameter_markdown

Z = stats.norm.ppf(0.975)  # 1.95996...: a 95% interval is 2 x 1.96 = 3.92 sd wide


def d(dist: str, value: float, low: float, high: float) -> Distribution:
    return parse("section.key", value, {"dist": dist, "low": low, "high": high}, "test.toml")


# -- moments -------------------------------------------------------------------------------


def test_beta_by_moments_has_the_value_as_mean_and_the_interval_as_spread():
    x = d("beta", 0.3, 0.2, 0.4)
    sd = 0.2 / 3.92
    a, b = x.parameters["alpha"], x.parameters["beta"]
    # Closed forms of Beta(a, b): mean a/(a+b), variance ab / ((a+b)^2 (a+b+1)).
    assert a / (a + b) == pytest.approx(0.3, rel=1e-12)
    assert a * b / ((a + b) ** 2 * (a + b + 1)) == pytest.approx(sd**2, rel=1e-12)
    # By hand: m(1-m)/sd^2 - 1 = 0.21 / 0.0026031 - 1 = 79.67; alpha = 0.3 x that.
    assert a == pytest.approx(0.3 * (0.21 / sd**2 - 1), rel=1e-12)
    frozen = x.frozen()
    assert frozen.mean() == pytest.approx(0.3, rel=1e-12)
    assert frozen.std() == pytest.approx(sd, rel=1e-10)


def test_gamma_by_moments():
    x = d("gamma", 0.0196, 0.012, 0.03)
    sd = 0.018 / 3.92
    shape, scale = x.parameters["shape"], x.parameters["scale"]
    assert shape * scale == pytest.approx(0.0196, rel=1e-12)  # mean k theta
    assert shape * scale**2 == pytest.approx(sd**2, rel=1e-12)  # variance k theta^2
    assert x.frozen().mean() == pytest.approx(0.0196, rel=1e-12)
    assert x.frozen().std() == pytest.approx(sd, rel=1e-10)


def test_lognormal_has_the_value_as_median_and_the_interval_as_its_95_percent_quantiles():
    # A ratio with a published interval symmetric on the log scale: 2.02 (1.47-2.78).
    x = d("lognormal", math.sqrt(1.47 * 2.78), 1.47, 2.78)
    sdlog = math.log(2.78 / 1.47) / 3.92
    assert x.parameters == pytest.approx({"meanlog": 0.5 * math.log(1.47 * 2.78), "sdlog": sdlog})
    frozen = x.frozen()
    assert frozen.median() == pytest.approx(math.sqrt(1.47 * 2.78), rel=1e-12)
    # 1.96 vs 3.92/2: the quantiles are the interval's ends to 1e-5.
    assert frozen.ppf(0.025) == pytest.approx(1.47, rel=2e-5)
    assert frozen.ppf(0.975) == pytest.approx(2.78, rel=2e-5)
    assert x.mean == pytest.approx(frozen.mean(), rel=1e-12)
    assert x.mean == pytest.approx(x.value * math.exp(sdlog**2 / 2), rel=1e-12)


def test_normal_and_uniform():
    n = d("normal", 1.0, 0.5, 1.5)
    assert n.frozen().mean() == 1.0 and n.frozen().std() == pytest.approx(1.0 / 3.92)
    assert n.frozen().ppf(0.975) == pytest.approx(1.0 + Z / 3.92, rel=1e-12)
    u = d("uniform", 0.61, 0.37, 1.0)
    assert u.frozen().ppf(0.0) == 0.37 and u.frozen().ppf(1.0) == 1.0
    assert u.mean == pytest.approx(0.685) and u.frozen().mean() == pytest.approx(0.685)
    assert u.frozen().std() == pytest.approx(0.63 / math.sqrt(12))


@pytest.mark.parametrize(
    "dist, value, low, high",
    [("beta", 0.3, 0.2, 0.4), ("gamma", 5.0, 2.0, 9.0), ("lognormal", 0.5, 0.3, 0.9),
     ("normal", -1.0, -2.0, 0.5), ("uniform", 0.5, 0.1, 0.6)],
)  # fmt: skip
def test_sample_means_and_sds_match_the_distribution(dist, value, low, high):
    x = d(dist, value, low, high)
    n = 4000
    column = sample_parameters([x], n, seed=7)["section.key"].to_numpy()
    frozen = x.frozen()
    # A Latin hypercube's mean is much closer than iid sampling's; 4 standard errors of the
    # iid mean bound it from above.
    assert abs(column.mean() - frozen.mean()) < 4 * frozen.std() / math.sqrt(n)
    assert column.std(ddof=1) == pytest.approx(frozen.std(), rel=0.05)


# -- Latin hypercube -----------------------------------------------------------------------


def test_each_column_has_one_point_in_each_of_n_strata_of_its_distribution():
    xs = [
        parse("a.beta", 0.3, {"dist": "beta", "low": 0.2, "high": 0.4}, ""),
        parse("a.gamma", 2.0, {"dist": "gamma", "low": 1.0, "high": 3.5}, ""),
        parse("a.uniform", 0.5, {"dist": "uniform", "low": 0.0, "high": 1.0}, ""),
    ]
    n = 37
    frame = sample_parameters(xs, n, seed=3)
    assert list(frame.columns) == [x.name for x in xs] and list(frame.index) == list(range(n))
    assert frame.index.name == "sample"
    for x in xs:
        strata = np.floor(x.frozen().cdf(frame[x.name].to_numpy()) * n).astype(int)
        assert sorted(strata) == list(range(n)), x.name
    u = latin_hypercube_column(n, 3, "a.uniform")
    assert sorted(np.floor(u * n).astype(int)) == list(range(n))


def test_a_parameters_column_does_not_depend_on_the_others_and_changes_with_the_seed():
    a = parse("a.x", 0.3, {"dist": "beta", "low": 0.2, "high": 0.4}, "")
    b = parse("b.y", 2.0, {"dist": "gamma", "low": 1.0, "high": 3.5}, "")
    both = sample_parameters([a, b], 20, seed=5)
    alone = sample_parameters([b], 20, seed=5)
    reversed_ = sample_parameters({"b.y": b, "a.x": a}, 20, seed=5)
    np.testing.assert_array_equal(both["b.y"], alone["b.y"])
    np.testing.assert_array_equal(both["a.x"], reversed_["a.x"])
    assert not np.array_equal(both["b.y"], sample_parameters([b], 20, seed=6)["b.y"])
    # Two parameters with the same distribution are not sampled in lockstep.
    twin = parse("c.z", 0.3, {"dist": "beta", "low": 0.2, "high": 0.4}, "")
    assert not np.array_equal(both["a.x"], sample_parameters([twin], 20, seed=5)["c.z"])


def test_no_parameters_gives_samples_without_columns():
    frame = sample_parameters([], 3, seed=1)
    assert frame.shape == (3, 0)
    with pytest.raises(DistributionError, match="samples = 0"):
        sample_parameters([], 0, seed=1)


# -- bad declarations ----------------------------------------------------------------------

BAD = [
    ("gama", 0.5, 0.2, 0.8, "psa.dist = 'gama': unknown distribution; did you mean 'gamma'?"),
    ("beta", 0.5, 0.8, 0.2, "low must be below high"),
    ("beta", 0.9, 0.2, 0.8, "value 0.9 is not inside its interval 0.2-0.8 (low < value < high)"),
    ("uniform", 0.9, 0.2, 0.8, "value 0.9 is outside its uniform range 0.2-0.8"),
    ("beta", 1.5, 1.2, 1.8, "beta needs 0 < value < 1 and an interval within 0-1"),
    ("beta", 0.5, -0.1, 0.9, "beta needs 0 < value < 1 and an interval within 0-1"),
    ("beta", 0.05, 0.001, 0.99, "beta interval 0.001-0.99 is too wide for mean 0.05"),
    ("gamma", 1.0, 0.0, 3.0, "gamma needs a positive value and interval"),
    ("lognormal", 1.0, -1.0, 3.0, "lognormal needs a positive value and interval"),
]


@pytest.mark.parametrize("dist, value, low, high, expected", BAD, ids=[b[-1][:30] for b in BAD])
def test_a_bad_declaration_is_one_line_naming_the_parameter(dist, value, low, high, expected):
    with pytest.raises(DistributionError) as info:
        parse("overdose.x", value, {"dist": dist, "low": low, "high": high}, "f.toml")
    message = str(info.value)
    assert message.startswith("f.toml: overdose.x: ") and expected in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "value, spec, expected",
    [
        (12, {"dist": "gamma", "low": 4, "high": 20},
         "value 12 is a whole number (an integer parameter: counts, weeks)"),
        ([0.85], {"dist": "beta", "low": 0.6, "high": 0.95},
         "a distribution needs a numeric parameter; its value [0.85] is a list"),
        ("x", {"dist": "beta", "low": 0.6, "high": 0.95},
         "a distribution needs a numeric parameter; its value 'x' is text"),
        (True, {"dist": "beta", "low": 0.6, "high": 0.95},
         "its value true is a boolean"),
        (0.5, {"dist": "beta", "low": 0.2}, "psa.high is missing (give dist, low and high)"),
        (0.5, {"dist": "beta", "low": 0.2, "high": 0.8, "hgh": 1},
         "unknown psa key 'hgh'; did you mean 'high'?"),
        (0.5, {"dist": "beta", "low": "0.2", "high": 0.8}, "psa.low = '0.2' is not a number"),
        (0.5, {"dist": "beta", "low": math.nan, "high": 0.8}, "psa.low = nan is not a number"),
        (0.5, "beta", "psa = 'beta': expected { dist, low, high }"),
    ],
)  # fmt: skip
def test_declarations_on_the_wrong_kind_of_parameter_or_malformed(value, spec, expected):
    with pytest.raises(DistributionError) as info:
        parse("care.y", value, spec, "f.toml")
    assert expected in str(info.value) and "care.y" in str(info.value)
    assert "\n" not in str(info.value)


def test_an_unknown_key_in_a_defaults_entry_names_the_closest():
    check_entry_keys("a.b", {"value": 1.0, "unit": "", "source": "", "price_year": 2020}, "x")
    with pytest.raises(DistributionError, match="x: a.b: unknown key 'pas'; did you mean 'psa'?"):
        check_entry_keys("a.b", {"value": 1.0, "unit": "", "source": "", "pas": {}}, "x")
    with pytest.raises(DistributionError, match="unknown key 'pas'"):
        declared({"a": {"b": {"value": 1.0, "unit": "", "source": "", "pas": {}}}}, where="x")


def test_recentring_keeps_the_interval_and_checks_it_again():
    x = d("beta", 0.3, 0.2, 0.4)
    y = x.centred_on(0.35)
    assert (y.value, y.low, y.high, y.dist) == (0.35, 0.2, 0.4, "beta")
    assert y.frozen().mean() == pytest.approx(0.35)
    with pytest.raises(DistributionError, match="value 0.5 is not inside its interval 0.2-0.4"):
        x.centred_on(0.5)


# -- the declarations shipped with hrsim ---------------------------------------------------


def _shipped() -> dict[str, Distribution]:
    found = declared(parameter_table(), where="defaults.toml")
    found.update(declared(programme_defaults(), prefix="interventions.", where="programmes"))
    return found


def test_every_shipped_declaration_parses_and_its_tails_are_allowed_values():
    shipped = _shipped()
    mine = [
        "overdose.base_rate_per_year", "overdose.stimulant_rr", "overdose.recent_overdose_rr",
        "overdose.methadone_rate_ratio", "overdose.naloxone_reversal_probability",
        "population.uses_alone_probability", "response.bystander_able_probability",
        "response.kit_at_hand_probability", "care.buprenorphine_retention_12_months",
        "infection.hiv_per_shared_injection", "infection.hcv_per_shared_injection",
        "injecting.moud_sharing_rr", "injecting.baseline_syringe_coverage",
        "demography.other_cause_smr", "interventions.moud_expansion.discontinuation_hazard_ratio",
        "interventions.prep.efficacy",
    ]  # fmt: skip
    assert set(mine) <= set(shipped)
    assert len(shipped) >= 30
    for name, x in shipped.items():
        parts = name.split(".")
        base = _with_programme(parts[1]) if parts[0] == "interventions" else Scenario.default()
        # The 1-in-10,000 tails of the distribution must be values the parameter may take.
        for u in (1e-4, 0.5, 1 - 1e-4):
            base.with_overrides({name: float(x.ppf(u))})


def _with_programme(kind: str) -> Scenario:
    from hrsim.scenario import build_scenario

    return build_scenario({"interventions": [{"type": kind}]})


def test_lognormal_declarations_are_centred_on_their_intervals():
    # A published ratio and its interval: the value is the interval's geometric middle.
    for name, x in _shipped().items():
        if x.dist == "lognormal":
            assert x.value == pytest.approx(math.sqrt(x.low * x.high), rel=0.02), name


def test_the_parameter_tables_show_each_distribution():
    entry = parameter_table()["overdose"]["base_rate_per_year"]
    assert distribution_text(entry) == "gamma 0.012-0.03"
    assert distribution_text({"value": 1.0}) == ""
    row = next(
        line
        for line in parameter_markdown().splitlines()
        if "`overdose.base_rate_per_year`" in line
    )
    assert row.endswith("| gamma 0.012-0.03 |")
    assert set(DISTRIBUTIONS) == {"beta", "gamma", "lognormal", "normal", "uniform"}
