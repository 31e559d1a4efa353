"""The result store of a sweep: one directory, a manifest, and one Parquet file per run.

Layout of ``DIR``::

    manifest.json          the sweep: spec, hrsim version, scenarios and their hashes, seeds,
                           every arm (written first, before any run); run ids follow from the
                           arms and seeds (``a0003-r0007``: arm 3, replicate 7), not listed.
                           Every arm runs on the sweep's ``seeds``, or on its own ``seeds``
                           when its entry has them (a PSA: the arms of one parameter sample
                           share theirs); ``seed_of`` says which
    runs/<run_id>.<digest>.parquet
                           one finished run: its weekly series as rows, its outcome totals and
                           identity (sweep fingerprint, arm, replicate, seed, scenario hash) in
                           the file's metadata; ``<digest>`` is the first 16 hex digits of the
                           SHA-256 of the file's bytes (``sha256sum`` shows it)
    .lock                  held while a sweep writes, so two sweeps never write one store

Every file is written to a temporary name, flushed to disk and renamed, so a run file exists
only once it is complete, and its name (with the digest) appears with it. A file is trusted
only if its bytes still hash to the digest in its name: any changed byte, in the rows or in the
footer's metadata, is caught when the store is scanned (on resume, where the file is deleted
and redone, and on load, which refuses a damaged store). Pages also carry Parquet checksums,
verified when series are read. Each run is one file named by its run id, so a run can never be
counted twice. Loading reads only the files' footers for the outcomes, and the series only
when asked for.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import io
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hrsim.errors import StoreError
from hrsim.files import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

FORMAT = "hrsim-sweep/2"
MANIFEST = "manifest.json"
RUNS = "runs"
DIGEST_CHARS = 16
_RUN_KEY = b"hrsim.run"
_OUTCOMES_KEY = b"hrsim.outcomes"
_RUN_ID = re.compile(r"a(\d{4,})-r(\d{4,})")
_RUN_FILE = re.compile(rf"(a\d{{4,}}-r\d{{4,}})\.([0-9a-f]{{{DIGEST_CHARS}}})\.parquet")
_SHOWN = 3  # damaged or foreign files named in a message; the rest are counted


# ---------------------------------------------------------------------------------------------
# Run ids


def run_id_of(arm: int, replicate: int) -> str:
    """The run id of arm number ``arm`` (0-based) and replicate ``replicate``."""
    return f"a{arm:04d}-r{replicate:04d}"


def parse_run_id(run_id: str) -> tuple[int, int] | None:
    """``(arm, replicate)`` of a run id in its one canonical spelling, else None."""
    match = _RUN_ID.fullmatch(run_id)
    if match is None:
        return None
    arm, replicate = int(match[1]), int(match[2])
    return (arm, replicate) if run_id_of(arm, replicate) == run_id else None


class RunIds(Sequence[str]):
    """Every run id of ``arms`` x ``replicates``, arm by arm, made on demand (not stored)."""

    def __init__(self, arms: int, replicates: int) -> None:
        self.arms, self.replicates = arms, replicates

    def __len__(self) -> int:
        return self.arms * self.replicates

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        arm, replicate = divmod(index % len(self), self.replicates)
        return run_id_of(arm, replicate)

    def index(self, run_id: str, start: int = 0, stop: int | None = None) -> int:
        """The position of ``run_id`` (``ValueError`` if it is not one of these runs)."""
        parsed = parse_run_id(run_id)
        if parsed is None or parsed[0] >= self.arms or parsed[1] >= self.replicates:
            raise ValueError(f"{run_id} is not a run of this sweep")
        return parsed[0] * self.replicates + parsed[1]

    def __contains__(self, run_id: object) -> bool:
        try:
            self.index(str(run_id))
        except ValueError:
            return False
        return True


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


def digest_of(payload: bytes) -> str:
    """The digest a run file's name carries: the first 16 hex digits of SHA-256 of its bytes."""
    return hashlib.sha256(payload).hexdigest()[:DIGEST_CHARS]


def run_file_name(run_id: str, payload: bytes) -> str:
    """The name of the file that holds ``payload``, the run ``run_id``."""
    return f"{run_id}.{digest_of(payload)}.parquet"


class DamagedRunFile(ValueError):
    """A run file whose bytes do not match the digest in its name, or that cannot be read."""


