"""The house's shape: folders by floor, no import cycle, old import paths still working."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import warnings
from pathlib import Path

import networkx as nx
import pytest

import hrsim

SRC = Path(hrsim.__file__).resolve().parent

# Floors, lowest first: a module may import from its own floor and the floors below.
FLOOR = {
    "errors": 0,
    "messages": 0,
    "files": 0,
    "outputs": 0,
    "_version": 0,
    "core": 1,
    "economics": 1,
    "scenario": 2,
    "processes": 3,
    "interventions": 3,
    "model": 4,
    "burn_in": 4,
    "runner": 5,
    "batch": 6,
    "analysis": 7,
    "places": 7,
    "reporting": 8,
    "dashboard": 8,
    "cli": 9,
    "_compat": 10,
    "__init__": 10,
}
# Arrows that point up a floor, each for a stated reason. A new one fails the test: either
# move the code to the floor it belongs on, or add it here with its reason.
UPWARD = {
    # A scenario validates each [[interventions]] table against its programme's parameters.
    ("scenario", "interventions"),
    # Experiment.comparison() is a convenience on the store, imported when it is called.
    ("batch", "analysis"),
    # model.plot(), RunResult.plot(), Experiment.plot() and .plot_comparison() are doors for
    # notebooks; the drawing is in hrsim.reporting.notebook_plots, imported when called.
    ("model", "reporting"),
    ("runner", "reporting"),
    ("batch", "reporting"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, deferred: bool) -> set[str]:
    """hrsim modules imported by ``path`` (not under TYPE_CHECKING; functions if ``deferred``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) and not deferred:
                continue
            if isinstance(child, ast.Import):
                found.update(a.name for a in child.names if a.name.startswith("hrsim"))
            elif isinstance(child, ast.ImportFrom) and (child.module or "").startswith("hrsim"):
                module = str(child.module)
                for alias in child.names:
                    sub = f"{module}.{alias.name}"
                    found.add(sub if _is_module(sub) else module)
            visit(child)

    visit(tree)
    return found


def _is_module(name: str) -> bool:
    rel = Path(*name.split(".")[1:])
    return (SRC / rel).with_suffix(".py").is_file() or (SRC / rel / "__init__.py").is_file()


def _graph(deferred: bool) -> nx.DiGraph:
    graph = nx.DiGraph()
    for path in SRC.rglob("*.py"):
        name = _module_name(path)
        graph.add_node(name)
        for target in _imports(path, deferred):
            # Importing a.b.c runs a/__init__ and a/b/__init__ first.
            parts = target.split(".")
            for i in range(2, len(parts) + 1):
                parent = ".".join(parts[:i])
                # A module's own packages are already running when it is imported.
                own = name == parent or name.startswith(parent + ".")
                if not own and _is_module(parent):
                    graph.add_edge(name, parent)
    return graph


def _floor(module: str) -> tuple[str, int]:
    top = module.split(".")[1] if "." in module else "__init__"
    return top, FLOOR[top]


@pytest.mark.parametrize("deferred", [False, True], ids=["module level", "with deferred"])
def test_no_import_cycle(deferred: bool) -> None:
    cycles = list(nx.simple_cycles(_graph(deferred)))
    assert not cycles, f"import cycles: {cycles[:5]}"


def test_floors_import_only_downward_but_for_the_stated_exceptions() -> None:
    upward = set()
    for a, b in _graph(deferred=True).edges:
        (ta, fa), (tb, fb) = _floor(a), _floor(b)
        if fb > fa:
            upward.add((ta, tb))
    assert upward == UPWARD


def test_every_folder_says_what_lives_there() -> None:
    top = sorted(p.name for p in SRC.iterdir() if p.is_dir() and p.name != "__pycache__")
    assert top == [
        "analysis",
        "batch",
        "core",
        "dashboard",
        "economics",
        "interventions",
        "places",
        "processes",
        "reporting",
        "scenario",
    ]
    for name in top:
        doc = ast.get_docstring(ast.parse((SRC / name / "__init__.py").read_text()))
        assert doc and "lives here" in doc and "May import" in doc, name


def test_old_import_paths_work_and_warn_at_the_importing_line() -> None:
    for name in [m for m in sys.modules if m in hrsim._compat.MOVED]:
        del sys.modules[name]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        from hrsim.compare import paired, run_outcomes  # noqa: F401
        from hrsim.people import Care, People, Person  # noqa: F401
    from hrsim.analysis.stats import paired as new_paired
    from hrsim.core.agents import Person as NewPerson

    assert paired is new_paired and Person is NewPerson
    messages = [str(w.message) for w in caught if w.category is DeprecationWarning]
    assert any(
        "hrsim.compare is deprecated" in m and "hrsim.analysis.compare" in m for m in messages
    )
    assert any("hrsim.people is deprecated" in m for m in messages)
    assert {Path(w.filename).name for w in caught} == {Path(__file__).name}


def test_every_old_path_forwards_every_name_it_had() -> None:
    # What each 0.1 module exported that users' scripts used (a sample per module).
    names = {
        "hrsim.people": ["Care", "People", "Person", "STATE_NAMES", "NEVER"],
        "hrsim.network": ["ContactNetwork", "Layer", "LAYERS"],
        "hrsim.results": ["Timeseries", "EventLog", "TIMESERIES_COLUMNS"],
        "hrsim.rng": ["Streams", "replicate_seeds"],
        "hrsim.compare": ["compare", "paired", "OUTCOMES", "run_outcomes", "outcomes_of"],
        "hrsim.validation": ["run_validation", "kaplan_meier_curve", "state_changes"],
        "hrsim.sweep": ["run_experiment", "plan_sweep", "SweepError"],
        "hrsim.store": ["Store", "load_experiment", "StoreError"],
        "hrsim.executors": ["execute", "ExecutorError"],
        "hrsim.interventions.spec_error": ["InterventionSpecError"],
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        for module, wanted in names.items():
            mod = importlib.import_module(module)
            missing = [n for n in wanted if not hasattr(mod, n)]
            assert not missing, (module, missing)
    assert set(names) <= set(hrsim._compat.MOVED)


def test_import_hrsim_prints_no_warning() -> None:
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import hrsim, hrsim.cli; hrsim.HarmReductionModel"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


def test_names_that_left_interventions_base_still_resolve_with_a_warning() -> None:
    from hrsim.core.people import WeekView
    from hrsim.interventions import base

    with pytest.warns(DeprecationWarning, match="hrsim.core.people"):
        assert base.WeekView is WeekView
    with pytest.raises(AttributeError):
        _ = base.not_a_name
