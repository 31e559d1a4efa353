"""The import paths of hrsim 0.1's flat layout, kept for one release with a deprecation warning.

``import hrsim.people`` or ``from hrsim.compare import paired`` in a user's script still works:
a finder on ``sys.meta_path`` answers for each old module with a stand-in that warns once and
forwards every attribute to the modules the names moved to. Nothing of the old layout is left
on disk, so ``ls src/hrsim`` shows only the new floors.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from collections.abc import Sequence
from typing import Any

#: old module -> the modules its names now live in (looked up in this order).
MOVED: dict[str, tuple[str, ...]] = {
    "hrsim.people": ("hrsim.core.people", "hrsim.core.states", "hrsim.core.agents"),
    "hrsim.network": ("hrsim.core.network",),
    "hrsim.results": ("hrsim.core.results",),
    "hrsim.rng": ("hrsim.core.rng",),
    "hrsim.sampling": ("hrsim.core.sampling",),
    "hrsim.paramdocs": ("hrsim.scenario.paramdocs",),
    "hrsim.plugins": ("hrsim.interventions.plugins",),
    "hrsim.executors": ("hrsim.batch.executors", "hrsim.errors"),
    "hrsim.sweep": ("hrsim.batch.sweep", "hrsim.errors"),
    "hrsim.store": ("hrsim.batch.store", "hrsim.errors"),
    "hrsim.compare": ("hrsim.analysis.compare", "hrsim.batch.outcomes", "hrsim.analysis.stats"),
    "hrsim.measures": ("hrsim.analysis.measures",),
    "hrsim.validation": (
        "hrsim.analysis.validation",
        "hrsim.analysis.stats",
        "hrsim.analysis.events",
    ),
    "hrsim.validation_page": ("hrsim.reporting.validation_page",),
    "hrsim.calibration": ("hrsim.analysis.calibration", "hrsim.reporting.calibration_page"),
    "hrsim.sensitivity": ("hrsim.analysis.sensitivity", "hrsim.reporting.sensitivity_page"),
    "hrsim.figures": ("hrsim.reporting.figures",),
    "hrsim.report": ("hrsim.reporting.report",),
    "hrsim.paired_run": ("hrsim.dashboard.paired_run",),
    "hrsim.interventions.spec_error": ("hrsim.errors",),
}

# Frames to skip so the warning points at the user's import line, not at importlib or here.
_SKIP = (__file__, "<frozen importlib")


class _Forward(types.ModuleType):
    """A stand-in for an old module: every attribute comes from where it moved."""

    def __init__(self, name: str, targets: Sequence[str]) -> None:
        super().__init__(name, f"Deprecated: moved to {', '.join(targets)}.")
        self._targets = tuple(targets)

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("__"):
            raise AttributeError(attr)
        for target in self._targets:
            module = importlib.import_module(target)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")

    def __dir__(self) -> list[str]:
        names: set[str] = set()
        for target in self._targets:
            names.update(dir(importlib.import_module(target)))
        return sorted(names)


class _OldPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds and loads the old module names (and only those)."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in MOVED:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _Forward(spec.name, MOVED[spec.name])

    def exec_module(self, module: types.ModuleType) -> None:
        new = MOVED[module.__name__][0]
        warnings.warn(
            f"{module.__name__} is deprecated and will be removed in hrsim 0.3: "
            f"import from {new} instead",
            DeprecationWarning,
            skip_file_prefixes=_SKIP,
        )


def install() -> None:
    """Put the finder for the old paths on ``sys.meta_path`` (once)."""
    if not any(isinstance(finder, _OldPaths) for finder in sys.meta_path):
        sys.meta_path.append(_OldPaths())
