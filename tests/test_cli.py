"""The ``hrsim`` command end to end, run as a real subprocess."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

import hrsim
from hrsim.scenario import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BASELINE = SCENARIOS / "baseline.toml"

STATES = ["active", "detox", "methadone", "buprenorphine", "recovery", "prison", "jail"]
TIMESERIES_COLUMNS = [
    "week",
    *STATES,
    "overdoses_fatal",
    "overdoses_nonfatal",
    "overdoses_reversed",
    "hiv_infections",
    "hcv_infections",
    "hiv_prevalence",
    "hcv_prevalence",
    "entries",
    "exits",
]
EVENT_COLUMNS = ["person", "week", "kind", "from_state", "to_state", "detail"]
RUN_FILES = {
    "timeseries.parquet",
    "events.parquet",
    "programmes.parquet",
    "scenario.toml",
    "metadata.json",
    ".hrsim-output",  # the marker: what kind of output this folder is (hrsim.outputs)
}


def hrsim_cli(*args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "hrsim.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def small_run(out, seed, *extra, cwd):
    return hrsim_cli(
        "run", BASELINE, "--people", 300, "--years", 0.5, "--seed", seed, "--out", out, *extra,
        cwd=cwd,
    )  # fmt: skip


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("run")
    out = cwd / "out"
    proc = small_run(out, 3, cwd=cwd)
    return proc, out


def test_version_names_hrsim_python_and_mesa(tmp_path):
    """``hrsim --version`` exits 0 with the installed package's version (the one pyproject
    declares), and the Python and Mesa it runs on."""
    from importlib import metadata

    proc = hrsim_cli("--version", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    line = proc.stdout.strip()
    assert line.startswith(f"hrsim {hrsim.__version__} (Python ")
    assert hrsim.__version__ == metadata.version("hrsim")
    assert f"Mesa {metadata.version('mesa')}" in line


# -- a successful run ----------------------------------------------------------------------


def test_run_exits_zero_and_writes_its_files(baseline_run):
    proc, out = baseline_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert {p.name for p in out.iterdir()} == RUN_FILES
    # The atomic write leaves no temporary sibling behind.
    assert [p.name for p in out.parent.iterdir()] == ["out"]


def test_timeseries_has_one_row_per_week_and_the_columns(baseline_run):
    _, out = baseline_run
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts["week"].tolist() == list(range(27))
    missing = [c for c in [*TIMESERIES_COLUMNS, "population"] if c not in ts.columns]
    assert missing == []
    assert (ts[STATES].sum(axis=1) == ts["population"]).all()
    # Week 0 is after the default burn-in (run.burn_in_years): the 300 drawn have moved on
    # (deaths, initiation), so week 0 is whoever is there then, one initial event each.
    events = pd.read_parquet(out / "events.parquet")
    assert ts.loc[0, "population"] == (events["kind"] == "initial").sum()
    assert ts["hiv_prevalence"].between(0, 1).all()
    assert ts["hcv_prevalence"].between(0, 1).all()


def test_events_have_the_columns_and_one_initial_event_per_person(baseline_run):
    _, out = baseline_run
    events = pd.read_parquet(out / "events.parquet")
    assert list(events.columns) == EVENT_COLUMNS
    ts = pd.read_parquet(out / "timeseries.parquet")
    week0 = int(ts.loc[0, "population"])  # after burn-in: not the 300 drawn (see below)
    initial = events[events["kind"] == "initial"]
    assert len(initial) == week0
    assert initial["person"].nunique() == week0
    assert (initial["week"] == 0).all()
    assert set(initial["to_state"].astype(str)) <= set(STATES)


def test_without_burn_in_week_0_is_the_population_as_drawn(tmp_path):
    out = tmp_path / "out"
    proc = small_run(out, 3, "--set", "run.burn_in_years=0", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts.loc[0, "population"] == 300
    initial = pd.read_parquet(out / "events.parquet").query("kind == 'initial'")
    assert sorted(initial["person"]) == list(range(300))


def test_metadata_and_written_scenario_agree(baseline_run):
    _, out = baseline_run
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    for key in ("hrsim_version", "seed", "scenario_hash", "wall_time_s"):
        assert key in metadata
    assert metadata["hrsim_version"] == hrsim.__version__
    assert metadata["seed"] == 3
    assert isinstance(metadata["wall_time_s"], int | float) and metadata["wall_time_s"] >= 0

    written = load_scenario(out / "scenario.toml")
    assert written.hash() == metadata["scenario_hash"]
    assert (written.run.people, written.run.years, written.run.seed) == (300, 0.5, 3)
    # The hash computed in this process matches the one the command computed.
    expected = load_scenario(BASELINE, {"run.people": 300, "run.years": 0.5, "run.seed": 3})
    assert expected.hash() == metadata["scenario_hash"]


def test_summary_table_is_printed_on_stdout(baseline_run):
    proc, out = baseline_run
    ts = pd.read_parquet(out / "timeseries.parquet")
    rows = {}
    for line in proc.stdout.splitlines():
        label, sep, value = line.rpartition("  ")
        if sep:
            rows[label.strip()] = value.strip()
    assert rows["weeks simulated"] == "26"
    assert rows["people at the end"] == f"{int(ts['population'].iloc[-1]):,}"
    assert rows["fatal overdoses"] == f"{int(ts['overdoses_fatal'].sum()):,}"
    assert rows["new HIV infections"] == f"{int(ts['hiv_infections'].sum()):,}"
    assert "results in" in proc.stdout and str(out) in proc.stdout


def test_same_seed_same_results_different_seed_different(baseline_run, tmp_path):
    _, first = baseline_run
    again = small_run(tmp_path / "again", 3, cwd=tmp_path)
    other = small_run(tmp_path / "other", 4, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert other.returncode == 0, other.stderr

    ts = pd.read_parquet(first / "timeseries.parquet")
    assert_frame_equal(ts, pd.read_parquet(tmp_path / "again" / "timeseries.parquet"))
    events = pd.read_parquet(first / "events.parquet")
    assert_frame_equal(events, pd.read_parquet(tmp_path / "again" / "events.parquet"))

    assert not ts.equals(pd.read_parquet(tmp_path / "other" / "timeseries.parquet"))


def test_set_is_reflected_in_the_written_scenario(tmp_path):
    out = tmp_path / "out"
    proc = small_run(out, 3, "--set", "care.aftercare_fraction=0.9", "--quiet", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # --quiet
    written = load_scenario(out / "scenario.toml")
    assert written.care.aftercare_fraction == 0.9
    assert Scenario.default().care.aftercare_fraction != 0.9
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    assert written.hash() == metadata["scenario_hash"]


def test_run_without_a_scenario_uses_the_default(tmp_path):
    proc = hrsim_cli("run", "--people", 200, "--years", 0.2, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "runs" / "baseline-seed1"  # the default output directory
    assert {p.name for p in out.iterdir()} == RUN_FILES
    metadata = json.loads((out / "metadata.json").read_text(encoding="utf-8"))
    expected = Scenario.default().with_overrides({"run.people": 200, "run.years": 0.2})
    assert metadata["scenario_hash"] == expected.hash()
    assert metadata["people"] == 200
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert ts["week"].tolist() == list(range(expected.weeks + 1))


# -- bad input -----------------------------------------------------------------------------

BAD_INPUT = {
    # id: (scenario file text or None for baseline.toml, extra args, expected in the message)
    "unknown-set-key": (
        None,
        ["--set", "care.relapse_firstweek_probability=0.5"],
        ["care.relapse_firstweek_probability", "'care.relapse_first_week_probability'"],
    ),
    "out-of-range-set": (
        None,
        ["--set", "care.aftercare_fraction=1.5"],
        ["care.aftercare_fraction", "1.5", "0 to 1"],
    ),
    "malformed-set": (None, ["--set", "care.aftercare_fraction"], ["care.aftercare_fraction"]),
    "malformed-toml": ("[care]\naftercare_fraction = \n", [], ["bad.toml", "line 2"]),
    "missing-file": ("", [], ["no_such.toml"]),
    "unknown-key-in-file": (
        "[care]\nafercare_fraction = 0.5\n",
        [],
        ["bad.toml", "care.afercare_fraction", "'care.aftercare_fraction'"],
    ),
    "unknown-option": (None, ["--bogus-option"], ["--bogus-option"]),
    "non-utf8-file": (b"[run]\nname = '\xff'\n", [], ["bad.toml"]),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, case):
    text, extra, expected = BAD_INPUT[case]
    if text is None:
        scenario = BASELINE
    elif case == "missing-file":
        scenario = tmp_path / "no_such.toml"
    else:
        scenario = tmp_path / "bad.toml"
        if isinstance(text, bytes):
            scenario.write_bytes(text)
        else:
            scenario.write_text(text, encoding="utf-8")
    before = set(tmp_path.iterdir())
    out = tmp_path / "out"

    proc = hrsim_cli(
        "run", scenario, "--people", 100, "--years", 0.1, "--out", out, *extra, cwd=tmp_path
    )

    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].strip()
    assert lines[0].startswith("hrsim")
    for fragment in expected:
        assert fragment in lines[0]
    assert proc.stdout == ""
    assert not out.exists()
    assert set(tmp_path.iterdir()) == before  # no temporary directory, no runs/


def test_output_directory_has_ordinary_permissions(tmp_path):
    out = tmp_path / "perm"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "hrsim.cli",
            "run",
            "--people",
            "100",
            "--years",
            "0.1",
            "--quiet",
            "--out",
            str(out),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    umask = os.umask(0)
    os.umask(umask)
    assert (out.stat().st_mode & 0o777) == (0o777 & ~umask)


# -- output folders: nothing the user did not ask to replace is deleted (issue 18) ----------

TINY = ("--people", 100, "--years", 0.1, "--quiet")


def tiny_run(*args, cwd):
    return hrsim_cli("run", *TINY, *args, cwd=cwd)


def files_in(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def one_line_exit_2(proc, *fragments):
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("hrsim: error: ")
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def test_run_into_a_folder_of_user_files_is_refused_and_deletes_nothing(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "n").write_text("x\n")
    line = one_line_exit_2(tiny_run("--out", "keep", cwd=tmp_path), "--out keep", "--force")
    assert "not empty" in line
    assert sorted(p.name for p in keep.iterdir()) == ["n"]
    assert (keep / "n").read_text() == "x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]


def test_rerunning_into_a_previous_run_folder_replaces_it(tmp_path):
    # What `make run` does: the same --out twice in a row, the same results: replaced.
    assert tiny_run("--out", "runs/baseline", cwd=tmp_path).returncode == 0
    first = json.loads((tmp_path / "runs/baseline/metadata.json").read_text())
    again = tiny_run("--out", "runs/baseline", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    # Other settings would lose the first run's results: refused in one line, nothing lost.
    before = files_in(tmp_path / "runs" / "baseline")
    line = one_line_exit_2(
        tiny_run("--out", "runs/baseline", "--seed", 2, cwd=tmp_path),
        "--out runs/baseline holds a run of baseline (seed 1",
        "--force",
    )
    assert "other settings" in line
    assert files_in(tmp_path / "runs" / "baseline") == before
    # --force replaces it.
    proc = tiny_run("--out", "runs/baseline", "--seed", 2, "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    out = tmp_path / "runs" / "baseline"
    assert {p.name for p in out.iterdir()} == RUN_FILES
    assert json.loads((out / "metadata.json").read_text())["seed"] == 2 != first["seed"]
    assert [p.name for p in out.parent.iterdir()] == ["baseline"]  # no temporary siblings


def test_force_writes_into_a_folder_and_keeps_the_users_files(tmp_path):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "n").write_text("x\n")
    proc = tiny_run("--out", "keep", "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {p.name for p in keep.iterdir()} == RUN_FILES | {"n"}
    assert (keep / "n").read_text() == "x\n"
    # Again, with --force: still only hrsim's files change.
    assert tiny_run("--out", "keep", "--force", "--seed", 4, cwd=tmp_path).returncode == 0
    assert (keep / "n").read_text() == "x\n"
    assert json.loads((keep / "metadata.json").read_text())["seed"] == 4


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A real (small) sweep store: two arms, two replicates."""
    root = tmp_path_factory.mktemp("store")
    spec = root / "tiny.toml"
    arms = [str(SCENARIOS / "baseline.toml"), str(SCENARIOS / "prep.toml")]
    spec.write_text(
        '[sweep]\nname = "tiny"\nreplicates = 2\nseed = 3\npeople = 150\nyears = 0.2\n'
        f"scenarios = {json.dumps(arms)}\n"
    )
    proc = hrsim_cli("sweep", spec, "--out", "store", "--workers", 1, "--quiet", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return root / "store"


def test_a_sweep_store_survives_run_out_store_with_or_without_force(store, tmp_path):
    before = files_in(store)
    for force in ((), ("--force",)):
        line = one_line_exit_2(tiny_run("--out", store, *force, cwd=tmp_path), "sweep store")
        assert str(store) in line
    assert files_in(store) == before


def test_out_dot_is_refused_and_the_working_directory_is_unchanged(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "sub").mkdir()
    before = files_in(tmp_path)
    for force in ((), ("--force",)):
        one_line_exit_2(tiny_run("--out", ".", *force, cwd=tmp_path), "the current directory")
    assert files_in(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "sub"]


@pytest.mark.parametrize(
    ("name", "folder"),
    [
        ("../../escaped", "escaped-seed1"),
        ("/abs/olute", "abs_olute-seed1"),
        ("..", "run-seed1"),
        ("a/../../b", "a_.._.._b-seed1"),
        ("~/x", "x-seed1"),
    ],
)
def test_names_from_the_scenario_stay_inside_runs(tmp_path, name, folder):
    work = tmp_path / "deep" / "work"
    work.mkdir(parents=True)
    proc = tiny_run("--set", f"run.name={json.dumps(name)}", cwd=work)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in (work / "runs").iterdir()] == [folder]
    assert [p.name for p in work.iterdir()] == ["runs"]
    assert [p.name for p in tmp_path.iterdir()] == ["deep"]  # nothing written above
    assert [p.name for p in (tmp_path / "deep").iterdir()] == ["work"]
    if name.startswith("/"):
        assert not Path(name).exists()


