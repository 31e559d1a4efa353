"""The methods of an economic evaluation in plain words: the CHEERS 2022 items a run can state.

CHEERS 2022 (Husereau et al. 2022, the Consolidated Health Economic Evaluation Reporting
Standards, 28 items) asks every economic evaluation to state, among others, its comparators
(item 7), perspective (8), time horizon (9), discount rate (10), outcomes and how they were
valued (11-13), how costs were valued (14), currency, price date and conversion (15), the model
(16) and how uncertainty was characterised (20). :func:`cheers_methods` writes one paragraph for
each of those a scenario determines, for a reader who is not an economist (a health board),
from the scenario itself and the sources in its defaults, so the text cannot drift from what
was run. ``hrsim report`` puts them in its methods section; the PSA report calls the same
function with ``uncertainty="psa"``. :func:`sources_table` lists every utility weight and unit
cost with its value, price year and source, for the table under those paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from hrsim._version import __version__
from hrsim.economics.costs import COMPONENTS, SOCIETAL_ONLY
from hrsim.economics.prices import INDEX_SERIES
from hrsim.scenario import Scenario, parameter_table

#: How a source's tag reads in words (the house's tags: docs/ODD.md).
TAG_WORDS = {
    "C": "read in a published study",
    "C2": "published, read in a secondary source",
    "derived": "derived from published figures",
    "R": "assumptions (placeholders with plausible ranges)",
}

#: What each cost component holds, in words.
COMPONENT_WORDS = {
    "programmes": "the programmes' own costs",
    "treatment": "treatment for everyone treated, in every arm (methadone, buprenorphine, detox,"
    " antiretroviral therapy and HIV care on it, hepatitis C cures)",
    "acute": "acute care after overdoses (ambulance calls, emergency department visits and the"
    " hospital admissions that follow some)",
    "chronic": "chronic care (HIV care before antiretroviral therapy, care of chronic hepatitis C"
    " and its liver disease)",
    "criminal_justice": "criminal justice (days in jail and prison, arrests)",
    "productivity": "production lost while using drugs or in custody",
}

# Author-year citations ("Wittenberg et al. 2016") and the agencies whose reports are cited.
_CITATION = re.compile(r"\b[A-Z][A-Za-z'-]+ et al\.? \d{4}|\b(?:NIDA|CDC|SAMHSA|AHRQ)\b")


def source_tag(source: str) -> str:
    """A default's source tag: ``C``, ``C2``, ``derived`` or ``R`` (``R`` when unclear)."""
    text = source.strip()
    for tag in ("C2", "C:", "derived", "R"):
        if text.startswith(tag):
            return tag.rstrip(":")
    return "R"


def _utility_keys(economics: dict[str, Any]) -> list[str]:
    return [k for k in economics if k.startswith("utility_")]


def _changed(scenario: Scenario, section: str, keys: Sequence[str]) -> list[str]:
    """Keys of ``section`` whose scenario value differs from the default."""
    defaults = parameter_table()[section]
    values = getattr(scenario, section).model_dump()
    return [k for k in keys if k in defaults and values[k] != defaults[k]["value"]]


def _tally(entries: dict[str, dict[str, Any]], keys: Sequence[str]) -> str:
    """``"2 read in a published study; 1 derived from published figures; 8 assumptions ..."``."""
    counts: dict[str, int] = {}
    for key in keys:
        tag = source_tag(str(entries[key].get("source", "")))
        counts[tag] = counts.get(tag, 0) + 1
    parts = [f"{counts[t]} {TAG_WORDS[t]}" for t in TAG_WORDS if counts.get(t)]
    return "; ".join(parts)


def _citations(entries: dict[str, dict[str, Any]], keys: Sequence[str]) -> list[str]:
    """Author-year citations in the sources of the cited (not assumed) entries, in order."""
    found: list[str] = []
    for key in keys:
        source = str(entries[key].get("source", ""))
        if source_tag(source) == "R":
            continue
        for match in _CITATION.findall(source):
            name = match.replace("et al ", "et al. ")
            if name not in found:
                found.append(name)
    return found


def _money(value: float) -> str:
    return f"{value:,.0f}"


