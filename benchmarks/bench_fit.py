"""What ABC-SMC costs beyond its model runs: ``hrsim fit`` against the same runs done plainly.

The fit of the shipped place at a small size (``--people``, ``--particles``, ``--generations``),
on one worker so that nothing else shares the time; then as many plain runs of the place's
scenario over the fitted years (``run_model``, one after another, the same seeds' kind of work)
as the fit made. The difference is pyabc's and the sampler's share: proposals, the kernel,
the database, pickling each candidate and writing each batch.

    python benchmarks/bench_fit.py                      # about 2 minutes
    python benchmarks/bench_fit.py --people 2000 --particles 12 --generations 2

The machine is shared: figures vary from run to run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from hrsim.analysis.abc_smc import AbcSettings
from hrsim.analysis.fit import fit_place
from hrsim.places import load_place
from hrsim.runner import run_model


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
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = fit_place(place, settings, Path(tmp) / "fit", workers=1)
        fit_wall = time.perf_counter() - start
    runs = int(result.generations["simulations"].sum()) + settings.particles  # + prior sample
    scenario = place.scenario.with_overrides(
        {"run.years": float(place.years_simulated(place.fit_until))}
    )
    start = time.perf_counter()
    for seed in range(runs):
        run_model(scenario.with_overrides({"run.seed": seed + 1}))
    plain = time.perf_counter() - start
    print(
        f"{place.name}: {args.people:,} people, {place.years_simulated(place.fit_until)} years, "
        f"{settings.particles} particles x {settings.generations} generations, 1 worker"
    )
    print(f"  fit:        {fit_wall:7.1f} s for {runs} model runs ({fit_wall / runs:.2f} s a run)")
    print(f"  plain runs: {plain:7.1f} s ({plain / runs:.2f} s a run)")
    own = fit_wall - plain
    print(f"  ABC's own:  {own:7.1f} s ({own / fit_wall:.0%} of the fit)")


if __name__ == "__main__":
    main()
