"""The registry of programme types: built-ins, researchers' plug-ins and entry points.

A scenario declares programmes as ``[[interventions]]`` tables with ``type = "..."``; each
built-in programme lives in its own module here and registers itself with ``@register``. A
researcher registers their own class the same way from their own file, without editing hrsim.
Defaults for the built-in programmes, each with a unit and a source, are in
``interventions/defaults.toml``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import import_module, resources
from typing import Any

from pydantic import ValidationError

from hrsim.errors import InterventionSpecError, ScenarioError
from hrsim.interventions.base import Intervention
from hrsim.interventions.params import InterventionParams
from hrsim.interventions.plugins import load_listed_plugins
from hrsim.messages import did_you_mean, kind_of, show, wrong_type

#: Programme keys that moved to the model (issue 15): treatment is costed for everyone treated,
#: in every arm, so the test-and-treat programme pays only for its tests.
MOVED_KEYS: dict[str, str] = {
    "hiv_hcv_testing_treatment.cost_usd_per_art_person_week": (
        "costs.art_usd_per_person_year (ART and HIV care for everyone on ART, in every arm)"
    ),
    "hiv_hcv_testing_treatment.cost_usd_per_daa_course": (
        "costs.daa_usd_per_course (every DAA course started, in every arm)"
    ),
}

_REGISTRY: dict[str, type[Intervention[Any]]] = {}
BUILT_IN = (
    "syringe_services",
    "supervised_consumption",
    "naloxone_distribution",
    "peer_network",
    "peer_navigation",
    "moud_expansion",
    "post_release_moud",
    "fentanyl_test_strips",
    "hiv_hcv_testing_treatment",
    "prep",
    "contingency_management",
    "diversion",
    "ed_buprenorphine",
)


def register[T: type[Intervention[Any]]](cls: T) -> T:
    """Class decorator: make ``cls`` available as ``type = cls.type`` in scenarios."""
    _REGISTRY[cls.type] = cls
    return cls


def registered() -> dict[str, type[Intervention[Any]]]:
    """Every registered programme type (built-ins are imported on first use)."""
    for name in BUILT_IN:
        if name not in _REGISTRY:
            try:
                import_module(f"hrsim.interventions.{name}")
            except ModuleNotFoundError as exc:
                if exc.name != f"hrsim.interventions.{name}":
                    raise
    _load_entry_points()
    return _REGISTRY


#: Installed packages add programmes through entry points in this group (see plugins.py).
ENTRY_POINT_GROUP = "hrsim.interventions"


@cache
def _load_entry_points() -> None:
    """Import installed plug-ins and the files listed in ``HRSIM_PLUGINS``, once.

    An entry point names a module (which registers its classes) or a class.
    """
    from importlib.metadata import entry_points

    try:
        load_listed_plugins()
    except ScenarioError as exc:
        raise InterventionSpecError(f"HRSIM_PLUGINS: {exc}") from None

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plug-in is reported in one line
            raise InterventionSpecError(
                f"plug-in entry point '{ep.name}' ({ep.value}) failed to load: "
                f"{type(exc).__name__}: {exc}"
            ) from None
        if isinstance(loaded, type) and issubclass(loaded, Intervention):
            _REGISTRY.setdefault(loaded.type, loaded)


@cache
def programme_defaults() -> dict[str, dict[str, dict[str, Any]]]:
    """Defaults for built-in programmes: ``{type: {key: {"value", "unit", "source"}}}``."""
    text = resources.files("hrsim.interventions").joinpath("defaults.toml").read_text("utf-8")
    return tomllib.loads(text)


def lookup(type_name: str) -> type[Intervention[Any]]:
    """The class registered as ``type_name``; an unknown name lists the valid ones."""
    types = registered()
    if type_name not in types:
        hint = did_you_mean(str(type_name), sorted(types), label="valid types", always_list=True)
        raise InterventionSpecError(
            f"unknown intervention type {show(type_name)}{hint} "
            "(your own programme? load its file with --plugin FILE.py)"
        )
    return types[type_name]


def build_params(spec: Any, index: int) -> InterventionParams:
    """Validate one ``[[interventions]]`` table on top of its programme's defaults."""
    if isinstance(spec, InterventionParams):
        return spec
    where = f"interventions[{index}]"
    if not isinstance(spec, dict):
        raise InterventionSpecError(
            f"{where} = {show(spec)} is {kind_of(spec)}, "
            "not a table ([[interventions]] with a type)"
        )
    if "type" not in spec:
        raise InterventionSpecError(f"{where}: each intervention needs a 'type'")
    if not isinstance(spec["type"], str):
        hint = did_you_mean("", sorted(registered()), label="valid types", always_list=True)
        raise InterventionSpecError(
            f"{where}: type = {show(spec['type'])} is {kind_of(spec['type'])}, "
            f"not text (a programme's name in quotes){hint}"
        )
    cls = lookup(spec["type"])
    where = f"{where} ({spec['type']})"
    defaults = {k: v["value"] for k, v in programme_defaults().get(cls.type, {}).items()}
    fields = cls.Params.model_fields
    for key in spec:
        moved = MOVED_KEYS.get(f"{cls.type}.{key}")
        if moved is not None and key not in fields:
            raise InterventionSpecError(f"{where}: unknown key {show(key)}; it moved: use {moved}")
        if key not in fields:
            hint = did_you_mean(key, list(fields), label="valid keys", list_valid=True)
            raise InterventionSpecError(f"{where}: unknown key {show(key)}{hint}")
    try:
        return cls.Params.model_validate({**defaults, **spec})
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err["loc"])
        value = err.get("input")
        ctx = err.get("ctx") or {}
        bounds = ", ".join(f"{k} {v}" for k, v in ctx.items() if k in ("ge", "gt", "le", "lt"))
        rng = f" (allowed: {bounds})" if bounds else ""
        if err["type"] == "float_type" and type(value) is int:  # beyond any float
            raise InterventionSpecError(f"{where}: {key} = {show(value)} is out of range") from None
        typed = wrong_type(key, value, err["type"])
        if typed is not None:
            raise InterventionSpecError(f"{where}: {typed}") from None
        raise InterventionSpecError(f"{where}: {key} = {show(value)}: {err['msg']}{rng}") from None


def create(params: InterventionParams) -> Intervention[Any]:
    """A programme instance for validated parameters."""
    return lookup(params.type)(params)
