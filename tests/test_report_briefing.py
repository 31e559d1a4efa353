"""``hrsim report`` as a briefing: summary, arm table, assumptions, validation, colours, PDF.

A small sweep of three built-in scenarios (300 people, half a year, a one-year warm-up, three
replicates) is built once; each test reads the report it gives, or calls the function that
makes one part of it on numbers built for the case.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import matplotlib.image
import numpy as np
import pandas as pd
import pytest

from hrsim import load_experiment, run_experiment
from hrsim.analysis.compare import PER_OUTCOME_BASIS
from hrsim.analysis.validation import Published, range_target, ratio_target
from hrsim.cli import main
from hrsim.reporting import economics_figures, figures
from hrsim.reporting.arms import (
    arm_labels,
    parameter_label,
    readable_name,
    value_text,
    values_label,
)
from hrsim.reporting.palette import BASELINE_COLOUR, arm_colours
from hrsim.reporting.report import NOT_ESTIMABLE, ratio_cell, ratio_interval, write_report
from hrsim.reporting.validation_status import COMMAND, read_validation
from hrsim.scenario.library import builtin

SCENARIOS = ("baseline", "syringe_services", "naloxone_distribution")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("briefing")
    spec = {
        "sweep": {
            "scenarios": [str(builtin(s)) for s in SCENARIOS],
            "people": 300,
            "years": 0.5,
            "replicates": 3,
            "seed": 4,
        },
        "set": {"run.burn_in_years": 1.0},
    }
    out = root / "store"
    run_experiment(spec, out, workers=1, progress=False)
    return out


@pytest.fixture(scope="module")
def report(store, tmp_path_factory) -> Path:
    """The report as ``hrsim report`` writes it (no validation result anywhere near)."""
    folder = tmp_path_factory.mktemp("report") / "out"
    assert main(["report", str(store), "--out", str(folder)]) == 0
    return folder


def _text(folder: Path) -> str:
    """The page's text, tags dropped and entities decoded (for phrases that span tags)."""
    page = (folder / "report.html").read_text(encoding="utf-8")
    page = re.sub(r"<img[^>]*>", " ", page)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def _headings(folder: Path) -> list[str]:
    page = (folder / "report.html").read_text(encoding="utf-8")
    return [html.unescape(h) for h in re.findall(r"<h2>(.*?)</h2>", page)]


def test_sections_in_briefing_order(report):
    heads = _headings(report)
    assert heads[0] == "Executive summary"
    assert heads[1:3] == ["About this sweep", "What each arm contains"]
    for name in ("Validation status", "Assumptions and limitations", "Methods"):
        assert name in heads, name
    assert heads.index("Validation status") < heads.index("Assumptions and limitations")
    assert heads.index("Assumptions and limitations") < heads.index("Methods")


def test_executive_summary_gives_the_numbers_with_their_intervals(report):
    text = _text(report)
    summary = text[text.index("Executive summary") : text.index("About this sweep")]
    averted = pd.read_csv(report / "averted.csv").set_index(["arm", "outcome"])

    def count(v: float, digits: int) -> str:
        text = f"{v:,.{digits}f}"
        return text.removeprefix("-") if text.strip("-0.,") == "" else text

    shown = (("syringe_services", "Syringe services"), ("naloxone_distribution", "Naloxone"))
    for arm, label in shown:
        value, lo, hi = averted.loc[(arm, "deaths_all_causes"), ["value", "ci95_low", "ci95_high"]]
        digits = 0 if abs(value) >= 10 else 1
        if count(value, digits).startswith("-"):  # more deaths: said as such, signs flipped
            phrase = f"{count(-value, digits)} more deaths from all causes (95% interval"
            phrase += f" {count(-hi, digits)} to {count(-lo, digits)})"
        else:
            phrase = f"{count(value, digits)} deaths from all causes averted (95% interval"
            phrase += f" {count(lo, digits)} to {count(hi, digits)})"
        assert f"{label}" in summary
        assert f"over 6 months, an estimated {phrase} compared with Baseline" in summary
        assert "QALYs gained (95% interval" in summary
    # Abbreviations spelled out in the summary itself.
    assert "QALYs are quality-adjusted life-years" in summary
    assert "MOUD is medications for opioid use disorder" in summary
    assert "95% intervals of the average difference" in summary