def read_identity(path: Path) -> tuple[dict[str, Any], dict[str, float], int]:
    """A run file's identity, outcomes and row count, after checking its digest.

    Raises ``DamagedRunFile`` if the file's bytes do not hash to the digest in its name, it is
    cut short or it is not a run file (``OSError`` if it cannot be read at all).
    """
    match = _RUN_FILE.fullmatch(path.name)
    if match is None:
        raise DamagedRunFile(f"{path.name} is not named as an hrsim run file")
    data = path.read_bytes()
    if digest_of(data) != match[2]:
        raise DamagedRunFile(f"{path.name}: its bytes do not match the digest in its name")
    try:
        meta = pq.read_metadata(pa.BufferReader(data))
        kv = meta.metadata or {}
        identity, outcomes = json.loads(kv[_RUN_KEY]), json.loads(kv[_OUTCOMES_KEY])
    except (KeyError, ValueError, pa.ArrowException) as exc:
        raise DamagedRunFile(f"{path.name} is not an hrsim run file: {exc}") from None
    if not isinstance(identity, dict) or not isinstance(outcomes, dict):
        raise DamagedRunFile(f"{path.name} is not an hrsim run file")
    return identity, outcomes, meta.num_rows


def read_outcomes(path: Path) -> dict[str, float]:
    """A run file's outcome totals from its footer (no digest check: ``scan`` made it)."""
    kv = pq.read_metadata(path).metadata or {}
    return dict(json.loads(kv[_OUTCOMES_KEY]))


def replicates_of(manifest: Mapping[str, Any]) -> int:
    """Replicates per arm of a stored sweep."""
    return int(manifest["replicates"])


def seed_of(manifest: Mapping[str, Any], arm: int, replicate: int) -> int:
    """The seed of arm number ``arm``'s replicate: the arm's own (a PSA), else the sweep's."""
    entry = manifest["arms"][arm]
    seeds = entry["seeds"] if "seeds" in entry else manifest["seeds"]
    return int(seeds[replicate])


def _parsed(run_id: str) -> tuple[int, int]:
    parsed = parse_run_id(run_id)
    if parsed is None:  # only ids scan accepted reach here
        raise ValueError(f"{run_id} is not a run id")
    return parsed


def _named(paths: Sequence[Path], root: Path) -> str:
    shown = ", ".join(str(p.relative_to(root)) for p in paths[:_SHOWN])
    more = f" and {len(paths) - _SHOWN:,} more" if len(paths) > _SHOWN else ""
    return f"{shown}{more}"


# ---------------------------------------------------------------------------------------------
# The directory


class UnreadableManifest(StoreError):
    """The manifest is there but is not JSON (cut short, or changed): ``--repair`` rebuilds it."""


class Scan(dict[str, Path]):
    """What ``Store.scan`` found: run id -> its good file, plus the files that failed."""

    def __init__(self) -> None:
        super().__init__()
        self.damaged: list[Path] = []  # bytes changed, cut short, unreadable, or misnamed


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

    def run_path(self, run_id: str, payload: bytes) -> Path:
        """The file that holds ``payload``, the run ``run_id`` (its name carries the digest)."""
        return self.runs_dir / run_file_name(run_id, payload)

    def run_files(self) -> list[Path]:
        """Every file in ``runs/`` named as a run file, in name order."""
        if not self.runs_dir.is_dir():
            return []
        return sorted(p for p in self.runs_dir.iterdir() if _RUN_FILE.fullmatch(p.name))

    def read_manifest(self) -> dict[str, Any] | None:
        """The manifest, or None if there is none here (yet, or any more)."""
        if not self.manifest_path.exists():
            return None
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise UnreadableManifest(
                f"{self.manifest_path}: unreadable manifest ({' '.join(str(exc).split())});"
                f" to rebuild it from the sweep file: hrsim sweep SWEEP.toml --out {self.root}"
                " --repair"
            ) from None
        if not isinstance(manifest, dict) or not str(manifest.get("format", "")).startswith(
            "hrsim-sweep/"
        ):
            raise StoreError(f"{self.manifest_path} is not an hrsim sweep manifest")
        if manifest["format"] != FORMAT:
            raise StoreError(
                f"{self.root} was made by another hrsim version (store format"
                f" {manifest['format']}, this hrsim reads {FORMAT}); run the sweep again into"
                " a new --out"
            )
        return manifest

    def check_usable(self, manifest: dict[str, Any], repair: bool = False) -> dict[str, Any] | None:
        """Refuse a store that holds another sweep; return the stored manifest, if any.

        Nothing is written: this runs before anything is created. A store whose manifest is
        lost or unreadable but that has run files is refused unless ``repair`` (then the
        manifest is rebuilt from the plan; see ``check_repair``).
        """
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root} exists and is not a directory")
        try:
            stored = self.read_manifest()
        except UnreadableManifest:
            if not repair or not self.manifest_path.is_file():
                raise
            stored = None  # unreadable: rebuilt from the plan
        if stored is None:
            files = self.run_files()
            if files and not repair:
                raise StoreError(
                    f"{self.root} has {len(files):,} run files but its manifest ({MANIFEST}) is"
                    " missing; to rebuild it from the sweep file, run the same hrsim sweep"
                    " command with --repair"
                )
            if files:
                return None
            # A sweep stopped between taking the lock and writing the manifest leaves these.
            leftovers = {".lock", RUNS} if not any(self.runs_dir.glob("*")) else {".lock"}
            if self.root.exists() and any(p.name not in leftovers for p in self.root.iterdir()):
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

    def scan(self, manifest: dict[str, Any], repair: bool = False) -> Scan:
        """The run ids whose files are intact and belong to this sweep, and the damaged files.

        Every run file is read and its bytes checked against the digest in its name. A file
        that fails (any changed byte, cut short, unreadable), or whose identity is not the run
        its name says, is damaged. With ``repair``, damaged files, second copies of a run and
        leftover temporary files are deleted, so the runs are done again. An intact run file of
        a different sweep (another fingerprint) is never deleted: ``StoreError`` names it.
        Files in ``runs/`` not named as run files are left alone.
        """
        found = Scan()
        if not self.runs_dir.is_dir():
            return found
        foreign: list[Path] = []
        extra: list[Path] = []
        for path in sorted(self.runs_dir.iterdir()):
            match = _RUN_FILE.fullmatch(path.name)
            if match is None:
                if repair and path.name.endswith(".tmp"):
                    path.unlink(missing_ok=True)  # a write cut short by a crash
                continue
            verdict = _check_file(path, match[1], manifest)
            if verdict == "foreign":
                foreign.append(path)
            elif verdict == "damaged":
                found.damaged.append(path)
            elif match[1] in found:
                extra.append(path)
            else:
                found[match[1]] = path
        if foreign:
            raise StoreError(
                f"{self.root}: {len(foreign):,} run files belong to a different sweep"
                f" ({_named(foreign, self.root)}); move them away, or use another --out"
            )
        if repair:
            for path in [*found.damaged, *extra]:
                path.unlink(missing_ok=True)
        return found

    def write_run(self, run_id: str, payload: bytes) -> Path:
        """Store one finished run (atomically, its digest in its name); returns its path."""
        path = self.run_path(run_id, payload)
        write_atomic(path, payload)
        return path


