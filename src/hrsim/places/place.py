"""A place as data: its surveillance series, each with source, years and uncertainty, and its size.

A place file (TOML) holds what a health department publishes, typed in with its citation, and
what the model needs to be compared with it::

    [place]
    name = "massachusetts"
    title = "Massachusetts, United States"
    first_year = 2015           # the calendar year of simulated week 0
    scenario = "baseline"       # a built-in scenario name, or a file next to this one
    simulated_people = 5000     # people in the simulation; the population below scales them

    [place.settings]            # inputs the place's data fix (not fitted), as with --set
    "supply.fentanyl_share_by_year" = [0.31, 0.44, 0.65]

    [population]                # how many people the model's population stands for
    what = "people aged 11 or older with opioid use disorder"
    year = 2015
    value = 275000
    dist = "lognormal"          # the prior of the parameter "population"
    low = 220000                # its 95% interval
    high = 345000
    source = "..."

    [fit]
    until = 2020                # later years are held out: predicted, not fitted
    parameters = ["overdose.base_rate_per_year", "population"]
    particles = 60
    generations = 5
    seed = 1

    [fit.priors]                # for parameters without a PSA distribution in the defaults,
    "supply.fentanyl_potency_ratio" = { dist = "uniform", low = 1.5, high = 4.0 }

    [[series]]
    name = "opioid_overdose_deaths"
    quantity = "overdose_deaths"     # what the model counts: see QUANTITIES
    years = [2015, 2016]
    values = [1710, 2102]
    definition = "..."
    source = "..."
    noise = { poisson = true, cv = 0.03, why = "..." }

Each data point's standard deviation is ``sqrt(poisson * value + (cv * value)^2 + sd^2)``:
Poisson counting noise, a relative error (revisions, under-ascertainment that varies by
year) and an absolute one, as the source states them or as the place file argues in
``why``. A point may instead carry its own ``sds = [...]`` (a source's published standard
errors). The model's counts are for ``simulated_people`` people; a count is multiplied by
``population / simulated_people`` before it is compared, so the population is a parameter
like the others (its prior is the place's estimate and the estimate's uncertainty).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from hrsim.economics.distributions import Distribution, parse
from hrsim.errors import ScenarioError
from hrsim.messages import check_keys, did_you_mean
from hrsim.scenario import Scenario, load_scenario, read_toml
from hrsim.scenario.priors import default_distributions

#: The name of the scale parameter: the number of people the simulated population stands for.
POPULATION = "population"


@dataclass(frozen=True)
class Quantity:
    """A yearly quantity of a run: the sum (flows) or mean (stocks) of timeseries columns."""

    columns: tuple[str, ...]
    how: str  # "sum" over the year's weeks, or "mean"
    description: str
    scaled: bool = True  # a count of people or events (scaled by the population); not a share


QUANTITIES: dict[str, Quantity] = {
    "overdose_deaths": Quantity(("overdoses_fatal",), "sum", "fatal overdoses in the year"),
    "nonfatal_overdose_ed_visits": Quantity(
        ("ed_visits",), "sum", "emergency department visits after a non-fatal overdose"
    ),
    "ems_overdose_calls": Quantity(("ems_calls",), "sum", "EMS calls to an overdose"),
    "people_on_moud": Quantity(
        ("methadone", "buprenorphine"), "mean", "people on methadone or buprenorphine (mean)"
    ),
    "moud_starts": Quantity(("moud_starts",), "sum", "MOUD episodes started"),
    "naloxone_kits_used": Quantity(("naloxone_kits_used",), "sum", "naloxone kits used"),
    "new_hiv_infections": Quantity(("hiv_infections",), "sum", "new HIV infections"),
    "new_hcv_infections": Quantity(("hcv_infections",), "sum", "new HCV infections"),
    "people_who_use_opioids": Quantity(
        ("population",), "mean", "people in the modelled population (mean)"
    ),
    "people_injecting": Quantity(("people_injecting",), "mean", "people injecting (mean)"),
}

WEEKS_PER_YEAR = 52
_PLACE_KEYS = ("name", "title", "first_year", "scenario", "simulated_people", "notes", "settings")
_POPULATION_KEYS = ("what", "year", "value", "dist", "low", "high", "source")
_FIT_KEYS = ("until", "parameters", "particles", "generations", "seed", "batch", "priors")
_SERIES_KEYS = ("name", "quantity", "years", "values", "sds", "definition", "source", "noise")
_NOISE_KEYS = ("poisson", "cv", "sd", "why")
FIT_DEFAULTS = {"particles": 60, "generations": 5, "seed": 1, "batch": 0}


@dataclass(frozen=True)
class Series:
    """One surveillance series: what it counts, the data, their source and uncertainty."""

    name: str
    quantity: str
    years: tuple[int, ...]
    values: tuple[float, ...]
    sds: tuple[float, ...]  # each point's standard deviation
    definition: str
    source: str
    noise: dict[str, Any] = field(default_factory=dict)

    def keys(self) -> list[str]:
        """The data points' names, ``<series>:<year>``."""
        return [f"{self.name}:{y}" for y in self.years]

    def sd_at(self, value: np.ndarray) -> np.ndarray:
        """The noise model's standard deviation around ``value`` (for predictive draws)."""
        v = np.maximum(np.asarray(value, dtype=float), 0.0)
        if "sds" in self.noise:  # published standard errors: keep them, relative to the data
            ratio = np.asarray(self.sds) / np.maximum(np.asarray(self.values), 1e-12)
            return v * ratio
        poisson = 1.0 if self.noise.get("poisson", False) else 0.0
        cv, sd = float(self.noise.get("cv", 0.0)), float(self.noise.get("sd", 0.0))
        return np.sqrt(poisson * v + (cv * v) ** 2 + sd**2)