def test_arm_table_names_programmes_and_settings(report):
    text = _text(report)
    table = text[text.index("What each arm contains") : text.index("Trajectories")]
    assert "Syringe services (coverage 50%)" in table
    assert "Naloxone distribution (coverage 50%)" in table
    assert "A syringe services programme reaching half of the people who inject" in table
    arms = pd.read_csv(report / "arms.csv")
    assert list(arms["name in the sweep"]) == list(SCENARIOS)
    assert list(arms["arm"]) == ["Baseline", "Syringe services", "Naloxone distribution"]
    # File stems appear nowhere in the tables or figures' captions, only readable names.
    page = (report / "report.html").read_text(encoding="utf-8")
    assert "<td>syringe_services</td>" not in page and "<td>Syringe services</td>" in page


def test_assumptions_and_limitations_are_specific(report):
    text = _text(report)
    part = text[text.index("Assumptions and limitations") : text.index("Methods")]
    for phrase in (
        "The intervals show chance only",
        "parameters behind this sweep are assumptions",
        "85% of doses contain fentanyl",
        "Extra MOUD places help only when people are waiting",
        "people are waiting for a place at the end",
        "Infections are indicative",
        "Week 0 follows a 1-year warm-up",
        "Not captured:",
        "docs/user-guide.md",
    ):
        assert phrase in part, phrase
    # The sweep's programmes' known limits, read from docs/programmes.md (not copied).
    assert "Known limits of the programmes in this sweep" in part
    assert "Syringe services: sterile syringes do not replace shared cookers" in part


def test_no_validation_result_says_the_exact_command(report):
    text = _text(report)
    part = text[text.index("Validation status") : text.index("Assumptions and limitations")]
    assert "No validation result found" in part
    assert COMMAND in part
    assert COMMAND == "hrsim validate --json > runs/validation/validation.json"


def _validation_rows() -> list[dict]:
    """Three targets as ``hrsim validate --json`` prints them: met, near miss, missed."""
    met = ratio_target("a met ratio", "Study A", (2.0, 1.5, 2.7), 2.1, 0.05)
    near = ratio_target("a near-miss ratio", "Study B", (0.46, 0.32, 0.67), 0.28, 0.081)
    missed = range_target(
        "a missed share", "Study C", "40-50%", Published(None, 0.4, 0.5), 0.1, (0.08, 0.12), "rule"
    )
    assert met.passed and not near.passed and not missed.passed
    return [r.as_dict() for r in (met, near, missed)]


def test_validation_result_is_summarised_with_near_misses(store, tmp_path):
    result = tmp_path / "validation.json"
    result.write_text(json.dumps(_validation_rows()))
    status = read_validation(result)
    assert status.passed == 1
    assert status.near_misses() == ["a near-miss ratio"]
    assert status.misses() == ["a missed share"]
    out = tmp_path / "r" / "report.html"
    write_report(load_experiment(store), out, validation=result, pdf=False)
    text = _text(out.parent)
    part = text[text.index("Validation status") : text.index("Assumptions and limitations")]
    assert (
        f"1 of 3 published targets met (calibration: 0 of 0; validation: 1 of 3), from {result}"
        in part
    )
    assert "Near misses: a near-miss ratio." in part and "Missed: a missed share." in part
    summary = text[: text.index("About this sweep")]
    assert "Validation: 1 of 3 published targets are met" in summary and "1 near miss" in summary
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(ValueError, match="bad.json: not a validation result"):
        read_validation(bad)


def _has_colour(png: Path, colour: str) -> bool:
    pixels = matplotlib.image.imread(png)[:, :, :3]
    rgb = np.array([int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)])
    return bool((np.abs(pixels - rgb).max(axis=2) < 1 / 255).any())