def _check_file(path: Path, run_id: str, manifest: Mapping[str, Any]) -> str:
    """The verdict on one run file: good, damaged (fails its digest, or is not its run), foreign."""
    try:
        identity, _, rows = read_identity(path)
    except (OSError, DamagedRunFile):
        return "damaged"
    if identity.get("fingerprint") != manifest["fingerprint"]:
        return "foreign"  # intact, but another sweep's
    arms = manifest["arms"]
    parsed = parse_run_id(run_id)
    if parsed is None or parsed[0] >= len(arms) or parsed[1] >= replicates_of(manifest):
        return "damaged"
    arm = arms[parsed[0]]
    good = (
        rows == arm["weeks"] + 1
        and identity.get("run_id") == run_id
        and identity.get("arm_id") == arm["id"]
        and identity.get("replicate") == parsed[1]
        and identity.get("seed") == seed_of(manifest, parsed[0], parsed[1])
        and identity.get("arm_hash") == arm["hash"]
    )
    return "good" if good else "damaged"


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
    files: dict[str, Path] = field(default_factory=dict)  # run id -> its verified file

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
    def run_ids(self) -> RunIds:
        """Every run id of the sweep (done or not), arm by arm, replicate by replicate."""
        return RunIds(len(self.manifest["arms"]), replicates_of(self.manifest))

    @property
    def total_runs(self) -> int:
        """How many runs the sweep has (arms x replicates)."""
        return len(self.run_ids)

    @property
    def missing(self) -> list[str]:
        """Run ids with no complete result yet."""
        have = set(self.done)
        return [r for r in self.run_ids if r not in have]

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

    def _file(self, run_id: str) -> Path:
        return self.files[run_id]

    def _run_index(self) -> pd.DataFrame:
        arms = self.arms.set_index("arm_id")
        parsed = [_parsed(run_id) for run_id in self.done]
        ids = [self.manifest["arms"][a]["id"] for a, _ in parsed]
        replicates = [r for _, r in parsed]
        runs = pd.DataFrame(
            {
                "run_id": self.done,
                "arm_id": ids,
                "replicate": replicates,
                "seed": [seed_of(self.manifest, a, r) for a, r in parsed],
            },
            columns=["run_id", "arm_id", "replicate", "seed"],
        )
        runs = runs.join(arms[["arm", "scenario", *self.parameters]], on="arm_id")
        return runs.reset_index(drop=True)  # done is in run order already

    @cached_property
    def outcomes(self) -> pd.DataFrame:
        """One row per run and outcome (tidy)."""
        from hrsim.analysis.compare import OUTCOMES

        index = self._run_index()
        values = []
        for run_id in index["run_id"]:
            outcomes = read_outcomes(self._file(run_id))
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
        tables = []
        for run in index.itertuples(index=False):
            path = self._file(run.run_id)
            try:  # page checksums too: a page changed since the store was scanned fails here
                table = pq.read_table(path, columns=columns, page_checksum_verification=True)
            except (OSError, pa.ArrowException) as exc:
                raise StoreError(
                    f"{path}: damaged run file ({' '.join(str(exc).split())[:200]}); run the"
                    " same hrsim sweep command again to redo it"
                ) from None
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
        seeds = [seed_of(self.manifest, 0, r) for r in replicates]
        return summarise(base, [a for a in arms if a != base], runs, seeds)

    # The two plots are drawn on the reporting floor, imported when called (matplotlib too).
    def plot(
        self,
        columns: str | Sequence[str] | None = None,
        *,
        arms: Sequence[str] | str | None = None,
        band: str | None = "ci95",
        quantiles: tuple[float, float] = (0.1, 0.9),
        cumulative: bool = False,
        bin_weeks: int = 1,
        ax: Any = None,
        figsize: tuple[float, float] | None = None,
        ncols: int = 2,
        title: str | None = None,
    ) -> Figure:
        """Per arm, the mean weekly trajectory over replicates with a band; returns the figure.

        ``band="ci95"`` (default) is the 95% t interval of the mean over replicates,
        ``"quantiles"`` the ``quantiles`` of the replicates themselves, ``"none"`` no band; the
        legend says which. See :func:`hrsim.reporting.notebook_plots.plot_experiment`::

            experiment = hrsim.load_experiment("runs/county")
            experiment.plot(["on_moud", "fatal_overdoses"], band="quantiles")
        """
        from hrsim.reporting.notebook_plots import plot_experiment

        return plot_experiment(
            self,
            columns,
            arms=arms,
            band=band,
            quantiles=quantiles,
            cumulative=cumulative,
            bin_weeks=bin_weeks,
            ax=ax,
            figsize=figsize,
            ncols=ncols,
            title=title,
        )

    def plot_comparison(
        self,
        columns: str | Sequence[str] | None = None,
        *,
        baseline: str | None = None,
        arms: Sequence[str] | str | None = None,
        band: str | None = "ci95",
        quantiles: tuple[float, float] = (0.1, 0.9),
        cumulative: bool = True,
        bin_weeks: int = 1,
        averted: bool = True,
        ax: Any = None,
        figsize: tuple[float, float] | None = None,
        ncols: int = 2,
        title: str | None = None,
    ) -> Figure:
        """Per arm, what it averted against the baseline so far, with a paired band.

        The line is the mean over replicates of baseline minus arm (each pair on one seed),
        the band its 95% t interval (``band="ci95"``): at the last week, the numbers
        ``comparison()`` gives. See :func:`hrsim.reporting.notebook_plots.plot_comparison`::

            experiment.plot_comparison(baseline="baseline", columns=["deaths_all_causes"])
        """
        from hrsim.reporting.notebook_plots import plot_comparison

        return plot_comparison(
            self,
            columns,
            baseline=baseline,
            arms=arms,
            band=band,
            quantiles=quantiles,
            cumulative=cumulative,
            bin_weeks=bin_weeks,
            averted=averted,
            ax=ax,
            figsize=figsize,
            ncols=ncols,
            title=title,
        )


def load_experiment(path: str | Path) -> Experiment:
    """Open a sweep's store and return its results (complete runs only; see ``missing``).

    Every run file is checked against its digest first; a store with any damaged file is
    refused (``StoreError`` naming the files), so no changed byte can read back as a number.
    """
    store = Store(Path(path))
    manifest = store.read_manifest()
    if manifest is None:
        if store.run_files():
            raise StoreError(
                f"{path}: the sweep manifest ({MANIFEST}) is missing; to rebuild it from the"
                f" sweep file: hrsim sweep SWEEP.toml --out {path} --repair"
            )
        raise StoreError(f"{path}: no sweep here (no {MANIFEST})")
    found = store.scan(manifest)
    if found.damaged:
        raise StoreError(
            f"{path}: {len(found.damaged):,} run files are damaged (their bytes do not match"
            f" the digest in their names: {_named(found.damaged, store.root)}); run the same"
            " hrsim sweep command again to redo them"
        )
    order = sorted(found, key=_parsed)  # arm by arm, replicate by replicate
    return Experiment(Path(path), manifest, order, files=dict(found))
