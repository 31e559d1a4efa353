"""Hypothesis strategies: scenario files, sweep files and command lines, mostly wrong.

Scenario files start from the shipped scenarios and from the real keys of the defaults
(``hrsim/scenario/defaults.toml``, ``hrsim/interventions/defaults.toml``), then are mutated:
keys dropped or misspelt, values of the wrong type (booleans, text, lists, tables, integers of
thousands of digits, NaN and infinities, dates), nesting a thousand deep, control characters,
NUL and ``..`` in names, unknown sections, programmes of odd types; then sometimes the bytes
themselves (truncated, a byte flipped, garbage, another encoding). Documents are written by a
small TOML writer of our own, so values no TOML library would write (``1e400``, 5,000
digits) can be written as raw text (``Raw``).

Every path a case may write to stays inside the sandbox: at most two ``..`` from the working
directory (``work/../..`` is the sandbox's root), absolute paths only under ``{ROOT}`` (the
sandbox root, filled in by ``Sandbox.expand``), and never ``..`` after the symbolic link.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from .sandbox import EXPERIMENTS, REPO, SCENARIOS

SRC = REPO / "src" / "hrsim"


def _values(path: Path) -> dict[str, dict[str, Any]]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {s: {k: v["value"] for k, v in table.items()} for s, table in data.items()}


#: The real parameters: section -> key -> default value.
PARAMETERS = _values(SRC / "scenario" / "defaults.toml")
#: The built-in programmes: type -> key -> default value (plus the keys every programme has).
PROGRAMMES = {
    name: {**keys, "start_week": 0, "ramp_up_weeks": 0, "fixed_cost_usd_per_week": 0.0}
    for name, keys in _values(SRC / "interventions" / "defaults.toml").items()
}
SHIPPED = {p.name: p.read_bytes() for p in sorted(SCENARIOS.glob("*.toml"))}
SWEEPS = sorted(p.name for p in EXPERIMENTS.glob("*.toml"))
DOTTED = [f"{s}.{k}" for s, keys in PARAMETERS.items() for k in keys if s != "run"]
PROGRAMME_KEYS = [f"interventions.{t}.{k}" for t, keys in PROGRAMMES.items() for k in keys]


@dataclass(frozen=True)
class Raw:
    """TOML text written as it is (values a TOML writer would refuse or change)."""

    text: str


# --- a small TOML writer -------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def toml_key(key: str) -> str:
    """A key; a dotted key whose parts are bare stays dotted (``care.x`` in a [grid])."""
    parts = key.split(".")
    if all(_BARE.fullmatch(p) for p in parts):
        return key
    return _string(key)


def literal(value: Any) -> str:
    """A TOML value."""
    if isinstance(value, Raw):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        text = repr(value)
        return text if any(c in text for c in ".e") else text + ".0"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {literal(v)}" for k, v in value.items()) + " }"
    raise TypeError(value)


def dumps(doc: dict[str, Any]) -> str:
    """A document: top-level values first, then tables, then arrays of tables."""
    head, tables = [], []
    for name, value in doc.items():
        if isinstance(value, dict):
            tables.append(f"\n[{toml_key(name)}]")
            tables += [f"{toml_key(k)} = {literal(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            for item in value:
                tables.append(f"\n[[{toml_key(name)}]]")
                tables += [f"{toml_key(k)} = {literal(v)}" for k, v in item.items()]
        else:
            head.append(f"{toml_key(name)} = {literal(value)}")
    return "\n".join(head + tables) + "\n"


# --- values ---------------------------------------------------------------------------------

NAMES = [
    "",
    " ",
    ".",
    "..",
    "../escaped",
    "../../escaped",
    "a/b",
    "a\\b",
    "{ROOT}/sibling/abs",
    "x\x00y",
    "\x1b[31mred",
    "tab\there",
    "line\nbreak",
    "=1+1",
    "+cmd",
    "-x",
    "@SUM(A1)",
    "con",
    "nul",
    "é",
    "名前",
    "x" * 300,
    "y" * 5000,
    "baseline",
    "prep",
    "county",
]
RAWS = [
    "9" * 20,
    "9" * 400,
    "9" * 4301,
    "9" * 5000,
    "-" + "9" * 5000,
    "nan",
    "-inf",
    "+inf",
    "1e400",
    "-0.0",
    "0x7f",
    "0o17",
    "0b101",
    "1979-05-27",
    "1979-05-27T07:32:00Z",
    "07:32:00",
    "'literal'",
    '"""multi\nline"""',
]


def deep(depth: int, table: bool) -> Raw:
    """A value nested ``depth`` deep: arrays, or inline tables."""
    if table:
        return Raw("{a = " * depth + "1" + " }" * depth)
    return Raw("[" * depth + "1" + "]" * depth)


names = st.sampled_from(NAMES) | st.text(max_size=12)
scalars = st.one_of(
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1, 2**64, 10**18]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(RAWS).map(Raw),
    names,
)
weird = st.one_of(
    scalars,
    st.lists(scalars, max_size=4),
    st.dictionaries(st.sampled_from(["a", "value", "type", "x"]), scalars, max_size=3),
    st.builds(deep, st.sampled_from([2, 30, 400, 999, 1500]), st.booleans()),
)


def near(default: Any) -> st.SearchStrategy[Any]:
    """Values of the default's own type, in and just out of its likely range."""
    if isinstance(default, bool):
        return st.booleans()
    if isinstance(default, int):
        return st.integers(-3, 3 * max(default, 1) + 3)
    if isinstance(default, float):
        top = 1.0 if 0.0 <= default <= 1.0 else max(default, 1.0) * 3
        return st.floats(-0.5, top * 1.5) | st.sampled_from([0.0, top, -0.0])
    if isinstance(default, list):
        return st.lists(st.floats(-0.1, 1.1), max_size=6)
    return names


