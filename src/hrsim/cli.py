"""The ``hrsim`` command: run, compare, psa, validate, sweep, report, calibrate, sensitivity, ....

Bad input (unknown key, value out of range, malformed TOML, missing file, bad ``--set``)
prints one line on stderr and exits with code 2, writing nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import platform
import shutil
import signal
import sys
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import Any, NoReturn

from hrsim._version import __version__
from hrsim.scenario import ScenarioError, load_scenario, parse_set

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _mesa_version() -> str:
    """Mesa's installed version, read from its metadata (importing Mesa costs a second)."""
    try:
        return metadata.version("mesa")
    except metadata.PackageNotFoundError:
        return "not installed"


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    parser = _Parser(prog="hrsim", description="Agent-based simulation of harm reduction.")
    parser.add_argument(
        "--version",
        action="version",
        version=f"hrsim {__version__} (Python {platform.python_version()}, Mesa {_mesa_version()})",
    )
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
    _force_option(run)
    run.add_argument("--no-events", action="store_true", help="skip the event log")
    run.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    _json_option(run, "the summary")
    run.add_argument(
        "--profile",
        action="store_true",
        help="time each phase of the week (every process and programme) and print the table",
    )
    _plugin_option(run)

    cmp = sub.add_parser("compare", help="compare programme arms with a baseline, paired")
    cmp.add_argument("baseline", help="baseline scenario TOML file")
    cmp.add_argument("arms", nargs="+", metavar="ARM", help="arm scenario TOML files")
    cmp.add_argument("--replicates", type=int, default=10, help="paired replicates (default 10)")
    cmp.add_argument("--seed", type=int, default=1, help="base seed for the replicate seeds")
    cmp.add_argument("--people", type=int, help="population size for every arm")
    cmp.add_argument("--years", type=float, help="years to simulate for every arm")
    cmp.add_argument("--workers", type=int, help="processes to use (default: all cores)")
    cmp.add_argument(
        "--wtp",
        metavar="USD,USD,...",
        help="willingness-to-pay thresholds per QALY for the net monetary benefit"
        " (default 50000,100000,200000)",
    )
    cmp.add_argument(
        "--posterior",
        type=Path,
        metavar="FIT",
        help="an `hrsim fit` folder: each replicate runs at its own posterior draw (intervals"
        " then include the calibration's uncertainty); outcomes for the place if it fitted"
        " the population",
    )
    cmp.add_argument("--json", action="store_true", help="print one JSON object")
    _quiet_option(cmp)
    _plugin_option(cmp)

    _add_psa_command(sub)

    val = sub.add_parser("validate", help="check the model against published targets")
    val.add_argument(
        "scenario", nargs="?", help="scenario TOML file to validate (default: the defaults)"
    )
    val.add_argument("--json", action="store_true", help="print results as JSON")
    val.add_argument("--people", type=int, default=None, help="population per replicate")
    val.add_argument("--replicates", type=int, default=None, help="replicates per experiment")
    val.add_argument("--seed", type=int, default=1, help="base seed")
    val.add_argument("--years", type=float, default=None, help="years per run (default 10)")
    val.add_argument(
        "--html",
        type=Path,
        help="also write an HTML page with a plot per target, and validation.json (what --json"
        " prints) beside it, for hrsim report --validation",
    )
    val.add_argument(
        "--force",
        action="store_true",
        help="replace an existing --html file (or validation.json beside it) hrsim did not write",
    )
    _quiet_option(val)
    _parallel_options(val)
    _plugin_option(val)

    cal = sub.add_parser("calibrate", help="fit parameters to targets with Optuna")
    cal.add_argument("scenario", help="scenario TOML file to calibrate")
    cal.add_argument("--targets", required=True, type=Path, help="targets TOML file")
    cal.add_argument("--trials", type=int, help="trials in all (default: the file's, or 40)")
    cal.add_argument("--batch", type=int, help="trials run together (default: the file's, or 8)")
    cal.add_argument("--replicates", type=int, help="runs per trial on common seeds (default 3)")
    cal.add_argument("--seed", type=int, help="sampler seed and base replicate seed (default 1)")
    cal.add_argument("--people", type=int, help="population size per run")
    cal.add_argument("--years", type=float, help="years per run")
    cal.add_argument("--out", type=Path, help="output directory (default: runs/calibrate-NAME)")
    _force_option(cal)
    cal.add_argument("--quiet", action="store_true", help="no progress or summary")
    _json_option(cal, "the result (calibration.json)")
    _parallel_options(cal)
    _plugin_option(cal)

    sen = sub.add_parser("sensitivity", help="global sensitivity analysis with SALib")
    sen.add_argument("scenario", help="scenario TOML file")
    sen.add_argument(
        "--params",
        nargs="+",
        required=True,
        metavar="NAME[=LOW:HIGH]",
        help="parameters and ranges (a bare name varies by 20%% either way)",
    )
    sen.add_argument("--method", default="sobol", help="sobol (default) or morris")
    sen.add_argument(
        "--samples",
        type=int,
        default=64,
        help="Sobol base samples (a power of 2) or Morris trajectories (default 64)",
    )
    sen.add_argument(
        "--outcome", default="fatal_overdoses", help="outcome (default fatal_overdoses)"
    )
    sen.add_argument(
        "--versus", metavar="ARM", help="an arm scenario: the outcome becomes baseline minus arm"
    )
    sen.add_argument("--replicates", type=int, default=1, help="runs per sample (default 1)")
    sen.add_argument("--seed", type=int, default=1, help="sampling seed and replicate seed")
    sen.add_argument("--people", type=int, help="population size per run")
    sen.add_argument("--years", type=float, help="years per run")
    sen.add_argument("--out", type=Path, help="output directory (default: runs/sensitivity-...)")
    _force_option(sen)
    sen.add_argument("--quiet", action="store_true", help="print nothing but errors")
    _json_option(sen, "the indices")
    _parallel_options(sen)
    _plugin_option(sen)

    par = sub.add_parser("params", help="list every default parameter with its unit and source")
    par.add_argument("--markdown", action="store_true", help="as a Markdown table")
    _json_option(par, "every parameter (name, value, unit, source, PSA distribution)")
    _add_sweep_commands(sub)
    _add_fit_command(sub)

    dash = sub.add_parser("dashboard", help="open the browser dashboard (needs the viz extra)")
    dash.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0: everyone)",
    )
    dash.add_argument("--port", type=int, default=8765, help="port (default 8765; 0: any free)")
    dash.add_argument("--open", action="store_true", help="open it in the default web browser")

    com = sub.add_parser(
        "completion",
        help="print a shell completion script (bash, zsh or tcsh)",
        description="Print a completion script for hrsim's commands and options (made by shtab"
        " from this parser). bash: `hrsim completion bash > ~/.local/share/bash-completion/"
        "completions/hrsim`; zsh: `hrsim completion zsh > ~/.zfunc/_hrsim` with ~/.zfunc on"
        " $fpath before compinit.",
    )
    com.add_argument("shell", choices=["bash", "zsh", "tcsh"], help="the shell")
    return parser


