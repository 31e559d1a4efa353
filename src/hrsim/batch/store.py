"""The result store of a sweep: one directory, a manifest, and one Parquet file per run.

Layout of ``DIR``::

    manifest.json          the sweep: spec, hrsim version, scenarios and their hashes, seeds,
                           every arm and every run id (written first, before any run)
    runs/<run_id>.parquet  one finished run: its weekly series as rows, its outcome totals and
                           identity (arm, replicate, seed, scenario hash) in the file's metadata
    .lock                  held while a sweep writes, so two sweeps never write one store

Every file is written to a temporary name, flushed to disk and renamed, so a run file exists
only once it is complete; a file cut short by a crash of the machine fails the footer check
when the store is scanned, and is deleted and redone. Each run is one file named by its run
id, so a run can never be counted twice. Loading reads only the files' footers for the
outcomes, and the series only when asked for.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hrsim.errors import StoreError
from hrsim.files import write_atomic

FORMAT = "hrsim-sweep/1"
MANIFEST = "manifest.json"
RUNS = "runs"
_RUN_KEY = b"hrsim.run"
_OUTCOMES_KEY = b"hrsim.outcomes"


# ---------------------------------------------------------------------------------------------
# One run's file


def encode_run(identity: dict[str, Any], series: pd.DataFrame, outcomes: dict[str, float]) -> bytes:
    """One run as Parquet bytes: the weekly series, with identity and outcomes as metadata.

    Built where the run ran (a local worker or a Dask worker), so the coordinator only writes
    bytes. Nothing time-dependent goes in, so the same run gives the same bytes anywhere.
    """
    table = pa.Table.from_pandas(series, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta[_RUN_KEY] = json.dumps(identity, sort_keys=True).encode()
    meta[_OUTCOMES_KEY] = json.dumps(outcomes).encode()
    buffer = io.BytesIO()
    pq.write_table(table.replace_schema_metadata(meta), buffer, write_page_checksum=True)
    return buffer.getvalue()


def read_identity(path: Path) -> tuple[dict[str, Any], dict[str, float], int]:
    """A run file's identity, outcomes and row count, from its footer alone.

    Raises ``ValueError`` (or an ``OSError``/Arrow error) if the file is cut short or is not a
    run file.
    """
    meta = pq.read_metadata(path)
    kv = meta.metadata or {}
    if _RUN_KEY not in kv or _OUTCOMES_KEY not in kv:
        raise ValueError(f"{path.name} is not an hrsim run file")
    return json.loads(kv[_RUN_KEY]), json.loads(kv[_OUTCOMES_KEY]), meta.num_rows


# ---------------------------------------------------------------------------------------------
# The directory


@dataclass
class Store:
    """A sweep's directory of results."""

    root: Path

    @property
    def manifest_path(self) -> Path:
        """Where the manifest is."""
        return self.root / MANIFEST

    @property
    def runs_dir(self) -> Path:
        """Where the run files are."""
        return self.root / RUNS

    def run_path(self, run_id: str) -> Path:
        """The file of one run."""
        return self.runs_dir / f"{run_id}.parquet"

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if there is no store here yet."""
        if not self.manifest_path.exists():
            return None
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise StoreError(f"{self.manifest_path}: unreadable manifest: {exc}") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise StoreError(f"{self.manifest_path} is not an hrsim sweep manifest")
        return manifest

    def check_usable(self, manifest: dict[str, Any]) -> dict[str, Any] | None:
        """Refuse a store that holds another sweep; return the stored manifest, if any.

        Nothing is written: this runs before anything is created.
        """
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root} exists and is not a directory")
        stored = self.read_manifest()
        if stored is None:
            if self.root.exists() and any(self.root.iterdir()):
                raise StoreError(
                    f"{self.root} is not empty and holds no sweep manifest; use an empty or new"
                    " directory"
                )
            return None
        if stored.get("fingerprint") != manifest["fingerprint"]:
            what = describe_difference(stored, manifest)
            raise StoreError(
                f"{self.root} holds the results of a different sweep ({what}); use another"
                f" --out, or delete {self.root} to start again"
            )
        return stored

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        """Create the store (if new) and write the manifest atomically."""
        self.runs_dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(manifest, indent=1, sort_keys=False) + "\n"
        write_atomic(self.manifest_path, text.encode())

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the store's lock: a second sweep on the same store is refused, not mixed."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".lock", "a+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StoreError(
                    f"another hrsim sweep is writing to {self.root} right now"
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def scan(self, manifest: dict[str, Any], repair: bool = False) -> set[str]:
        """The run ids whose files are complete and belong to this sweep.

        With ``repair``, leftover temporary files and run files that are cut short, unreadable
        or from another run are deleted, so they are run again.
        """
        expected = _expected_runs(manifest)
        done: set[str] = set()
        if not self.runs_dir.is_dir():
            return done
        for path in self.runs_dir.iterdir():
            run_id = path.name.removesuffix(".parquet")
            good = (
                path.suffix == ".parquet"
                and run_id in expected
                and _file_matches(path, expected[run_id])
            )
            if good:
                done.add(run_id)
            elif repair and (path.name.endswith(".tmp") or path.suffix == ".parquet"):
                path.unlink(missing_ok=True)
        return done

    def write_run(self, run_id: str, payload: bytes) -> None:
        """Store one finished run (atomically)."""
        write_atomic(self.run_path(run_id), payload)


def _expected_runs(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    arms = {arm["id"]: arm for arm in manifest["arms"]}
    return {
        run["run_id"]: {
            **run,
            "rows": arms[run["arm_id"]]["weeks"] + 1,
            "hash": arms[run["arm_id"]]["hash"],
        }
        for run in manifest["runs"]
    }


def _file_matches(path: Path, run: dict[str, Any]) -> bool:
    try:
        identity, _, rows = read_identity(path)
    except (OSError, ValueError, pa.ArrowException):
        return False  # cut short, empty or not a run file: run it again
    return (
        rows == run["rows"]
        and identity.get("run_id") == run["run_id"]
        and identity.get("seed") == run["seed"]
        and identity.get("arm_hash") == run["hash"]
    )


def describe_difference(stored: dict[str, Any], new: dict[str, Any]) -> str:
    """What differs between two sweeps' manifests, in a few words."""
    if stored.get("hrsim_version") != new.get("hrsim_version"):
        return (
            f"made with hrsim {stored.get('hrsim_version')}, this is hrsim "
            f"{new.get('hrsim_version')}"
        )
    for key, label in (("replicates", "replicates"), ("seed", "base seed")):
        if stored.get(key) != new.get(key):
            return f"{label}: {stored.get(key)} there, {new.get(key)} here"
    old_arms, new_arms = stored.get("arms", []), new.get("arms", [])
    if len(old_arms) != len(new_arms):
        return f"{len(old_arms)} arms there, {len(new_arms)} here"
    for old, arm in zip(old_arms, new_arms, strict=True):
        if old.get("name") != arm["name"]:
            return f"arm {arm['id']} is '{old.get('name')}' there, '{arm['name']}' here"
        if old.get("hash") != arm["hash"]:
            changed = _changed_keys(stored, new, old, arm)
            what = f" ({', '.join(changed[:3])})" if changed else ""
            return f"arm '{arm['name']}' has different parameters{what}"
    return "a different spec"


