"""The ``hrsim`` command: ``hrsim run``, ``compare``, ``validate`` and ``dashboard``.

Bad input (unknown key, value out of range, malformed TOML, missing file, bad ``--set``)
prints one line on stderr and exits with code 2, writing nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

    dash = sub.add_parser("dashboard", help="open the browser dashboard (needs the viz extra)")
    dash.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: everyone)",
    )
    dash.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free)")
    dash.add_argument("--open", action="store_true", help="open it in the default web browser")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "dashboard":
            return _dashboard(args)
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


def _dashboard(args: argparse.Namespace) -> int:
    """Serve dashboards/app.py with Solara (imported only here: ``import hrsim`` stays light)."""
    if not 0 <= args.port <= 65535:
        raise ScenarioError(f"--port {args.port} is out of range: allowed 0 to 65535")
    try:
        import solara  # noqa: F401
    except ImportError:
        print(
            "hrsim: error: the dashboard needs the viz extra: pip install -e '.[viz]' "
            "(or run `make dashboard`)",
            file=sys.stderr,
        )
        return 1
    app = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
    if not app.is_file():
        raise ScenarioError(f"the dashboard is not here: {app} (it ships with a source checkout)")
    from solara.server import settings as solara_settings

    cache = Path(solara_settings.assets.proxy_cache_dir)
    if not (cache / "vega@5" / "build" / "vega.min.js").is_file():
        print(
            "hrsim: note: the chart files are not installed for offline use (the page will "
            "fetch them from a CDN): run `python dashboards/offline_assets.py` or `make dashboard`",
            file=sys.stderr,
        )
    command = [sys.executable, "-m", "solara", "run", str(app), "--production"]
    command += ["--host", args.host, "--port", str(args.port)]
    command += ["--open" if args.open else "--no-open"]
    # Solara reports usage to a web service by default; a dashboard for health departments
    # and classrooms should not phone home.
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False"}
    sys.stdout.flush()
    # Become the server (same process), so Ctrl-C and kill reach it directly.
    os.execve(sys.executable, command, env)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