def _plugin_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plugin",
        action="append",
        default=[],
        metavar="FILE.py",
        help="a Python file that registers programmes (repeatable)",
    )


def _json_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--json",
        action="store_true",
        help=f"print {what} as one JSON document on stdout (nothing else on stdout)",
    )


def _quiet_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--quiet", action="store_true", help="no progress bar (the results are still printed)"
    )


def _progress(args: argparse.Namespace, total: int, desc: str, unit: str) -> Any:
    """The command's progress bar on stderr: on a terminal only, none with --quiet."""
    from hrsim.batch.sweep import progress_bar

    return progress_bar(total, desc, unit, "auto" if not args.quiet else False)


def _force_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="write into a non-empty --out: replaces only hrsim's own files, keeps the rest",
    )


def _parallel_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workers", type=int, help="local processes (default: all cores)")
    parser.add_argument("--scheduler", metavar="ADDR", help="a Dask scheduler, tcp://HOST:PORT")


def _add_fit_command(sub: Any) -> None:
    fit = sub.add_parser(
        "fit",
        help="calibrate to a place's data by ABC-SMC: a posterior, predictive checks, hold-out",
        description="Fit the place's parameters to its surveillance series by approximate"
        " Bayesian computation (pyabc's ABC-SMC), then check the posterior: predictive intervals"
        " against the fitted and the held-out years, each parameter's prior against its"
        " posterior, and warnings for parameters the data do not inform. The folder resumes"
        " after an interrupt: run the same command again. Same seed, same posterior, on any"
        " number of workers or a Dask cluster.",
    )
    fit.add_argument("place", help="a place shipped with hrsim (massachusetts) or a place file")
    fit.add_argument("--out", type=Path, help="fit folder (default: runs/fit-<place>)")
    for key, what in (
        ("particles", "particles per generation"),
        ("generations", "generations"),
        ("seed", "seed of the fit"),
        ("batch", "candidates run together (default: the particles)"),
    ):
        fit.add_argument(f"--{key}", type=int, help=f"{what} (default: the place file's)")
    fit.add_argument("--people", type=int, help="simulated people (default: the place file's)")
    fit.add_argument("--draws", type=int, default=40, help="posterior predictive runs (default 40)")
    _force_option(fit)
    _parallel_options(fit)
    _json_option(fit, "the fit's summary (fit.json)")
    _quiet_option(fit)