@dataclass(frozen=True)
class Place:
    """A checked place file."""

    name: str
    title: str
    first_year: int
    scenario: Scenario  # the place's scenario: its settings applied, run.people set
    simulated_people: int
    population: Distribution
    population_what: str
    population_source: str
    series: tuple[Series, ...]
    parameters: tuple[str, ...]
    priors: dict[str, Distribution]
    fit_until: int
    fit_settings: dict[str, int]
    path: Path
    notes: str = ""
    settings: dict[str, Any] = field(default_factory=dict)  # [place.settings], as written

    @property
    def last_year(self) -> int:
        """The last year any series has data for."""
        return max(max(s.years) for s in self.series)

    def years_simulated(self, until: int | None = None) -> int:
        """Simulated years from ``first_year`` to ``until`` (default: the last data year)."""
        return (until if until is not None else self.last_year) - self.first_year + 1

    def data(self) -> pd.DataFrame:
        """Every data point: series, year, value, sd, and whether it is fitted or held out."""
        rows = []
        for s in self.series:
            for y, v, sd in zip(s.years, s.values, s.sds, strict=True):
                role = "fit" if y <= self.fit_until else "held out"
                rows.append({"series": s.name, "year": y, "value": v, "sd": sd, "role": role})
        return pd.DataFrame(rows)

    def scale(self, population: float) -> float:
        """People in the place per simulated person."""
        return float(population) / self.simulated_people


def yearly(
    frame: pd.DataFrame, series: tuple[Series, ...], first_year: int, scale: float
) -> dict[str, float]:
    """Each series' model value for each of its years, from a run's weekly timeseries."""
    weeks = frame[frame["week"] >= 1]
    year = first_year + (weeks["week"].to_numpy() - 1) // WEEKS_PER_YEAR
    out: dict[str, float] = {}
    for s in series:
        q = QUANTITIES[s.quantity]
        values = weeks[list(q.columns)].sum(axis=1).to_numpy(dtype=float)
        for y, key in zip(s.years, s.keys(), strict=True):
            inside = values[year == y]
            if inside.size == 0:
                out[key] = math.nan
                continue
            total = inside.sum() if q.how == "sum" else inside.mean()
            out[key] = float(total * (scale if q.scaled else 1.0))
    return out


# ---------------------------------------------------------------------------------------------
# Reading and checking a place file


def _whole(where: str, key: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ScenarioError(f"{where}: {key} = {value!r} must be a whole number >= {low}")
    if high is not None and value > high:
        raise ScenarioError(f"{where}: {key} = {value!r} must be at most {high}")
    return int(value)


def _positive(where: str, key: str, value: Any, *, zero: bool = False) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not zero):
        need = "a number >= 0" if zero else "a number > 0"
        raise ScenarioError(f"{where}: {key} = {value!r} must be {need}")
    return float(value)


