"""The command line the scripts in experiments/ share: run (or resume) the script's sweep.

Each script ``NAME.py`` runs the sweep file ``NAME.toml`` beside it into ``runs/NAME`` (or
``--out``), at the sizes the file sets unless ``--people``, ``--years`` or ``--replicates``
say otherwise, on local processes or a Dask scheduler.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import hrsim
from hrsim.batch.store import Experiment


def run_sweep(script: str, doc: str) -> tuple[Experiment, Path]:
    """Parse the script's command line and run its sweep; returns it and its store."""
    path = Path(script).resolve()
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--people", type=int)
    parser.add_argument("--years", type=float)
    parser.add_argument("--replicates", type=int)
    parser.add_argument("--workers", type=int, help="local processes (default: all cores)")
    parser.add_argument("--scheduler", help="a Dask scheduler address instead")
    parser.add_argument("--out", type=Path, default=Path("runs") / path.stem)
    args = parser.parse_args()
    experiment = hrsim.run_experiment(
        path.with_suffix(".toml"),
        args.out,
        people=args.people,
        years=args.years,
        replicates=args.replicates,
        workers=args.workers,
        scheduler=args.scheduler,
    )
    return experiment, args.out
