"""What a report calls each arm and what it contains.

A sweep's arms are named for the machine: a scenario's file stem (``syringe_services``) or a
grid point's values (``moud_capacity_fraction=0.3, naloxone_distribution.coverage_fraction=
0.25``). A health board reads "Syringe services" and "MOUD capacity 30%, naloxone coverage
25%". This module turns a sweep's manifest into those readable labels
(:func:`arm_labels`), and a table of what each arm contains: its programmes with their key
settings, and the values a grid set (:func:`arm_contents`).

Each arm's colour comes from :mod:`hrsim.reporting.palette` (Okabe-Ito, then Paul Tol's
"muted" set; the baseline black), which the notebook plots share.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from hrsim.interventions.registry import programme_defaults
from hrsim.scenario.library import builtin_names, library

#: Readable names of the built-in scenarios and programme types.
NAMES = {
    "baseline": "Baseline",
    "syringe_services": "Syringe services",
    "fentanyl_test_strips": "Fentanyl test strips",
    "hiv_hcv_testing_treatment": "HIV and hepatitis C testing and treatment",
    "prep": "PrEP (HIV pre-exposure prophylaxis)",
    "peer_navigation": "Peer navigation after overdose",
    "moud_expansion": "MOUD expansion",
    "post_release_moud": "MOUD at release from custody",
    "contingency_management": "Contingency management",
    "diversion": "Diversion from arrest",
    "supervised_consumption": "Supervised consumption site",
    "naloxone_distribution": "Naloxone distribution",
    "peer_network": "Peer network",
    "ed_buprenorphine": "Buprenorphine in the emergency department",
    "full_package": "Full package",
    "fentanyl_surge": "Fentanyl surge",
    "pre_fentanyl": "Pre-fentanyl supply",
    "xylazine": "Xylazine in the supply",
}

#: How a programme is named in front of one of its parameters ("naloxone coverage 25%").
SHORT = {
    "naloxone_distribution": "naloxone",
    "fentanyl_test_strips": "test strips",
    "hiv_hcv_testing_treatment": "testing and treatment",
    "prep": "PrEP",
    "peer_navigation": "peer navigation",
    "post_release_moud": "MOUD at release",
    "supervised_consumption": "supervised consumption",
    "ed_buprenorphine": "ED buprenorphine",
}

#: Readable names of parameters that sweeps often set (others are made from the key).
PARAMETER_NAMES = {
    "care.moud_capacity_fraction": "MOUD capacity",
    "care.moud_initiation_rate_per_year": "MOUD demand (starts sought per year)",
    "care.aftercare_fraction": "aftercare after detox",
    "overdose.naloxone_reversal_probability": "naloxone reversal",
    "economics.discount_rate": "discount rate",
    "supply.fentanyl_potency_ratio": "fentanyl potency",
}

#: Abbreviations the report spells out once (glossary) and keeps in capitals in names.
ABBREVIATIONS = {
    "MOUD": "medications for opioid use disorder (methadone and buprenorphine)",
    "QALY": "quality-adjusted life-year: a year of life weighted by its quality, from 0 (dead)"
    " to 1 (full health)",
    "HIV": "human immunodeficiency virus",
    "HCV": "hepatitis C virus",
    "ICER": "incremental cost-effectiveness ratio: extra cost per QALY gained",
    "PrEP": "pre-exposure prophylaxis (a medicine that prevents HIV)",
    "ED": "emergency department",
    "EMS": "emergency medical services (ambulance)",
    "ART": "antiretroviral therapy (HIV treatment)",
    "DAA": "direct-acting antivirals (hepatitis C cure)",
    "PWID": "people who inject drugs",
}
_UPPER = {"moud": "MOUD", "hiv": "HIV", "hcv": "HCV", "ed": "ED", "ems": "EMS", "art": "ART"}
_UPPER |= {"daa": "DAA", "pwid": "PWID", "prep": "PrEP", "qaly": "QALY", "qalys": "QALYs"}
_UNIT_SUFFIXES = ("_fraction", "_probability", "_per_week", "_per_year", "_usd", "_weeks")
_PERCENT_SUFFIXES = ("_fraction", "_probability", "_share", "discount_rate")


def _words(snake: str) -> str:
    return " ".join(_UPPER.get(w, w) for w in snake.split("_") if w)


def readable_name(name: str) -> str:
    """A scenario's or programme's name in words: ``syringe_services`` -> ``Syringe services``."""
    if name in NAMES:
        return NAMES[name]
    text = _words(name)
    return text[:1].upper() + text[1:] if text else name


def parameter_label(key: str) -> str:
    """A dotted key in words: ``interventions.prep.coverage_fraction`` -> ``PrEP coverage``."""
    if key in PARAMETER_NAMES:
        return PARAMETER_NAMES[key]
    parts = key.split(".")
    last = parts[-1]
    for suffix in _UNIT_SUFFIXES:
        if last.endswith(suffix) and last != suffix.lstrip("_"):
            last = last.removesuffix(suffix)
            break
    words = _words(last)
    if parts[0] == "interventions" and len(parts) >= 3:
        owner = SHORT.get(parts[1], readable_name(parts[1]).lower())
        owner = " ".join(_UPPER.get(w.lower(), w) for w in owner.split())
        return f"{owner} {words}"
    return words


def value_text(key: str, value: Any) -> str:
    """A parameter value as a board reads it: fractions and probabilities as percentages."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float) and any(key.endswith(s) for s in _PERCENT_SUFFIXES):
        if 0 <= float(value) <= 1 and math.isfinite(float(value)):
            return f"{float(value) * 100:.3g}%"
    if isinstance(value, float):
        return f"{value:,.4g}"
    if isinstance(value, list):
        return ", ".join(value_text(key, v) for v in value)
    return str(value)


