"""Sweep speed and scale: parallel speed-up, per-run overhead, coordinator memory.

    python benchmarks/bench_sweep.py            # all three, a few minutes on 2 cores
    python benchmarks/bench_sweep.py --only speedup --repeat 3

(a) speed-up: ``hrsim sweep`` of 16 runs (5,000 people x 5 years) with 1 and with 2 local
    workers, whole-command wall time (imports, pool start, writing included); target >= 1.7x.
(b) per-run overhead: a sweep of many tiny runs minus the same runs' model time in one
    process, per run (task hand-over, pickling, Parquet encoding, atomic write); target < 0.5 s.
(c) coordinator memory: peak RSS of the coordinating process (not its workers) for 100 and
    1,000 tiny runs; target: no growth.

The machine is shared: figures vary from run to run; each is the median of ``--repeat``.
Run it with the interpreter of the environment to measure (``.venv313/bin/python
benchmarks/bench_sweep.py``): every command it times is started with that interpreter.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SPEEDUP_SPEC = """
[sweep]
name = "bench_speedup"
replicates = 8
seed = 1
people = 5000
years = 5
[grid]
interventions.syringe_services.coverage_fraction = [0.0, 0.5]
"""

TINY = {"people": 100, "years": 0.1}


def adopt_orphans() -> None:
    """Become the subreaper of the commands timed here (Linux), so CPU seconds count them all.

    Local workers are children of a fork server, which outlives the command by a moment and is
    then re-parented: without this its workers' CPU time would not reach RUSAGE_CHILDREN.
    """
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (AttributeError, OSError):
        pass


def reap_orphans() -> None:
    """Wait for the command's re-parented descendants (the fork server) to end."""
    while True:
        try:
            os.wait()
        except ChildProcessError:
            return


def tiny_spec(runs: int) -> dict:
    return {"sweep": {"name": "bench_tiny", "replicates": runs, "seed": 1, **TINY}}


def speedup(repeat: int, replicates: int, people: int, years: float) -> dict:
    times: dict[int, list[float]] = {1: [], 2: []}
    cores: dict[int, list[float]] = {1: [], 2: []}
    cpu_s: dict[int, list[float]] = {1: [], 2: []}
    with tempfile.TemporaryDirectory() as tmp:
        spec = Path(tmp) / "sweep.toml"
        text = SPEEDUP_SPEC.replace("replicates = 8", f"replicates = {replicates}")
        text = text.replace("people = 5000", f"people = {people}")
        spec.write_text(text.replace("years = 5", f"years = {years}"))
        for i in range(repeat):
            for workers in (1, 2):
                out = Path(tmp) / f"w{workers}-{i}"
                command = [sys.executable, "-m", "hrsim.cli", "sweep", str(spec), "--quiet"]
                command += ["--out", str(out), "--workers", str(workers)]
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                start = time.perf_counter()
                subprocess.run(command, check=True)
                wall = time.perf_counter() - start
                reap_orphans()
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
                times[workers].append(round(wall, 2))
                cores[workers].append(round(cpu / wall, 2))  # cores the command actually got
                cpu_s[workers].append(round(cpu, 1))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    return {
        "runs": 2 * replicates,
        "one_worker_s": one,
        "two_workers_s": two,
        "speedup": one / two,
        "all_s": times,
        "cores": cores,
        "cpu_s": cpu_s,
    }


