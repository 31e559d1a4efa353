"""The PSA report: the ICER table, CE plane, CEAC, EVPI and the CHEERS methods, from a real PSA.

A tiny PSA (3 arms x 3 samples x 2 replicates, 300 people, 1 year, no burn-in) is run once;
the report's tables must carry the summary's numbers, and its methods the CHEERS items.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from hrsim.analysis.psa import plan_psa, run_psa
from hrsim.reporting.psa_report import write_psa_report
from hrsim.scenario import load_scenario

RUN = '[run]\nname = "{name}"\npeople = 300\nyears = 1.0\nburn_in_years = 0.0\n'
FILES = {
    "base": RUN.format(name="baseline"),
    "naloxone": RUN.format(name="naloxone") + '[[interventions]]\ntype = "naloxone_distribution"\n',
    "moud": RUN.format(name="moud") + '[[interventions]]\ntype = "moud_expansion"\n',
}


@pytest.fixture(scope="module")
def psa(tmp_path_factory):
    root = tmp_path_factory.mktemp("psa_report")
    for name, text in FILES.items():
        (root / f"{name}.toml").write_text(text)
    scenarios = [load_scenario(root / f"{n}.toml") for n in FILES]
    plan = plan_psa(scenarios[0], scenarios[1:], samples=3, replicates=2, seed=4)
    data, summary = run_psa(plan, root / "store", workers=1, progress=False)
    return data, summary, write_psa_report(data, summary)


def test_the_report_is_written_in_the_store_with_its_figures_and_tables(psa):
    data, _, path = psa
    assert path == Path(data.path) / "report.html"
    for name in ("ce_plane.png", "ceac.png", "evpi.png", "incremental_table.csv", "sources.csv"):
        assert (Path(data.path) / name).stat().st_size > 0, name
    html = path.read_text()
    assert html.count("<img") == 3  # CE plane, CEAC, EVPI embedded


def test_the_incremental_table_carries_the_summarys_numbers(psa):
    data, summary, _ = psa
    table = pd.read_csv(Path(data.path) / "incremental_table.csv")
    assert list(table["strategy"]) == list(summary.table["strategy"])
    assert list(table["status"]) == list(summary.table["status"])
    costs = [float(c.replace(",", "")) for c in table["cost (USD)"]]
    assert costs == pytest.approx([round(c) for c in summary.table["cost"]], abs=0.5)
    html = (Path(data.path) / "report.html").read_text()
    for status in summary.table["status"]:
        assert status in html


def test_the_methods_state_the_cheers_items_of_a_psa(psa):
    data, summary, _ = psa
    html = (Path(data.path) / "report.html").read_text()
    for item in (7, 8, 9, 10, 15, 20):
        assert re.search(rf"CHEERS item {item}\b", html), item
    assert "Probabilistic sensitivity analysis" in html
    assert f"{summary.samples_used} parameter sets were drawn" in html
    assert "3%" in html  # the default discount rate, stated
    assert "2024" in html  # the price year


def test_every_sampled_parameter_is_listed(psa):
    data, _, _ = psa
    html = (Path(data.path) / "report.html").read_text()
    for item in data.manifest["psa"]["distributions"]:
        assert item["parameter"] in html
