"""Bad inputs from issue 18, each one readable line and exit 2; the memory check; CSV cells.

The command-line cases run ``hrsim`` as a real subprocess, as a user would, and check that
nothing is written. The memory check is exercised for real: the child process gets an
address-space limit (``ulimit -v``), which the check reads as the memory it can still get.
"""

from __future__ import annotations

import io
import resource
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hrsim.core import capacity
from hrsim.errors import ScenarioError
from hrsim.files import csv_text, neutralise_csv_cells, write_csv_atomic

LONG = "9" * 5000  # beyond Python's 4,300-digit limit for int("...")
DEEP = "[" * 1000 + "]" * 1000  # past the TOML parser's recursion limit
MIDDLE = "[" * 100 + "]" * 100  # parses, but deeper than MAX_DEPTH


def hrsim_cli(
    *args: object, cwd: Path, limit_bytes: int | None = None, rlimit: int = resource.RLIMIT_AS
):
    def limit() -> None:
        if limit_bytes is not None:
            resource.setrlimit(rlimit, (limit_bytes, limit_bytes))

    return subprocess.run(
        [sys.executable, "-m", "hrsim.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        preexec_fn=limit,
    )


def one_line_exit_2(proc) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("hrsim: error: ")
    return lines[0]


FILES = {
    # id: (scenario file text, fragments expected in the message)
    "long-integer": (f"[run]\nseed = {LONG}\n", ["bad.toml", "more than 4300 digits"]),
    "huge-integer-for-a-number": (
        f"[run]\nyears = {'9' * 400}\n",
        ["run.years", "about 400 digits", "out of range", "up to 100"],
    ),
    "huge-integer-for-a-programme": (
        f"[[interventions]]\ntype = 'prep'\ncoverage_fraction = {'9' * 400}\n",
        ["coverage_fraction", "out of range"],
    ),
    "deep-nesting": (f"[run]\nname = {DEEP}\n", ["bad.toml", "nested more than 32 levels"]),
    "nesting-past-the-limit": (f"[run]\nname = {MIDDLE}\n", ["nested more than 32 levels"]),
    "deep-inline-tables": ("[run]\nname = " + "{a=" * 40 + "1" + "}" * 40, ["nested"]),
    "programme-type-is-a-list": (
        '[[interventions]]\ntype = ["a"]\n',
        ["interventions[0]", "type = ['a']", "a list, not text", "naloxone_distribution"],
    ),
    "programme-type-is-a-table": (
        "[[interventions]]\ntype = {a = 1}\n",
        ["type = {'a': 1}", "a table, not text"],
    ),
    "programme-type-is-a-number": ("[[interventions]]\ntype = 3\n", ["type = 3", "not text"]),
    "programme-is-a-number": ("interventions = [1]\n", ["interventions[0] = 1", "not a table"]),
    "nul-in-name": ('[run]\nname = "a\\u0000b"\n', ["run.name", "U+0000", "position 1"]),
    "newline-in-name": ('[run]\nname = "a\\nb"\n', ["run.name", "U+000A"]),
    "escape-in-name": ('[run]\nname = "x\\u001b[31m"\n', ["run.name", "U+001B"]),
    "name-too-long": (f'[run]\nname = "{"x" * 300}"\n', ["run.name", "at most 200 characters"]),
    "boolean-for-a-number": ("[run]\nyears = true\n", ["run.years = true", "not a number"]),
    "boolean-for-a-whole-number": ("[run]\npeople = false\n", ["run.people = false", "boolean"]),
    "decimal-for-a-whole-number": (
        "[run]\npeople = 100.0\n",
        ["run.people = 100.0", "decimal number, not a whole number"],
    ),
    "text-for-a-number": ('[care]\naftercare_fraction = "0.5"\n', ["'0.5' is text"]),
    "boolean-in-a-list": (
        "[supply]\nfentanyl_share_by_year = [0.5, true]\n",
        ["supply.fentanyl_share_by_year[1] = true", "not a number"],
    ),
    "boolean-for-a-programme-number": (
        "[[interventions]]\ntype = 'prep'\ncoverage_fraction = true\n",
        ["(prep)", "coverage_fraction = true is a boolean, not a number"],
    ),
    "boolean-for-a-programme-week": (
        "[[interventions]]\ntype = 'prep'\nstart_week = true\n",
        ["start_week = true", "not a whole number"],
    ),
}


@pytest.mark.parametrize("case", list(FILES))
def test_a_bad_scenario_file_is_one_line_and_writes_nothing(tmp_path, case):
    text, expected = FILES[case]
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    before = set(tmp_path.iterdir())
    proc = hrsim_cli("run", "bad.toml", "--people", 100, "--years", 0.1, cwd=tmp_path)
    line = one_line_exit_2(proc)
    for fragment in expected:
        assert fragment in line
    assert len(line) < 400  # a 5,000-digit value is not echoed
    assert set(tmp_path.iterdir()) == before


SETS = {
    "long-integer": (f"run.seed={LONG}", ["--set run.seed=", "more than 4300 digits"]),
    "deep-nesting": (f"run.name={DEEP}", ["--set run.name=", "nested more than 32 levels"]),
    "nesting-past-the-limit": (f"run.name={MIDDLE}", ["nested more than 32 levels"]),
    "boolean-for-a-number": (
        "care.aftercare_fraction=true",
        ["care.aftercare_fraction = true", "not a number"],
    ),
    "programme-boolean": (
        "interventions.naloxone_distribution.coverage_fraction=true",
        ["coverage_fraction = true", "not a number"],
    ),
    "nul-in-name": ('run.name="a\\u0000b"', ["run.name", "U+0000"]),
}


@pytest.mark.parametrize("case", list(SETS))
def test_a_bad_set_is_one_line(tmp_path, case):
    item, expected = SETS[case]
    scenario = Path(__file__).resolve().parents[1] / "scenarios" / "naloxone_distribution.toml"
    proc = hrsim_cli("run", scenario, "--people", 100, "--years", 0.1, "--set", item, cwd=tmp_path)
    line = one_line_exit_2(proc)
    for fragment in expected:
        assert fragment in line
    assert len(line) < 400
    assert list(tmp_path.iterdir()) == []


def test_a_folder_given_as_a_scenario_says_so_and_suggests_a_file_inside(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "county.toml").write_text("[run]\nname = 'county'\n")
    (tmp_path / "mine" / "notes.txt").write_text("x")
    line = one_line_exit_2(hrsim_cli("run", "empty", cwd=tmp_path))
    assert "empty is a directory, not a file" in line and "no .toml file" in line
    line = one_line_exit_2(hrsim_cli("run", "mine", cwd=tmp_path))
    assert "mine is a directory" in line
    assert f"did you mean {Path('mine') / 'county.toml'}?" in line
    assert "not found" not in line


def test_a_folder_given_as_a_sweep_file_says_so(tmp_path):
    (tmp_path / "plans").mkdir()
    line = one_line_exit_2(hrsim_cli("sweep", "plans", "--out", "s", cwd=tmp_path))
    assert "sweep file plans is a directory, not a file" in line
    assert not (tmp_path / "s").exists()


# -- the memory check --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rlimit", [resource.RLIMIT_AS, resource.RLIMIT_DATA], ids=["ulimit-v", "ulimit-d"]
)
def test_a_population_that_does_not_fit_is_refused_before_anything_is_built(tmp_path, rlimit):
    limit = 3 * 2**30  # this process may map (ulimit -v) or write (ulimit -d) at most 3 GB
    proc = hrsim_cli(
        "run", "--people", 20_000_000, "--years", 1, "--out", "big", cwd=tmp_path,
        limit_bytes=limit, rlimit=rlimit,
    )  # fmt: skip
    line = one_line_exit_2(proc)
    assert "run.people = 20,000,000 needs about 15." in line
    assert "GB is available" in line and "HRSIM_MEMORY_CHECK=off" in line
    most = int(line.split("at most ")[1].split(" people")[0].replace(",", ""))
    assert 100_000 < most < 3_000_000  # what 3 GB less the interpreter holds, at ~820 bytes each
    assert not (tmp_path / "big").exists()
    # The largest population named in the message is itself accepted under the same limit.
    check = (
        "from hrsim.core.capacity import check_memory; "
        f"check_memory({most}, 1.0, events=True); print('fits')"
    )
    ok = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        preexec_fn=lambda: resource.setrlimit(rlimit, (limit, limit)),
    )
    assert ok.returncode == 0 and ok.stdout.strip() == "fits", ok.stderr


