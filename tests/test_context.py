"""WeekContext: what a week's processes and programmes may touch, checked by mypy and at run time.

Mesa ships no type information, so for mypy's default run ``mesa.Model`` is ``Any`` and a
class built on it satisfies every protocol. The static checks here therefore run mypy with
Mesa followed (``--follow-untyped-imports``), which makes the model's conformance a real check.
"""

from __future__ import annotations

import textwrap
import typing
from pathlib import Path

import numpy as np
import pytest

from hrsim import HarmReductionModel
from hrsim.core import context
from hrsim.core.context import WeekContext
from hrsim.core.hooks import Hooks
from hrsim.core.kits import NaloxoneKits
from hrsim.core.network import ContactNetwork
from hrsim.core.people import People, WeekView
from hrsim.core.results import EventLog, ProgrammeOutputs, Timeseries
from hrsim.core.rng import Streams
from hrsim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]

PLUGIN = textwrap.dedent(
    '''
    """Two programmes typed against the week's context, and the model's conformance."""
    from __future__ import annotations

    from hrsim.core.context import WeekContext
    from hrsim.interventions import Intervention, InterventionParams
    from hrsim.model import HarmReductionModel


    class ShareParams(InterventionParams):
        share: float = 0.5


    class Polite(Intervention[ShareParams]):
        """Acts through a per-person hook: nothing to report."""

        type = "polite"
        Params = ShareParams

        def step(self, model: WeekContext) -> None:
            model.people.alone_multiplier[self.clients] *= 1.0 - self.params.share
            model.hooks.naloxone_reversal_probability = self.params.share


    class Greedy(Intervention[ShareParams]):
        """Reaches past the hooks: into the list of programmes, and the clock."""

        type = "greedy"
        Params = ShareParams

        def step(self, model: WeekContext) -> None:
            for other in model.interventions:
                other.leave(model, self.clients)
            model.week += 1


    def conforms(model: HarmReductionModel) -> WeekContext:
        return model
    '''
).lstrip("\n")


@pytest.fixture(scope="module")
def mypy_errors(request, tmp_path_factory) -> list[str]:
    """mypy's error lines for PLUGIN (Mesa followed; a cache kept between test runs).

    The file keeps one path from run to run: mypy reports a cached module's errors with the
    path it had when they were found. Without pytest's cache (``-p no:cacheprovider``) mypy
    starts cold in a temporary folder (about half a minute).
    """
    api = pytest.importorskip("mypy.api")
    store = getattr(request.config, "cache", None)
    cache = store.mkdir("mypy-week-context") if store else tmp_path_factory.mktemp("mypy")
    path = cache / "week_context_probe.py"
    path.write_text(PLUGIN, encoding="utf-8")
    out, err, _ = api.run(
        [
            "--config-file", str(ROOT / "pyproject.toml"),
            "--cache-dir", str(cache),
            "--follow-untyped-imports",
            "--no-error-summary",
            "--hide-error-context",
            str(path),
        ]
    )  # fmt: skip
    assert not err, err
    # mypy prints the path relative to the working directory when it can.
    return [line for line in out.splitlines() if line.split(":")[0].endswith(path.name)]


def _errors_at(errors: list[str], code: str) -> list[str]:
    """The errors on the line of PLUGIN that holds ``code``."""
    (line,) = [i for i, text in enumerate(PLUGIN.splitlines(), start=1) if code in text]
    return [e for e in errors if f".py:{line}:" in e and ": error:" in e]


def test_a_programme_reaching_past_the_context_is_flagged(mypy_errors):
    (error,) = _errors_at(mypy_errors, "model.interventions")
    assert '"WeekContext" has no attribute "interventions"' in error
    (error,) = _errors_at(mypy_errors, "model.week += 1")
    assert '"week"' in error and "read-only" in error


def test_the_model_satisfies_the_context_and_hooks_are_open(mypy_errors):
    """The only errors are the greedy programme's: hooks may be written, params are typed,
    and ``HarmReductionModel`` is a ``WeekContext``."""
    errors = [e for e in mypy_errors if ": error:" in e]
    assert len(errors) == 2, "\n".join(mypy_errors)


def _members() -> list[str]:
    get = getattr(typing, "get_protocol_members", None)  # Python 3.13
    names = get(WeekContext) if get else WeekContext.__protocol_attrs__  # type: ignore[attr-defined]
    return sorted(names)


def test_a_model_has_every_member_of_the_context_with_its_type():
    """At run time too: every member exists on a model, with the declared type."""
    namespace = {
        **vars(context),
        **{
            cls.__name__: cls
            for cls in (
                ContactNetwork, EventLog, Hooks, NaloxoneKits, People, ProgrammeOutputs,
                Scenario, Streams, Timeseries, WeekView,
            )
        },
    }  # fmt: skip
    model = HarmReductionModel(people=200, years=0.1, seed=1)
    model.step()
    members = _members()
    core = {"people", "network", "hooks", "streams", "events", "week", "scenario", "kits"}
    assert core <= set(members)
    for name in members:
        declared = vars(WeekContext).get(name)  # None for a plain annotation
        value = getattr(model, name)
        if callable(declared) and not isinstance(declared, property):
            assert callable(value), name
            continue
        hint_of = declared.fget if isinstance(declared, property) else WeekContext
        hints = typing.get_type_hints(hint_of, globalns=namespace)
        expected = hints["return"] if isinstance(declared, property) else hints[name]
        assert isinstance(value, expected), (name, type(value), expected)
    assert isinstance(model.share_of_contacts_using(np.arange(3)), np.ndarray)