def cheers_methods(
    scenario: Scenario,
    uncertainty: str,
    *,
    arms: Sequence[str] | None = None,
    baseline: str | None = None,
    replicates: int | None = None,
    samples: int | None = None,
) -> list[str]:
    """The methods paragraphs (CHEERS 2022 items a run determines), in plain words.

    Args:
        scenario: the baseline's scenario (its ``[economics]`` and ``[costs]`` are what every
            arm shares; a comparison refuses arms that differ in them).
        uncertainty: ``"replicates"`` (paired replicates, chance only), ``"psa"`` (parameter
            samples, ``hrsim psa``), or any other text, used as the uncertainty paragraph.
        arms: the arms' names, for the comparators item (omitted when None).
        baseline: the arm the others are compared with.
        replicates: replicates per arm (or per parameter sample).
        samples: parameter samples (PSA).

    Returns:
        One paragraph per item, each starting with the item's name and CHEERS number.
    """
    econ = scenario.economics
    table = parameter_table()
    paragraphs: list[str] = []
    if arms:
        others = [a for a in arms if a != baseline]
        text = f"Comparators (CHEERS item 7). {len(arms)} strategies: {', '.join(arms)}."
        if baseline and others:
            text += (
                f" {baseline} is the comparator: {_join(others)}"
                f" {'is' if len(others) == 1 else 'are each'} compared with it, and every"
                " strategy with the others on the efficient frontier (the incremental table)."
            )
        paragraphs.append(
            text + " Every strategy is the same simulated community with the same people and"
            " the same chance events; only the programmes differ."
        )

    societal = econ.perspective == "societal"
    counted = [COMPONENT_WORDS[c] for c in COMPONENTS if societal or c not in SOCIETAL_ONLY]
    left_out = [COMPONENT_WORDS[c] for c in COMPONENTS if not societal and c in SOCIETAL_ONLY]
    perspective = (
        "Perspective (CHEERS item 8). "
        + (
            "Societal: costs fall on the health sector and beyond."
            if societal
            else "Health sector: the costs of health care, whoever pays for it."
        )
        + f" Counted: {'; '.join(counted)}."
        + (
            f" Not counted: {'; '.join(left_out)} (the societal perspective adds them)."
            if left_out
            else ""
        )
        + " The Second Panel on Cost-Effectiveness in Health and Medicine recommends reporting"
        " both a health-sector and a societal reference case (Sanders et al. 2016)."
    )
    paragraphs.append(perspective)

    years = scenario.run.years
    if econ.horizon == "lifetime":
        rates = ", ".join(
            f"{getattr(econ, f'tail_overdose_death_rate_per_year_{key}') * 1000:g} {label}"
            for key, label in (
                ("using", "in active use (also detox, jail and prison)"),
                ("methadone", "on methadone"),
                ("buprenorphine", "on buprenorphine"),
                ("recovery", "in recovery"),
            )
        )
        horizon = (
            f"Time horizon (CHEERS item 9). Lifetime. The model runs {years:g} years, week by"
            " week; after that, everyone still alive (and everyone who left the population alive"
            " during the run) carries the rest of their life: their remaining life expectancy by"
            " age and sex from the US life table, with death rates raised"
            f" {scenario.demography.other_cause_smr:g}-fold for causes other than overdose, and"
            f" overdose deaths per 1,000 person-years of {rates}. Assumption: each person stays"
            " for life in the state they are in at the end (on methadone, in recovery, with"
            " HIV on treatment or not, with hepatitis C or not), with that state's quality of"
            " life and care costs; programmes end with the run, so the years after it carry no"
            " programme cost and no programme effect. A lifetime horizon gives a death averted"
            " all the years of life it saves, as the Second Panel recommends (a horizon long"
            " enough to capture all important costs and effects)."
        )
    else:
        horizon = (
            f"Time horizon (CHEERS item 9). The {years:g}-year run only: nothing after it is"
            " counted, so a death averted counts only the years left in the run, and programmes"
            " whose benefits come late look worse than they are."
        )
    paragraphs.append(horizon)

    rate = econ.discount_rate
    paragraphs.append(
        "Discount rate (CHEERS item 10). "
        + (
            f"Costs and QALYs are both discounted at {rate * 100:g}% a year, to the start of"
            " the run (each week's costs and QALYs are counted at its end), as the Second Panel"
            " recommends (3%, Sanders et al. 2016)."
            if rate > 0
            else "None: costs and QALYs are undiscounted (the Second Panel recommends 3% a year)."
        )
    )

    utilities = _utility_keys(table["economics"])
    cited = _citations(table["economics"], utilities)
    changed = _changed(scenario, "economics", utilities)
    paragraphs.append(
        "Outcomes and their valuation (CHEERS items 11-13). The main outcome is quality-adjusted"
        " life-years (QALYs) over the horizon: each week a person lives counts as their quality"
        " of life that week, between 0 (dead) and 1 (full health). That weight is set by their"
        " care state (active use, detox, methadone, buprenorphine, recovery, jail, prison),"
        " lowered for HIV (more without viral suppression), for chronic hepatitis C and for"
        f" {econ.post_overdose_weeks} weeks after a non-fatal overdose. Sources of the"
        f" {len(utilities)} weights: {_tally(table['economics'], utilities)}"
        + (f"; published sources: {', '.join(cited)}" if cited else "")
        + "."
        + (
            f" Set in this scenario rather than the defaults: {', '.join(changed)}."
            if changed
            else ""
        )
        + " Deaths, overdoses and new HIV and hepatitis C infections are also reported, each on"
        " its own, as counts within the run."
    )

    costs = table["costs"]
    money = [k for k in costs if "price_year" in costs[k]]
    cost_cited = _citations(costs, money)
    cost_changed = _changed(scenario, "costs", list(costs))
    paragraphs.append(
        "Costs (CHEERS item 14). Each week the model counts what people use (weeks on"
        " methadone, buprenorphine or antiretroviral therapy, detox stays, hepatitis C cures"
        " started, ambulance calls and emergency visits after overdoses, weeks with HIV in care"
        " or with chronic hepatitis C"
        + (", weeks in jail and prison, arrests" if societal else "")
        + ") and multiplies by a unit cost; programmes add what they spend. Treatment is"
        " costed for everyone treated in every arm, so a programme is charged only for the"
        f" treatment it adds. Sources of the {len(money)} unit costs:"
        f" {_tally(costs, money)}"
        + (f"; published sources include {', '.join(cost_cited)}" if cost_cited else "")
        + "."
        + (
            f" Set in this scenario rather than the defaults: {', '.join(cost_changed)}."
            if cost_changed
            else ""
        )
    )

    source_years = _join([str(y) for y in sorted({int(costs[k]["price_year"]) for k in money})])
    paragraphs.append(
        f"Currency, price date and conversion (CHEERS item 15). All costs are in"
        f" {econ.price_year} US dollars ({econ.currency}). Each unit cost is converted from the"
        f" year of its source's dollars ({source_years}) by the ratio of the annual averages of"
        " the Consumer Price Index for All Urban Consumers, Medical Care (CPI-U Medical Care; US"
        f" Bureau of Labor Statistics series {INDEX_SERIES}), the index the US Agency for"
        " Healthcare Research and Quality recommends for medical spending across years. No"
        " exchange rates are applied: every cost source is from the United States."
    )

    paragraphs.append(
        f"Model (CHEERS item 16). hrsim {__version__}, an agent-based simulation: each of"
        f" {scenario.run.people:,} simulated people who use opioids moves week by week between"
        " care states, may inject, overdose (and be revived with naloxone), acquire HIV and"
        " hepatitis C from the people they are tied to, be arrested, and die. Individual"
        " simulation follows each person's history (how long on treatment, time since release,"
        " who injects with whom). The full description (ODD"
        " protocol) and every parameter with its source are in docs/ODD.md; the code is open."
    )
    paragraphs.append(_uncertainty(uncertainty, replicates, samples))
    return paragraphs


