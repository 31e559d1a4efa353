"""hrsim: an agent-based simulation of harm reduction for people who use opioids.

Public API::

    from hrsim import HarmReductionModel, Scenario, load_scenario, run
    from hrsim import run_experiment, load_experiment      # sweeps (loaded on first use)

``import hrsim`` never imports the dashboard's dependencies (solara).
"""

from typing import Any

from hrsim.model import HarmReductionModel, Hooks
from hrsim.people import Care, Person
from hrsim.runner import RunResult, run
from hrsim.scenario import Scenario, ScenarioError, load_scenario

__version__ = "0.1.0"

__all__ = [
    "Care",
    "HarmReductionModel",
    "Hooks",
    "Person",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_experiment",
    "load_scenario",
    "run",
    "run_experiment",
]

_LAZY = {"run_experiment": "hrsim.sweep", "load_experiment": "hrsim.store"}


def __getattr__(name: str) -> Any:
    """Sweep functions are imported on first use, so ``import hrsim`` stays light."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hrsim' has no attribute {name!r}")
