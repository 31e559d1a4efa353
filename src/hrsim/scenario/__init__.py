"""The input language: scenarios, their defaults with sources, and readable errors.

What lives here: ``scenario.py`` (the section models, ``Scenario``, loading TOML, overrides and
``--set``), ``paramdocs.py`` (the ODD
parameter tables), ``defaults.toml`` (every default with its unit and source), ``library.py``
(the built-in scenarios: the repository's ``scenarios/``, shipped in the package as ``builtin``).

May import: ``hrsim.errors``, ``hrsim.messages`` and the programmes' registry (to validate each
``[[interventions]]`` table against its programme's parameters); nothing that runs a model.
"""

from hrsim.errors import ScenarioError
from hrsim.scenario.library import builtin, builtin_names, library
from hrsim.scenario.scenario import (
    CareParams,
    CostParams,
    DemographyParams,
    EconomicsParams,
    InfectionParams,
    InjectingParams,
    NetworkParams,
    OverdoseParams,
    PopulationParams,
    RunParams,
    Scenario,
    ToleranceParams,
    build_scenario,
    cost_price_years,
    default_values,
    load_scenario,
    parameter_table,
    parse_set,
    read_toml,
)

__all__ = [
    "CareParams",
    "CostParams",
    "DemographyParams",
    "EconomicsParams",
    "InfectionParams",
    "InjectingParams",
    "NetworkParams",
    "OverdoseParams",
    "PopulationParams",
    "RunParams",
    "Scenario",
    "ScenarioError",
    "ToleranceParams",
    "build_scenario",
    "builtin",
    "builtin_names",
    "cost_price_years",
    "default_values",
    "library",
    "load_scenario",
    "parameter_table",
    "parse_set",
    "read_toml",
]