def _join(items: Sequence[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``."""
    if not items:
        return "none"
    if len(items) == 1:
        return str(items[0])
    return ", ".join(items[:-1]) + f" and {items[-1]}"


def _uncertainty(kind: str, replicates: int | None, samples: int | None) -> str:
    reps = f"{replicates} " if replicates else ""
    if kind == "replicates":
        return (
            f"Uncertainty (CHEERS item 20). Each strategy was run on the same {reps}random"
            " seeds (common random numbers), so a difference between two strategies in one"
            " replicate is the programmes' doing, not chance. The intervals are 95% intervals"
            " of the mean difference over replicates (paired t intervals; for the cost per QALY,"
            " Fieller's interval, which does not exist when the QALYs gained cannot be told from"
            " zero: then read the net monetary benefit's). These intervals show the model's"
            " chance variation only, not what is unknown about its parameters; for that, run a"
            " probabilistic sensitivity analysis (hrsim psa), which draws the parameters from"
            " the distributions their sources give."
        )
    if kind == "psa":
        n = f"{samples} " if samples else ""
        return (
            "Uncertainty (CHEERS item 20). Probabilistic sensitivity analysis: "
            f"{n}parameter sets were drawn, each parameter from the distribution its source's"
            " interval gives (beta for probabilities and utilities, gamma or lognormal for costs,"
            " rates and ratios, uniform over the plausible range of an assumption), and every"
            f" strategy was run on each set on the same {reps}random seeds. The spread of the"
            " results across parameter sets is the decision uncertainty: the cost-effectiveness"
            " plane, the probability that each strategy is the best buy at each willingness to"
            " pay (acceptability curves and frontier), the expected value of perfect"
            " information, and the share of the variance due to parameters rather than chance."
        )
    return f"Uncertainty (CHEERS item 20). {kind}"


def sources_table(scenario: Scenario) -> pd.DataFrame:
    """Every utility weight and unit cost: parameter, value used, unit, price year, source."""
    table = parameter_table()
    rows = []
    for section in ("economics", "costs"):
        entries = table[section]
        values = getattr(scenario, section).model_dump()
        keys = _utility_keys(entries) if section == "economics" else list(entries)
        for key in keys:
            entry = entries[key]
            value = values[key]
            source = str(entry.get("source", ""))
            rows.append(
                {
                    "parameter": f"{section}.{key}",
                    "value": value,
                    "unit": entry.get("unit", ""),
                    "price year": entry.get("price_year", ""),
                    "source": source
                    if value == entry["value"]
                    else f"set in the scenario (default {entry['value']}: {source})",
                }
            )
    return pd.DataFrame(rows, columns=["parameter", "value", "unit", "price year", "source"])
