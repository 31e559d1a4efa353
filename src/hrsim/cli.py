"""The ``hrsim`` command: ``run``, ``compare``, ``validate``, ``sweep`` and ``report``.

Bad input (unknown key, value out of range, malformed TOML, missing file, bad ``--set``)
prints one line on stderr and exits with code 2, writing nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Any, NoReturn

from hrsim.scenario import ScenarioError, load_scenario, parse_set

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = _Parser(prog="hrsim", description="Agent-based simulation of harm reduction.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    run = sub.add_parser("run", help="run one scenario and write its results")
    run.add_argument("scenario", nargs="?", help="scenario TOML file (default: the baseline)")
    run.add_argument("--people", type=int, help="population size")
    run.add_argument("--years", type=float, help="years to simulate")
    run.add_argument("--seed", type=int, help="random seed")
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one parameter (repeatable)",
    )
    run.add_argument("--out", type=Path, help="output directory (default: runs/NAME-seedS)")
    run.add_argument("--no-events", action="store_true", help="skip the event log")
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    cmp = sub.add_parser("compare", help="compare programme arms with a baseline, paired")
    cmp.add_argument("baseline", help="baseline scenario TOML file")
    cmp.add_argument("arms", nargs="+", metavar="ARM", help="arm scenario TOML files")
    cmp.add_argument("--replicates", type=int, default=10, help="paired replicates (default 10)")
    cmp.add_argument("--seed", type=int, default=1, help="base seed for the replicate seeds")
    cmp.add_argument("--people", type=int, help="population size for every arm")
    cmp.add_argument("--years", type=float, help="years to simulate for every arm")
    cmp.add_argument("--workers", type=int, help="processes to use (default: all cores)")
    cmp.add_argument("--json", action="store_true", help="print one JSON object")

    val = sub.add_parser("validate", help="check the model against published targets")
    val.add_argument("--json", action="store_true", help="print results as JSON")
    val.add_argument("--people", type=int, default=None, help="population per replicate")
    val.add_argument("--replicates", type=int, default=None, help="replicates per experiment")
    val.add_argument("--seed", type=int, default=1, help="base seed")
    _add_sweep_commands(sub)
    return parser


def _add_sweep_commands(sub: Any) -> None:
    swp = sub.add_parser("sweep", help="run a sweep of arms x replicates into a resumable store")
    swp.add_argument("spec", metavar="SWEEP.toml", help="sweep TOML file")
    swp.add_argument("--out", type=Path, help="store directory (default: runs/NAME)")
    swp.add_argument("--scheduler", metavar="ADDR", help="Dask scheduler, e.g. tcp://HOST:8786")
    swp.add_argument("--workers", type=int, help="local processes (default: all cores)")
    swp.add_argument("--people", type=int, help="population size for every arm")
    swp.add_argument("--years", type=float, help="years to simulate for every arm")
    swp.add_argument("--replicates", type=int, help="paired replicates per arm")
    swp.add_argument("--seed", type=int, help="base seed for the replicate seeds")
    swp.add_argument("--dry-run", action="store_true", help="list the arms; run nothing")
    swp.add_argument("--quiet", action="store_true", help="no progress bar or summary")

    rep = sub.add_parser("report", help="an HTML report (with PNGs and CSVs) of a sweep")
    rep.add_argument("store", metavar="DIR", type=Path, help="a sweep's store directory")
    rep.add_argument("--out", type=Path, help="report file (default: DIR/report/report.html)")
    rep.add_argument("--baseline", help="compare with this arm (default: the sweep's)")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "report":
            return _report(args)
        return _validate(args)
    except ScenarioError as exc:
        print(f"hrsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hrsim: interrupted", file=sys.stderr)
        return 130


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from hrsim.runner import run, write_run

    overrides: dict[str, Any] = parse_set(args.set)
    for key, value in (
        ("run.people", args.people),
        ("run.years", args.years),
        ("run.seed", args.seed),
    ):
        if value is not None:
            overrides[key] = value
    scenario = load_scenario(args.scenario, overrides)
    out = args.out or Path("runs") / f"{scenario.run.name}-seed{scenario.run.seed}"
    _check_writable(out)
    with tqdm(
        # A terminal that reports a size of 0 (some CI ptys) would hide the bar: fall back.
        ncols=min(shutil.get_terminal_size().columns, 100),
        nrows=max(shutil.get_terminal_size().lines, 2),
        total=scenario.weeks,
        unit="week",
        disable=True if args.quiet else None,
        desc=f"{scenario.run.name} ({scenario.run.people:,} people)",
    ) as bar:
        result = run(scenario, progress=bar.update, record_events=not args.no_events)
    write_run(result, out)
    if not args.quiet:
        print(_summary_table(result.summary(), result.metadata["wall_time_s"], out))
    return 0


def _check_writable(out: Path) -> None:
    """Fail before a long run, not after it, if the results cannot be written to ``out``."""
    if out.exists() and not out.is_dir():
        raise ScenarioError(f"--out {out} exists and is not a directory")
    ancestor = out.absolute().parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise ScenarioError(f"--out {out}: {ancestor} is not a directory")
    if not os.access(ancestor, os.W_OK):
        raise ScenarioError(f"--out {out}: {ancestor} is not writable")


def _summary_table(summary: dict[str, float], wall: float, out: Path) -> str:
    labels = {
        "weeks": "weeks simulated",
        "population_end": "people at the end",
        "overdoses_fatal": "fatal overdoses",
        "overdoses_nonfatal": "non-fatal overdoses",
        "overdoses_reversed": "overdoses reversed with naloxone",
        "deaths_other": "deaths from other causes",
        "hiv_infections": "new HIV infections",
        "hcv_infections": "new HCV infections",
        "moud_starts": "MOUD starts",
        "on_moud_end": "on MOUD at the end",
        "hiv_prevalence_end": "HIV prevalence at the end",
        "hcv_prevalence_end": "HCV prevalence at the end",
    }
    width = max(len(v) for v in labels.values())
    lines = [f"{'outcome':<{width}}  value", f"{'-' * width}  {'-' * 10}"]
    for key, label in labels.items():
        value = summary[key]
        shown = f"{value:.1%}" if key.endswith("prevalence_end") else f"{int(value):,}"
        lines.append(f"{label:<{width}}  {shown}")
    lines.append(f"\nwall time {wall:.1f} s; results in {out}/")
    return "\n".join(lines)


def _compare(args: argparse.Namespace) -> int:
    from hrsim.compare import compare, format_comparison

    if args.replicates < 2:
        raise ScenarioError("--replicates must be at least 2 for paired intervals")
    if args.workers is not None and args.workers < 1:
        raise ScenarioError("--workers must be at least 1")
    overrides: dict[str, Any] = {}
    if args.people is not None:
        overrides["run.people"] = args.people
    if args.years is not None:
        overrides["run.years"] = args.years
    paths = [args.baseline, *args.arms]
    scenarios = [load_scenario(path, overrides) for path in paths]
    names = [s.run.name for s in scenarios]
    if len(set(names)) < len(names):  # two files with the same run.name: use the file names
        names = [Path(path).stem for path in paths]
    result = compare(scenarios[0], scenarios[1:], args.replicates, args.seed, args.workers, names)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(format_comparison(result))
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from hrsim.executors import ExecutorError
    from hrsim.store import Store
    from hrsim.sweep import RunFailures, plan_sweep, run_experiment

    if args.workers is not None and args.workers < 1:
        raise ScenarioError("--workers must be at least 1")
    sizes = {"people": args.people, "years": args.years, "replicates": args.replicates}
    plan = plan_sweep(args.spec, seed=args.seed, **sizes)
    if args.dry_run:
        print(plan.describe())
        return 0
    out = args.out or Path("runs") / plan.name
    _check_writable(out)
    # A batch system's stop (SLURM sends SIGTERM at the time limit) ends the sweep like Ctrl-C:
    # finished runs are kept and the same command finishes the rest.
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        experiment = run_experiment(
            args.spec,
            out,
            workers=args.workers,
            scheduler=args.scheduler,
            seed=args.seed,
            progress=not args.quiet,
            **sizes,
        )
    except KeyboardInterrupt:
        done = len(Store(out).scan(plan.manifest)) if out.exists() else 0
        print(
            f"hrsim: interrupted: {done} of {len(plan.run_ids)} runs are saved in {out}/;"
            " run the same command again to finish the rest",
            file=sys.stderr,
        )
        return 130
    except RunFailures as exc:
        if not args.quiet and exc.experiment.summary is not None:
            print(exc.experiment.summary.format())
        print(f"hrsim: error: {exc}", file=sys.stderr)
        return 1
    except ExecutorError as exc:
        print(f"hrsim: error: {exc}", file=sys.stderr)
        return 1
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not args.quiet:
        print(experiment.summary.format())
        print(f"report: hrsim report {out}")
    return 0


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _report(args: argparse.Namespace) -> int:
    from hrsim.report import write_report
    from hrsim.store import load_experiment

    experiment = load_experiment(args.store)
    out = args.out or args.store / "report" / "report.html"
    _check_writable(out.parent)
    path = write_report(experiment, out, baseline=args.baseline)
    print(f"report: {path} (figures as PNG and tables as CSV in {path.parent}/)")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from hrsim.validation import format_table, run_validation

    kwargs: dict[str, Any] = {"seed": args.seed}
    if args.people is not None:
        kwargs["people"] = args.people
    if args.replicates is not None:
        kwargs["replicates"] = args.replicates
    results = run_validation(**kwargs)
    if args.json:
        print(json.dumps([r.as_dict() for r in results], indent=2))
    else:
        print(format_table(results))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
