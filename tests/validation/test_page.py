"""`hrsim validate --html`: one offline page, one plot per target, nothing fetched."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html import escape

from hrsim.cli import main


def test_html_page_has_one_plot_per_target_and_agrees_with_json(tmp_path):
    page = tmp_path / "report" / "validation.html"
    proc = subprocess.run(
        [
            sys.executable, "-m", "hrsim.cli", "validate", "--json", "--html", str(page),
            "--people", "1500", "--replicates", "1", "--years", "2", "--workers", "2",
        ],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stderr
    rows = json.loads(proc.stdout)
    html = page.read_text(encoding="utf-8")
    images = re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', html)
    assert len(images) == len(rows) == 30
    pngs = sorted(p.name for p in page.parent.glob("*.png"))
    assert pngs == [f"validation-target-{i:02d}.png" for i in range(1, len(rows) + 1)]
    # Offline: no external fetches of any kind.
    assert not re.search(r'(src|href)="(https?:)?//', html)
    # The page says the same as the JSON: one PASS/FAIL/NOT ENOUGH DATA per target.
    for row in rows:
        assert row["status"] in ("pass", "fail", "not enough data")
        assert row["passed"] == (row["status"] == "pass")
        verdict = row["status"].upper()
        assert f"<td>{verdict}</td><td>{row['name']}</td>" in html
        # Its label: calibration (naming what it set) or validation.
        label = f"calibration (sets {row['calibrates']})" if row["calibrates"] else "validation"
        assert f"<td>{row['name']}</td><td>{escape(label)}</td>" in html
    failed = sum(not r["passed"] for r in rows)
    assert f"{len(rows) - failed} of {len(rows)} targets met" in html
    assert proc.returncode == (1 if failed else 0)
    # Beside the page, validation.json: what --json printed, for `hrsim report --validation`.
    assert (page.parent / "validation.json").read_text(encoding="utf-8") == proc.stdout


def test_html_refuses_a_validation_json_beside_it_that_is_not_a_result(tmp_path, capsys):
    """The JSON beside the page never replaces a user's file (unless --force)."""
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "validation.json").write_text("my notes\n")
    for page, message in (
        (folder / "page.html", "validation.json (the results written beside the page) exists"),
        (tmp_path / "validation.json", "validation.json is the name of the results written"),
    ):
        assert main(["validate", "--people", "100", "--replicates", "1", "--html", str(page)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and f"--html {page}" in err and message in err, err
        assert not page.exists()
    assert sorted(p.name for p in folder.iterdir()) == ["validation.json"]
    assert (folder / "validation.json").read_text() == "my notes\n"
    (folder / "validation.json").unlink()
    (folder / "validation.json").mkdir()
    assert main(["validate", "--html", str(folder / "page.html")]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_html_to_a_directory_is_refused_in_one_line(tmp_path, capsys):
    assert main(["validate", "--html", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a directory" in err
    assert list(tmp_path.iterdir()) == []


def test_validate_holds_a_given_scenario_to_the_targets(tmp_path):
    """A scenario with 90% buprenorphine retention is validated as given: that target fails."""
    scenario = tmp_path / "retentive.toml"
    scenario.write_text("[care]\nbuprenorphine_retention_12_months = 0.9\n")
    proc = subprocess.run(
        [
            sys.executable, "-m", "hrsim.cli", "validate", str(scenario), "--json",
            "--people", "1500", "--replicates", "1", "--years", "2", "--workers", "1",
        ],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    usual = rows["buprenorphine retained at 12 months, usual care"]
    assert not usual["passed"]
    # The given scenario was used: retention is far above the defaults' 56.9%.
    assert usual["interval"][0] > 0.7
    assert proc.returncode == 1
