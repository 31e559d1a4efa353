"""The parts of a sweep report a health board reads first and last, in plain words.

- :func:`executive_summary`: what each option did against the comparator, with 95% intervals,
  and whether each difference can be told from chance; what it cost per QALY gained (or that
  the ratio is not estimable); which option is the best buy at a willingness to pay; how far
  the model was validated. :func:`headline_table` gives its numbers as a table (``hrsim
  report --json``).
- :func:`validation_section`: the validation status (how many published targets are met, by
  role, the near misses and the misses), from ``hrsim validate --json``'s output, or the exact
  command that produces one.
- :func:`assumptions_section`: what the model assumes and what it leaves out, specific to
  hrsim's mechanisms and to the sweep (its supply, its baseline's MOUD waiting list, its
  programmes' known limits from docs/programmes.md), pointing to docs/user-guide.md and
  docs/ODD.md for the whole story.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hrsim.analysis.compare import (
    DOMINANT,
    DOMINATED,
    LESS_COSTLY_LESS_EFFECTIVE,
    MORE_COSTLY_MORE_EFFECTIVE,
    Comparison,
)
from hrsim.batch.store import Experiment, StoreError
from hrsim.interventions.registry import programme_defaults
from hrsim.reporting.arms import known_limits, readable_name
from hrsim.reporting.figures import Page
from hrsim.reporting.methods import source_tag
from hrsim.reporting.validation_status import COMMAND, ValidationStatus
from hrsim.scenario import Scenario, parameter_table

#: Options described one by one in the summary (the rest: "see the tables").
MAX_SUMMARY_ARMS = 6
#: The willingness to pay the summary names the best buy at (US$ per QALY).
SUMMARY_WTP = 100_000.0
#: The outcomes the summary gives for each option, in its order (QALYs gained, the rest averted).
HEADLINE_OUTCOMES = ("deaths_all_causes", "fatal_overdoses", "new_hiv", "new_hcv", "qalys")


def _n(value: float, digits: int | None = None) -> str:
    """A count in words' company: 12, 3.4, 0.25 (no "-0")."""
    if not math.isfinite(value):
        return "-"
    if digits is None:
        digits = 0 if abs(value) >= 10 else 1
    text = f"{value:,.{digits}f}"
    return text.removeprefix("-") if text.strip("-0.,") == "" else text


def _money(value: float) -> str:
    if not math.isfinite(value):
        return "-"
    return f"-${abs(value):,.0f}" if value < 0 else f"${value:,.0f}"


def _interval(lo: float, hi: float, fmt: Any = _n) -> str:
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return "no interval: one replicate"
    return f"95% interval {fmt(lo)} to {fmt(hi)}"


def _chance(lo: float, hi: float) -> str:
    if math.isfinite(lo) and math.isfinite(hi) and lo <= 0 <= hi:
        return ", which cannot be told apart from no difference"
    return ""


def _years(manifest: Mapping[str, Any]) -> str:
    years = sorted({float(a["years"]) for a in manifest["arms"]})
    if len(years) > 1:
        return f"{years[0]:g} to {years[-1]:g} years"
    y = years[0]
    if y < 1:
        return f"{round(y * 12):g} months"
    return "1 year" if y == 1 else f"{y:g} years"


def _row(averted: pd.DataFrame, arm: str, outcome: str) -> tuple[float, float, float]:
    part = averted[(averted["arm"] == arm) & (averted["outcome"] == outcome)]
    if part.empty:
        return math.nan, math.nan, math.nan
    r = part.iloc[0]
    return float(r["value"]), float(r["ci95_low"]), float(r["ci95_high"])


def _counted(what: str, value: float, lo: float, hi: float) -> str:
    """``12 deaths averted (95% interval 4 to 20)``, or ``3 more deaths (...)`` when negative."""
    if math.isfinite(value) and value < 0 and _n(value) != "0":
        return f"{_n(-value)} more {what} ({_interval(-hi, -lo)})"
    return f"{_n(value)} {what} averted ({_interval(lo, hi)})"


def _spans_zero(lo: float, hi: float) -> bool:
    return math.isfinite(lo) and math.isfinite(hi) and lo <= 0 <= hi


