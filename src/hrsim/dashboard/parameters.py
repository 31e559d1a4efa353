"""What the dashboard lets a student change, and how that becomes a scenario.

``Settings`` is everything the sidebar holds: the scenario file, population, seed, fentanyl
share, MOUD capacity, and each programme's level (its coverage, reach or size), or off.
``to_scenario`` turns it into a validated :class:`hrsim.Scenario`, which is also what the
TOML download writes. Each slider's one-line explanation is written here in plain words; its
source is read from ``defaults.toml`` (the model's or the programmes'), so the dashboard shows
the same citation the model uses.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from hrsim.interventions import BUILT_IN, programme_defaults
from hrsim.scenario import (
    Scenario,
    ScenarioError,
    build_scenario,
    builtin,
    builtin_names,
    load_scenario,
    parameter_table,
)
from hrsim.scenario.library import BASELINE

DEFAULT_SCENARIO = BASELINE
DEFAULT_PEOPLE = 2000  # the dashboard's default: quick to draw (hrsim run's default is 10,000)


@dataclass(frozen=True)
class Slider:
    """One slider: what it sets, its range, and what a student reads under it."""

    key: str
    label: str
    explanation: str
    source: str
    min: float
    max: float
    step: float
    percent: bool = False  # show the value as a percentage

    def clamp(self, value: float) -> float:
        """``value`` moved into the slider's range and onto its steps (a typed number)."""
        steps = round((min(max(value, self.min), self.max) - self.min) / self.step)
        snapped = min(self.max, self.min + steps * self.step)
        return float(round(snapped)) if self.step >= 1 else round(snapped, 6)

    def show(self, value: float) -> str:
        """The value as the slider's label shows it."""
        if self.percent:
            return f"{value:.0%}"
        return f"{value:,.0f}" if self.step >= 1 else f"{value:g}"


def _source(section: str, key: str) -> str:
    return str(parameter_table()[section][key]["source"])


def _programme_source(programme: str, key: str) -> str:
    return str(programme_defaults()[programme][key]["source"])


CORE_SLIDERS: dict[str, Slider] = {
    "people": Slider(
        "people",
        "People",
        "How many people who use opioids live in the simulated community.",
        "2,000 keeps the dashboard quick; `hrsim run` uses 10,000 by default",
        200,
        10000,
        100,
    ),
    "seed": Slider(
        "seed",
        "Random seed",
        "Which run of chance you watch; the same seed always gives the same run.",
        _source("run", "seed"),
        1,
        100,
        1,
    ),
    "fentanyl": Slider(
        "fentanyl",
        "Fentanyl in the supply",
        "Share of the street opioid supply that is fentanyl; more fentanyl, more overdoses.",
        _source("supply", "fentanyl_share_by_year"),
        0.0,
        1.0,
        0.05,
        percent=True,
    ),
    "moud_capacity": Slider(
        "moud_capacity",
        "MOUD places",
        "Methadone and buprenorphine treatment places, per person in the community.",
        _source("care", "moud_capacity_fraction"),
        0.0,
        1.0,
        0.05,
        percent=True,
    ),
}


@dataclass(frozen=True)
class Programme:
    """A programme as the sidebar shows it: a switch and the slider for its main parameter."""

    type: str
    title: str
    does: str
    slider: Slider


def _programme(
    type_: str,
    title: str,
    does: str,
    key: str = "coverage_fraction",
    label: str = "Coverage",
    hi: float = 1.0,
    step: float = 0.05,
    lo: float = 0.0,
    percent: bool = True,
) -> Programme:
    unit = str(programme_defaults()[type_][key]["unit"])
    explanation = unit[0].upper() + unit[1:]  # the unit says what the number is a share of
    source = _programme_source(type_, key)
    return Programme(
        type_, title, does, Slider(key, label, explanation, source, lo, hi, step, percent)
    )


