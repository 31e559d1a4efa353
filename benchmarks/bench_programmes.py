"""Time the baseline and the full package side by side (issue: the package adds <= 50%).

    python benchmarks/bench_programmes.py                 # 100,000 people, 10 years, 2 rounds
    python benchmarks/bench_programmes.py --people 20000 --rounds 3

Each measurement builds and runs the model in a fresh process (no event log, as sweeps run),
baseline and full package alternating so both see the same machine load.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CODE = (
    "import time; from hrsim import HarmReductionModel, load_scenario; "
    "s = load_scenario({path!r}, {{'run.people': {n}, 'run.years': {years}}}); "
    "t = time.perf_counter(); m = HarmReductionModel(s, record_events=False); m.run(); "
    "print(time.perf_counter() - t)"
)


def timed(path: Path, people: int, years: float) -> float:
    code = CODE.format(path=str(path), n=people, years=years)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--years", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    base_path = ROOT / "scenarios" / "baseline.toml"
    full_path = ROOT / "scenarios" / "full_package.toml"
    for r in range(args.rounds):
        base = timed(base_path, args.people, args.years)
        full = timed(full_path, args.people, args.years)
        print(
            f"round {r + 1}: baseline {base:6.2f} s   full package {full:6.2f} s   "
            f"added {100 * (full / base - 1):5.1f}%",
            flush=True,
        )


if __name__ == "__main__":
    main()
