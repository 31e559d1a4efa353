"""The colours of every figure hrsim draws of a sweep: one palette, one colour per arm.

Okabe-Ito first (told apart with the common kinds of colour blindness), then Paul Tol's
"muted" set for sweeps with more arms; the baseline is always black. The report
(:mod:`hrsim.reporting.figures`, :mod:`hrsim.reporting.arms`) and the notebook plots
(:mod:`hrsim.reporting.notebook_plots`) read it from here. This module imports no matplotlib,
so the notebook plots can use it without the report's figure module, which switches
matplotlib to Agg (files only) when imported.
"""

from __future__ import annotations

from collections.abc import Sequence

#: Okabe-Ito: distinguishable with the common kinds of colour blindness.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#000000",
)

#: The baseline's colour in every figure.
BASELINE_COLOUR = "#000000"
#: The other arms' colours, in the order of the sweep's arms: Okabe-Ito without its black,
#: then Paul Tol's muted scheme (also colour-blind safe), 16 distinct colours in all.
ARM_PALETTE: tuple[str, ...] = (
    *(c for c in PALETTE if c != BASELINE_COLOUR),
    "#332288",
    "#88CCEE",
    "#44AA99",
    "#117733",
    "#999933",
    "#DDCC77",
    "#CC6677",
    "#882255",
    "#AA4499",
)

#: A tornado chart's bars: the outcome with a parameter at its low value (mid grey) and at its
#: high value (dark grey). Greys, so no bar is read as an arm: every arm colour above but the
#: baseline's black has a hue, and black is neither bar's. They differ in lightness alone (CIE
#: L* about 61 and 29; contrast 3:1 with each other and the low one 3:1 with white), so they
#: are told apart with any colour vision and in greyscale.
LOW_VALUE_COLOUR = "#949494"
HIGH_VALUE_COLOUR = "#444444"


def arm_colours(arms: Sequence[str], baseline: str | None = None) -> dict[str, str]:
    """One colour per arm, the same in every figure: black for the baseline, then the palette.

    Colours follow the arms' order in the sweep, so an arm keeps its colour in a figure that
    shows only some arms. With more than 16 arms the palette repeats (figures that show many
    arms tell the repeats apart by line style).
    """
    colours: dict[str, str] = {}
    i = 0
    for arm in arms:
        if arm == baseline:
            colours[arm] = BASELINE_COLOUR
        else:
            colours[arm] = ARM_PALETTE[i % len(ARM_PALETTE)]
            i += 1
    return colours