PROGRAMMES: dict[str, Programme] = {
    p.type: p
    for p in (
        _programme(
            "syringe_services",
            "Syringe services",
            "Clean syringes: less sharing, more testing, referrals to MOUD.",
        ),
        _programme(
            "supervised_consumption",
            "Supervised consumption site",
            "Staff on hand reverse overdoses of people who inject at the site.",
            key="reach_fraction",
            label="Within reach",
        ),
        _programme(
            "naloxone_distribution",
            "Naloxone distribution",
            "Take-home naloxone kits, passed on to friends, to reverse overdoses.",
        ),
        _programme(
            "peer_network",
            "Peer network",
            "Trained peers spread naloxone and not using alone along their ties.",
            key="peers_fraction",
            label="Trained as peers",
            hi=0.3,
            step=0.01,
        ),
        _programme(
            "peer_navigation",
            "Peer navigation after overdose",
            "A peer meets overdose survivors in the ED and links some of them to MOUD.",
        ),
        _programme(
            "moud_expansion",
            "MOUD expansion",
            "More treatment places, same-day starts and better retention.",
            key="capacity_multiplier",
            label="Treatment places, times today's",
            lo=1.0,
            hi=4.0,
            step=0.1,
            percent=False,
        ),
        _programme(
            "post_release_moud",
            "MOUD at prison release",
            "People leaving prison go straight onto MOUD, when overdose risk peaks.",
        ),
        _programme(
            "fentanyl_test_strips",
            "Fentanyl test strips",
            "Users test their supply and change the dose when fentanyl shows up.",
        ),
        _programme(
            "hiv_hcv_testing_treatment",
            "HIV and HCV test and treat",
            "More frequent testing and faster treatment after a diagnosis.",
        ),
        _programme(
            "prep",
            "PrEP",
            "A daily pill (tenofovir) that lowers the chance of getting HIV.",
        ),
        _programme(
            "contingency_management",
            "Contingency management",
            "Prizes for staying off drugs during the first weeks of recovery.",
        ),
        _programme(
            "diversion",
            "Diversion from arrest",
            "Police send people to detox instead of prison.",
            key="diversion_fraction",
            label="Arrests diverted",
        ),
        _programme(
            "ed_buprenorphine",
            "Buprenorphine in the ED",
            "Emergency departments start buprenorphine after an overdose visit.",
        ),
    )
}
assert tuple(PROGRAMMES) == BUILT_IN, "one dashboard entry per built-in programme, same order"


def scenario_files() -> list[str]:
    """The scenario files a student can pick (the built-in ``scenarios/*.toml``), baseline first.

    They are read from :func:`hrsim.scenario.library`: the repository's ``scenarios/`` in a
    checkout or an editable install, the copy inside the package in an installed wheel.
    """
    return builtin_names()


def pick_scenario(current: Settings, file: object) -> tuple[Settings, str | None]:
    """The settings after the picker sends ``file``, and a note if it was refused.

    Only a name in :func:`scenario_files` is loaded: whatever else a browser sends (a path,
    ``../x.toml``, an absolute path, not a string at all) keeps the current scenario.
    """
    if not isinstance(file, str) or file not in scenario_files():
        shown = repr(file) if len(repr(file)) <= 60 else repr(file)[:57] + "..."
        note = f"{shown} is not one of the listed scenarios; kept {current.scenario_file}"
        return current, note
    return Settings.from_file(file, people=current.people, seed=current.seed), None


def describe(file: str) -> str:
    """The comment at the top of a scenario file, as one paragraph."""
    lines = []
    for line in builtin(file).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        text = line.lstrip("#").strip()
        if text.startswith("hrsim "):  # a usage line, not a description
            continue
        lines.append(text)
    return " ".join(lines)