def value_for(default: Any) -> st.SearchStrategy[Any]:
    """Mostly plausible values, sometimes anything."""
    return st.one_of(st.just(default), near(default), near(default), weird)


def typo(word: str) -> st.SearchStrategy[str]:
    """A misspelling: a letter dropped, doubled or swapped, or the case changed."""

    def change(i: int, how: int) -> str:
        i = i % max(len(word), 1)
        if how == 0:
            return word[:i] + word[i + 1 :]
        if how == 1:
            return word[:i] + word[i : i + 1] * 2 + word[i + 1 :]
        if how == 2 and i + 1 < len(word):
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        return word.upper()

    return st.builds(change, st.integers(0, 100), st.integers(0, 3))


programme_types = st.one_of(
    st.sampled_from(sorted(PROGRAMMES)),
    st.sampled_from(sorted(PROGRAMMES)).flatmap(typo),
    weird,
)


@st.composite
def programme(draw: st.DrawFn) -> dict[str, Any]:
    """An ``[[interventions]]`` entry: a type (often odd) and a few of its keys."""
    kind = draw(programme_types)
    keys = PROGRAMMES.get(kind, {}) if isinstance(kind, str) else {}
    entry: dict[str, Any] = {} if draw(st.integers(0, 9)) == 0 else {"type": kind}
    if keys:
        for key in draw(st.lists(st.sampled_from(sorted(keys)), max_size=3, unique=True)):
            entry[key] = draw(value_for(keys[key]))
    if draw(st.integers(0, 5)) == 0:
        entry[draw(names.filter(bool))] = draw(weird)
    return entry


# --- scenario files -------------------------------------------------------------------------


def _mutate(draw: st.DrawFn, doc: dict[str, Any]) -> None:
    op = draw(st.integers(0, 11))
    tables = [s for s, v in doc.items() if isinstance(v, dict) and v]
    if op <= 2 or not tables:  # add a real key, plausibly valued
        section = draw(st.sampled_from(sorted(PARAMETERS)))
        key = draw(st.sampled_from(sorted(PARAMETERS[section])))
        table = doc.setdefault(section, {})
        if isinstance(table, dict):
            table[key] = draw(value_for(PARAMETERS[section][key]))
        return
    section = draw(st.sampled_from(tables))
    key = draw(st.sampled_from(sorted(doc[section])))
    if op == 3:
        del doc[section][key]
    elif op == 4:
        doc[section][draw(typo(key))] = doc[section].pop(key)
    elif op in (5, 6):
        doc[section][key] = draw(weird)
    elif op == 7:
        doc[draw(st.sampled_from([*sorted(PARAMETERS), "runs", "x", "sweep"]).flatmap(typo))] = {
            key: draw(weird)
        }
    elif op == 8:
        doc[section] = draw(scalars)
    elif op == 9:
        doc.setdefault("run", {})
        if isinstance(doc["run"], dict):
            doc["run"]["name"] = draw(names)
    elif op == 10:
        doc["interventions"] = [*_programmes(doc), draw(programme())]
    else:
        doc["interventions"] = draw(weird)