def _series(where: str, table: Any, first_year: int) -> Series:
    check_keys(where, table, _SERIES_KEYS, ("name", "quantity", "years", "values", "source"))
    name = str(table["name"])
    quantity = str(table["quantity"])
    if quantity not in QUANTITIES:
        hint = did_you_mean(quantity, list(QUANTITIES), list_valid=True)
        raise ScenarioError(f"{where} ({name}): unknown quantity '{quantity}'{hint}")
    years, values = table["years"], table["values"]
    if not isinstance(years, list) or not years:
        raise ScenarioError(f"{where} ({name}): years must be a non-empty list")
    if not isinstance(values, list) or len(values) != len(years):
        raise ScenarioError(
            f"{where} ({name}): values must be a list as long as years ({len(years)})"
        )
    for y in years:
        _whole(f"{where} ({name})", "a year", y, first_year)
    if sorted(set(years)) != list(years):
        raise ScenarioError(f"{where} ({name}): years must increase, each once")
    vals = tuple(_positive(f"{where} ({name})", "a value", v, zero=True) for v in values)
    noise = table.get("noise", {})
    check_keys(f"{where} ({name}) noise", noise, _NOISE_KEYS, ())
    if "sds" in table:
        raw = table["sds"]
        if not isinstance(raw, list) or len(raw) != len(years):
            raise ScenarioError(f"{where} ({name}): sds must be a list as long as years")
        sds = tuple(_positive(f"{where} ({name})", "an sd", v) for v in raw)
        noise = {**noise, "sds": True}
    else:
        if not any(k in noise for k in ("poisson", "cv", "sd")):
            raise ScenarioError(
                f"{where} ({name}): give each point's uncertainty: sds = [...], or noise = "
                '{ poisson = true, cv = 0.05, why = "..." }'
            )
        if "poisson" in noise and not isinstance(noise["poisson"], bool):
            raise ScenarioError(f"{where} ({name}): noise.poisson must be true or false")
        for key in ("cv", "sd"):
            if key in noise:
                _positive(f"{where} ({name}) noise", key, noise[key], zero=True)
        probe = Series(name, quantity, tuple(years), vals, (), "", "", dict(noise))
        sds = tuple(float(x) for x in probe.sd_at(np.asarray(vals)))
        if not all(sd > 0 for sd in sds):
            raise ScenarioError(
                f"{where} ({name}): the noise model gives a point an sd of 0 (a value of 0 "
                "with Poisson noise only): add sd = ..."
            )
    return Series(
        name,
        quantity,
        tuple(int(y) for y in years),
        vals,
        sds,
        str(table.get("definition", "")),
        str(table["source"]),
        dict(noise),
    )


def _default_prior(name: str) -> Distribution | None:
    return default_distributions().get(name)