@dataclass(frozen=True)
class Settings:
    """Everything the sidebar holds. Frozen: a change makes a new ``Settings``."""

    scenario_file: str = DEFAULT_SCENARIO
    people: int = DEFAULT_PEOPLE
    seed: int = 1
    fentanyl_share_by_year: tuple[float, ...] = (0.5,)
    moud_capacity: float = 0.3
    # Programmes switched on: type -> level of the programme's main parameter.
    programmes: tuple[tuple[str, float], ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # Settings never name a file outside the listed scenarios (a browser can send anything).
        if self.scenario_file not in scenario_files():
            known = ", ".join(scenario_files())
            raise ScenarioError(
                f"scenario {self.scenario_file!r} is not a listed scenario; there are: {known}"
            )

    @classmethod
    def from_file(cls, file: str, people: int = DEFAULT_PEOPLE, seed: int = 1) -> Settings:
        """Settings that reproduce a scenario file (at the given population and seed)."""
        scenario = load_scenario(builtin(file))
        return cls(
            scenario_file=file,
            people=people,
            seed=seed,
            fentanyl_share_by_year=tuple(scenario.supply.fentanyl_share_by_year),
            moud_capacity=scenario.care.moud_capacity_fraction,
            programmes=tuple(
                (p.type, float(getattr(p, PROGRAMMES[p.type].slider.key)))
                for p in scenario.interventions
                if p.type in PROGRAMMES
            ),
        )

    def level(self, programme: str) -> float | None:
        """The level of a programme, or None when it is off."""
        return dict(self.programmes).get(programme)

    def with_programme(self, programme: str, level: float | None) -> Settings:
        """These settings with one programme set to ``level`` (None switches it off)."""
        levels = dict(self.programmes)
        if level is None:
            levels.pop(programme, None)
        else:
            levels[programme] = float(level)
        ordered = tuple((t, levels[t]) for t in PROGRAMMES if t in levels)
        return replace(self, programmes=ordered)

    def changes(self, **values: Any) -> Settings:
        """A copy with some fields changed."""
        return replace(self, **values)


#: Settings whose change starts a new run at week 0 (a new community, another chance, another
#: file). Any other change continues the run from the week on screen ("play from here").
RESTART_FIELDS: tuple[str, ...] = ("scenario_file", "people", "seed")


def restarts(old: Settings, new: Settings) -> bool:
    """Whether going from ``old`` to ``new`` needs a new run from week 0."""
    return any(getattr(old, f) != getattr(new, f) for f in RESTART_FIELDS)


def describe_changes(old: Settings, new: Settings) -> list[tuple[str, str, str]]:
    """What differs, as ``(what, before, after)`` in the sidebar's words.

    For example ``("Fentanyl in the supply", "50%", "80%")`` or
    ``("Syringe services", "off", "on, 40%")``.
    """
    out: list[tuple[str, str, str]] = []
    fentanyl = CORE_SLIDERS["fentanyl"]
    if old.fentanyl_share_by_year != new.fentanyl_share_by_year:
        out.append((fentanyl.label, _series(fentanyl, old), _series(fentanyl, new)))
    capacity = CORE_SLIDERS["moud_capacity"]
    if old.moud_capacity != new.moud_capacity:
        out.append(
            (capacity.label, capacity.show(old.moud_capacity), capacity.show(new.moud_capacity))
        )
    for type_, programme in PROGRAMMES.items():
        before, after = old.level(type_), new.level(type_)
        if before != after:
            out.append((programme.title, _level(programme, before), _level(programme, after)))
    return out


def _series(slider: Slider, settings: Settings) -> str:
    return ", then ".join(slider.show(v) for v in settings.fentanyl_share_by_year)


def _level(programme: Programme, level: float | None) -> str:
    return "off" if level is None else f"on, {programme.slider.show(level)}"


def to_scenario(settings: Settings) -> Scenario:
    """The scenario the settings describe, validated (a ``ScenarioError`` names a bad value)."""
    base = load_scenario(builtin(settings.scenario_file))
    data = base.model_dump()
    data["run"].update(people=int(settings.people), seed=int(settings.seed))
    data["supply"]["fentanyl_share_by_year"] = list(settings.fentanyl_share_by_year)
    data["care"]["moud_capacity_fraction"] = float(settings.moud_capacity)
    # A programme the file declares keeps the file's other parameters; one switched on here
    # takes its defaults. Either way its main parameter is the slider's value.
    declared = {spec["type"]: spec for spec in data.get("interventions", ())}
    programmes = []
    for type_, level in settings.programmes:
        spec = dict(declared.get(type_, {"type": type_}))
        spec[PROGRAMMES[type_].slider.key] = level
        programmes.append(spec)
    data["interventions"] = programmes
    return build_scenario(data, origin=f"dashboard ({settings.scenario_file})")


def scenario_toml(settings: Settings) -> str:
    """The scenario as a TOML file that ``hrsim run`` repeats."""
    scenario = to_scenario(settings)
    header = (
        "# Saved from the hrsim dashboard: the scenario arm, fully resolved.\n"
        f"# Started from scenarios/{settings.scenario_file}. Repeat the run with:\n"
        "#   hrsim run THIS_FILE.toml\n"
        "# The dashboard's baseline is this scenario with no [[interventions]].\n\n"
    )
    return header + scenario.to_toml()


__all__ = [
    "CORE_SLIDERS",
    "RESTART_FIELDS",
    "PROGRAMMES",
    "Programme",
    "ScenarioError",
    "Settings",
    "Slider",
    "describe",
    "describe_changes",
    "pick_scenario",
    "restarts",
    "scenario_files",
    "scenario_toml",
    "to_scenario",
]
