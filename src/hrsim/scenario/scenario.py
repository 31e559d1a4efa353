"""Scenarios: validated, frozen parameter sets loaded from TOML.

A scenario file names only what it changes; everything else comes from ``defaults.toml``
(package data, one value, unit and source per parameter). Validation is strict: unknown keys
are rejected with the closest valid key, out-of-range values name the field and the range,
and types are strict (``true`` is not a number, ``"5"`` is not a number, ``5.0`` is not a
whole number; a whole number is a number, so ``years = 5`` is fine). Names may not hold
control characters. A file nested deeper than ``MAX_DEPTH`` or with an integer too long for
Python to read is refused. All errors surface as :class:`ScenarioError` with one readable line.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import sys
import tomllib
import unicodedata
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import annotated_types
import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
    model_validator,
)

from hrsim.economics.prices import price_index
from hrsim.errors import InterventionSpecError, ScenarioError
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import build_params
from hrsim.messages import did_you_mean, show, unknown, wrong_type
from hrsim.scenario.library import builtin, builtin_names, is_builtin

Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
Rate = Annotated[float, Field(ge=0.0, le=1000.0)]
Ratio = Annotated[float, Field(ge=0.0, le=1000.0)]
PositiveWeeks = Annotated[float, Field(ge=0.5, le=5200.0)]


class _Section(BaseModel):
    # strict: no coercion (a boolean or a string is not a number; pydantic still takes an
    # int for a float, and a dict for a section).
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


#: Longest run name: it is printed, stored and (made safe) becomes part of file names.
MAX_NAME_CHARS = 200


def check_name(value: str) -> str:
    """A name a user gives (``run.name``): no control characters (NUL, newline, tab, ...).

    A control character breaks the one-line messages and logs the name appears in, and a NUL
    cannot be part of a file name, which used to fail only once a whole run was done.
    """
    for position, char in enumerate(value):
        if unicodedata.category(char) == "Cc":
            raise ValueError(
                f"{show(value)} holds a control character (U+{ord(char):04X}) at position "
                f"{position}; use letters, digits, spaces and punctuation"
            )
    return value


class RunParams(_Section):
    """What to run: size, horizon and seed."""

    name: Annotated[str, Field(max_length=MAX_NAME_CHARS)]
    people: Annotated[int, Field(ge=10, le=20_000_000)]
    years: Annotated[float, Field(gt=0.0, le=100.0)]
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)]
    # Issue 13 (a population that moves): years simulated before week 0, not reported.
    burn_in_years: Annotated[float, Field(ge=0.0, le=100.0)]

    @field_validator("name")
    @classmethod
    def _plain_name(cls, value: str) -> str:
        return check_name(value)


class PopulationParams(_Section):
    """Initial shares and characteristics of the population."""

    mean_age_years: Annotated[float, Field(ge=18.0, le=80.0)]
    sd_age_years: Annotated[float, Field(ge=0.0, le=30.0)]
    male_fraction: Fraction
    inject_fraction: Fraction
    heavy_use_fraction: Fraction
    housing_unstable_fraction: Fraction
    prison_history_fraction: Fraction
    moud_fraction: Fraction
    methadone_share_of_moud: Fraction
    recovery_fraction: Fraction
    detox_fraction: Fraction
    prison_fraction: Fraction
    hiv_prevalence_inject: Fraction
    hiv_prevalence_noninject: Fraction
    hcv_prevalence_inject: Fraction
    hcv_prevalence_noninject: Fraction
    hcv_viraemic_prevalence_inject: Fraction
    hiv_diagnosed_fraction: Fraction
    hiv_in_care_fraction_of_diagnosed: Fraction
    hiv_suppressed_fraction_of_in_care: Fraction
    initial_infection_or_heavy_use: Annotated[float, Field(gt=0.0, le=100.0)]
    initial_infection_or_sharing: Annotated[float, Field(gt=0.0, le=100.0)]
    naloxone_carrier_fraction: Fraction
    uses_alone_probability: Fraction

    @model_validator(mode="after")
    def _shares_fit(self) -> PopulationParams:
        total = self.moud_fraction + self.recovery_fraction + self.detox_fraction
        total += self.prison_fraction
        if total > 1.0:
            raise ValueError(
                f"initial shares moud_fraction + recovery_fraction + detox_fraction + "
                f"prison_fraction add up to {total:.3f}; they must not exceed 1"
            )
        if self.hcv_viraemic_prevalence_inject > self.hcv_prevalence_inject:
            raise ValueError(
                f"hcv_viraemic_prevalence_inject ({self.hcv_viraemic_prevalence_inject}) exceeds "
                f"hcv_prevalence_inject ({self.hcv_prevalence_inject}, antibody): viraemic "
                "people are antibody-positive"
            )
        return self


class DemographyParams(_Section):
    """Entry and exit: background mortality, ageing out, sustained recovery, new initiates."""

    # Issue 13: other-cause death from the US life table times an excess (SMR).
    other_cause_smr: Annotated[float, Field(ge=0.0, le=100.0)]
    # MOUD as treatment (issue 12): non-overdose death rate on MOUD vs off, a rate ratio.
    moud_other_death_rr: Annotated[float, Field(ge=0.0, le=10.0)]
    hiv_untreated_extra_death_rate_per_year: Rate
    age_out_years: Annotated[float, Field(ge=19.0, le=120.0)]
    sustained_recovery_exit_weeks: Annotated[int, Field(ge=1, le=5200)]
    entrant_mean_age_years: Annotated[float, Field(ge=18.0, le=80.0)]
    entrant_sd_age_years: Annotated[float, Field(ge=0.0, le=30.0)]
    entrant_inject_fraction: Fraction
    entrant_heavy_use_fraction: Fraction
    # Issue 13: initiation as incidence (per 1,000 of the initial population a year, by
    # year) and the rows allocated per initial person.
    initiation_per_1000_by_year: Annotated[
        list[Annotated[float, Field(ge=0.0, le=10_000.0)]], Field(min_length=1, max_length=200)
    ]
    row_headroom: Annotated[float, Field(ge=1.0, le=20.0)]


class NetworkParams(_Section):
    """The three tie layers (injecting, social, sexual) and how they turn over."""

    injecting_degree_shape: Annotated[float, Field(gt=0.0, le=100.0)]
    injecting_degree_scale: Annotated[float, Field(ge=0.0, le=100.0)]
    injecting_tie_mean_weeks: PositiveWeeks
    social_mean_degree: Annotated[float, Field(ge=0.0, le=100.0)]
    social_tie_mean_weeks: PositiveWeeks
    sexual_mean_degree: Annotated[float, Field(ge=0.0, le=20.0)]
    sexual_tie_mean_weeks: PositiveWeeks
    community_size: Annotated[int, Field(ge=2, le=100_000)]
    local_tie_fraction: Fraction
    recovery_homophily_fraction: Fraction
    mixed_tie_dissolution_multiplier: Annotated[float, Field(ge=0.0, le=100.0)]
    tie_formation_probability_per_week: Fraction


class CareParams(_Section):
    """The care cascade: detox, relapse, MOUD, jail and prison."""

    @model_validator(mode="after")
    def _withdrawal_within_programme(self) -> CareParams:
        if self.detox_withdrawal_weeks > self.detox_programme_weeks:
            raise ValueError(
                f"detox_withdrawal_weeks ({self.detox_withdrawal_weeks}) exceeds "
                f"detox_programme_weeks ({self.detox_programme_weeks})"
            )
        return self

    detox_entry_rate_per_year: Rate
    # Detox as a programme (issue 13): set length, early self-discharge by phase.
    detox_programme_weeks: Annotated[int, Field(ge=1, le=52)]
    detox_withdrawal_weeks: Annotated[int, Field(ge=1, le=52)]
    detox_self_discharge_probability_withdrawal: Annotated[float, Field(ge=0.0, lt=1.0)]
    detox_self_discharge_probability_after: Annotated[float, Field(ge=0.0, lt=1.0)]
    detox_to_moud_fraction: Fraction
    aftercare_fraction: Fraction
    aftercare_relapse_hazard_ratio: Ratio
    relapse_first_week_probability: Annotated[float, Field(ge=0.0, lt=1.0)]
    relapse_hazard_decay_exponent: Annotated[float, Field(ge=0.0, le=10.0)]
    relapse_late_rate_per_year: Rate
    relapse_hr_per_decade_younger: Ratio
    relapse_hr_heavy_use: Ratio
    relapse_hr_injecting: Ratio
    relapse_hr_all_contacts_using: Ratio
    spontaneous_remission_rate_per_year: Rate
    moud_initiation_rate_per_year: Rate
    moud_capacity_fraction: Fraction
    methadone_share_of_starts: Fraction
    buprenorphine_retention_12_months: Annotated[float, Field(gt=0.0, le=1.0)]
    methadone_retention_12_months: Annotated[float, Field(gt=0.0, le=1.0)]
    moud_early_hazard_ratio_weeks_1_4: Ratio
    moud_mid_hazard_ratio_weeks_5_26: Ratio
    moud_discontinuation_hazard_ratio: Ratio
    moud_exit_to_recovery_fraction: Fraction
    overdose_referral_to_moud_probability: Fraction
    arrest_rate_per_year: Rate
    arrest_hr_housing_unstable: Ratio
    arrest_hr_prison_history: Ratio
    arrest_hr_on_moud: Ratio
    # Custody (issue 13): arrest goes to jail; a share of jail stays end in prison.
    jail_mean_weeks: Annotated[float, Field(ge=1.0, le=520.0)]
    jail_to_prison_fraction: Fraction
    prison_mean_weeks: Annotated[float, Field(ge=1.0, le=5200.0)]
    post_release_moud_fraction: Fraction
    # MOUD as treatment (issue 12): the waiting list and custody.
    moud_waitlist_leave_rate_per_year: Rate
    custody_moud_continuation_fraction: Fraction


class ToleranceParams(_Section):
    """Opioid tolerance: lost while not using, regained with use."""

    regain_fraction_per_week: Fraction
    loss_half_life_weeks: Annotated[float, Field(gt=0.0, le=520.0)]


class OverdoseParams(_Section):
    """Overdose hazard, witnessing, naloxone and fatality."""

    base_rate_per_year: Rate
    injecting_rr: Ratio
    heavy_use_rr: Ratio
    potency_exponent: Annotated[float, Field(ge=0.0, le=20.0)]
    min_effective_tolerance: Annotated[float, Field(gt=0.0, le=1.0)]
    stimulant_rr: Ratio
    lapse_probability_per_week: Fraction
    recent_overdose_rr: Ratio
    recent_overdose_window_weeks: Annotated[int, Field(ge=0, le=5200)]
    methadone_rate_ratio: Ratio
    buprenorphine_rate_ratio: Ratio
    methadone_induction_rr: Ratio
    buprenorphine_induction_rr: Ratio
    moud_exit_rr_weeks_1_2: Ratio
    moud_exit_rr_weeks_3_4: Ratio
    neighbour_present_probability: Fraction
    naloxone_reversal_probability: Fraction
    fatal_probability_alone: Fraction
    fatal_probability_witnessed: Fraction


class SupplyParams(_Section):
    """The drug supply by year (fentanyl, xylazine) and stimulant co-use."""

    fentanyl_share_by_year: Annotated[list[Fraction], Field(min_length=1, max_length=200)]
    fentanyl_potency_ratio: Annotated[float, Field(gt=0.0, le=1000.0)]
    xylazine_share_by_year: Annotated[list[Fraction], Field(min_length=1, max_length=200)]
    stimulant_prevalence: Annotated[float, Field(ge=0.0, lt=1.0)]
    stimulant_episode_mean_weeks: Annotated[float, Field(ge=1.0, le=5200.0)]


class ResponseParams(_Section):
    """Who is there and what happens next (issue 13, processes/overdose_response.py).

    Company that can respond, the kit at hand, calling EMS (with Good Samaritan protection),
    EMS in time and its naloxone, xylazine, the emergency department, and the turnover of kits
    nobody's programme gave (baseline carriers').
    """

    bystander_able_probability: Fraction
    kit_at_hand_probability: Fraction
    ems_call_probability: Fraction
    ems_call_probability_protected: Fraction
    good_samaritan_protection: Fraction
    ems_in_time_probability: Fraction
    ems_reversal_probability: Fraction
    xylazine_reversal_factor: Fraction
    ed_transport_probability_ems: Fraction
    ed_taken_probability: Fraction
    ed_buprenorphine_probability: Fraction
    kit_loss_probability_per_week: Fraction
    kit_shelf_life_weeks: Annotated[int, Field(ge=1, le=5200)]
    kit_reacquire_probability_per_week: Fraction


class InfectionParams(_Section):
    """HIV and HCV transmission by exposure, natural history, and the care cascades."""

    hiv_per_shared_injection: Fraction
    hcv_per_shared_injection: Fraction
    hcv_per_shared_equipment: Fraction
    hiv_per_sex_act: Fraction
    sex_acts_per_partner_per_week: Annotated[float, Field(ge=0.0, le=100.0)]
    hiv_acute_weeks: Annotated[int, Field(ge=0, le=520)]
    hiv_acute_infectiousness_rr: Annotated[float, Field(ge=1.0, le=100.0)]
    hiv_suppressed_sexual_rr: Fraction
    hiv_suppressed_injecting_rr: Fraction
    hiv_testing_rate_per_year: Rate
    hiv_linkage_probability: Fraction
    hiv_art_start_rate_per_year: Rate
    hiv_weeks_to_suppression: Annotated[int, Field(ge=0, le=520)]
    hiv_art_dropout_rate_per_year: Rate
    hiv_reengagement_rate_per_year: Rate
    hiv_suppressed_extra_death_rate_per_year: Rate
    hcv_spontaneous_clearance_fraction: Fraction
    hcv_acute_weeks: Annotated[int, Field(ge=1, le=520)]
    hcv_testing_rate_per_year: Rate
    hcv_rna_confirmation_probability: Fraction
    hcv_treatment_start_rate_per_year: Rate
    hcv_treatment_weeks: Annotated[int, Field(ge=1, le=520)]
    hcv_daa_nonviraemic_from_week: Annotated[int, Field(ge=1, le=520)]
    hcv_treatment_completion_probability: Fraction
    hcv_cure_probability: Fraction

    @model_validator(mode="after")
    def _cure_within_completion(self) -> InfectionParams:
        if self.hcv_cure_probability > self.hcv_treatment_completion_probability:
            raise ValueError(
                f"hcv_cure_probability ({self.hcv_cure_probability}) exceeds "
                f"hcv_treatment_completion_probability "
                f"({self.hcv_treatment_completion_probability}): both are per course started, "
                "and only a completed course cures"
            )
        return self


class InjectingParams(_Section):
    """Route of use over time, injection frequency, sharing episodes, syringe coverage."""

    noninjecting_smoking_fraction: Fraction
    initial_former_injector_fraction: Fraction
    start_injecting_rate_per_year: Rate
    injecting_cessation_rate_per_year: Rate
    moud_cessation_hazard_ratio: Ratio
    injecting_to_smoking_rate_per_year: Rate
    return_to_injecting_rate_per_year: Rate
    daily_injector_fraction: Fraction
    daily_injections_per_day_mean: Annotated[float, Field(gt=1.0, le=50.0)]
    daily_injections_per_day_sd: Annotated[float, Field(gt=0.0, le=50.0)]
    nondaily_injections_per_week_min: Annotated[float, Field(gt=0.0, le=7.0)]
    sharing_episode_mean_weeks: Annotated[float, Field(ge=1.0, le=5200.0)]
    sharing_episode_start_probability_per_week: Fraction
    episode_shared_injection_fraction: Fraction
    equipment_episode_mean_weeks: Annotated[float, Field(ge=1.0, le=5200.0)]
    equipment_episode_start_probability_per_week: Fraction
    equipment_shared_injection_fraction: Fraction
    baseline_syringe_coverage: Fraction
    buprenorphine_injecting_probability_per_week: Fraction
    methadone_injecting_probability_per_week: Fraction
    moud_injection_frequency_rr: Fraction
    moud_sharing_rr: Fraction


Usd = Annotated[float, Field(ge=0.0, le=1e7)]


class CostParams(_Section):
    """Unit costs the model counts outside programmes, each in its own price year's US dollars.

    Every default carries a ``price_year`` next to its value (the year of its source's dollars,
    ``cost_price_years``); costs are converted to ``economics.price_year`` by the CPI-U Medical
    Care index (``hrsim.economics.prices``). A value set in a scenario is read in the same
    year's dollars as the default it replaces. Treatment is costed for everyone treated, in
    every arm (not only programme clients).
    """

    # Treatment (health sector): MOUD, detox, ART and HIV care, DAA.
    methadone_usd_per_person_year: Usd
    buprenorphine_usd_per_person_year: Usd
    detox_usd_per_person_week: Usd
    art_usd_per_person_year: Usd
    daa_usd_per_course: Usd
    # Chronic care (health sector): HIV care before ART, chronic HCV and liver care.
    hiv_care_usd_per_person_year: Usd
    hcv_care_usd_per_person_year: Usd
    # Acute care of overdoses (health sector).
    ems_usd_per_call: Usd
    ed_visit_usd: Usd
    hospital_admission_usd: Usd
    ed_visit_admission_fraction: Fraction
    # Societal perspective only: custody, arrests, lost productivity.
    jail_usd_per_person_week: Usd
    prison_usd_per_person_week: Usd
    arrest_usd: Usd
    productivity_loss_usd_per_person_year_using: Usd
    productivity_loss_usd_per_person_year_custody: Usd

    @staticmethod
    def price_years() -> dict[str, int]:
        """The price year of every cost in dollars (metadata of the defaults, not settable)."""
        return cost_price_years()


def _check_price_year(year: int) -> int:
    """A price year must be in the price index table (one line naming the years there are)."""
    price_index(year)  # raises PriceYearError, a ValueError pydantic reports with the field
    return year


class EconomicsParams(_Section):
    """Health economics: discounting, perspective, price year, horizon, utilities, tail mortality.

    See ``hrsim.economics`` and docs/economics.md. Utilities are weights between 0 (dead) and 1
    (full health) for each care state, multiplied by the weights for HIV, chronic HCV and the
    weeks after a non-fatal overdose. The tail (``horizon = "lifetime"``) holds each survivor's
    end state for life, with the life table x ``demography.other_cause_smr`` and an excess
    overdose death rate by state.
    """

    discount_rate: Annotated[float, Field(ge=0.0, le=0.2)]
    perspective: Literal["health_sector", "societal"]
    price_year: Annotated[int, Field(ge=1900, le=2100)]
    currency: Literal["USD"]
    horizon: Literal["lifetime", "run"]
    utility_active: Fraction
    utility_detox: Fraction
    utility_methadone: Fraction
    utility_buprenorphine: Fraction
    utility_recovery: Fraction
    utility_prison: Fraction
    utility_jail: Fraction
    utility_multiplier_hiv_unsuppressed: Fraction
    utility_multiplier_hiv_suppressed: Fraction
    utility_multiplier_hcv_viraemic: Fraction
    post_overdose_weeks: Annotated[int, Field(ge=0, le=520)]
    utility_multiplier_post_overdose: Fraction
    tail_overdose_death_rate_per_year_using: Rate
    tail_overdose_death_rate_per_year_methadone: Rate
    tail_overdose_death_rate_per_year_buprenorphine: Rate
    tail_overdose_death_rate_per_year_recovery: Rate

    @field_validator("price_year")
    @classmethod
    def _known_price_year(cls, value: int) -> int:
        return _check_price_year(value)


class Scenario(_Section):
    """A complete, validated parameter set. Build with :func:`load_scenario` or :meth:`default`.

    ``interventions`` holds the programmes (``[[interventions]]`` tables in TOML), each
    validated by its registered class (see ``hrsim.interventions``).
    """

    run: RunParams
    population: PopulationParams
    demography: DemographyParams
    network: NetworkParams
    care: CareParams
    tolerance: ToleranceParams
    overdose: OverdoseParams
    supply: SupplyParams
    response: ResponseParams
    infection: InfectionParams
    injecting: InjectingParams
    costs: CostParams
    economics: EconomicsParams
    interventions: tuple[SerializeAsAny[InterventionParams], ...] = ()

    @field_validator("interventions", mode="before")
    @classmethod
    def _programmes(cls, value: Any) -> tuple[InterventionParams, ...]:
        if not isinstance(value, list | tuple):
            raise InterventionSpecError("interventions must be a list of [[interventions]] tables")
        specs = tuple(build_params(spec, i) for i, spec in enumerate(value))
        types = [s.type for s in specs]
        for t in types:
            if types.count(t) > 1:
                raise InterventionSpecError(f"interventions: '{t}' is declared more than once")
        return specs

    @property
    def weeks(self) -> int:
        """Number of weekly steps in the run."""
        return max(1, round(self.run.years * 52))

    @classmethod
    def default(cls) -> Scenario:
        """The embedded default scenario (the baseline)."""
        return build_scenario({})

    def with_overrides(self, overrides: dict[str, Any]) -> Scenario:
        """A copy with dotted-key overrides applied and validated (``{"care.x": 1.0}``)."""
        data = self.model_dump()
        for key, value in overrides.items():
            _set_dotted(data, key, value)
        return _validate(data, origin="override")

    def hash(self) -> str:
        """A stable hash of every parameter value (16 hex digits)."""
        canonical = json.dumps(self.model_dump(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def to_toml(self) -> str:
        """The fully resolved scenario as TOML; loading it gives the same scenario."""
        # A programme's unset price_year (None) has no TOML form: it is left out, and loading
        # the file gives None again.
        return tomli_w.dumps(self.model_dump(exclude_none=True))

    def fentanyl_share(self, week: int) -> float:
        """Share of doses with fentanyl in a given week (by year, last value carried on).

        Burn-in weeks (before week 0) take year 0.
        """
        series = self.supply.fentanyl_share_by_year
        return series[min(max(week, 0) // 52, len(series) - 1)]

    def xylazine_share(self, week: int) -> float:
        """Share of doses with fentanyl that also contain xylazine in a given week."""
        series = self.supply.xylazine_share_by_year
        return series[min(max(week, 0) // 52, len(series) - 1)]


# ---------------------------------------------------------------------------------------------
# Defaults and loading


@cache
def parameter_table() -> dict[str, dict[str, dict[str, Any]]]:
    """Every default parameter: ``{section: {key: {"value", "unit", "source"}}}``."""
    text = resources.files("hrsim.scenario").joinpath("defaults.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def cost_price_years() -> dict[str, int]:
    """The price year (year of the source's dollars) of every ``[costs]`` default in dollars."""
    return {
        key: int(entry["price_year"])
        for key, entry in parameter_table()["costs"].items()
        if "price_year" in entry
    }


def default_values() -> dict[str, dict[str, Any]]:
    """The default value of every parameter, nested by section."""
    return {
        section: {key: entry["value"] for key, entry in params.items()}
        for section, params in parameter_table().items()
    }


def build_scenario(data: dict[str, Any], origin: str = "scenario") -> Scenario:
    """Validate ``data`` (nested by section, any subset of keys) on top of the defaults."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{origin}: expected a table of sections, got {type(data).__name__}")
    merged: dict[str, Any] = default_values()
    for section, params in data.items():
        if section == "interventions":
            merged["interventions"] = params
            continue
        if section not in merged:
            raise ScenarioError(unknown(origin, section, [*merged, "interventions"]))
        if not isinstance(params, dict):
            raise ScenarioError(f"{origin}: [{section}] must be a table of parameters")
        for key, value in params.items():
            if key not in merged[section]:
                raise ScenarioError(_unknown_key(origin, f"{section}.{key}"))
            merged[section][key] = list(value) if isinstance(value, tuple) else value
    return _validate(merged, origin)


#: Deepest nesting of arrays and tables a scenario, sweep or targets file may have. The
#: deepest real one has 4 levels; Python's TOML parser runs out of stack near 500.
MAX_DEPTH = 32


def read_toml(
    path: str | Path, what: str = "scenario file", error: type[ScenarioError] = ScenarioError
) -> dict[str, Any]:
    """Read a TOML file into a dict; a missing, unreadable or malformed file is one line."""
    file = Path(path)
    if file.is_dir():
        raise error(f"{what} {file} is a directory, not a file{_toml_inside(file)}")
    if not file.is_file():
        raise error(f"{what} not found: {file}")
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{file}: malformed TOML: not valid UTF-8 (byte {exc.start})") from None
    except OSError as exc:
        raise error(f"{file}: cannot read: {exc.strerror}") from None
    return parse_toml(text, str(file), error)


def parse_toml(text: str, where: str, error: type[ScenarioError] = ScenarioError) -> dict[str, Any]:
    """Parse TOML ``text``; malformed, too deeply nested or too long numbers are one line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{where}: malformed TOML: {exc}") from None
    except ValueError:  # int() refusing an integer of more than sys.get_int_max_str_digits()
        raise error(f"{where}: malformed TOML: {_too_many_digits()}") from None
    except RecursionError:
        raise error(f"{where}: {_too_deep()}") from None
    if _depth(data) > MAX_DEPTH:
        raise error(f"{where}: {_too_deep()}")
    return data


def _too_many_digits() -> str:
    return (
        f"a whole number has more than {sys.get_int_max_str_digits()} digits "
        "(no parameter takes more than 19)"
    )


def _too_deep() -> str:
    return f"arrays or tables are nested more than {MAX_DEPTH} levels deep"


def _depth(value: Any) -> int:
    """How deeply lists and tables nest in ``value`` (a scalar is 0), counted up to past the limit.

    Iterative, so a deep value cannot exhaust the stack here either.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = list(item.values())
        elif isinstance(item, list | tuple):
            children = list(item)
        else:
            continue
        deepest = max(deepest, level + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _toml_inside(folder: Path) -> str:
    """``"; did you mean DIR/x.toml?"`` for a folder given where a file belongs."""
    try:
        found = sorted(p for p in folder.glob("*.toml") if p.is_file())
    except OSError:
        return ""
    if not found:
        return " (it holds no .toml file)"
    others = f" ({len(found) - 1} more .toml file{'s' * (len(found) > 2)} there)"
    return f"; did you mean {found[0]}?" + (others if len(found) > 1 else "")


def load_scenario(
    path: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> Scenario:
    """Load a scenario TOML file (or the default when ``path`` is None) and apply overrides.

    A bare name that is not a file (``full_package``) names a built-in scenario, so an
    installed hrsim, which has no checkout, runs them too.
    """
    if path is None:
        scenario = Scenario.default()
    elif not Path(path).exists() and Path(path).name == str(path):
        name = str(path)
        if not is_builtin(name):
            names = [n.removesuffix(".toml") for n in builtin_names()]
            hint = did_you_mean(name.removesuffix(".toml"), names, label="built-in scenarios")
            raise ScenarioError(
                f"scenario file not found: {name}{hint or '; built-in: ' + ', '.join(names)}"
            )
        scenario = build_scenario(read_toml(builtin(name)), origin=name)
    else:
        scenario = build_scenario(read_toml(path), origin=str(Path(path)))
    return scenario.with_overrides(overrides) if overrides else scenario


def parse_set(assignments: list[str]) -> dict[str, Any]:
    """Parse ``--set dotted.key=value`` strings; values are TOML literals or bare text."""
    overrides: dict[str, Any] = {}
    for item in assignments:
        key, sep, raw = item.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key or not raw:
            raise ScenarioError(f"bad --set {item!r}: expected section.key=value")
        if key.count(".") != 1 and not (key.startswith("interventions.") and key.count(".") == 2):
            raise ScenarioError(
                f"bad --set {item!r}: the key must be section.key (e.g. care.aftercare_fraction)"
                " or interventions.<type>.<key>"
            )
        try:
            value = tomllib.loads(f"v = {raw}")["v"]
        except tomllib.TOMLDecodeError:
            value = raw  # bare text, e.g. run.name=county
        except ValueError:  # int() refusing a very long integer
            raise ScenarioError(f"bad --set {key}={show(raw)}: {_too_many_digits()}") from None
        except RecursionError:
            raise ScenarioError(f"bad --set {key}={show(raw)}: {_too_deep()}") from None
        if _depth(value) > MAX_DEPTH:
            raise ScenarioError(f"bad --set {key}={show(raw)}: {_too_deep()}")
        overrides[key] = value
    return overrides


#: Keys that moved to another section: an old scenario file gets a pointer to the new key.
MOVED_KEYS: dict[str, str] = {
    "overdose.fentanyl_share_by_year": (
        "supply.fentanyl_share_by_year (the share of doses with fentanyl; the old default was "
        "a share of deaths, an outcome)"
    ),
    "overdose.fentanyl_rr_full_share": (
        "supply.fentanyl_potency_ratio with overdose.potency_exponent (risk by potency "
        "relative to tolerance)"
    ),
    "overdose.low_tolerance_rr": (
        "overdose.min_effective_tolerance with overdose.potency_exponent (risk by potency "
        "relative to tolerance)"
    ),
}


def _unknown_key(origin: str, key: str) -> str:
    """``unknown key`` with a did-you-mean hint, or where the key moved to."""
    moved = MOVED_KEYS.get(key)
    if moved is not None:
        return f"{origin}: unknown key '{key}'; it moved: use {moved}"
    return unknown(origin, key, _all_dotted_keys())


def _all_dotted_keys() -> list[str]:
    return [f"{s}.{k}" for s, params in parameter_table().items() for k in params]


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    if key.startswith("interventions."):
        _set_programme(data, key, value)
        return
    section, _, name = key.partition(".")
    if section not in data or not name or name not in data[section]:
        raise ScenarioError(_unknown_key("override", key))
    data[section] = copy.copy(data[section])
    data[section][name] = list(value) if isinstance(value, tuple) else value  # lists are strict


def _set_programme(data: dict[str, Any], key: str, value: Any) -> None:
    """``interventions.<type>.<key>``: change a parameter of the scenario's programme."""
    parts = key.split(".")
    if len(parts) != 3:
        raise ScenarioError(f"override: '{key}' must be interventions.<type>.<key>")
    _, type_name, name = parts
    programmes = [dict(p) for p in data.get("interventions", ())]
    for programme in programmes:
        if programme["type"] == type_name:
            programme[name] = value
            data["interventions"] = programmes
            return
    present = ", ".join(p["type"] for p in programmes) or "none"
    raise ScenarioError(
        f"override: '{key}': this scenario has no '{type_name}' programme (it has: {present})"
    )


def _validate(data: dict[str, Any], origin: str) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_describe(exc, data, origin)) from None
    except InterventionSpecError as exc:
        raise ScenarioError(f"{origin}: {exc}") from None


