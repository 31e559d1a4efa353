"""Wall time of ``hrsim validate`` at its default size (30,000 people, 4 replicates, 10 years,
two experiments: 8 runs), with 1 and with 2 local workers, whole command (imports, pool start,
the page's 17 figures included with --html).

    python benchmarks/bench_validate.py              # about 2-3 minutes on 2 cores
    python benchmarks/bench_validate.py --workers 2 --repeat 3

The machine is shared: figures vary from run to run; each is the median of ``--repeat``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(workers: int, html: Path | None) -> tuple[float, int]:
    cmd = [sys.executable, "-m", "hrsim.cli", "validate", "--workers", str(workers)]
    if html is not None:
        cmd += ["--html", str(html)]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr)
    met = next(line for line in proc.stdout.splitlines() if "targets met" in line)
    return wall, int(met.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for workers in args.workers:
            times, met = [], 0
            for i in range(args.repeat):
                wall, met = one(workers, Path(tmp) / f"page-{workers}-{i}.html")
                times.append(wall)
            median = statistics.median(times)
            print(
                f"hrsim validate --workers {workers} --html: median {median:.1f} s"
                f" over {args.repeat} (targets met: {met} of 17)"
            )


if __name__ == "__main__":
    main()
