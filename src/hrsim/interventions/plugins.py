"""Researchers' own programmes, loaded from their own files without editing hrsim.

A programme is a subclass of ``hrsim.interventions.Intervention`` registered with
``@hrsim.interventions.register``. hrsim finds it in one of three ways:

- ``--plugin my_programme.py`` on the command line (``run``, ``compare``, ``calibrate``,
  ``sensitivity``) or :func:`load_plugin` in a script: the file is imported as the module
  ``my_programme``. Its folder is appended to ``sys.path`` (after everything installed, so it
  shadows nothing), which is also what lets the worker processes of a parallel run import it
  by name when they receive a scenario that uses it;
- an installed package that declares an entry point in the group ``hrsim.interventions``
  (``[project.entry-points."hrsim.interventions"] my_programme = "my_package.module"``): it
  is imported the first time the registry is read, in every process. Use this on a Dask
  cluster, where every worker must be able to import the programme;
- in a script, importing the module that defines the class before building the model.

Every plug-in file loaded is also listed in the environment variable ``HRSIM_PLUGINS``
(paths separated by ``os.pathsep``), which the worker processes of a parallel run inherit:
the registry loads those files when it is first read, so a worker knows the programme even
when nothing it receives names the plug-in's module. Setting ``HRSIM_PLUGINS`` yourself works
the same way (a dashboard, a notebook, a batch job).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

from hrsim.errors import ScenarioError

ENVIRONMENT_VARIABLE = "HRSIM_PLUGINS"


def load_plugin(path: str | Path) -> ModuleType:
    """Import a plug-in file as a module named after the file; errors are one line."""
    file = Path(path)
    where = f"--plugin {file}"
    if file.is_dir():
        raise ScenarioError(f"{where}: is a folder; expected a Python file ending in .py")
    if not file.is_file():
        raise ScenarioError(f"{where}: file not found")
    if file.suffix != ".py":
        raise ScenarioError(f"{where}: expected a Python file ending in .py")
    name = file.stem
    if not name.isidentifier():
        raise ScenarioError(
            f"{where}: '{name}' is not a valid module name (use letters, digits, underscores)"
        )
    resolved = file.resolve()
    existing = sys.modules.get(name)
    if existing is not None:
        if _file_of(existing) == resolved:
            return existing
        raise ScenarioError(
            f"{where}: a module named '{name}' is already imported from "
            f"{_file_of(existing) or 'a built-in'}; rename the plug-in file"
        )
    folder = str(resolved.parent)
    if folder not in sys.path:
        sys.path.append(folder)
    try:
        module = importlib.import_module(name)
    except Exception as exc:  # noqa: BLE001 - any error in the user's file is reported
        raise ScenarioError(f"{where}: {type(exc).__name__}: {exc}") from None
    if _file_of(module) != resolved:
        raise ScenarioError(
            f"{where}: the name '{name}' is taken by an installed module "
            f"({_file_of(module)}); rename the plug-in file"
        )
    listed = os.environ.get(ENVIRONMENT_VARIABLE, "")
    if str(resolved) not in listed.split(os.pathsep):
        os.environ[ENVIRONMENT_VARIABLE] = os.pathsep.join(p for p in (listed, str(resolved)) if p)
    return module


def load_plugins(paths: list[str] | list[Path] | None) -> list[ModuleType]:
    """Load every plug-in file, in order."""
    return [load_plugin(path) for path in paths or []]


def load_listed_plugins() -> None:
    """Load the plug-in files listed in ``HRSIM_PLUGINS`` (worker processes inherit it)."""
    for path in os.environ.get(ENVIRONMENT_VARIABLE, "").split(os.pathsep):
        if path:
            load_plugin(path)


def _file_of(module: ModuleType) -> Path | None:
    file = getattr(module, "__file__", None)
    return Path(file).resolve() if file else None