def _describe(exc: ValidationError, data: dict[str, Any], origin: str) -> str:
    err = exc.errors()[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join(p for p in loc if not p.isdigit())
    if err["type"] == "extra_forbidden":
        return _unknown_key(origin, key)
    value = err.get("input")
    where = f"{key}[{loc[2]}]" if len(loc) > 2 else key
    too_big = err["type"] == "float_type" and type(value) is int  # beyond any float
    bound = err["type"] in {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
    if too_big or bound:
        allowed = _range_text(loc[0], loc[1]) if len(loc) >= 2 else "?"
        unit = parameter_table().get(loc[0], {}).get(loc[1], {}).get("unit", "")
        return f"{origin}: {where} = {show(value)} is out of range: allowed {allowed}" + (
            f" ({unit})" if unit else ""
        )
    if err["type"] == "value_error":  # a rule across fields, e.g. initial shares
        return f"{origin}: {key}: {err['msg'].removeprefix('Value error, ')}"
    if err["type"] == "string_too_long":
        most = (err.get("ctx") or {}).get("max_length", "?")
        return f"{origin}: {key} = {show(value)} is too long: at most {most} characters"
    typed = wrong_type(where, value, err["type"])
    if typed is not None:
        return f"{origin}: {typed}"
    return f"{origin}: {where} = {show(value)}: {err['msg']}"


def _range_text(section: str, name: str) -> str:
    """The allowed range of a field, e.g. ``0 to 1`` or ``more than 0, up to 100``."""
    section_field = Scenario.model_fields.get(section)
    annotation = section_field.annotation if section_field is not None else None
    field = getattr(annotation, "model_fields", {}).get(name)
    if field is None:
        return "?"
    metadata = list(field.metadata)
    for arg in getattr(field.annotation, "__args__", ()):  # list[Fraction]: the item type
        for meta in getattr(arg, "__metadata__", ()):
            metadata += [meta, *getattr(meta, "metadata", [])]
    lo = hi = "?"
    lo_strict = hi_strict = False
    for meta in metadata:
        if isinstance(meta, annotated_types.Ge):
            lo = _fmt(meta.ge)  # type: ignore[arg-type]
        elif isinstance(meta, annotated_types.Gt):
            lo, lo_strict = _fmt(meta.gt), True  # type: ignore[arg-type]
        if isinstance(meta, annotated_types.Le):
            hi = _fmt(meta.le)  # type: ignore[arg-type]
        elif isinstance(meta, annotated_types.Lt):
            hi, hi_strict = _fmt(meta.lt), True  # type: ignore[arg-type]
    if not lo_strict and not hi_strict:
        return f"{lo} to {hi}"
    low = f"more than {lo}" if lo_strict else f"at least {lo}"
    high = f"less than {hi}" if hi_strict else f"up to {hi}"
    return f"{low}, {high}"


def _fmt(x: float) -> str:
    if isinstance(x, float) and math.isfinite(x) and x == int(x) and abs(x) < 1e15:
        return str(int(x))
    return str(x)