def _programmes(doc: dict[str, Any]) -> list[Any]:
    value = doc.get("interventions", [])
    return list(value) if isinstance(value, list) else []


@st.composite
def scenario_doc(draw: st.DrawFn) -> dict[str, Any]:
    """A scenario as a document: a shipped one or a few defaults, mutated a few times."""
    if draw(st.booleans()):
        doc = copy.deepcopy(tomllib.loads(draw(st.sampled_from(list(SHIPPED.values()))).decode()))
    else:
        doc = {"run": {"name": "fuzz"}}
        for _ in range(draw(st.integers(0, 4))):
            section = draw(st.sampled_from(sorted(PARAMETERS)))
            key = draw(st.sampled_from(sorted(PARAMETERS[section])))
            doc.setdefault(section, {})[key] = PARAMETERS[section][key]
        doc["interventions"] = draw(st.lists(programme(), max_size=2))
        if not doc["interventions"]:
            del doc["interventions"]
    for _ in range(draw(st.integers(0, 4))):
        _mutate(draw, doc)
    return doc


@st.composite
def garbled(draw: st.DrawFn, text: str) -> bytes:
    """The document's bytes, sometimes damaged: truncated, a byte changed, garbage, encoding."""
    data = text.encode("utf-8")
    how = draw(st.integers(0, 11))
    if how == 0 and data:
        return data[: draw(st.integers(0, len(data) - 1))]
    if how == 1 and data:
        i = draw(st.integers(0, len(data) - 1))
        return data[:i] + bytes([draw(st.integers(0, 255))]) + data[i + 1 :]
    if how == 2:
        return data + draw(st.binary(min_size=1, max_size=40))
    if how == 3:
        return draw(st.binary(max_size=200))
    if how == 4:
        return text.encode("utf-16")
    if how == 5:
        return b"\xef\xbb\xbf" + data  # a byte-order mark
    if how == 6:
        return data.replace(b"\n", b"\r")
    if how == 7:
        return data.replace(b"\n", b"\n\x00", 1)
    return data


@st.composite
def scenario_file(draw: st.DrawFn) -> bytes:
    """A scenario file's bytes."""
    return draw(garbled(dumps(draw(scenario_doc()))))


def small_run(data: bytes) -> bool:
    """Whether a scenario file asks for a run small enough to run as it is (else sizes are set)."""
    try:
        run = tomllib.loads(data.decode("utf-8")).get("run", {})
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError, ValueError):
        return True  # it will not load anyway
    if not isinstance(run, dict) or "people" not in run or "years" not in run:
        return False  # the defaults: 10,000 people for 10 years
    people, years = run["people"], run["years"]
    big_people = isinstance(people, int | float) and people > 300
    big_years = isinstance(years, int | float) and (years > 0.25 or years != years)
    return not (big_people or big_years)


# --- sweep files ----------------------------------------------------------------------------

SCENARIO_REFS = [
    "../scenarios/baseline.toml",
    "../scenarios/prep.toml",
    "../scenarios/fentanyl_surge.toml",
    "baseline",
    "prep.toml",
    "{ROOT}/work/scenarios/diversion.toml",
    "../scenarios",
    "../file.txt",
    "missing.toml",
    "",
    "../../parent_note.txt",
    "scenario.toml",
]
GRID_KEYS = [
    "run.people",
    "run.name",
    "run.seed",
    "nosuch.key",
    "care",
    "a.b.c.d",
    "interventions.nosuch.x",
    "interventions.prep",
]


def grid_key() -> st.SearchStrategy[str]:
    """A key to sweep: mostly real ones."""
    return st.one_of(
        st.sampled_from(DOTTED),
        st.sampled_from(PROGRAMME_KEYS),
        st.sampled_from(GRID_KEYS),
        st.sampled_from(DOTTED).flatmap(typo),
    )


