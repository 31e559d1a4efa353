"""Time `hrsim run` on the baseline next to the plain NumPy reference model, alternated.

    python benchmarks/bench_run.py                       # 10k, 100k and 1M people, 10 years
    python benchmarks/bench_run.py --sizes 100000 --repeats 3

Each measurement is a fresh process (whole-process wall time, model construction and writing
the results included) and its peak resident memory (from wait4). hrsim and the reference
alternate so that both see the same machine load. Model construction alone is timed too.
Results print as a table and are saved under benchmarks/results/ as JSON.
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

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REF = ROOT.parent / "shared" / "bench" / "ref_numpy.py"


def measure(cmd: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB, and stdout of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    out = proc.stdout.read() if proc.stdout else ""
    err = proc.stderr.read() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024, out


def hrsim_cmd(people: int, years: float, out: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hrsim.cli",
        "run",
        str(ROOT / "scenarios" / "baseline.toml"),
        "--people",
        str(people),
        "--years",
        str(years),
        "--quiet",
        "--out",
        str(out),
    ]


BUILD = (
    "import time; t=time.perf_counter(); from hrsim import HarmReductionModel as M; "
    "i=time.perf_counter(); M(people={n}); print(i-t, time.perf_counter()-i)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--ref", type=Path, default=DEFAULT_REF)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    weeks = round(args.years * 52)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            for r in range(args.repeats):
                wall, rss, _ = measure(hrsim_cmd(n, args.years, Path(tmp) / f"run{n}-{r}"))
                ref_wall, ref_rss, _ = measure([sys.executable, str(args.ref), str(n), str(weeks)])
                _, _, out = measure([sys.executable, "-c", BUILD.format(n=n)])
                imp, build = (float(x) for x in out.split())
                row = {
                    "people": n,
                    "weeks": weeks,
                    "repeat": r,
                    "hrsim_wall_s": wall,
                    "hrsim_peak_rss_mb": rss,
                    "build_s": build,
                    "import_s": imp,
                    "ref_wall_s": ref_wall,
                    "ref_peak_rss_mb": ref_rss,
                    "ratio": wall / ref_wall,
                }
                rows.append(row)
                print(
                    f"{n:>9,} people  hrsim {wall:7.2f} s {rss:7.0f} MB  "
                    f"(build {build:5.2f} s)   ref_numpy {ref_wall:7.2f} s {ref_rss:6.0f} MB   "
                    f"ratio {wall / ref_wall:4.2f}",
                    flush=True,
                )
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (results / f"bench_run-{stamp}.json").write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