def values_label(values: Mapping[str, Any]) -> str:
    """``MOUD capacity 30%, naloxone coverage 25%``."""
    return ", ".join(f"{parameter_label(k)} {value_text(k, v)}" for k, v in values.items())


def arm_labels(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Each arm's readable label, by arm name; labels are unique (an arm id is added if not)."""
    arms = manifest["arms"]
    several = len({a["scenario"] for a in arms}) > 1
    sample = manifest.get("design") == "sample"
    labels: dict[str, str] = {}
    for arm in arms:
        scenario = readable_name(str(arm["scenario"]))
        values = arm.get("parameters") or {}
        if sample and values:
            point = str(arm["name"]).rpartition("| ")[2].removeprefix("point ").lstrip("0")
            what = f"sample point {point or '0'}"
        else:
            what = values_label(values)
        if not what:
            label = scenario
        elif several:
            label = f"{scenario}: {what}"
        else:
            label = what[:1].upper() + what[1:]
        labels[str(arm["name"])] = label
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    ids = {str(a["name"]): str(a["id"]) for a in arms}
    return {n: (lab if counts[lab] == 1 else f"{lab} ({ids[n]})") for n, lab in labels.items()}


def scenario_description(name: str, file: str | None) -> str:
    """The opening comment of the scenario's file (its file, else the built-in of that name)."""
    candidates = [Path(file)] if file else []
    if f"{name}.toml" in builtin_names():
        candidates.append(library() / f"{name}.toml")
    for path in candidates:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        words: list[str] = []
        for line in lines:
            if not line.startswith("#"):
                break
            text = line.lstrip("#").strip()
            if not text or text.startswith(("hrsim ", "python ")):  # a command, not a description
                break
            words.append(text)
        if words:
            return " ".join(words)
    return ""


#: Every programme's common parameters and their defaults (``InterventionParams``).
_COMMON: dict[str, Any] = {"start_week": 0, "ramp_up_weeks": 0}


def _programmes(scenario: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    """Each programme of an arm with its key settings: the first default, what is set."""
    defaults = programme_defaults()
    listed = [dict(p) for p in scenario.get("interventions", [])]
    present = {p["type"] for p in listed}
    for key in values:  # a grid value of a programme the scenario lacks adds it
        parts = key.split(".")
        if parts[0] == "interventions" and len(parts) >= 3 and parts[1] not in present:
            listed.append({"type": parts[1]})
            present.add(parts[1])
    out = []
    for programme in listed:
        kind = str(programme["type"])
        table = defaults.get(kind, {})
        settings = {k: v for k, v in programme.items() if k != "type"}
        for key, value in values.items():
            parts = key.split(".")
            if parts[:2] == ["interventions", kind] and len(parts) == 3:
                settings[parts[2]] = value
        shown: dict[str, Any] = {}
        headline = next(iter(table), None)
        if headline is not None:
            shown[headline] = settings.get(headline, table[headline]["value"])
        for key, value in settings.items():
            default = table.get(key, {}).get("value", _COMMON.get(key))
            if key in ("price_year", "fixed_cost_usd_per_week") or key in shown:
                continue
            if value != default and value is not None:
                shown[key] = value
        parts = [f"{parameter_label(k)} {value_text(k, v)}" for k, v in shown.items()]
        text = readable_name(kind)
        out.append(f"{text} ({'; '.join(parts)})" if parts else text)
    return out


def arm_contents(manifest: Mapping[str, Any], baseline: str) -> pd.DataFrame:
    """One row per arm: its label, what its scenario is, its programmes and the values set."""
    labels = arm_labels(manifest)
    scenarios = manifest.get("scenarios", {})
    rows = []
    for arm in manifest["arms"]:
        entry = scenarios.get(arm["scenario"], {})
        values = arm.get("parameters") or {}
        programmes = _programmes(entry.get("scenario", {}), values)
        other = {k: v for k, v in values.items() if not k.startswith("interventions.")}
        description = scenario_description(str(arm["scenario"]), entry.get("file"))
        rows.append(
            {
                "arm": labels[str(arm["name"])],
                "role": "baseline (comparator)" if arm["name"] == baseline else "option",
                "scenario": description or readable_name(str(arm["scenario"])),
                "programmes and key settings": "; ".join(programmes) or "no programmes",
                "other values set": values_label(other) or "-",
                "name in the sweep": arm["name"],
            }
        )
    return pd.DataFrame(rows)


def known_limits(kinds: Sequence[str]) -> dict[str, str]:
    """The "Known limits" of each programme from docs/programmes.md, where the checkout has it."""
    path = Path(__file__).resolve().parents[3] / "docs" / "programmes.md"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    found: dict[str, str] = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 5 and cells[0].strip("`") in kinds:
            found[cells[0].strip("`")] = re.sub(r"`([^`]*)`", r"\1", cells[-1])
    return found
