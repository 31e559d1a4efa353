"""Every walk-through in docs/user-guide.md runs as printed.

The shell commands of the guide's ``sh``/``bash``/``console`` blocks are run in order, as
printed (the shell joins the continued lines and drops the comments), with ``hrsim`` from this
environment, in a scratch folder holding copies of ``docs/`` and ``scenarios/`` (the guide's
commands are given from the repository's top folder), so their outputs go there. A block the
guide marks ``<!-- not run: REASON -->`` just above it is not run, and must say why.

A few claims the guide's text makes about these runs are checked against what they wrote.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "user-guide.md"
FENCE = re.compile(r"^```(?P<lang>[\w-]*)\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL)
NOT_RUN = re.compile(r"<!--\s*not run:(?P<reason>.*?)-->", re.DOTALL)
SHELLS = ("sh", "bash", "console", "shell")


@dataclass(frozen=True)
class Block:
    """One fenced shell block: where it starts, its commands, and why it is not run (if not)."""

    line: int
    commands: tuple[str, ...]
    not_run: str | None


def _commands(body: str, lang: str) -> tuple[str, ...]:
    """The block's commands: continued lines joined; a console block's ``$`` lines only."""
    lines = body.splitlines()
    if lang == "console":
        lines = [line[2:] for line in lines if line.startswith("$ ")]
    commands, current = [], ""
    for line in lines:
        current += line + "\n"
        if not line.endswith("\\"):
            if current.strip() and not current.lstrip().startswith("#"):
                commands.append(current.rstrip("\n"))
            current = ""
    return tuple(commands)


def guide_blocks(text: str) -> list[Block]:
    """Every shell block of ``text``, with the ``not run`` marker just above it, if any."""
    blocks = []
    for match in FENCE.finditer(text):
        if match.group("lang") not in SHELLS:
            continue
        before = text[: match.start()].rstrip().rsplit("\n", 1)[-1]
        marker = NOT_RUN.fullmatch(before.strip())
        blocks.append(
            Block(
                text.count("\n", 0, match.start()) + 1,
                _commands(match.group("body"), match.group("lang")),
                marker.group("reason").strip() if marker else None,
            )
        )
    return blocks


BLOCKS = guide_blocks(GUIDE.read_text(encoding="utf-8"))
RUN = [(b.line, c) for b in BLOCKS if b.not_run is None for c in b.commands]


def test_the_guide_has_walkthroughs_and_every_skipped_block_says_why():
    text = GUIDE.read_text(encoding="utf-8")
    assert len(RUN) >= 12, RUN
    markers = NOT_RUN.findall(text)
    skipped = [b for b in BLOCKS if b.not_run is not None]
    # Every marker sits just above a shell block (none is left over after an edit) ...
    assert len(markers) == len(skipped) >= 1
    for block in skipped:
        # ... and gives a reason in words, not a bare "not run".
        assert len(block.not_run.split()) >= 4, f"line {block.line}: {block.not_run!r}"
    for line, command in RUN:
        assert command.startswith(("hrsim ", "make ")), f"line {line}: {command}"


def test_the_parser_joins_continued_lines_and_drops_comments():
    text = (
        "<!-- not run: needs a Dask cluster to talk to -->\n```sh\nhrsim sweep a.toml \\\n"
        "      --out x   # all cores\n# a comment\n```\n\n```console\n$ hrsim params\nrun.name"
        " = baseline\n```\n\n```toml\n[run]\n```\n"
    )
    blocks = guide_blocks(text)
    assert blocks == [
        Block(2, ("hrsim sweep a.toml \\\n      --out x   # all cores",), "needs a Dask cluster"
              " to talk to"),
        Block(8, ("hrsim params",), None),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A scratch folder with the guide's inputs, where its commands write their outputs."""
    root = tmp_path_factory.mktemp("guide")
    shutil.copytree(ROOT / "docs", root / "docs")
    shutil.copytree(ROOT / "scenarios", root / "scenarios")
    return root


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "hrsim").is_file(), "hrsim is not installed in this environment"
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.run(
        ["bash", "-c", command],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.mark.parametrize(("line", "command"), RUN, ids=[f"line{n}" for n, _ in RUN])
def test_walkthrough_command_runs_as_printed(workspace, line, command):
    proc = _run(command, workspace)
    assert "Traceback" not in proc.stderr, proc.stderr
    # `hrsim validate` exits 1 when a target is missed (the guide says so); anything else,
    # and every other command, must succeed.
    allowed = (0, 1) if command.startswith("hrsim validate") else (0,)
    assert proc.returncode in allowed, f"line {line}: {command}\n{proc.stderr[-2000:]}"
    if command.startswith("hrsim validate"):
        _check_validation_claims(command, proc.stdout, proc.stderr)
    if "--out runs/sensitivity" in command:
        _check_sensitivity_claims(workspace / "runs" / "sensitivity")


def _check_validation_claims(command: str, stdout: str, stderr: str) -> None:
    """The guide's numbers for its small validation run are what that run gives."""
    met = re.search(r"(\d+) of 30 targets met(?:, (\d+) with not enough data)?", stdout)
    assert met is not None, stdout[-2000:]
    thin = int(met.group(2) or 0)
    assert ("not enough data" in stderr) == (thin > 0)  # the warning, on stderr
    if "--people 6000 --replicates 1 --years 5" not in command:
        return
    text = GUIDE.read_text(encoding="utf-8")
    said = re.search(r"small run printed above meets (\d+) and misses (\d+); the other (\d+)", text)
    assert said is not None
    assert (int(said.group(1)), int(said.group(3))) == (int(met.group(1)), thin), stdout[-400:]
    assert int(said.group(2)) == 30 - int(met.group(1)) - thin


def _check_sensitivity_claims(out: Path) -> None:
    """'A parameter the outcome cannot depend on (here the methadone price) gets exactly zero'."""
    with (out / "indices.csv").open(encoding="utf-8") as handle:
        rows = {row["parameter"]: row for row in csv.DictReader(handle)}
    assert float(rows["costs.methadone_usd_per_person_year"]["mu_star"]) == 0.0
    assert any(float(r["mu_star"]) > 0 for r in rows.values())
    assert (out / "sensitivity.html").is_file() and (out / "indices.png").is_file()


def _fenced(lang: str) -> list[tuple[int, str]]:
    """The guide's fenced blocks in ``lang``: (first line, body)."""
    text = GUIDE.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 1, m.group("body"))
        for m in FENCE.finditer(text)
        if m.group("lang") == lang
    ]