def test_one_colour_per_arm_across_figures(report, store):
    manifest = load_experiment(store).manifest
    names = [a["name"] for a in manifest["arms"]]
    colours = arm_colours(names, "baseline")
    assert colours["baseline"] == BASELINE_COLOUR
    assert len(set(colours.values())) == len(names)
    # The same mapping whatever subset a figure shows: it depends on the sweep's arm order.
    assert arm_colours(names, "baseline") == colours
    arms = pd.read_csv(report / "arms.csv").set_index("name in the sweep")
    assert arms["colour"].to_dict() == colours
    for arm in ("syringe_services", "naloxone_distribution"):
        for figure in ("trajectories", "cost_effectiveness_plane"):
            assert _has_colour(report / f"{figure}.png", colours[arm]), (arm, figure)
    # The figure builders draw each arm in the colour given for it.
    given = {"A": "#117733", "B": "#CC6677"}
    fig = figures.horizontal_bars(["A", "B"], [1.0, 2.0], "x", [0.1, 0.1], list(given.values()))
    bars = {tuple(p.get_facecolor()[:3]) for p in fig.axes[0].patches}
    assert bars == {tuple(matplotlib.colors.to_rgb(c)) for c in given.values()}
    frame = pd.DataFrame(
        {"arm": ["A", "A", "B", "B"], "x": [0, 1, 0, 1], "mean": 1.0, "low": 0.5, "high": 1.5}
    )
    fig = figures.trajectories([("t", frame)], colours=given)
    lines = {ln.get_color() for ln in fig.axes[0].get_lines()}
    assert lines == set(given.values())
    rng = np.random.default_rng(1)
    fig = economics_figures.ce_plane_plot(
        rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), ["base", "A", "B"], colours=given
    )
    for name, colour in given.items():
        (mean,) = [c for c in fig.axes[0].collections if c.get_gid() == f"mean:{name}"]
        assert matplotlib.colors.to_hex(mean.get_facecolor()[0]) == colour.lower()


def test_readable_names():
    assert readable_name("syringe_services") == "Syringe services"
    assert readable_name("my_moud_pilot") == "My MOUD pilot"
    assert parameter_label("care.moud_capacity_fraction") == "MOUD capacity"
    key = "interventions.naloxone_distribution.coverage_fraction"
    assert parameter_label(key) == "naloxone coverage"
    assert value_text(key, 0.25) == "25%"
    assert (
        values_label({"care.moud_capacity_fraction": 0.3, key: 0.25})
        == "MOUD capacity 30%, naloxone coverage 25%"
    )
    manifest = {
        "design": "factorial",
        "arms": [
            {"id": "a0000", "name": "x=1", "scenario": "baseline",
             "parameters": {"care.moud_capacity_fraction": 0.3, key: 0.25}},
            {"id": "a0001", "name": "y", "scenario": "baseline", "parameters": {}},
        ],
    }  # fmt: skip
    assert arm_labels(manifest) == {
        "x=1": "MOUD capacity 30%, naloxone coverage 25%",
        "y": "Baseline",
    }