def _default_of(key: str) -> Any:
    parts = key.split(".")
    if parts[0] == "interventions" and len(parts) == 3:
        return PROGRAMMES.get(parts[1], {}).get(parts[2], 0.5)
    return PARAMETERS.get(parts[0], {}).get(parts[-1], 0.5)


@st.composite
def grid_values(draw: st.DrawFn, key: str, longest: int) -> Any:
    if draw(st.integers(0, 7)) == 0:
        return draw(weird)
    return draw(st.lists(value_for(_default_of(key)), max_size=longest))


@st.composite
def sweep_doc(draw: st.DrawFn) -> dict[str, Any]:
    """A sweep as a document, usually small enough to run (at most a few dozen runs)."""
    settings: dict[str, Any] = {}
    choices = {
        "name": names,
        "scenarios": st.lists(st.sampled_from(SCENARIO_REFS) | names, max_size=2) | weird,
        "baseline": st.sampled_from(["a0000", "a0001", "baseline", "prep"]) | names,
        "replicates": st.integers(-1, 2) | weird,
        "seed": st.integers(-1, 2**64) | weird,
        "people": st.integers(5, 60) | weird,
        "years": st.floats(0.0, 0.06) | weird,
        "design": st.sampled_from(["factorial", "one_at_a_time", "Factorial", "random", ""])
        | weird,
        "extra": weird,
    }
    for key in draw(st.lists(st.sampled_from(sorted(choices)), max_size=5, unique=True)):
        settings[key] = draw(choices[key])
    doc: dict[str, Any] = {"sweep": settings}
    if draw(st.integers(0, 3)) == 0:
        doc["set"] = {
            k: draw(value_for(_default_of(k))) for k in draw(st.lists(grid_key(), max_size=2))
        }
    design = draw(st.integers(0, 4))
    if design <= 2:
        keys = draw(st.lists(grid_key(), max_size=2, unique=True))
        doc["grid"] = {k: draw(grid_values(k, 3)) for k in keys}
    elif design == 3:
        ranges: dict[str, Any] = {}
        for k in draw(st.lists(grid_key(), max_size=2, unique=True)):
            d = _default_of(k)
            low = draw(near(d) | weird)
            ranges[k] = [low, draw(near(d))] if draw(st.integers(0, 4)) else draw(weird)
        sample: dict[str, Any] = {"points": draw(st.integers(-1, 4) | weird), "ranges": ranges}
        if draw(st.booleans()):
            sample["seed"] = draw(st.integers(-1, 10) | weird)
        doc["sample"] = sample
    if draw(st.integers(0, 9)) == 0:
        doc[draw(st.sampled_from(["grids", "Sweep", "runs", "x"]))] = {"a": draw(weird)}
    if draw(st.integers(0, 9)) == 0:
        doc["sweep"] = draw(weird)
    return doc


@st.composite
def sweep_file(draw: st.DrawFn) -> bytes:
    """A sweep file's bytes."""
    return draw(garbled(dumps(draw(sweep_doc()))))


# --- command lines --------------------------------------------------------------------------

#: Where ``--out`` may point: new folders, the user's files and folders, earlier outputs.
OUT_TARGETS = [
    "out",
    "out/a/b",
    ".",
    "./",
    "..",
    "keep",
    "keep/sub",
    "file.txt",
    "file.txt/sub",
    "link",
    "link/sub",
    "store",
    "store/runs",
    "prev_run",
    "inputs",
    "scenarios",
    "runs",
    "../escape",
    "{ROOT}/sibling/abs_out",
    "{ROOT}/sibling",
    "",
    "x" * 255,
    "x" * 256,
    "d/" * 60 + "deep",
    "-",
    "~",
    "~/out",
    "out\nline",
    " out",
    "é名",
]
STORES = ["store", "prev_run", "keep", ".", "nonexistent", "file.txt", "link", "store/runs", ""]
SET_KEYS = [
    "run.name",
    "run.seed",
    "run.people",
    "run.years",
    "care.aftercare_fraction",
    "supply.fentanyl_share_by_year",
    "interventions.prep.coverage_fraction",
    "interventions.nosuch.x",
    "interventions.prep",
    "nosuch.key",
    "run",
    "a.b.c",
    "",
]


