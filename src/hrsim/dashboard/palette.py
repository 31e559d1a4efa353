"""Colours and names the dashboard shares between its panels.

Care states use the Okabe-Ito palette (Okabe and Ito 2008, "Color Universal Design"), chosen
so that people with the common forms of colour blindness can tell every colour apart; shapes
and dash patterns carry the rest (events, tie layers, arms), so nothing relies on colour alone.
"""

from __future__ import annotations

# Care state (as in hrsim.core.people.STATE_NAMES) -> (label, colour).
STATES: dict[str, tuple[str, str]] = {
    "active": ("Active use", "#E69F00"),  # orange
    "detox": ("Detox", "#56B4E9"),  # sky blue
    "methadone": ("Methadone", "#009E73"),  # bluish green
    "buprenorphine": ("Buprenorphine", "#F0E442"),  # yellow
    "recovery": ("Recovery", "#0072B2"),  # blue
    "prison": ("Prison", "#CC79A7"),  # reddish purple
    "jail": ("Jail", "#E8BBD4"),  # light reddish purple: a tint of prison's (custody)
}
DEAD = "#000000"
OVERDOSE = "#D55E00"  # vermillion
GREY = "#999999"

# Tie layer -> (label, colour, dash pattern, width).
TIES: dict[str, tuple[str, str, list[int], float]] = {
    "injecting": ("Injecting together", "#444444", [], 1.4),
    "social": ("Social", "#BBBBBB", [], 0.7),
    "sexual": ("Sexual", "#CC79A7", [4, 3], 1.0),
}

# The two arms of a paired run, told apart by line dash.
ARM_DASH: dict[str, list[int]] = {"scenario": [], "baseline": [6, 4]}
ARM_LABEL: dict[str, str] = {"scenario": "Scenario", "baseline": "Baseline (no programmes)"}

# Earlier runs kept on the charts (hrsim.dashboard.earlier_runs): one faint grey, told apart
# by dash patterns (not by colour alone), the newest first.
EARLIER = "#9AA3AD"
EARLIER_DASH: tuple[list[int], ...] = ([2, 2], [1, 3], [6, 2, 1, 2])