def test_the_guides_toml_excerpts_are_the_example_files():
    """Each TOML block the guide shows parses, and every table in it is in an example file
    (``docs/examples``) or a place shipped with hrsim (``src/hrsim/places``)."""
    import tomllib

    files = [*(ROOT / "docs/examples").glob("*.toml"), *(ROOT / "src/hrsim/places").glob("*.toml")]
    examples = {p.name: tomllib.loads(p.read_text()) for p in files}
    blocks = _fenced("toml")
    assert blocks
    for line, body in blocks:
        shown = tomllib.loads(body)
        assert any(
            all(data.get(key) == value for key, value in shown.items())
            for data in examples.values()
        ), f"line {line}: this TOML is in no docs/examples file as printed"


def test_the_guides_python_runs_as_printed(tmp_path):
    """The guide's programme, copied as printed into its own file, runs as a plug-in."""
    blocks = [(n, b) for n, b in _fenced("python") if "@register" in b]
    assert blocks, "the guide shows no programme"
    for line, body in blocks:
        plugin = tmp_path / f"guide_line{line}.py"
        plugin.write_text(body)
        proc = _run(
            f"hrsim run {ROOT}/docs/examples/never_use_alone.toml --plugin {plugin}"
            " --people 500 --years 1 --out run --quiet --json",
            tmp_path,
        )
        assert proc.returncode == 0, f"line {line}: {proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stderr


def test_the_guides_notebook_code_runs_as_printed(tmp_path):
    """The guide's other Python (the notebook plots) runs as printed and saves its figures."""
    blocks = [(n, b) for n, b in _fenced("python") if "@register" not in b]
    assert blocks, "the guide shows no notebook code"
    for line, body in blocks:
        script = tmp_path / f"guide_line{line}.py"
        script.write_text(body)
        proc = subprocess.run(
            [sys.executable, "-W", "error", str(script)],
            cwd=tmp_path,
            env={**os.environ, "MPLBACKEND": "Agg"},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, f"line {line}: {proc.stderr[-2000:]}"
    assert (tmp_path / "run.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "averted.png").read_bytes()[:4] == b"\x89PNG"
