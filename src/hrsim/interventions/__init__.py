"""Programmes: harm-reduction interventions as plug-ins, found through a registry.

What lives here: ``base.py`` (``Intervention[P]``, what every programme is), ``params.py``
(``InterventionParams``, the fields every programme's table has), ``registry.py`` (``register``,
``lookup``, ``build_params``, ``create``; built-ins, ``--plugin`` files and entry points),
``plugins.py`` (loading a researcher's file), ``helpers.py`` (what several programmes share),
``defaults.toml`` (every built-in's defaults with unit and source), and one file per programme.

May import: ``hrsim.core``, ``hrsim.errors``, ``hrsim.processes.base``. Programmes act only
through the hooks of the week's context (``hrsim.core.context``), never by importing the model.
"""

from hrsim.errors import InterventionSpecError
from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.registry import (
    BUILT_IN,
    ENTRY_POINT_GROUP,
    build_params,
    create,
    lookup,
    programme_defaults,
    register,
    registered,
)

__all__ = [
    "BUILT_IN",
    "ENTRY_POINT_GROUP",
    "Intervention",
    "InterventionParams",
    "InterventionSpecError",
    "build_params",
    "create",
    "lookup",
    "programme_defaults",
    "register",
    "registered",
]