def test_out_at_a_symlink_follows_it_or_is_one_line(tmp_path):
    assert tiny_run("--out", "target", cwd=tmp_path).returncode == 0
    (tmp_path / "link").symlink_to("target")
    # Another seed into the same run folder: replaced only with --force (the refusal itself is
    # tested above), through the link.
    proc = tiny_run("--out", "link", "--seed", 6, "--force", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "link").is_symlink()
    assert json.loads((tmp_path / "target" / "metadata.json").read_text())["seed"] == 6
    # A link to a folder of user files: refused like the folder itself.
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "n").write_text("x")
    (tmp_path / "to-mine").symlink_to("mine")
    one_line_exit_2(tiny_run("--out", "to-mine", cwd=tmp_path), "--out to-mine", "not empty")
    assert (tmp_path / "mine" / "n").read_text() == "x"
    (tmp_path / "dangling").symlink_to("nowhere")
    one_line_exit_2(tiny_run("--out", "dangling", cwd=tmp_path), "symlink", "does not exist")
    assert not (tmp_path / "nowhere").exists()


def test_out_at_a_file_is_one_line(tmp_path):
    (tmp_path / "f").write_text("x")
    one_line_exit_2(tiny_run("--out", "f", cwd=tmp_path), "--out f is a file, not a folder")
    assert (tmp_path / "f").read_text() == "x"


