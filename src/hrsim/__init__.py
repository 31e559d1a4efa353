"""hrsim: an agent-based simulation of harm reduction for people who use opioids.

Public API::

    from hrsim import HarmReductionModel, Scenario, load_scenario, run

``import hrsim`` never imports the dashboard's dependencies (solara).
"""

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
    "load_scenario",
    "run",
]