@st.composite
def set_option(draw: st.DrawFn) -> str:
    """One ``--set`` argument."""
    key = draw(st.sampled_from(SET_KEYS) | st.sampled_from(["run.name"]) | st.sampled_from(DOTTED))
    if key == "run.name":
        value = draw(names.map(literal) | names)
    elif draw(st.integers(0, 2)) == 0:
        value = draw(weird.map(literal))
    else:
        value = literal(draw(value_for(_default_of(key))))
    return draw(
        mostly(st.just(f"{key}={value}"), st.sampled_from([f"{key} = {value}", key, f"={value}"]))
    )


def flag(name: str, values: st.SearchStrategy[Any]) -> st.SearchStrategy[list[str]]:
    """``[name, value]``."""
    return values.map(lambda v: [name, str(v)])


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """``good`` three times in four: a case must get past its first mistake to find the next."""
    return st.one_of(good, good, good, bad)


people = mostly(st.integers(10, 200), st.sampled_from([0, -5, 1, 9, "1e3", "ten", ""]))
years = mostly(
    st.floats(0.02, 0.2).map(lambda y: f"{y:.3f}"),
    st.sampled_from(["0", "-1", "nan", "inf", "1e-9", "abc", "0x1"]),
)
replicates = mostly(st.just(2), st.sampled_from([0, 1, -1, 3, "two"]))
workers = mostly(st.just(1), st.sampled_from([0, -1]))
seeds = mostly(st.integers(0, 10), st.sampled_from([-1, 2**64, "9" * 5000, "x"]))
junk = st.sampled_from(
    ["--", "-x", "--unknown", "", "é", "--out=", "--people", "--help", "-h", "x" * 4000]
)


def _shuffled_options(draw: st.DrawFn, options: list[list[str]]) -> list[str]:
    chosen = draw(st.permutations(options))
    argv = [a for option in chosen for a in option]
    if draw(st.integers(0, 9)) == 0:
        argv.insert(draw(st.integers(0, len(argv))), draw(junk))
    return argv


def _maybe(
    draw: st.DrawFn, option: st.SearchStrategy[list[str]], chance: int = 2
) -> list[list[str]]:
    return [draw(option)] if draw(st.integers(0, chance - 1)) == 0 else []


#: The targets that found data loss and escapes: drawn half of the time.
RISKY_OUTS = ["keep", ".", "..", "store", "prev_run", "link", "inputs", "file.txt", "scenarios"]
outs = (st.sampled_from(RISKY_OUTS) | st.sampled_from(OUT_TARGETS)).map(lambda o: ["--out", o])
scenario_args = st.sampled_from(
    [f"scenarios/{n}" for n in SHIPPED] + ["baseline", "prep.toml", "inputs/scenario.toml"]
    + ["scenarios", "missing.toml", "file.txt", "", "-", "link", "{ROOT}/parent_note.txt"]
)  # fmt: skip
plugins = st.sampled_from(
    ["inputs/plugin.py", "missing.py", "inputs", "file.txt", "scenarios/baseline.toml"]
)