def test_report_into_an_existing_folder(store, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = hrsim_cli("report", store, "--out", "empty", "--no-pdf", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (empty / "report.html").is_file() and (empty / "runs.csv").is_file()
    # A previous report there is replaced.
    (empty / "report.html").write_text("stale")
    proc = hrsim_cli("report", store, "--out", "empty", "--no-pdf", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Sweep report" in (empty / "report.html").read_text()
    # A folder of the user's files is refused, and kept.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "n").write_text("x")
    one_line_exit_2(hrsim_cli("report", store, "--out", "mine", cwd=tmp_path), "--out mine")
    assert [p.name for p in mine.iterdir()] == ["n"] and (mine / "n").read_text() == "x"
    # A page inside the store itself would mix the report with the store: refused.
    before = files_in(store)
    html = store / "report.html"
    one_line_exit_2(hrsim_cli("report", store, "--out", html, cwd=tmp_path), "sweep store")
    assert files_in(store) == before


@pytest.mark.parametrize(
    "command",
    [
        ["calibrate", BASELINE, "--targets", ROOT / "docs/examples/calibration_targets.toml"],
        ["sensitivity", BASELINE, "--params", "care.aftercare_fraction", "--method", "morris"],
        ["validate", "--html", "keep/n"],
    ],
    ids=["calibrate", "sensitivity", "validate-html"],
)
def test_other_commands_refuse_user_files_before_any_run(tmp_path, command):
    keep = tmp_path / "keep"
    keep.mkdir()
    (keep / "n").write_text("x\n")
    out = [] if command[0] == "validate" else ["--out", "keep"]
    proc = hrsim_cli(*command, *out, "--people", 100, "--years", 0.1, cwd=tmp_path)
    one_line_exit_2(proc, "keep", "--force")
    assert [p.name for p in keep.iterdir()] == ["n"] and (keep / "n").read_text() == "x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep"]


@pytest.mark.parametrize(
    ("name", "store"), [("../../x", "x"), ("/abs/olute", "abs_olute"), ("..", "sweep")]
)
def test_a_sweep_name_stays_inside_runs(tmp_path, name, store):
    work = tmp_path / "deep" / "work"
    work.mkdir(parents=True)
    spec = work / "s.toml"
    spec.write_text(
        f"[sweep]\nname = {json.dumps(name)}\nreplicates = 1\npeople = 50\nyears = 0.05\n"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "hrsim.cli", "sweep", str(spec), "--workers", "1", "--quiet"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in work.iterdir()) == ["runs", "s.toml"]
    assert [p.name for p in (work / "runs").iterdir()] == [store]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"]


@pytest.mark.parametrize("out", [".", "..", "a_file"])
def test_a_sweep_store_is_never_the_current_folder_one_above_or_a_file(tmp_path, out):
    work = tmp_path / "work"
    work.mkdir()
    spec = tmp_path / "s.toml"
    spec.write_text("[sweep]\nreplicates = 1\npeople = 50\nyears = 0.05\n")
    (work / "a_file").write_text("mine")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    proc = subprocess.run(
        [sys.executable, "-m", "hrsim.cli", "sweep", str(spec), "--out", out, "--quiet"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and f"--out {out}" in proc.stderr, proc.stderr
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
    assert (work / "a_file").read_text() == "mine"


# -- the habits of a well-kept command line (issue 17) -------------------------------------

NALOXONE = SCENARIOS / "naloxone_distribution.toml"
TINY_COMPARE = ("compare", BASELINE, NALOXONE, "--people", 100, "--years", 0.1)
TINY_COMPARE += ("--replicates", 2, "--workers", 1)
TINY_VALIDATE = ("validate", "--people", 100, "--replicates", 1, "--years", 0.2, "--workers", 1)
TINY_SENSITIVITY = (
    "sensitivity", BASELINE, "--params", "overdose.base_rate_per_year=0.01:0.03",
    "--method", "morris", "--samples", 2, "--people", 100, "--years", 0.1, "--workers", 1,
)  # fmt: skip


def on_terminal(*args, cwd):
    """Run hrsim with its stderr on a pseudo-terminal (as a user at a shell has it).

    Returns the exit code, stdout (a pipe) and everything written to the terminal.
    """
    master, slave = os.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "hrsim.cli", *map(str, args)],
        cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=slave,
    )  # fmt: skip
    os.close(slave)
    terminal = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the child closed the terminal (EIO on Linux)
            break
        if not chunk:
            break
        terminal += chunk
    stdout = proc.stdout.read().decode()
    proc.stdout.close()
    os.close(master)
    return proc.wait(timeout=300), stdout, terminal.decode(errors="replace")


@pytest.mark.parametrize(
    ("args", "bar"),
    [
        (TINY_COMPARE, "compare: 100%"),
        (TINY_VALIDATE, "validate: 100%"),
        (TINY_SENSITIVITY, "sensitivity: 100%"),
    ],
    ids=["compare", "validate", "sensitivity"],
)
def test_long_commands_draw_progress_on_a_terminal(tmp_path, args, bar):
    code, stdout, terminal = on_terminal(*args, "--json", cwd=tmp_path)
    assert code in (0, 1), terminal  # validate: 1 when a target is missed
    assert bar in terminal, terminal
    json.loads(stdout)  # the bar is on stderr: stdout is still one JSON document


def test_progress_is_silent_when_piped_and_with_quiet(tmp_path):
    piped = hrsim_cli(*TINY_COMPARE, "--json", cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr
    assert piped.stderr == ""
    json.loads(piped.stdout)
    code, stdout, terminal = on_terminal(*TINY_COMPARE, "--quiet", cwd=tmp_path)
    assert code == 0 and "compare:" not in terminal and "%|" not in terminal, terminal
    assert "baseline" in stdout  # --quiet drops the bar, not the result


def test_run_experiment_from_python_shows_progress_on_a_terminal_only(tmp_path, capsys):
    from hrsim.batch.sweep import progress_shown, run_experiment

    spec = {"sweep": {"name": "p", "replicates": 1, "people": 100, "years": 0.1}}
    run_experiment(spec, tmp_path / "a", workers=1)  # "auto": stderr is not a terminal here
    assert capsys.readouterr().err == ""
    run_experiment(spec, tmp_path / "b", workers=1, progress="always")
    err = capsys.readouterr().err
    assert "p: " in err and "1/1 runs done" in err, err
    assert progress_shown("always") and not progress_shown(False)
    assert progress_shown("auto") == progress_shown(True) == sys.stderr.isatty()


def test_every_command_with_a_table_has_json(tmp_path):
    # params: every parameter with its unit and its source (the help promises the sources).
    params = hrsim_cli("params", "--json", cwd=tmp_path)
    records = {r["name"]: r for r in json.loads(params.stdout)}
    assert records["overdose.base_rate_per_year"]["value"] == 0.0196
    assert all(r["source"] and r["unit"] for r in records.values())
    assert any(name.startswith("interventions.") for name in records)
    text = hrsim_cli("params", cwd=tmp_path).stdout
    base = text.split("overdose.base_rate_per_year = 0.0196", 1)[1].splitlines()[1]
    assert (
        base.startswith("    source: ")
        and records["overdose.base_rate_per_year"]["source"][:20] in base
    )
    # run
    run = hrsim_cli("run", *TINY[:-1], "--json", "--out", "r", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    document = json.loads(run.stdout)
    assert document["out"] == "r" and document["summary"]["weeks"] == 5
    assert document["metadata"]["people"] == 100
    # sweep: the plan and the summary
    spec = tmp_path / "s.toml"
    spec.write_text('[sweep]\nname = "s"\nreplicates = 1\npeople = 100\nyears = 0.1\n')
    plan = json.loads(hrsim_cli("sweep", spec, "--dry-run", "--json", cwd=tmp_path).stdout)
    assert plan["runs"] == 1 and plan["out"] == "runs/s"
    swept = hrsim_cli("sweep", spec, "--json", "--out", "store", "--workers", 1, cwd=tmp_path)
    assert swept.returncode == 0, swept.stderr
    summary = json.loads(swept.stdout)
    assert summary["runs"] == summary["done_now"] == 1 and summary["missing"] == 0
    # report: what it wrote (paths as they are now, not where they were staged)
    report = hrsim_cli("report", "store", "--json", "--no-pdf", cwd=tmp_path)
    assert report.returncode == 0, report.stderr
    written = json.loads(report.stdout)
    assert written["report"] == "store/report/report.html" and written["pdf"] is None
    assert written["csv"] and all((tmp_path / p).is_file() for p in written["csv"])
    assert written["headline"] == []  # a single arm: nothing averted against it
    # sensitivity
    sens = hrsim_cli(*TINY_SENSITIVITY, "--json", "--out", "sens", cwd=tmp_path)
    assert sens.returncode == 0, sens.stderr
    indices = json.loads(sens.stdout)
    assert indices["method"] == "morris" and indices["samples"] == 4
    assert [row["parameter"] for row in indices["indices"]] == ["overdose.base_rate_per_year"]
    assert "runs" in sens.stderr and "%|" not in sens.stderr  # the run count, no bar in a pipe


def test_calibrate_json_is_its_calibration_json(tmp_path):
    targets = tmp_path / "targets.toml"
    targets.write_text(
        "[calibration]\ntrials = 2\nbatch = 2\nreplicates = 1\nseed = 3\n\n"
        '[[parameters]]\nname = "overdose.base_rate_per_year"\nlow = 0.01\nhigh = 0.03\n\n'
        '[[targets]]\nstatistic = "overdoses_per_1000_py"\nvalue = 140.0\nse = 5.0\n'
    )
    proc = hrsim_cli(
        "calibrate", BASELINE, "--targets", targets, "--people", 100, "--years", 0.1,
        "--workers", 1, "--out", "cal", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == json.loads((tmp_path / "cal/calibration.json").read_text())


def test_completion_scripts_load_in_their_shell(tmp_path):
    bash = hrsim_cli("completion", "bash", cwd=tmp_path)
    assert bash.returncode == 0 and "validate" in bash.stdout and "--json" in bash.stdout
    script = tmp_path / "hrsim.bash"
    script.write_text(bash.stdout)
    loaded = subprocess.run(
        ["bash", "-c", f"source {script} && complete -p hrsim"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert loaded.returncode == 0, loaded.stderr
    assert "hrsim" in loaded.stdout
    zsh = hrsim_cli("completion", "zsh", cwd=tmp_path)
    assert zsh.stdout.startswith("#compdef hrsim") and "sensitivity" in zsh.stdout
    bad = hrsim_cli("completion", "fish", cwd=tmp_path)
    assert bad.returncode == 2 and "invalid choice: 'fish'" in bad.stderr


def test_a_closed_pipe_ends_quietly(tmp_path):
    proc = subprocess.run(
        f"{sys.executable} -m hrsim.cli params | head -1",
        shell=True, cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.stdout.startswith("# source tags")
    assert proc.stderr == ""


def test_a_bare_sensitivity_name_whose_range_leaves_the_allowed_values_says_how_to_fix(tmp_path):
    proc = hrsim_cli(
        "sensitivity", BASELINE, "--params", "overdose.naloxone_reversal_probability",
        "--out", "s", cwd=tmp_path,
    )  # fmt: skip
    line = one_line_exit_2(
        proc, "overdose.naloxone_reversal_probability = 1.08 is out of range: allowed 0 to 1"
    )
    assert "varies its value (0.9) by 20% either way (0.72 to 1.08)" in line
    assert "give overdose.naloxone_reversal_probability=LOW:HIGH" in line
    assert not (tmp_path / "s").exists()