def test_ratio_not_estimable_when_the_denominator_interval_spans_zero(report):
    cost = np.array([1000.0, 1200.0, 1100.0])
    spans = np.array([2.0, -1.0, 0.5])  # mean 0.5 averted, its interval spans 0
    assert ratio_interval(cost, spans).ci95 is None
    assert ratio_cell(cost, spans, "deaths averted") == (
        f"{NOT_ESTIMABLE} (the interval of deaths averted spans zero)"
    )
    clear = np.array([2.0, 2.2, 1.9])
    interval = ratio_interval(cost, clear)
    assert interval.ci95 is not None and interval.ci95[0] < 1100 / (6.1 / 3) < interval.ci95[1]
    cell = ratio_cell(cost, clear, "deaths averted")
    assert (
        cell == f"${1100 / (6.1 / 3):,.0f} (${interval.ci95[0]:,.0f} to ${interval.ci95[1]:,.0f})"
    )
    # More deaths, however clearly, is no price per death averted; one replicate, no interval.
    assert ratio_cell(cost, -clear, "deaths averted") == (
        f"{NOT_ESTIMABLE} (no deaths averted on average)"
    )
    assert ratio_cell(cost[:1], clear[:1], "deaths averted").startswith(
        f"{NOT_ESTIMABLE} (one replicate"
    )
    # In the report, every ratio whose CSV interval is missing reads "not estimable".
    cea = pd.read_csv(report / "cost_effectiveness.csv")
    text = _text(report)
    secondary = text[text.index("Secondary: run cost per outcome averted") :]
    if cea["run_cost_per_death_averted_ci95_low"].isna().any():
        assert "not estimable" in secondary
    assert "Deaths are deaths from all causes" in secondary
    assert "(deaths: from all causes" in PER_OUTCOME_BASIS  # what hrsim compare divides by


def test_heat_map_marks_cells_that_differ_beyond_chance():
    values = [[0.0, 1.0], [2.0, 5.0]]
    marks = [[False, False], [False, True]]
    fig = figures.heat_map(values, ["a", "b"], ["c", "d"], "x", "y", "v", marks=marks)
    ax = fig.axes[0]
    framed = sorted(p.get_gid() for p in ax.patches if p.get_gid())
    assert framed == ["mark:1,1"]
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("5 *") == 1 and not any(t.endswith("*") for t in texts if t != "5 *")


