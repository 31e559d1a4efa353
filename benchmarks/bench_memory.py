"""Peak memory of one run by population size and horizon: the cost per person behind the check.

    python benchmarks/bench_memory.py                        # 100k, 300k, 1M people; 1 and 10 years
    python benchmarks/bench_memory.py --sizes 100000,300000 --years 1

Each measurement is a fresh process; its peak resident memory comes from wait4. Two kinds:
- ``run``: ``hrsim run`` as a user types it (event log on, results collected and written);
- ``model``: ``runner.run_model`` with no event log, as every run of a sweep does.
An import-only process gives the fixed cost. A least-squares line per kind and horizon gives
the bytes per person; the growth between horizons gives the bytes per person-year (the event
log's). ``hrsim.capacity`` keeps the fitted figures. Results print as a table and are saved
under benchmarks/results/ as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.toml"

IMPORT_ONLY = "import hrsim, hrsim.runner"
MODEL = (
    "from hrsim.runner import run_model; from hrsim.scenario import load_scenario; "
    "run_model(load_scenario({path!r}, {{'run.people': {n}, 'run.years': {years}}}))"
)


def peak_rss_mb(cmd: list[str]) -> float:
    """Peak resident memory of one child process, in MB (``ru_maxrss`` is in KiB on Linux)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    err = proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err}")
    return usage.ru_maxrss / 1024


def command(kind: str, people: int, years: float, out: Path) -> list[str]:
    if kind == "run":
        return [
            sys.executable, "-m", "hrsim.cli", "run", str(BASELINE), "--people", str(people),
            "--years", str(years), "--quiet", "--out", str(out),
        ]  # fmt: skip
    code = MODEL.format(path=str(BASELINE), n=people, years=years)
    return [sys.executable, "-c", code]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,300000,1000000")
    parser.add_argument("--years", default="1,10")
    parser.add_argument("--kinds", default="run,model")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    horizons = [float(y) for y in args.years.split(",")]
    kinds = args.kinds.split(",")
    base = peak_rss_mb([sys.executable, "-c", IMPORT_ONLY])
    print(f"import only: {base:.0f} MB", flush=True)
    rows: list[dict[str, float | int | str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for years in horizons:
            for n in sizes:
                for kind in kinds:
                    out = Path(tmp) / f"{kind}-{n}-{years}"
                    rss = peak_rss_mb(command(kind, n, years, out))
                    rows.append({"kind": kind, "people": n, "years": years, "peak_rss_mb": rss})
                    print(f"{kind:>5} {n:>10,} people {years:>4g} years  {rss:8.0f} MB", flush=True)
    fits = []
    for kind in kinds:
        for years in horizons:
            pts = [
                (r["people"], r["peak_rss_mb"])
                for r in rows
                if (r["kind"], r["years"]) == (kind, years)
            ]
            if len(pts) < 2:
                continue
            x, y = np.array(pts, dtype=float).T
            slope, intercept = np.polyfit(x, y * 2**20, 1)
            fits.append(
                {
                    "kind": kind,
                    "years": years,
                    "bytes_per_person": slope,
                    "intercept_mb": intercept / 2**20,
                }
            )
            print(
                f"fit {kind:>5} {years:>4g} years: {slope:6.0f} bytes/person"
                f" + {intercept / 2**20:5.0f} MB"
            )
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    record = {"import_only_mb": base, "rows": rows, "fits": fits, "python": sys.version.split()[0]}
    (results / f"bench_memory-{stamp}.json").write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