def _changed_keys(
    stored: dict[str, Any], new: dict[str, Any], old_arm: dict[str, Any], arm: dict[str, Any]
) -> list[str]:
    def flat(prefix: str, value: Any, out: dict[str, Any]) -> dict[str, Any]:
        if isinstance(value, dict):
            for k, v in value.items():
                flat(f"{prefix}.{k}" if prefix else str(k), v, out)
        else:
            out[prefix] = value
        return out

    before = flat(
        "", stored.get("scenarios", {}).get(old_arm.get("scenario"), {}).get("scenario", {}), {}
    )
    after = flat("", new.get("scenarios", {}).get(arm["scenario"], {}).get("scenario", {}), {})
    before.update(old_arm.get("parameters", {}))
    after.update(arm.get("parameters", {}))
    changed = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key) and key != "run.name":
            changed.append(f"{key}: {before.get(key)!r} there, {after.get(key)!r} here")
    return changed


# ---------------------------------------------------------------------------------------------
# Loading


@dataclass
class Experiment:
    """A sweep's results as tidy pandas frames, read from its store.

    ``outcomes`` has one row per run and outcome (run_id, arm_id, arm, scenario, replicate,
    seed, one column per swept parameter, outcome, value); ``series`` one row per run and week
    (run_id, arm_id, arm, replicate, week, then one column per weekly measure).
    """

    path: Path
    manifest: dict[str, Any]
    done: list[str] = field(default_factory=list)
    summary: Any = None

    @property
    def name(self) -> str:
        """The sweep's name."""
        return str(self.manifest["name"])

    @property
    def baseline(self) -> str:
        """The arm the others are compared with."""
        return str(self.manifest["baseline"])

    @property
    def parameters(self) -> list[str]:
        """The swept parameters (dotted keys), in the spec's order."""
        return list(self.manifest.get("parameters", []))

    @property
    def missing(self) -> list[str]:
        """Run ids with no complete result yet."""
        have = set(self.done)
        return [r["run_id"] for r in self.manifest["runs"] if r["run_id"] not in have]

    @property
    def arms(self) -> pd.DataFrame:
        """One row per arm: arm_id, arm, scenario, swept parameters, scenario hash."""
        rows = [
            {
                "arm_id": a["id"],
                "arm": a["name"],
                "scenario": a["scenario"],
                **{p: a["parameters"].get(p) for p in self.parameters},
                "scenario_hash": a["hash"],
            }
            for a in self.manifest["arms"]
        ]
        return pd.DataFrame(rows)

    def _run_index(self) -> pd.DataFrame:
        arms = self.arms.set_index("arm_id")
        runs = pd.DataFrame(self.manifest["runs"])
        runs = runs[runs["run_id"].isin(set(self.done))]
        runs = runs.join(arms[["arm", "scenario", *self.parameters]], on="arm_id")
        return runs.sort_values("run_id").reset_index(drop=True)

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """One row per run and outcome (tidy)."""
        from hrsim.analysis.compare import OUTCOMES

        index = self._run_index()
        values = []
        for run_id in index["run_id"]:
            _, outcomes, _ = read_identity(Store(self.path).run_path(run_id))
            values.append([outcomes[o] for o in OUTCOMES])
        columns = ["run_id", "arm_id", "arm", "scenario", "replicate", "seed", *self.parameters]
        base = index[columns]
        frame = base.loc[base.index.repeat(len(OUTCOMES))].reset_index(drop=True)
        frame["outcome"] = list(OUTCOMES) * len(index)
        frame["value"] = np.asarray(values, dtype=np.float64).reshape(-1)
        return frame

    def outcomes_wide(self) -> pd.DataFrame:
        """One row per run, one column per outcome."""
        from hrsim.analysis.compare import OUTCOMES

        keys = ["run_id", "arm_id", "arm", "scenario", "replicate", "seed", *self.parameters]
        frame = self.outcomes
        wide = frame.pivot(index="run_id", columns="outcome", values="value")[list(OUTCOMES)]
        first = frame.drop_duplicates("run_id").set_index("run_id")[keys[1:]]
        return first.join(wide).reset_index()[[*keys, *OUTCOMES]]

    @cached_property
    def series(self) -> pd.DataFrame:
        """One row per run and week: every weekly measure, plus cost in US dollars."""
        return self.read_series()

    def read_series(
        self, measures: list[str] | None = None, arms: list[str] | None = None
    ) -> pd.DataFrame:
        """The weekly series of some measures and arms only (less memory for big sweeps)."""
        index = self._run_index()
        if arms is not None:
            index = index[index["arm"].isin(arms)].reset_index(drop=True)
        columns = None if measures is None else ["week", *[m for m in measures if m != "week"]]
        store = Store(self.path)
        tables = []
        for run in index.itertuples(index=False):
            table = pq.read_table(store.run_path(run.run_id), columns=columns)
            tables.append(table.replace_schema_metadata(None).to_pandas())
        if not tables:
            return pd.DataFrame(columns=["run_id", "arm_id", "arm", "replicate", "week"])
        frame = pd.concat(tables, ignore_index=True)
        lengths = [len(t) for t in tables]
        ids = index[["run_id", "arm_id", "arm", "replicate"]].loc[index.index.repeat(lengths)]
        ids = ids.reset_index(drop=True)
        return pd.concat([ids, frame], axis=1)

    def comparison(self, baseline: str | None = None) -> Any:
        """Every arm against the baseline, paired by replicate (``analysis.compare.Comparison``).

        Only replicates finished in every arm are used, so the pairs stay paired.
        """
        from hrsim.analysis.compare import summarise

        base = baseline or self.baseline
        wide = self.outcomes_wide()
        arms = [a["name"] for a in self.manifest["arms"]]
        complete = wide.groupby("replicate")["arm"].nunique()
        replicates = sorted(complete[complete == len(arms)].index)
        wide = wide[wide["replicate"].isin(replicates)].sort_values(["arm_id", "replicate"])
        from hrsim.analysis.compare import OUTCOMES

        runs = {
            arm: [dict(zip(OUTCOMES, row, strict=True)) for row in group[list(OUTCOMES)].to_numpy()]
            for arm, group in wide.groupby("arm", sort=False)
        }
        seeds = [int(self.manifest["seeds"][r]) for r in replicates]
        return summarise(base, [a for a in arms if a != base], runs, seeds)


def load_experiment(path: str | Path) -> Experiment:
    """Open a sweep's store and return its results (complete runs only; see ``missing``)."""
    store = Store(Path(path))
    manifest = store.read_manifest()
    if manifest is None:
        raise StoreError(f"{path}: no sweep here (no {MANIFEST})")
    done = store.scan(manifest)
    order = [r["run_id"] for r in manifest["runs"] if r["run_id"] in done]
    return Experiment(Path(path), manifest, order)
