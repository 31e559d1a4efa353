"""hrsim: an agent-based simulation of harm reduction for people who use opioids.

Public API::

    from hrsim import HarmReductionModel, Scenario, load_scenario, run
    from hrsim import run_experiment, load_experiment      # sweeps (loaded on first use)

The package is arranged by floor, each folder importing only from the floors below it:
``scenario`` (inputs) -> ``core`` (state) -> ``processes`` and ``interventions`` (dynamics and
programmes) -> ``model.py`` (the week) -> ``runner.py`` (one run) -> ``batch`` (many runs) ->
``analysis`` -> ``reporting`` and ``dashboard`` (pages) -> ``cli.py`` (the command).
``errors.py`` and ``files.py`` serve every floor.

``import hrsim`` never imports the dashboard's dependencies (solara).
"""

import os
import sys
from typing import Any

# pyarrow's bundled jemalloc starts a background thread as soon as pyarrow is loaded (pandas
# loads it), even though its default memory pool here is mimalloc; with that thread a process
# cannot fork workers safely (Python 3.12+ warns). Off unless the user set it, and only if
# pyarrow is not loaded yet: then hrsim.batch.executors may fork workers directly.
if "pyarrow" not in sys.modules:
    os.environ.setdefault("JE_ARROW_MALLOC_CONF", "background_thread:false")
_arrow_thread_off = "pyarrow" not in sys.modules and "background_thread:false" in os.environ.get(
    "JE_ARROW_MALLOC_CONF", ""
)

from hrsim import _compat  # noqa: E402
from hrsim._version import __version__  # noqa: E402
from hrsim.core.agents import Person  # noqa: E402
from hrsim.core.states import Care  # noqa: E402
from hrsim.errors import HrsimError, ScenarioError  # noqa: E402
from hrsim.model import HarmReductionModel, Hooks  # noqa: E402
from hrsim.runner import RunResult, run, run_model  # noqa: E402
from hrsim.scenario import Scenario, load_scenario  # noqa: E402

_compat.install()  # the 0.1 import paths (hrsim.people, hrsim.compare, ...) for one release

__all__ = [
    "Care",
    "HarmReductionModel",
    "Hooks",
    "HrsimError",
    "Person",
    "RunResult",
    "Scenario",
    "ScenarioError",
    "__version__",
    "load_experiment",
    "load_scenario",
    "run",
    "run_experiment",
    "run_model",
]

_LAZY = {"run_experiment": "hrsim.batch.sweep", "load_experiment": "hrsim.batch.store"}


def __getattr__(name: str) -> Any:
    """Sweep functions are imported on first use, so ``import hrsim`` stays light."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'hrsim' has no attribute {name!r}")
