"""What ABC-SMC costs beyond its model runs: ``hrsim fit``'s time outside ``run_model``.

The fit of the shipped place at a small size (``--people``, ``--particles``,
``--generations``), on one worker and under cProfile, so that the model runs and the rest
(pyabc's proposals, kernel and database, pickling each candidate, writing each batch) are
timed in the same run: a busy machine slows both alike, which comparing with separate plain
runs did not (a first version of this benchmark measured 31% overhead that way, under load;
the profile of the same fit gave 2%).

    python benchmarks/bench_fit.py                      # about 2 minutes
    python benchmarks/bench_fit.py --people 2000 --particles 12 --generations 2
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hrsim.analysis.abc_smc import AbcSettings
from hrsim.analysis.fit import fit_place
from hrsim.places import load_place


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--place", default="massachusetts")
    parser.add_argument("--people", type=int, default=1000)
    parser.add_argument("--particles", type=int, default=8)
    parser.add_argument("--generations", type=int, default=2)
    args = parser.parse_args()
    place = load_place(args.place)
    place = replace(
        place,
        simulated_people=args.people,
        scenario=place.scenario.with_overrides({"run.people": args.people}),
    )
    settings = AbcSettings(particles=args.particles, generations=args.generations, seed=1)
    profile = cProfile.Profile()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        profile.enable()
        result = fit_place(place, settings, Path(tmp) / "fit", workers=1)
        profile.disable()
        wall = time.perf_counter() - start
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    in_runs = sum(v[3] for k, v in stats.items() if k[2] == "run_model")
    runs = sum(v[1] for k, v in stats.items() if k[2] == "run_model")
    print(
        f"{place.name}: {args.people:,} people, {place.years_simulated(place.fit_until)} years, "
        f"{settings.particles} particles x {len(result.generations)} generations, 1 worker"
    )
    print(f"  the fit:         {wall:7.1f} s (under cProfile)")
    print(f"  its {runs} runs:  {in_runs:7.1f} s ({in_runs / runs:.2f} s a run)")
    own = wall - in_runs
    print(f"  the rest:        {own:7.1f} s ({own / wall:.1%} of the fit)")


if __name__ == "__main__":
    main()