def _add_psa_command(sub: Any) -> None:
    psa = sub.add_parser(
        "psa",
        help="probabilistic sensitivity analysis: parameter samples x arms, resumable",
        description="Sample every parameter with a distribution (Latin hypercube), run every"
        " arm on each sample's common seeds, and report the incremental table, the CEAC, EVPI"
        " and the parameter vs Monte Carlo variance. The store in --out resumes after an"
        " interrupt: run the same command again.",
    )
    psa.add_argument("baseline", help="baseline scenario TOML file")
    psa.add_argument("arms", nargs="+", metavar="ARM", help="arm scenario TOML files")
    psa.add_argument("--samples", type=int, default=100, help="parameter samples (default 100)")
    psa.add_argument(
        "--replicates", type=int, default=1, help="runs per sample and arm (default 1)"
    )
    psa.add_argument("--seed", type=int, default=1, help="base seed of samples and runs")
    psa.add_argument("--people", type=int, help="population size for every arm")
    psa.add_argument("--years", type=float, help="years to simulate for every arm")
    psa.add_argument(
        "--distributions",
        type=Path,
        metavar="FILE",
        help="TOML file adding, overriding or restricting the distributions ([psa])",
    )
    psa.add_argument(
        "--posterior",
        type=Path,
        metavar="FIT",
        help="an `hrsim fit` folder: draw its fitted parameters from its posterior, and scale"
        " outcomes to the place when it fitted the population",
    )
    psa.add_argument(
        "--base-runs",
        type=int,
        default=0,
        metavar="M",
        help="also run every arm at the base case on M seeds, to measure the Monte Carlo"
        " variance with 1 replicate (default 0)",
    )
    psa.add_argument(
        "--wtp",
        type=float,
        nargs="+",
        metavar="USD",
        help="willingness-to-pay thresholds per unit of effect (default 50000 100000 200000)",
    )
    psa.add_argument("--effect", default="qalys", help="effect outcome (default qalys)")
    psa.add_argument(
        "--cost", default="cost_discounted_usd", help="cost outcome (default cost_discounted_usd)"
    )
    psa.add_argument("--out", type=Path, help="store directory (default: runs/psa-BASELINE)")
    psa.add_argument("--dry-run", action="store_true", help="print the plan; run nothing")
    psa.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    psa.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    _parallel_options(psa)
    _plugin_option(psa)


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
    swp.add_argument(
        "--repair",
        action="store_true",
        help="rebuild a lost or unreadable manifest.json from SWEEP.toml, keep the run files"
        " that belong to the sweep, then run the missing runs (with --dry-run: only say what)",
    )
    swp.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    _json_option(swp, "the summary (with --dry-run: the plan)")
    _plugin_option(swp)

    rep = sub.add_parser("report", help="an HTML report (with PNGs and CSVs) of a sweep")
    rep.add_argument("store", metavar="DIR", type=Path, help="a sweep's store directory")
    rep.add_argument(
        "--out",
        type=Path,
        help="report folder, or FOLDER/NAME.html (default: DIR/report/report.html)",
    )
    _force_option(rep)
    rep.add_argument("--baseline", help="compare with this arm (default: the sweep's)")
    rep.add_argument(
        "--no-pdf",
        dest="pdf",
        action="store_false",
        help="HTML only: skip report.pdf (printing it needs Chromium)",
    )
    rep.add_argument(
        "--validation",
        type=Path,
        metavar="FILE",
        help="the validation result for the validation status: what hrsim validate --json"
        " printed, or the validation.json beside hrsim validate --html's page (default: the"
        " first found in DIR, DIR/validation/, DIR/../validation/ or runs/validation/)",
    )
    _json_option(rep, "what was written and the executive summary's numbers")


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    from hrsim.batch.executors import ExecutorError
    from hrsim.outputs import WriteError

    args = build_parser().parse_args(argv)
    commands = {
        "run": _run,
        "compare": _compare,
        "psa": _psa,
        "validate": _validate,
        "calibrate": _calibrate,
        "sensitivity": _sensitivity,
        "params": _params,
        "sweep": _sweep,
        "report": _report,
        "fit": _fit,
        "dashboard": _dashboard,
        "completion": _completion,
    }
    try:
        if getattr(args, "plugin", None):
            from hrsim.interventions.plugins import load_plugins

            load_plugins(args.plugin)
        if getattr(args, "workers", None) is not None and args.workers < 1:
            raise ScenarioError("--workers must be at least 1")
        if getattr(args, "scheduler", None):
            from hrsim.batch.executors import check_scheduler_address

            check_scheduler_address(args.scheduler)  # before any store or folder is made
        return commands[args.command](args)
    except ExecutorError as exc:  # a lost pool or an unreachable cluster: not bad input
        print(f"hrsim: error: {exc}", file=sys.stderr)
        return 1
    except ScenarioError as exc:
        print(f"hrsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except WriteError as exc:  # disk full, quota, permissions: said where and what was kept
        print(f"hrsim: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `hrsim params | head`: the reader has gone; say nothing
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so that the flush at exit does not fail again
        return 141  # what a shell reports for a command ended by SIGPIPE (128 + 13)
    except OSError as exc:  # any other refusal by the operating system: one line, not a traceback
        print(f"hrsim: error: {_os_error_line(args, exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("hrsim: interrupted", file=sys.stderr)
        return 130


def _os_error_line(args: argparse.Namespace, exc: OSError) -> str:
    """What failed, and for a sweep how many finished runs are kept in its store."""
    from hrsim.outputs import os_error_text

    where = f" ({exc.filename})" if exc.filename else ""
    line = f"{args.command} failed: {os_error_text(exc)}{where}"
    if args.command != "sweep":
        return line
    store, done, total, size = _sweep_progress(args)
    if store is None:
        return line
    again = "free some space" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "fix that"
    kept = (
        f"{done} of {total} runs are finished and kept ({size})" if total else "no run had finished"
    )
    return (
        f"could not write the sweep store {store}: {os_error_text(exc)}{where}; {kept}; "
        f"{again} and run the same command again to finish the rest"
    )


def _sweep_progress(args: argparse.Namespace) -> tuple[Path | None, int, int, str]:
    """The store of a failed sweep, its finished and planned runs and its size on disk."""
    from hrsim.batch.store import Store
    from hrsim.outputs import folder_size, format_bytes

    try:
        store = args.out
        if store is None:
            from hrsim.batch.sweep import plan_sweep

            plan = plan_sweep(args.spec, seed=args.seed, people=args.people, years=args.years,
                              replicates=args.replicates)  # fmt: skip
            store = plan.default_store
        manifest = Store(store).read_manifest()
        if manifest is None:
            return store, 0, 0, format_bytes(folder_size(store))
        done = len(Store(store).scan(manifest))
        total = len(manifest["arms"]) * int(manifest["replicates"])  # run ids are not listed
        return store, done, total, format_bytes(folder_size(store))
    except Exception:  # noqa: BLE001 - the message must come out even if the store is odd
        return None, 0, 0, ""


def _run(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from hrsim.files import safe_file_name
    from hrsim.outputs import prepare
    from hrsim.runner import format_profile, run, write_run

    overrides: dict[str, Any] = parse_set(args.set)
    for key, value in (
        ("run.people", args.people),
        ("run.years", args.years),
        ("run.seed", args.seed),
    ):
        if value is not None:
            overrides[key] = value
    scenario = load_scenario(args.scenario, overrides)
    # A name from the scenario stays inside runs/ ("../../x" and "/x" become "x").
    name = f"{safe_file_name(scenario.run.name)}-seed{scenario.run.seed}"
    out = args.out or Path("runs") / name
    output = prepare(out, "run", force=args.force)  # before the run, not after it
    if output.replaces and not args.force:
        _refuse_replacing_another_run(out, scenario)
    with tqdm(
        # A terminal that reports a size of 0 (some CI ptys) would hide the bar: fall back.
        ncols=min(shutil.get_terminal_size().columns, 100),
        nrows=max(shutil.get_terminal_size().lines, 2),
        total=scenario.weeks,
        unit="week",
        disable=True if args.quiet else None,
        desc=f"{scenario.run.name} ({scenario.run.people:,} people)",
    ) as bar:
        result = run(
            scenario, progress=bar.update, record_events=not args.no_events, profile=args.profile
        )
    write_run(result, output)
    if args.json:
        document = {"out": str(out), "metadata": result.metadata, "summary": result.summary()}
        print(json.dumps(document, indent=2, default=float))
    elif not args.quiet:
        print(_summary_table(result.summary(), result.metadata["wall_time_s"], out))
    if result.phase_seconds is not None and not args.json:
        print(format_profile(result.phase_seconds, scenario.weeks))
    return 0


def _refuse_replacing_another_run(out: Path, scenario: Any) -> None:
    """A previous run in ``out`` is replaced only if this run would write the same results.

    The same scenario (every parameter, the seed and the size: its hash) and the same hrsim
    give the same files, so ``make run`` twice loses nothing; anything else needs --force.
    """
    from hrsim.outputs import OutputError

    try:
        before = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        before = {}
    same = before.get("scenario_hash") == scenario.hash()
    if same and before.get("hrsim_version") == __version__:
        return
    what = (
        f"a run of {before.get('scenario_name', '?')} (seed {before.get('seed', '?')},"
        f" written {before.get('created', '?')})"
        if before
        else "a previous run"
    )
    raise OutputError(
        f"--out {out} holds {what} with other settings; give another --out, or --force to"
        " replace it"
    )


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


def parse_wtp(text: str | None) -> tuple[float, ...]:
    """``--wtp 50000,100000``: thresholds per QALY, each a finite number 0 or more."""
    from hrsim.reporting.economics_figures import DEFAULT_WTP

    if text is None:
        return DEFAULT_WTP
    values = []
    for part in text.split(","):
        try:
            value = float(part.strip())
        except ValueError:
            value = float("nan")
        if not (value >= 0 and value != float("inf")):
            raise ScenarioError(
                f"--wtp: {part.strip()!r} is not a threshold; give US dollars per QALY, each a"
                " number 0 or more, separated by commas (e.g. --wtp 50000,100000,200000)"
            )
        values.append(value)
    return tuple(values)


def _compare(args: argparse.Namespace) -> int:
    from hrsim.analysis.compare import compare, format_comparison

    wtp = parse_wtp(args.wtp)  # before any run
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
    with _progress(args, args.replicates, "compare", "replicate") as bar:
        result = compare(
            scenarios[0], scenarios[1:], args.replicates, args.seed, args.workers, names,
            wtp=wtp, progress=bar.update, posterior=args.posterior,
        )  # fmt: skip
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        print(format_comparison(result))
    return 0


def _psa(args: argparse.Namespace) -> int:
    from hrsim.analysis.psa import (
        DEFAULT_WTP,
        format_summary,
        plan_psa,
        run_psa,
    )
    from hrsim.batch.outcomes import OUTCOMES
    from hrsim.batch.store import Store
    from hrsim.batch.sweep import RunFailures
    from hrsim.messages import did_you_mean

    for name, what in ((args.effect, "effect"), (args.cost, "cost")):
        if name not in OUTCOMES:
            hint = did_you_mean(name, OUTCOMES, always_list=True)
            raise ScenarioError(f"--{what} {name!r}: unknown outcome{hint}")
    overrides = _run_overrides(args)
    paths = [args.baseline, *args.arms]
    scenarios = [load_scenario(path, overrides or None) for path in paths]
    names = [s.run.name for s in scenarios]
    if len(set(names)) < len(names):  # two files with the same run.name: use the file names
        names = [Path(path).stem for path in paths]
    if len(set(names)) < len(names):
        raise ScenarioError(f"psa: two arms share the name '{names[0]}'; rename one (run.name)")
    wtp = tuple(args.wtp) if args.wtp else DEFAULT_WTP
    if any(not w >= 0 or w == float("inf") for w in wtp):
        raise ScenarioError(f"--wtp {' '.join(f'{w:g}' for w in wtp)}: values must be 0 or more")
    plan = plan_psa(
        scenarios[0],
        scenarios[1:],
        names=names,
        files=[str(p) for p in paths],
        samples=args.samples,
        replicates=args.replicates,
        seed=args.seed,
        base_runs=args.base_runs,
        distributions=args.distributions,
        posterior=args.posterior,
    )
    out = args.out or plan.default_store
    if args.dry_run:
        print(plan.describe())
        return 0
    plan.plan.check_size()
    from hrsim.outputs import resolve_folder

    resolve_folder(out)  # a file, ".", home or "/": one line, before any run
    try:
        with _stops_like_ctrl_c():
            data, summary = run_psa(
                plan,
                out,
                workers=args.workers,
                scheduler=args.scheduler,
                progress=not args.quiet and not args.json,
                wtp=wtp,
                effect=args.effect,
                cost=args.cost,
            )
    except KeyboardInterrupt:
        print(
            f"hrsim: interrupted: {_saved_runs(Store(out))} of {plan.total_runs} runs are saved"
            f" in {out}/; run the same command again to finish the rest",
            file=sys.stderr,
        )
        return 130
    except RunFailures as exc:
        print(f"hrsim: error: {exc}", file=sys.stderr)
        return 1
    from hrsim.reporting.psa_report import write_psa_report

    report = write_psa_report(data, summary)  # also the CE plane, CEAC and EVPI as PNG
    figures = [report.parent / f"{name}.png" for name in ("ce_plane", "ceac", "evpi")]
    if args.json:
        print(json.dumps({"plan": data.manifest["psa"], "summary": summary.as_dict()}, indent=2))
    elif not args.quiet:
        print(data.run_summary.format() + "\n")
        print(format_summary(summary))
        shown = ", ".join(p.name for p in figures)
        print(f"\nsamples.csv, psa.csv, summary.json, {shown} in {out}/")
        print(f"report: {report}")
    return 0


def _sweep(args: argparse.Namespace) -> int:
    from hrsim.batch.executors import ExecutorError
    from hrsim.batch.store import Store
    from hrsim.batch.sweep import RunFailures, describe_repair, plan_sweep, run_experiment

    if args.workers is not None and args.workers < 1:
        raise ScenarioError("--workers must be at least 1")
    sizes = {"people": args.people, "years": args.years, "replicates": args.replicates}
    plan = plan_sweep(args.spec, seed=args.seed, **sizes)
    out = args.out or plan.default_store
    if args.dry_run:
        if args.json:
            print(json.dumps({"out": str(out), "runs": plan.total_runs,
                              "manifest": plan.manifest}, indent=2, default=str))  # fmt: skip
            return 0
        print(describe_repair(plan, out) if args.repair else plan.describe())
        return 0
    plan.check_size()
    from hrsim.outputs import resolve_folder

    resolve_folder(out)  # a file, a dangling link, ".", home or "/": one line, before any run
    try:
        with _stops_like_ctrl_c():
            experiment = run_experiment(
                args.spec,
                out,
                workers=args.workers,
                scheduler=args.scheduler,
                seed=args.seed,
                progress="auto" if not args.quiet else False,
                repair=args.repair,
                **sizes,
            )
    except KeyboardInterrupt:
        print(
            f"hrsim: interrupted: {_saved_runs(Store(out))} of {plan.total_runs} runs are saved"
            f" in {out}/; run the same command again to finish the rest",
            file=sys.stderr,
        )
        return 130
    except RunFailures as exc:
        if args.json and exc.experiment.summary is not None:
            print(json.dumps(_sweep_summary(exc.experiment.summary), indent=2))
        elif not args.quiet and exc.experiment.summary is not None:
            print(exc.experiment.summary.format())
        print(f"hrsim: error: {exc}", file=sys.stderr)
        return 1
    except ExecutorError as exc:
        print(f"hrsim: error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(_sweep_summary(experiment.summary), indent=2))
    elif not args.quiet:
        print(experiment.summary.format())
        print(f"report: hrsim report {out}")
    return 0


def _sweep_summary(summary: Any) -> dict[str, Any]:
    """``hrsim sweep --json``: the rows of the summary table, as numbers."""
    return {
        "runs": summary.total,
        "done_now": summary.done_now,
        "done_before": summary.done_before,
        "redone": summary.redone,
        "failed": [{"run_id": r, "error": e} for r, e in summary.failures],
        "missing": summary.total - summary.done_before - summary.done_now,
        "wall_time_s": round(summary.wall_time_s, 3),
        "out": str(summary.out),
        "manifest_rebuilt": summary.rebuilt,
    }


def _saved_runs(store: Any) -> int:
    """Runs whose files are intact in ``store`` (after an interrupt: no manifest, none)."""
    from hrsim.errors import StoreError

    try:
        manifest = store.read_manifest()
        return len(store.scan(manifest)) if manifest is not None else 0
    except StoreError:
        return 0


def _interrupt(signum: int, frame: Any) -> None:
    from hrsim.batch.executors import note_stop

    note_stop(signum)  # heard even when a fork hook swallows the KeyboardInterrupt below
    raise KeyboardInterrupt


@contextlib.contextmanager
def _stops_like_ctrl_c() -> Iterator[None]:
    """Ctrl-C and a batch system's stop (SIGTERM) both end a long command as a KeyboardInterrupt.

    Finished work is kept and the same command goes on from it (SLURM sends SIGTERM at the
    time limit). A background job's ignored Ctrl-C stays ignored. Both handlers note the stop
    for the local pool (``executors.note_stop``), which otherwise misses one landing during a
    fork.
    """
    previous_term = signal.signal(signal.SIGTERM, _interrupt)
    previous_int = signal.getsignal(signal.SIGINT)
    if previous_int is not signal.SIG_IGN:
        signal.signal(signal.SIGINT, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)


def _report(args: argparse.Namespace) -> int:
    from hrsim.batch.store import load_experiment
    from hrsim.outputs import prepare
    from hrsim.reporting.report import write_report_result
    from hrsim.reporting.validation_status import read_validation

    if args.validation is not None:  # before anything is read or written
        if not args.validation.is_file():
            what = "is a folder" if args.validation.is_dir() else "does not exist"
            raise ScenarioError(
                f"--validation {args.validation} {what}; give the file hrsim validate --json"
                " printed to, or the validation.json that hrsim validate --html writes beside"
                " its page"
            )
        try:
            read_validation(args.validation)
        except ValueError as exc:
            raise ScenarioError(
                f"--validation {exc}; give what hrsim validate --json prints"
            ) from None
    experiment = load_experiment(args.store)
    if "psa" in experiment.manifest:  # its arms are samples x arms: not a sweep's report
        raise ScenarioError(
            f"{args.store} is a PSA store (hrsim psa): its results are summary.json, psa.csv"
            " and the ce_plane, ceac and evpi figures there; hrsim report is for sweeps"
        )
    folder, page = _report_place(args.store, args.out)
    output = prepare(folder, "report", force=args.force)
    with output.staging() as tmp:
        result = write_report_result(
            experiment, tmp / page, baseline=args.baseline, validation=args.validation,
            pdf=args.pdf,
        )  # fmt: skip
    if args.json:
        print(json.dumps(result.as_dict(moved=(tmp, folder)), indent=2))
        return 0
    also = f", {Path(page).with_suffix('.pdf')}" if args.pdf else ""
    print(f"report: {folder / page}{also} (figures as PNG and tables as CSV in {folder}/)")
    return 0


def _report_place(store: Path, out: Path | None) -> tuple[Path, str]:
    """The report's folder and page name: ``--out`` is a folder, or ``FOLDER/NAME.html``."""
    if out is None:
        return store / "report", "report.html"
    if out.is_dir() or out.suffix.lower() not in (".html", ".htm"):
        return out, "report.html"
    if out.parent.resolve() == Path.cwd().resolve():  # the figures and tables go beside it
        raise ScenarioError(
            f"--out {out}: the report's PNG and CSV files go next to the page, and hrsim does not"
            " write them into the current directory; give a folder, e.g. --out report/"
        )
    return out.parent, out.name


def _validate(args: argparse.Namespace) -> int:
    import time

    from hrsim.analysis.validation import (
        DEFAULT_PEOPLE,
        DEFAULT_REPLICATES,
        DEFAULT_YEARS,
        EXPERIMENTS,
        format_table,
        results_json,
        run_validation,
    )

    people = DEFAULT_PEOPLE if args.people is None else args.people
    replicates = DEFAULT_REPLICATES if args.replicates is None else args.replicates
    years = DEFAULT_YEARS if args.years is None else args.years
    if replicates < 1:
        raise ScenarioError("--replicates must be at least 1")
    if people < 10:
        raise ScenarioError("--people must be at least 10")
    scenario = load_scenario(args.scenario) if args.scenario else None
    beside = None
    if args.html is not None:
        from hrsim.outputs import check_page
        from hrsim.reporting.validation_status import check_json_beside

        check_page(args.html, "hrsim validation", force=args.force, option="--html")
        beside = check_json_beside(args.html, force=args.force)  # what --json prints, for reports
    start = time.perf_counter()
    tasks = len(EXPERIMENTS) * replicates
    with _progress(args, tasks, "validate", "replicate") as bar:
        results = run_validation(
            people=people,
            replicates=replicates,
            seed=args.seed,
            years=years,
            workers=args.workers,
            scheduler=args.scheduler,
            scenario=scenario,
            progress=bar.update,
        )
    wall = time.perf_counter() - start
    thin = [r for r in results if not r.enough_data]
    if thin:  # on stderr, so that --json stays one document; the table and JSON say it too
        print(
            f"hrsim: warning: {len(thin)} of {len(results)} targets have not enough data at"
            f" {people:,} people x {replicates} replicate(s) x {years:g} years (no events, or"
            " a simulated interval wider than the published one): they are reported as"
            " 'not enough data', not as met; use more --people, --replicates or --years",
            file=sys.stderr,
        )
    document = results_json(results)
    if args.json:
        print(document)
    else:
        print(format_table(results))
        print(f"wall time {wall:.0f} s")
    if args.html is not None and beside is not None:
        from hrsim.files import write_text_atomic
        from hrsim.reporting.validation_page import write_validation_page

        what = f"Scenario {args.scenario}" if args.scenario else "Default scenario"
        settings = (
            f"{what}, {people:,} people, {years:g} years, {replicates} replicates per "
            f"experiment (base seed {args.seed}); wall time {wall:.0f} s."
        )
        write_validation_page(results, args.html, settings)
        write_text_atomic(beside, document + "\n")  # `hrsim report --validation` reads it
        if not args.json:
            print(f"page: {args.html}; results as JSON: {beside}")
    return 0 if all(r.passed for r in results) else 1


def _run_overrides(args: argparse.Namespace) -> dict[str, Any]:
    overrides: dict[str, Any] = {}
    if args.people is not None:
        overrides["run.people"] = args.people
    if args.years is not None:
        overrides["run.years"] = args.years
    return overrides


def _fit(args: argparse.Namespace) -> int:
    from dataclasses import replace

    try:
        import pyabc  # noqa: F401
    except ImportError:
        raise ScenarioError(
            "hrsim fit needs the research extra (pyabc): pip install 'hrsim[research]'; a "
            "finished fit is used without it (compare and psa --posterior)"
        ) from None

    from hrsim.analysis.abc_smc import AbcSettings
    from hrsim.analysis.fit import check_posterior, fit_fingerprint, fit_place, posterior_predictive
    from hrsim.analysis.fit_store import open_fit_folder
    from hrsim.analysis.posterior import read_result
    from hrsim.files import safe_file_name
    from hrsim.places import load_place
    from hrsim.reporting.fit_page import write_fit_outputs

    place = load_place(args.place)
    if args.people is not None:
        if args.people < 50:
            raise ScenarioError(f"--people {args.people}: need at least 50")
        place = replace(
            place,
            simulated_people=args.people,
            scenario=place.scenario.with_overrides({"run.people": args.people}),
        )
    chosen = dict(place.fit_settings)
    for key in ("particles", "generations", "seed", "batch"):
        value = getattr(args, key)
        if value is not None:
            low = 2 if key == "particles" else (1 if key == "generations" else 0)
            if value < low:
                raise ScenarioError(f"--{key} {value}: must be at least {low}")
            chosen[key] = value
    if args.draws < 2:
        raise ScenarioError(f"--draws {args.draws}: must be at least 2")
    settings = AbcSettings(**chosen)
    out = args.out or Path("runs") / f"fit-{safe_file_name(place.name)}"
    fingerprint = fit_fingerprint(place, settings)
    describe = {
        "place": place.name,
        "place_file": str(place.path.resolve()),
        "place_settings": place.settings,
        "settings": settings.__dict__,
    }
    continuing = open_fit_folder(out, fingerprint, describe, force=args.force)
    if continuing and not args.quiet:
        print(f"hrsim: continuing the fit in {out}", file=sys.stderr, flush=True)

    from hrsim.batch.executors import stops_noted

    stops = stops_noted()

    def progress(generation: int, accepted: int, evaluated: int) -> None:
        if stops_noted() > stops:  # a stop that arrived while a worker was forked
            raise KeyboardInterrupt
        if not args.quiet:
            label = (
                "prior sample (sets the first threshold)"
                if generation == 0
                else f"generation {generation}/{settings.generations}"
            )
            print(
                f"{label}: {accepted}/{settings.particles} accepted of {evaluated} run",
                file=sys.stderr,
                flush=True,
            )

    # Ctrl-C and a batch system's stop both end the fit at once, or at the next finished batch.
    try:
        with _stops_like_ctrl_c():
            fit_place(
                place, settings, out, workers=args.workers, scheduler=args.scheduler,
                progress=progress,
            )  # fmt: skip
    except KeyboardInterrupt:
        print(
            f"hrsim: interrupted: what was finished is in {out}; run the same command to continue",
            file=sys.stderr,
        )
        return 130
    result = read_result(out)
    predictive = posterior_predictive(
        place, result.posterior, draws=args.draws, seed=settings.seed,
        workers=args.workers, scheduler=args.scheduler,
    )  # fmt: skip
    checks = check_posterior(place, result.posterior, predictive)
    command = "hrsim fit " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["fit"] else "hrsim fit"
    write_fit_outputs(out, place, settings, result, predictive, checks, command)
    if args.json:
        print((out / "fit.json").read_text(encoding="utf-8"), end="")
        return 0
    print(_fit_summary(place, checks, out))
    return 0


def _fit_summary(place: Any, checks: Any, out: Path) -> str:
    lines = [f"{place.title}: posterior of {len(place.parameters)} parameters", ""]
    lines.append(f"  {'parameter':<36} {'median':>11}  95% interval          contraction")
    for p in checks.parameters:
        lines.append(
            f"  {p.name:<36} {p.median:>11.4g}  {p.low:.4g} to {p.high:.4g}".ljust(74)
            + f"{p.contraction:.2f}"
        )
    lines.append("")
    for role, c in checks.coverage.items():
        lines.append(
            f"  {role} years: {c['inside_95']:.0%} of {c['points']} data points inside the 95% "
            f"predictive interval, {c['inside_50']:.0%} inside the 50%"
        )
    for warning in checks.warnings:
        lines.append(f"  warning: {warning}")
    lines += ["", f"fit.html, posterior.csv, scenario.toml (posterior medians) in {out}/"]
    return "\n".join(lines)


def _calibrate(args: argparse.Namespace) -> int:
    from hrsim.analysis.calibration import (
        CalibrationResult,
        calibrate,
        format_summary,
        load_targets,
    )
    from hrsim.files import safe_file_name
    from hrsim.outputs import prepare
    from hrsim.reporting.calibration_page import (
        RECORD,
        calibration_inputs,
        describe_calibration,
        write_outputs,
        write_trials,
    )
    from hrsim.reporting.provenance import refuse_other_results

    scenario = load_scenario(args.scenario)
    run_scenario = (
        scenario.with_overrides(_run_overrides(args)) if _run_overrides(args) else scenario
    )
    spec = load_targets(args.targets, run_scenario)
    for key in ("trials", "batch", "replicates", "seed"):
        value = getattr(args, key)
        if value is not None:
            if value < (0 if key == "seed" else 1):
                raise ScenarioError(f"--{key} must be at least {0 if key == 'seed' else 1}")
            spec.settings[key] = value
    out = args.out or Path("runs") / f"calibrate-{safe_file_name(scenario.run.name)}"
    output = prepare(out, "calibrate", force=args.force)
    inputs = calibration_inputs(run_scenario, scenario, spec, str(args.targets))
    if output.replaces and not args.force:  # only the same calibration replaces one, as `run`
        refuse_other_results(output, RECORD, inputs, describe_calibration)
    staged = Path()

    def progress(so_far: CalibrationResult) -> None:
        write_trials(so_far, staged / "trials.csv")  # an interrupted study keeps its trials
        if not args.quiet:
            done, total = len(so_far.trials), spec.settings["trials"]
            best = min(t.loss for t in so_far.trials)
            print(f"trials {done}/{total}: best loss {best:.4g}", file=sys.stderr, flush=True)

    try:
        with output.staging(keep_on_interrupt=True) as staged:
            result = calibrate(
                run_scenario, spec, workers=args.workers, scheduler=args.scheduler,
                progress=progress,
            )  # fmt: skip
            write_outputs(result, scenario, staged, str(args.targets), inputs)
    except KeyboardInterrupt:
        kept = staged / "trials.csv"
        where = f"the trials so far are in {kept}; " if kept.is_file() else ""
        print(f"hrsim: interrupted: {where}{out} is as it was", file=sys.stderr)
        return 130
    if args.json:
        print((out / "calibration.json").read_text(encoding="utf-8"), end="")
    elif not args.quiet:
        print(format_summary(result))
        print(
            f"\ncalibrated scenario: {out / 'calibrated.toml'}; trials, loss.png, fit.png in {out}/"
        )
    return 0


def _sensitivity(args: argparse.Namespace) -> int:
    from hrsim.analysis.sensitivity import (
        check_outcome,
        format_summary,
        parse_parameters,
        run_sensitivity,
        runs_needed,
        sample,
    )
    from hrsim.files import safe_file_name
    from hrsim.outputs import prepare
    from hrsim.reporting.provenance import refuse_other_results
    from hrsim.reporting.sensitivity_page import (
        RECORD,
        describe_sensitivity,
        sensitivity_inputs,
        summary,
        write_outputs,
    )

    overrides = _run_overrides(args)
    baseline = load_scenario(args.scenario, overrides or None)
    arm = load_scenario(args.versus, overrides or None) if args.versus else None
    check_outcome(args.outcome)
    if args.method not in ("sobol", "morris"):
        raise ScenarioError(f"--method {args.method!r}: choose sobol or morris")
    params = parse_parameters(args.params, baseline, arm)
    if args.replicates < 1:
        raise ScenarioError("--replicates must be at least 1")
    sample(args.method, params, args.samples, args.seed)  # checks --samples before any run
    name = safe_file_name(baseline.run.name)
    out = args.out or Path("runs") / f"sensitivity-{name}-{args.method}"
    output = prepare(out, "sensitivity", force=args.force)
    inputs = sensitivity_inputs(
        baseline, arm, params, method=args.method, samples=args.samples, outcome=args.outcome,
        replicates=args.replicates, seed=args.seed,
    )  # fmt: skip
    if output.replaces and not args.force:  # only the same analysis replaces one, as `run`
        refuse_other_results(output, RECORD, inputs, describe_sensitivity)
    n = runs_needed(args.method, args.samples, len(params), args.replicates, arm is not None)
    if not args.quiet:
        print(f"{args.method}: {n:,} runs", file=sys.stderr, flush=True)
    tasks = n // (2 if arm is not None else 1)  # a paired sample's two runs are one task
    with output.staging() as staged, _progress(args, tasks, "sensitivity", "task") as bar:
        result = run_sensitivity(
            baseline,
            params,
            method=args.method,
            samples=args.samples,
            outcome=args.outcome,
            arm=arm,
            replicates=args.replicates,
            seed=args.seed,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=bar.update,
        )
        write_outputs(result, staged, inputs)
    if args.json:
        print(json.dumps(summary(result) | {"out": str(out)}, indent=2))
    elif not args.quiet:
        print(format_summary(result))
        print(
            f"\nindices.csv, samples.csv, indices.png, sensitivity.html and sensitivity.json"
            f" in {out}/"
        )
    return 0


def _params(args: argparse.Namespace) -> int:
    from hrsim.scenario.paramdocs import parameter_markdown, parameter_records, parameter_text

    if args.json:
        print(json.dumps(parameter_records(), indent=2))
    else:
        print(parameter_markdown() if args.markdown else parameter_text())
    return 0


def _completion(args: argparse.Namespace) -> int:
    """The completion script for ``args.shell``, from this parser (shtab)."""
    import shtab

    print(shtab.complete(build_parser(), shell=args.shell), end="")
    return 0


def _dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard with Solara (imported only here: ``import hrsim`` stays light)."""
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
    app = Path(__file__).resolve().parent / "dashboard" / "app.py"  # package data of hrsim
    from solara.server import settings as solara_settings

    cache = Path(solara_settings.assets.proxy_cache_dir)
    if not (cache / "vega@5" / "build" / "vega.min.js").is_file():
        print(
            "hrsim: note: the chart files are not installed for offline use (the page will "
            "fetch them from a CDN): run `python -m hrsim.dashboard.offline_assets`",
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