def test_the_check_can_be_turned_off(monkeypatch):
    monkeypatch.setenv("HRSIM_MEMORY_CHECK", "off")
    capacity.check_memory(20_000_000, 100, processes=1000, events=True)  # no error


def test_a_million_people_fit_on_a_machine_with_a_few_free_gigabytes():
    available = capacity.available_bytes()
    if available is None or available < 2 * 2**30:
        pytest.skip("less than 2 GB free here")
    capacity.check_memory(1_000_000, 10, events=True)  # the README's largest benchmark


def test_too_many_runs_at_once_name_the_workers():
    with pytest.raises(ScenarioError) as info:
        capacity.check_memory(1_000_000, 1, processes=100_000)
    message = str(info.value)
    assert message.startswith("100000 runs at once of 1,000,000 people need about")
    assert "workers" in message and "\n" not in message


def test_the_estimate_follows_the_measured_cost_per_person():
    # benchmarks/bench_memory.py: ~790 bytes a person, ~9 bytes a person-year of event log.
    one_million = capacity.estimate_bytes(1_000_000, 10, events=False)
    assert 900 * 2**20 < one_million < 1200 * 2**20
    with_events = capacity.estimate_bytes(1_000_000, 10, events=True)
    assert with_events - one_million == 1_000_000 * 10 * capacity.EVENT_BYTES_PER_PERSON_YEAR