def test_pdf_next_to_the_html_and_a_clear_line_without_chromium(report, store, tmp_path,
                                                               monkeypatch, capsys):  # fmt: skip
    pdf = report / "report.pdf"
    assert pdf.read_bytes()[:5] == b"%PDF-"
    assert pdf.stat().st_size > 20_000  # the figures are in it
    monkeypatch.setenv("HRSIM_CHROMIUM", str(tmp_path / "no-such-browser"))
    assert main(["report", str(store), "--out", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "HRSIM_CHROMIUM=" in err and "no such program" in err
    assert not (tmp_path / "r").exists()
    # --no-pdf: the HTML report without Chromium, and no PDF beside it.
    assert main(["report", str(store), "--out", str(tmp_path / "r"), "--no-pdf"]) == 0
    assert (tmp_path / "r" / "report.html").is_file()
    assert not (tmp_path / "r" / "report.pdf").exists()


def test_report_json_says_what_was_written_and_gives_the_summary_numbers(store, tmp_path, capsys):
    folder = tmp_path / "out"
    assert main(["report", str(store), "--out", str(folder), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)  # stdout is one JSON document
    assert document["report"] == str(folder / "report.html")
    assert (folder / "report.html").is_file()
    assert document["pdf"] == str(folder / "report.pdf")
    assert (folder / "report.pdf").read_bytes()[:5] == b"%PDF-"
    assert document["csv"] == sorted(str(p) for p in folder.glob("*.csv"))
    assert {Path(p).name for p in document["csv"]} >= {"averted.csv", "arms.csv", "runs.csv"}
    assert document["figures"] == sorted(str(p) for p in folder.glob("*.png"))
    assert document["baseline"] == {"arm": "baseline", "label": "Baseline"}
    assert document["replicates"] == 3 and document["validation"] is None
    # The headline table: each option's averted outcomes and QALYs with their intervals, the
    # numbers of averted.csv, options in the summary's order (most deaths averted first).
    averted = pd.read_csv(folder / "averted.csv").set_index(["arm", "outcome"])
    rows = document["headline"]
    outcomes = ["deaths_all_causes", "fatal_overdoses", "new_hiv", "new_hcv", "qalys"]
    arms = list(dict.fromkeys(r["arm"] for r in rows))
    assert sorted(arms) == ["naloxone_distribution", "syringe_services"]
    deaths = [averted.loc[(a, "deaths_all_causes"), "value"] for a in arms]
    assert deaths == sorted(deaths, reverse=True)
    assert [(r["arm"], r["outcome"]) for r in rows] == [(a, o) for a in arms for o in outcomes]
    for r in rows:
        csv = averted.loc[(r["arm"], r["outcome"])]
        assert r["measure"] == csv["measure"]
        assert r["label"] == {"syringe_services": "Syringe services"}.get(
            r["arm"], "Naloxone distribution"
        )
        assert (r["value"], r["ci95_low"], r["ci95_high"]) == pytest.approx(
            (csv["value"], csv["ci95_low"], csv["ci95_high"])
        )
        assert r["beyond_chance"] == bool(csv["ci95_low"] > 0 or csv["ci95_high"] < 0)
    text = _text(folder)
    summary = text[text.index("Executive summary") : text.index("About this sweep")]
    labels = {r["arm"]: r["label"] for r in rows}
    assert summary.index(f"{labels[arms[0]]}: over") < summary.index(f"{labels[arms[1]]}: over")


def test_report_uses_the_validation_file_it_is_given(store, tmp_path, capsys):
    given = tmp_path / "kept" / "elsewhere.json"  # not a place the report looks by itself
    given.parent.mkdir()
    given.write_text(json.dumps(_validation_rows()))
    folder = tmp_path / "out"
    command = ["report", str(store), "--out", str(folder), "--no-pdf", "--json"]
    assert main([*command, "--validation", str(given)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["pdf"] is None and not (folder / "report.pdf").exists()
    assert document["validation"] == {
        "file": str(given),
        "met": 1,
        "targets": 3,
        "met_by_role": "calibration: 0 of 0; validation: 1 of 3",
        "near_misses": ["a near-miss ratio"],
        "misses": ["a missed share"],
        "not_enough_data": [],
    }
    text = _text(folder)
    part = text[text.index("Validation status") : text.index("Assumptions and limitations")]
    met = "1 of 3 published targets met (calibration: 0 of 0; validation: 1 of 3)"
    assert f"{met}, from {given}" in part
    assert "Near misses: a near-miss ratio." in part
    # A missing or malformed file: one line naming it, exit 2, nothing written.
    (tmp_path / "empty.json").write_text("")
    (tmp_path / "rows.json").write_text(json.dumps([{"name": "x"}]))
    for bad, message in (
        (tmp_path / "nope.json", "does not exist"),
        (tmp_path / "kept", "is a folder"),
        (tmp_path / "empty.json", "not a validation result (Expecting value"),
        (tmp_path / "rows.json", "not a validation result (no list of targets)"),
    ):
        out = tmp_path / "refused"
        code = main(["report", str(store), "--out", str(out), "--validation", str(bad)])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1, err
        assert err.startswith(f"hrsim: error: --validation {bad}") and message in err, err
        assert not out.exists()


def test_validate_html_writes_the_json_a_report_reads(store, tmp_path, capsys):
    """``hrsim validate --html DIR/validation.html`` writes DIR/validation.json (what --json
    prints), the file ``hrsim report --validation`` takes."""
    page = tmp_path / "validation" / "validation.html"
    tiny = ["--people", "100", "--replicates", "1", "--years", "0.2", "--workers", "1"]
    assert main(["validate", *tiny, "--quiet", "--html", str(page)]) in (0, 1)
    printed = capsys.readouterr().out
    beside = page.parent / "validation.json"
    assert f"results as JSON: {beside}" in printed
    rows = json.loads(beside.read_text())
    assert len(rows) == 30 and all({"name", "status", "interval"} <= set(r) for r in rows)
    folder = tmp_path / "report"
    assert (
        main(["report", str(store), "--out", str(folder), "--no-pdf", "--validation", str(beside)])
        == 0
    )
    met = sum(r["status"] == "pass" for r in rows)
    text = _text(folder)
    part = text[text.index("Validation status") : text.index("Assumptions and limitations")]
    assert f"{met} of 30 published targets met" in part and f"from {beside}" in part