def load_place(name_or_path: str | Path) -> Place:
    """Read and check a place file (a path, or the name of a place shipped with hrsim)."""
    path = Path(name_or_path)
    if not path.exists() and path.name == str(name_or_path):
        shipped = Path(__file__).parent / f"{str(name_or_path).removesuffix('.toml')}.toml"
        if not shipped.is_file():
            names = shipped_places()
            hint = did_you_mean(str(name_or_path), names, label="places shipped with hrsim")
            raise ScenarioError(
                f"place file not found: {name_or_path}{hint or '; shipped: ' + ', '.join(names)}"
            )
        path = shipped
    data = read_toml(path, "place file")
    where = str(path)
    sections = ("place", "population", "fit")
    check_keys(where, data, (*sections, "series"), sections)
    p = data["place"]
    check_keys(f"{where} [place]", p, _PLACE_KEYS, ("name", "first_year", "simulated_people"))
    first_year = _whole(f"{where} [place]", "first_year", p["first_year"], 1900, 2100)
    people = _whole(f"{where} [place]", "simulated_people", p["simulated_people"], 50)

    scenario_name = str(p.get("scenario", "baseline"))
    beside = path.parent / scenario_name
    scenario = load_scenario(beside if beside.is_file() else scenario_name)
    settings = p.get("settings", {})
    if not isinstance(settings, dict):
        raise ScenarioError(f"{where} [place.settings]: must be a table of dotted keys")
    try:
        scenario = scenario.with_overrides({**settings, "run.people": people})
    except ScenarioError as exc:
        raise ScenarioError(f"{where} [place.settings]: {exc}") from None

    pop = data["population"]
    check_keys(f"{where} [population]", pop, _POPULATION_KEYS, ("value", "low", "high", "source"))
    value = _positive(f"{where} [population]", "value", pop["value"])
    population = parse(
        POPULATION,
        value,
        {"dist": pop.get("dist", "lognormal"), "low": pop["low"], "high": pop["high"]},
        f"{where} [population]",
    )

    raw_series = data.get("series", [])
    if not isinstance(raw_series, list) or not raw_series:
        raise ScenarioError(f"{where}: declare at least one [[series]]")
    series = tuple(_series(f"{where} series[{i}]", t, first_year) for i, t in enumerate(raw_series))
    names = [s.name for s in series]
    if len(set(names)) != len(names):
        raise ScenarioError(f"{where}: two series have the same name")

    fit = data["fit"]
    check_keys(f"{where} [fit]", fit, _FIT_KEYS, ("until", "parameters"))
    until = _whole(f"{where} [fit]", "until", fit["until"], first_year)
    if not any(y <= until for s in series for y in s.years):
        raise ScenarioError(f"{where} [fit]: until = {until}: no data point is that early")
    fit_settings = dict(FIT_DEFAULTS)
    for key in FIT_DEFAULTS:
        if key in fit:
            low = 0 if key in ("seed", "batch") else (2 if key == "particles" else 1)
            fit_settings[key] = _whole(f"{where} [fit]", key, fit[key], low)
    raw_priors = fit.get("priors", {})
    if not isinstance(raw_priors, dict):
        raise ScenarioError(f"{where} [fit.priors]: must be a table")
    parameters = fit["parameters"]
    if not isinstance(parameters, list) or not parameters:
        raise ScenarioError(f"{where} [fit]: parameters must be a non-empty list of names")
    priors: dict[str, Distribution] = {}
    for name in parameters:
        name = str(name)
        if name in priors:
            raise ScenarioError(f"{where} [fit]: '{name}' is listed twice")
        if name == POPULATION:
            priors[name] = population
            continue
        current = _current_number(scenario, name, f"{where} [fit] ({name})")
        if name in raw_priors:
            spec = raw_priors[name]
            if isinstance(spec, dict):
                spec = {k: v for k, v in spec.items() if k != "source"}
            prior = parse(name, current, spec, f"{where} [fit.priors]")
        else:
            default = _default_prior(name)
            if default is None:
                raise ScenarioError(
                    f"{where} [fit]: '{name}' has no PSA distribution in the defaults: give "
                    f'it a prior in [fit.priors], e.g. "{name}" = {{ dist = "uniform", '
                    "low = ..., high = ... }"
                )
            prior = default.centred_on(current)
        priors[name] = prior
    for name in raw_priors:
        if name not in priors:
            raise ScenarioError(f"{where} [fit.priors]: '{name}' is not in [fit] parameters")
    return Place(
        name=str(p["name"]),
        title=str(p.get("title", p["name"])),
        first_year=first_year,
        scenario=scenario,
        simulated_people=people,
        population=population,
        population_what=str(pop.get("what", "")),
        population_source=str(pop["source"]),
        series=series,
        parameters=tuple(str(n) for n in parameters),
        priors=priors,
        fit_until=until,
        fit_settings=fit_settings,
        path=path,
        notes=str(p.get("notes", "")),
        settings=dict(settings),
    )


def _current_number(scenario: Scenario, name: str, where: str) -> float:
    """The scenario's value of a numeric parameter (one line naming it if it is not one)."""
    from hrsim.analysis.calibration import current_value

    current = current_value(scenario, name)
    if current is None:
        try:
            scenario.with_overrides({name: 1.0})
        except ScenarioError as exc:
            raise ScenarioError(f"{where}: {str(exc).removeprefix('override: ')}") from None
    if isinstance(current, bool) or not isinstance(current, int | float):
        raise ScenarioError(f"{where}: '{name}' is not a single number (it is {current!r})")
    return float(current)


def shipped_places() -> list[str]:
    """The names of the places that come with hrsim."""
    return sorted(p.stem for p in Path(__file__).parent.glob("*.toml"))