def _join(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _cost_sentence(comparison: Comparison, arm: str) -> str:
    result = next((a for a in comparison.arms if a.name == arm), None)
    if result is None:
        return ""
    cost = result.incremental_cost_usd
    extra = (
        f"extra cost {_money(cost.value)} ({_interval(*cost.ci95, fmt=_money)}; discounted,"
        " over a lifetime)"
        if cost.value >= 0
        else f"a saving of {_money(-cost.value)}"
        f" ({_interval(-cost.ci95[1], -cost.ci95[0], fmt=_money)}; discounted, over a lifetime)"
    )
    icer = result.icer
    if icer.quadrant == DOMINANT:
        ratio = "it costs less and gains QALYs (dominant)"
    elif icer.quadrant == DOMINATED:
        ratio = "it costs more and loses QALYs (dominated)"
    elif icer.ci95 is None:
        ratio = (
            "cost per QALY gained: not estimable, because the interval of the QALYs gained"
            " spans zero (read the net monetary benefit instead)"
        )
    elif icer.quadrant == MORE_COSTLY_MORE_EFFECTIVE and icer.value is not None:
        ratio = f"cost per QALY gained {_money(icer.value)} ({_interval(*icer.ci95, fmt=_money)})"
    elif icer.quadrant == LESS_COSTLY_LESS_EFFECTIVE and icer.value is not None:
        ratio = f"it saves {_money(icer.value)} per QALY lost ({_interval(*icer.ci95, fmt=_money)})"
    else:
        ratio = "no QALYs gained or lost on average"
    return f"{extra}; {ratio}"


def ranked_options(averted: pd.DataFrame, arms: Sequence[str], base: str) -> list[str]:
    """Every arm but the comparator, most deaths (all causes) averted first: the summary's order."""
    deaths = averted[averted["outcome"] == "deaths_all_causes"].set_index("arm")["value"]
    others = [a for a in arms if a != base]
    return sorted(others, key=lambda a: -float(deaths.get(a, -math.inf)))


def headline_table(
    averted: pd.DataFrame, arms: Sequence[str], names: Mapping[str, str], base: str
) -> pd.DataFrame:
    """The executive summary's numbers: one row per option and outcome, in the summary's order.

    Columns ``arm`` (its name in the sweep), ``label`` (its readable name), ``outcome``,
    ``measure`` (``"deaths averted"``, ..., ``"QALYs gained (discounted, lifetime)"``),
    ``value``, ``ci95_low``, ``ci95_high`` (paired 95% interval; NaN with one replicate) and
    ``beyond_chance`` (the interval excludes zero; False when there is none).
    """
    rows = []
    for arm in ranked_options(averted, arms, base):
        for outcome in HEADLINE_OUTCOMES:
            part = averted[(averted["arm"] == arm) & (averted["outcome"] == outcome)]
            if part.empty:
                continue
            r = part.iloc[0]
            value, lo, hi = float(r["value"]), float(r["ci95_low"]), float(r["ci95_high"])
            rows.append(
                {
                    "arm": arm,
                    "label": names.get(arm, arm),
                    "outcome": outcome,
                    "measure": str(r["measure"]),
                    "value": value,
                    "ci95_low": lo,
                    "ci95_high": hi,
                    "beyond_chance": bool(math.isfinite(lo) and math.isfinite(hi))
                    and (lo > 0 or hi < 0),
                }
            )
    columns = ["arm", "label", "outcome", "measure", "value", "ci95_low", "ci95_high"]
    return pd.DataFrame(rows, columns=[*columns, "beyond_chance"])


def executive_summary(
    page: Page,
    manifest: Mapping[str, Any],
    averted: pd.DataFrame,
    comparison: Comparison | None,
    names: Mapping[str, str],
    base: str,
    validation: ValidationStatus | None,
    replicates: int,
) -> None:
    """The summary at the top of the report: the main numbers with their intervals."""
    page.heading("Executive summary")
    arms = [str(a["name"]) for a in manifest["arms"]]
    others = [a for a in arms if a != base]
    people = sorted({int(a["people"]) for a in manifest["arms"]})
    years = _years(manifest)
    page.paragraph(
        f"This report compares {len(others)} option{'s' if len(others) != 1 else ''} with"
        f" {names[base]} (the comparator) in a simulated community of"
        f" {' to '.join(f'{p:,}' for p in people)} people who use opioids, over {years}. Each"
        f" option was simulated {replicates} times (replicates) on the same random numbers as"
        " the comparator, so a difference is the programmes' doing and not the luck of the"
        " draw; the ranges are 95% intervals of the average difference. QALYs are"
        " quality-adjusted life-years; MOUD is medications for opioid use disorder (methadone"
        " and buprenorphine); HCV is hepatitis C."
    )
    if not others:
        page.paragraph("The sweep has a single arm: there is nothing to compare.")
        return
    ranked = ranked_options(averted, arms, base)
    items = []
    for arm in ranked[:MAX_SUMMARY_ARMS]:
        measures = {
            "deaths": ("deaths from all causes", _row(averted, arm, "deaths_all_causes")),
            "fatal overdoses": ("fatal overdoses", _row(averted, arm, "fatal_overdoses")),
            "HIV infections": ("new HIV infections", _row(averted, arm, "new_hiv")),
            "HCV infections": ("new HCV infections", _row(averted, arm, "new_hcv")),
        }
        counts = [_counted(what, *row) for what, row in measures.values()]
        q, q_lo, q_hi = _row(averted, arm, "qalys")
        gained = f"{_n(q, 1 if abs(q) >= 1 else 2)} QALYs gained ({_interval(q_lo, q_hi)})"
        text = (
            f"{names[arm]}: over {years}, an estimated {counts[0]} compared with"
            f" {names[base]}; {'; '.join(counts[1:])}; {gained}."
        )
        chance = [k for k, (_, row) in measures.items() if _spans_zero(row[1], row[2])]
        chance += ["QALYs"] if _spans_zero(q_lo, q_hi) else []
        if len(chance) == len(measures) + 1:
            text += (
                " None of these differences can be told apart from no difference (every"
                " interval includes zero)."
            )
        elif chance:
            text += (
                f" The {_join(chance)} cannot be told apart from no difference (their"
                f" interval{'s include' if len(chance) > 1 else ' includes'} zero)."
            )
        if comparison is not None:
            cost = _cost_sentence(comparison, arm)
            text += f" {cost[:1].upper()}{cost[1:]}." if cost else ""
        items.append(text)
    page.items(items, "summary")
    if len(ranked) > MAX_SUMMARY_ARMS:
        page.paragraph(
            f"The {MAX_SUMMARY_ARMS} options with the most deaths averted are listed; the tables"
            " below have all of them."
        )
    closing = []
    if comparison is not None and comparison.best:
        wtp = min(comparison.best, key=lambda w: abs(w - SUMMARY_WTP))
        closing.append(
            f"At a willingness to pay of {_money(wtp)} per QALY, the option with the highest"
            f" expected net monetary benefit (value of the QALYs gained minus the extra cost)"
            f" is {names.get(comparison.best[wtp], comparison.best[wtp])}."
        )
    elif comparison is None:
        closing.append(
            "Costs and QALYs are not compared: the arms do not share their economic settings"
            " (see the cost-effectiveness section)."
        )
    if validation is not None:
        near = validation.near_misses()
        closing.append(
            f"Validation: {validation.passed} of {len(validation.rows)} published targets are"
            f" met ({validation.met_by_role()})"
            + (f", {len(near)} near miss{'es' if len(near) != 1 else ''}" if near else "")
            + " (see Validation status)."
        )
    else:
        closing.append(
            f"No validation result was found; produce one with {COMMAND} (see Validation status)."
        )
    closing.append(
        "The intervals show chance variation between runs only, not what is unknown about the"
        " model's inputs; read the assumptions and limitations before quoting a number."
    )
    page.paragraph(" ".join(closing))


def validation_section(
    page: Page,
    status: ValidationStatus | None,
    places: Sequence[Path],
    problems: Sequence[str],
) -> None:
    """How far the model is validated: the result's summary, or how to produce one."""
    page.heading("Validation status")
    if status is None:
        looked = ", ".join(str(p) for p in places)
        page.paragraph(
            "No validation result found (looked for "
            + looked
            + ")."
            + (" Not usable: " + "; ".join(problems) + "." if problems else "")
            + f" Produce one from the folder this report is built in with: {COMMAND}"
            " (about a minute on 2 cores; add the sweep's baseline scenario file after"
            " 'validate' to validate that scenario rather than the defaults), or with hrsim"
            " validate --html runs/validation/validation.html, which writes the same"
            " validation.json beside its page with one plot per target; then run hrsim report"
            " again (hrsim report --validation FILE uses a result kept anywhere else).",
            "fail",
        )
        return
    near, misses, small = status.near_misses(), status.misses(), status.too_small()
    page.paragraph(
        f"{status.passed} of {len(status.rows)} published targets met ({status.met_by_role()}),"
        f" from {status.path}. A calibration target was used to set a parameter, so meeting"
        " it shows the setting carried through, not that the model predicts it; validation"
        " targets are independent of every parameter choice. A near miss is a missed target"
        " whose simulated 95% interval still touches the published one. The page with one plot"
        " per target comes from hrsim validate --html (the user guide, step 4)."
    )
    rows = []
    for r in status.rows:
        verdict = str(r.get("status") or ("pass" if r.get("passed") else "fail"))
        if r["name"] in near:
            verdict = "near miss"
        interval = r.get("interval") or [None, None]
        sim = r.get("simulated")
        rows.append(
            {
                "result": verdict,
                "target": r["name"],
                "role": r.get("role", "validation"),
                "published": r.get("target", ""),
                "simulated (95% interval)": "-"
                if sim is None
                else f"{float(sim):.3g} ({_g(interval[0])} to {_g(interval[1])})",
            }
        )
    page.table(pd.DataFrame(rows), text_columns=("target", "published"))
    if near:
        page.paragraph("Near misses: " + "; ".join(near) + ".")
    if misses:
        page.paragraph("Missed: " + "; ".join(misses) + ".")
    if small:
        page.paragraph("Not enough data in that run to judge: " + "; ".join(small) + ".", "note")


def _g(value: Any) -> str:
    return "-" if value is None else f"{float(value):.3g}"


def _placeholders(kinds: Sequence[str]) -> tuple[int, int]:
    """(assumed, all) parameters of the model and the sweep's programmes, by source tag."""
    table = parameter_table()
    # The run's own settings (size, years, seed) are choices, not evidence.
    entries = [e for name, section in table.items() if name != "run" for e in section.values()]
    defaults = programme_defaults()
    entries += [e for k in kinds for e in defaults.get(k, {}).values()]
    assumed = sum(source_tag(str(e.get("source", ""))) == "R" for e in entries)
    return assumed, len(entries)


def _kinds(manifest: Mapping[str, Any]) -> list[str]:
    kinds: list[str] = []
    for entry in manifest.get("scenarios", {}).values():
        for p in entry.get("scenario", {}).get("interventions", []):
            if p["type"] not in kinds:
                kinds.append(str(p["type"]))
    for arm in manifest["arms"]:
        for key in arm.get("parameters") or {}:
            parts = key.split(".")
            if parts[0] == "interventions" and len(parts) >= 3 and parts[1] not in kinds:
                kinds.append(parts[1])
    return kinds


def _waiting(experiment: Experiment, base: str) -> str:
    """A sentence on the baseline's MOUD waiting list at the end, or "" if not recorded."""
    try:
        series = experiment.read_series(["moud_waiting"], arms=[base])
    except (StoreError, KeyError, ValueError):
        return ""
    if series.empty or "moud_waiting" not in series:
        return ""
    last = series[series["week"] == series["week"].max()]["moud_waiting"]
    mean = float(last.mean())
    if mean < 0.5:
        return (
            " In this sweep's baseline almost nobody is waiting for a place at the end"
            f" ({mean:.1f} on average), so extra places would change little here."
        )
    return (
        f" In this sweep's baseline about {mean:,.0f} people are waiting for a place at the"
        " end (mean over replicates)."
    )


def assumptions_section(
    page: Page, experiment: Experiment, base: str, scenario: Scenario | None
) -> None:
    """What the model assumes and leaves out, in plain words, for this sweep.

    ``scenario``: the baseline arm's scenario (its supply, warm-up and horizon are quoted);
    None when the manifest does not hold it.
    """
    manifest = experiment.manifest
    page.heading("Assumptions and limitations")
    kinds = _kinds(manifest)
    assumed, total = _placeholders(kinds)
    if scenario is not None:
        fentanyl = f"{scenario.fentanyl_share(0):.0%}"
        burn_in = f"{scenario.run.burn_in_years:g}"
        lifetime = scenario.economics.horizon == "lifetime"
    else:
        fentanyl, burn_in, lifetime = "the scenario's share", "several", True
    items = [
        "A simulated community, not a forecast. Each arm is the same simulated people with the"
        " same chance events; only the programmes differ. The numbers are totals for that"
        " community; scaling them to a county assumes the county is like the model's inputs.",
        "The intervals show chance only. They come from repeating the simulation with"
        " different random numbers, not from uncertainty in the inputs:"
        f" {assumed} of the {total} parameters behind this sweep are assumptions (placeholders"
        " with a plausible range, tagged R in the sources) rather than values read in a study."
        " A probabilistic sensitivity analysis (hrsim psa) or a sensitivity analysis (hrsim"
        " sensitivity) shows how much they matter.",
        "A United States setting. Costs are in US dollars, deaths from other causes follow the"
        " US life table, and most sources are US studies; another country needs its own inputs.",
        "Overdose deaths rest on a fitted rate. The background overdose rate was fitted to"
        f" deaths among US people who inject in the fentanyl era; here {fentanyl} of doses"
        " contain fentanyl in the first year. Who is present at an overdose, and how often"
        " naloxone is given, miss their published targets low (deaths happen alone and without"
        " naloxone more often than US death records show), so deaths averted by naloxone may be"
        " understated.",
        "Infections are indicative. The model's hepatitis C incidence is below that of US"
        " cohorts and its HIV and hepatitis C prevalences end below US surveys'; hepatitis C"
        " passed on through shared cookers, cotton and water carries too little of the"
        " infections. HCV infections averted are probably too few.",
        "Extra MOUD places help only when people are waiting. People who seek treatment and"
        " find no place join a waiting list; a capacity change with no list changes nothing."
        + _waiting(experiment, base),
        f"Week 0 follows a {burn_in}-year warm-up that is not reported; programmes start at"
        " week 0 or later, at the coverage the scenario sets (or after its ramp-up).",
        "A population that moves. People start using at a set incidence, die of other causes"
        " by age and sex, and leave at 65 or after five years in recovery; new people do not"
        " replace the dead, so a death averted is a person who lives on.",
    ]
    if lifetime:
        items.append(
            "After the run. With a lifetime horizon, everyone alive at the end is assumed to"
            " stay for life in the state they end in (on treatment, in recovery, with HIV or"
            " hepatitis C or not), and programmes stop with the run; see the share of QALYs and"
            " costs after the run in the cost components."
        )
    items.append(
        "Not captured: changes in the drug supply caused by the programmes (the supply follows"
        " the scenario's fixed shares); housing, which is a fixed trait that no programme"
        " changes; people who use only stimulants or other drugs; how well a programme is run"
        " beyond its coverage and unit costs; effects on people outside the simulated community."
    )
    page.items(items)
    limits = known_limits(kinds)
    if limits:
        page.paragraph(
            "Known limits of the programmes in this sweep (from docs/programmes.md):", "note"
        )
        page.items([f"{readable_name(k)}: {text}" for k, text in limits.items()])
    elif kinds:
        page.paragraph("Each programme's known limits are listed in docs/programmes.md.", "note")
    page.paragraph(
        "More: docs/user-guide.md ('What the fentanyl-era calibration means for deaths averted'"
        " and 'Mechanisms an analyst should know about'), and docs/ODD.md section 1 (each"
        " validation target and what each miss points at).",
        "note",
    )
