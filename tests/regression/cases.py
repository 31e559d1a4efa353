"""The regression baseline: a few fixed runs whose summary outcomes are stored in baseline.json.

Any change to results (a new mechanism, a fixed bug, a library upgrade) shows up as a diff of
``baseline.json`` in the commit that causes it, reviewed rather than unnoticed:

    python tests/regression/update_baseline.py      # rerun every case, rewrite, print the diff
    make baseline                                    # the same

``tests/regression/test_baseline.py`` reruns each case and requires exactly the stored values
(same scenario and seed give identical results on every platform hrsim supports, so exact
equality is the right tolerance). Digests of the whole weekly series, event log and programme
outputs catch changes the totals would hide.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import hrsim
from hrsim import HarmReductionModel

ROOT = Path(__file__).resolve().parents[2]
BASELINE = Path(__file__).with_name("baseline.json")


@dataclass(frozen=True)
class Case:
    """One fixed run: a scenario file, its size, horizon and seed."""

    name: str
    scenario: str  # relative to the repository root
    people: int
    years: float
    seed: int


CASES: tuple[Case, ...] = (
    Case("baseline_2k_5y_s1", "scenarios/baseline.toml", 2000, 5.0, 1),
    Case("baseline_2k_5y_s2", "scenarios/baseline.toml", 2000, 5.0, 2),
    Case("baseline_10k_2y_s3", "scenarios/baseline.toml", 10000, 2.0, 3),
    Case("full_package_2k_5y_s1", "scenarios/full_package.toml", 2000, 5.0, 1),
    Case("fentanyl_surge_2k_3y_s4", "scenarios/fentanyl_surge.toml", 2000, 3.0, 4),
)


def frame_digest(frame: pd.DataFrame) -> str:
    """SHA-256 of a frame's column names and values (independent of file formats)."""
    h = hashlib.sha256()
    for column in frame.columns:
        h.update(str(column).encode())
        values = frame[column].to_numpy()
        if values.dtype.kind in "biuf":
            h.update(np.ascontiguousarray(values.astype(values.dtype.newbyteorder("<"))).tobytes())
        else:
            h.update("\x1f".join(map(str, values.tolist())).encode())
    return h.hexdigest()


def compute(case: Case) -> dict[str, Any]:
    """Run one case and return its summary: outcome totals, final levels and digests."""
    model = HarmReductionModel(
        ROOT / case.scenario, people=case.people, years=case.years, seed=case.seed
    )
    model.run()
    ts = model.timeseries_frame()
    events = model.events_frame()
    programmes = model.programme_frame()
    totals = {
        f"total.{c}": float(ts[c].iloc[1:].sum())
        for c in ts.columns
        if c != "week" and not c.endswith("prevalence")
    }
    final = {f"final.{c}": float(ts[c].iloc[-1]) for c in ts.columns if c != "week"}
    spent = programmes.loc[programmes["output"] == "cost_usd", "value"].sum()
    return {
        "scenario": case.scenario,
        "people": case.people,
        "years": case.years,
        "seed": case.seed,
        "outcomes": {**totals, **final, "programme_cost_usd": float(spent)},
        "events": int(len(events)),
        "timeseries_sha256": frame_digest(ts),
        "events_sha256": frame_digest(events),
        "programmes_sha256": frame_digest(programmes),
    }


def compute_all() -> dict[str, Any]:
    """Every case, keyed by name."""
    return {case.name: compute(case) for case in CASES}


def load() -> dict[str, Any]:
    """The stored baseline."""
    return dict(json.loads(BASELINE.read_text(encoding="utf-8"))["cases"])


def save(cases: dict[str, Any]) -> None:
    """Write the baseline (sorted, one value a line, so a change is a readable diff)."""
    import platform

    import mesa

    document = {
        "note": "Regenerate with `make baseline`; review the diff and say why results changed.",
        "made_with": {
            "hrsim": hrsim.__version__,
            "python": platform.python_version(),
            "numpy": np.__version__,
            "pandas": pd.__version__,
            "mesa": mesa.__version__,
        },
        "cases": cases,
    }
    BASELINE.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Readable lines for every stored value that differs (case, key, old -> new)."""
    lines = []
    for name in sorted(set(old) | set(new)):
        if name not in old or name not in new:
            lines.append(f"{name}: {'added' if name in new else 'removed'}")
            continue
        a, b = _flat(old[name]), _flat(new[name])
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                lines.append(f"{name}: {key}: {a.get(key)!r} -> {b.get(key)!r}")
    return lines


def _flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out