@pytest.mark.parametrize("available", [2**30, 5 * 2**30, 64 * 2**30])
@pytest.mark.parametrize("processes", [1, 4])
def test_the_largest_population_named_fits_and_the_next_step_does_not(available, processes):
    most = capacity._largest(available, 10, processes, events=True)
    room = capacity.HEADROOM * available
    if most == 0:  # not even the smallest run fits: the message says so
        assert processes * capacity.estimate_bytes(10, 10, events=True) > room
        return
    assert processes * capacity.estimate_bytes(most, 10, events=True) <= room
    if most < 20_000_000:
        step = 10 ** max(0, len(str(most)) - 2)  # two significant figures
        assert processes * capacity.estimate_bytes(most + step, 10, events=True) > room


# -- CSV cells ---------------------------------------------------------------------------------


def test_formula_like_text_cells_are_neutralised_and_numbers_are_not(tmp_path):
    frame = pd.DataFrame(
        {
            "arm": ["=HYPERLINK(1)", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", None],
            "delta": [-1.5, -2.0, 3.0, 0.0, 1.0, -0.25, 2.0, float("nan")],
            "count": [-1, 2, 3, 4, 5, 6, 7, 8],
            "flag": [True, False, True, False, True, False, True, False],
        }
    )
    path = write_csv_atomic(tmp_path / "t.csv", frame, index=False)
    back = pd.read_csv(path, keep_default_na=False)
    assert back["arm"].tolist() == [
        "'=HYPERLINK(1)", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "plain", "",
    ]  # fmt: skip
    assert back["count"].tolist() == frame["count"].tolist()  # negative numbers stay numbers
    assert path.read_text().splitlines()[1].split(",")[-3:] == ["-1.5", "-1", "True"]
    assert frame["arm"][0].startswith("=")  # the caller's frame is left as it was


def test_column_names_and_index_labels_are_neutralised_too():
    frame = pd.DataFrame({"=cmd": [1], "ok": ["-x"]}, index=pd.Index(["@a"], name="arm"))
    text = csv_text(frame)
    assert text.splitlines() == ["arm,'=cmd,ok", "'@a,1,'-x"]
    assert csv_text(frame, index=False).splitlines()[0] == "'=cmd,ok"


def test_a_frame_with_nothing_to_neutralise_is_written_unchanged():
    frame = pd.DataFrame({"arm": ["baseline", "naloxone 60%"], "delta": [-1.0, 2.5]})
    assert neutralise_csv_cells(frame) is frame
    assert csv_text(frame, index=False) == frame.to_csv(index=False)
    assert pd.read_csv(io.StringIO(csv_text(frame, index=False)))["delta"].tolist() == [-1.0, 2.5]


def test_every_csv_write_site_goes_through_the_writer():
    src = Path(__file__).resolve().parents[1] / "src" / "hrsim"
    sites = [
        str(path.relative_to(src))
        for path in src.rglob("*.py")
        if ".to_csv(" in path.read_text(encoding="utf-8") and path.name != "files.py"
    ]
    assert sites == []