@st.composite
def command_line(draw: st.DrawFn) -> list[str]:
    """An ``hrsim`` command line (never ``dashboard``), tiny enough to run in a second or two."""
    command = draw(
        st.sampled_from(["run"] * 4 + ["sweep"] * 3 + ["report"] * 2 + ["compare", "validate"])
        | st.sampled_from(["calibrate", "sensitivity", "params", "nosuch", "", "Run"])
    )
    sizes = [draw(flag("--people", people)), draw(flag("--years", years))]
    options: list[list[str]] = []
    positional: list[str] = []
    if command == "run":
        if draw(st.integers(0, 3)):
            positional.append(draw(scenario_args))
        options += sizes + [["--quiet"]] + _maybe(draw, outs)
        options += [["--set", draw(set_option())] for _ in range(draw(st.integers(0, 3)))]
        options += _maybe(draw, flag("--seed", seeds), 3) + _maybe(draw, st.just(["--no-events"]))
        options += _maybe(draw, st.just(["--profile"]), 4)
    elif command == "sweep":
        spec = draw(st.sampled_from([f"experiments/{n}" for n in SWEEPS] + ["inputs/sweep.toml"]))
        positional.append(
            draw(st.just(spec) | st.sampled_from(["missing.toml", "store", "", "file.txt"]))
        )
        replicates_ = draw(st.sampled_from([1, 2]) | replicates)
        options += sizes + [["--replicates", str(replicates_)], ["--workers", str(draw(workers))]]
        options += _maybe(draw, outs) + [["--quiet"]] + _maybe(draw, st.just(["--dry-run"]), 3)
        options += _maybe(draw, flag("--seed", seeds), 3)
    elif command == "report":
        positional.append(draw(st.sampled_from(STORES)))
        page = st.sampled_from(OUT_TARGETS) | st.sampled_from(OUT_TARGETS).map(
            lambda o: o + "/r.html"
        )
        options += _maybe(draw, page.map(lambda o: ["--out", o]))
        options += _maybe(
            draw, flag("--baseline", st.sampled_from(["a0000", "a0001", "zz"]) | names), 3
        )
    elif command == "compare":
        positional += [draw(scenario_args) for _ in range(draw(st.integers(1, 3)))]
        options += sizes + [
            ["--replicates", str(draw(replicates))],
            ["--workers", str(draw(workers))],
        ]
        options += _maybe(draw, flag("--seed", seeds), 3) + _maybe(draw, st.just(["--json"]), 3)
    elif command == "validate":
        if draw(st.booleans()):
            positional.append(draw(scenario_args))
        options += [
            ["--people", str(draw(st.integers(10, 30) | st.sampled_from([0, 9, -1])))],
            ["--years", draw(st.sampled_from(["0.02", "0.05", "0", "-1", "nan"]))],
            ["--replicates", str(draw(st.sampled_from([1, 1, 0, -1])))],
            ["--workers", str(draw(workers))],
        ]
        options += _maybe(
            draw,
            st.sampled_from(OUT_TARGETS + ["v.html", "keep/v.html"]).map(lambda o: ["--html", o]),
            3,
        )
        options += _maybe(draw, st.just(["--json"]), 3)
    elif command == "calibrate":
        positional.append(draw(scenario_args))
        targets = draw(
            st.sampled_from(
                ["inputs/targets.toml", "missing.toml", "scenarios/baseline.toml", "keep"]
            )
        )
        options += sizes + [["--targets", targets], ["--workers", str(draw(workers))], ["--quiet"]]
        options += [["--trials", str(draw(st.sampled_from([1, 2, 0, -1])))]]
        options += [["--batch", str(draw(st.sampled_from([1, 2, 0])))], ["--replicates", "1"]]
        options += _maybe(draw, outs)
    elif command == "sensitivity":
        positional.append(draw(scenario_args))
        params = draw(
            st.lists(
                st.sampled_from(
                    ["care.aftercare_fraction", "overdose.base_rate_per_year=0.01:0.05", "x=1:0",
                     "care.aftercare_fraction=a:b", "interventions.prep.coverage_fraction",
                     "care.aftercare_fraction=0.5:0.2", "run.people", "nosuch"]
                ),
                min_size=1, max_size=2, unique=True,
            )
        )  # fmt: skip
        options += sizes + [["--params", *params], ["--workers", str(draw(workers))], ["--quiet"]]
        options += [["--samples", str(draw(st.sampled_from([2, 2, 1, 3, 0, -2])))]]
        options += _maybe(
            draw, flag("--method", st.sampled_from(["morris", "sobol", "fast", ""])), 2
        )
        options += _maybe(
            draw, flag("--outcome", st.sampled_from(["new_hiv", "cost_usd", "nosuch", ""])), 3
        )
        options += _maybe(draw, flag("--versus", scenario_args), 3) + _maybe(draw, outs)
    elif command == "params":
        options += _maybe(draw, st.just(["--markdown"]))
    if draw(st.integers(0, 5)) == 0 and command not in ("params", "report", ""):
        options.append(["--plugin", draw(plugins)])
    argv = _shuffled_options(draw, options)
    # An option list (--params) must not swallow the positionals: they go first.
    return [command, *positional, *argv]


#: The files every command-line case finds in work/inputs/.
CLI_INPUTS = {
    "scenario.toml": SHIPPED["full_package.toml"],
    "sweep.toml": b'[sweep]\nname = "small"\nreplicates = 2\n\n[grid]\n'
    b"care.aftercare_fraction = [0.3, 0.6]\n",
    "targets.toml": (REPO / "docs" / "examples" / "calibration_targets.toml").read_bytes(),
    "plugin.py": b"this is not python(\n",
}