def overhead(runs: int, repeat: int) -> dict:
    """Run in a fresh process so imports are not counted; returns seconds per run."""
    code = f"""
import json, time, tempfile
from pathlib import Path
from hrsim import run_experiment
from hrsim.model import HarmReductionModel
from hrsim.batch.sweep import plan_sweep

if __name__ == "__main__":
    spec = {tiny_spec(runs)!r}
    plan = plan_sweep(spec)
    arm = plan.arms[0].spec
    HarmReductionModel(arm.with_overrides({{"run.seed": 0}}), record_events=False).run()  # warm
    start = time.perf_counter()
    for seed in plan.seeds:
        model = HarmReductionModel(arm.with_overrides({{"run.seed": seed}}), record_events=False)
        model.run()
        model.timeseries_frame(); model.programme_frame()
    model_time = time.perf_counter() - start
    out = {{"model_s": model_time}}
    with tempfile.TemporaryDirectory() as tmp:
        for workers in (1, 2):
            start = time.perf_counter()
            run_experiment(spec, Path(tmp) / str(workers), workers=workers, progress=False)
            out[f"sweep_{{workers}}_s"] = time.perf_counter() - start
    print(json.dumps(out))
"""
    results = []
    for _ in range(repeat):
        text = subprocess.run(
            [sys.executable, "-c", code], check=True, capture_output=True, text=True
        ).stdout
        results.append(json.loads(text.strip().splitlines()[-1]))
    model = statistics.median(r["model_s"] for r in results)
    one = statistics.median(r["sweep_1_s"] for r in results)
    two = statistics.median(r["sweep_2_s"] for r in results)
    return {
        "runs": runs,
        "model_s_per_run": model / runs,
        # In one process: everything but the model, per run.
        "overhead_1_worker_s_per_run": (one - model) / runs,
        # On 2 workers: worker-seconds not spent in the model (pool start included), per run.
        "overhead_2_workers_s_per_run": (2 * two - model) / runs,
        "sweep_1_worker_s": one,
        "sweep_2_workers_s": two,
    }


def coordinator_memory(runs: int) -> dict:
    code = f"""
import json, resource, tempfile, time
from pathlib import Path
from hrsim import run_experiment

if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        run_experiment({tiny_spec(runs)!r}, Path(tmp) / "s", workers=2, progress=False)
        wall = time.perf_counter() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # this process only
    print(json.dumps({{"peak_rss_mb": rss, "wall_s": wall}}))
"""
    text = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return {"runs": runs, **json.loads(text.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["speedup", "overhead", "memory"])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--replicates", type=int, default=8, help="(a): runs = 2 x this")
    parser.add_argument("--people", type=int, default=5000, help="(a): people per run")
    parser.add_argument("--years", type=float, default=5.0, help="(a): years per run")
    args = parser.parse_args()
    adopt_orphans()
    print(
        f"{sys.executable} (Python {sys.version.split()[0]}); cores available: "
        f"{len(os.sched_getaffinity(0))}; load average: {os.getloadavg()}"
    )
    if args.only in (None, "speedup"):
        s = speedup(args.repeat, args.replicates, args.people, args.years)
        print(
            f"(a) {s['runs']} runs x {args.people:,} people x {args.years:g} years: "
            f"1 worker {s['one_worker_s']:.1f} s, 2 workers {s['two_workers_s']:.1f} s, "
            f"speed-up {s['speedup']:.2f}x (target >= 1.7); walls {s['all_s']}; "
            f"cores obtained (CPU time / wall) {s['cores']}; CPU seconds {s['cpu_s']}"
        )
    if args.only in (None, "overhead"):
        o = overhead(200, args.repeat)
        print(
            f"(b) {o['runs']} tiny runs: model {o['model_s_per_run'] * 1000:.1f} ms/run; "
            f"overhead {o['overhead_1_worker_s_per_run'] * 1000:.1f} ms/run in one process, "
            f"{o['overhead_2_workers_s_per_run'] * 1000:.1f} ms/run (worker time) on 2 workers"
            f" (target < 500 ms); sweep wall {o['sweep_1_worker_s']:.1f} s / "
            f"{o['sweep_2_workers_s']:.1f} s"
        )
    if args.only in (None, "memory"):
        for runs in (100, 1000):
            m = coordinator_memory(runs)
            print(
                f"(c) {runs:>5} tiny runs on 2 workers: coordinator peak RSS "
                f"{m['peak_rss_mb']:.0f} MB, wall {m['wall_s']:.1f} s"
            )


if __name__ == "__main__":
    main()
