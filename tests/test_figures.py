import base64
import re

import pandas as pd

from hrsim.reporting.figures import Page, horizontal_bars, tornado


def test_page_embeds_figures_and_saves_pngs(tmp_path):
    page = Page("A <report>", tmp_path)
    page.heading("Deaths")
    page.table(pd.DataFrame({"arm": ["baseline"], "deaths": [12.5]}))
    png = page.figure(tornado(["a", "b"], [1, 2], [3, 5], 2.5, "deaths"), "tornado", "swing")
    page.figure(horizontal_bars(["a", "b"], [0.1, 0.5], "S1", [0.05, 0.1]), "bars")
    out = page.write(tmp_path / "report.html")

    text = out.read_text()
    assert "A &lt;report&gt;" in text  # titles are escaped
    assert "http://" not in text and "https://" not in text  # opens offline
    uris = re.findall(r"data:image/png;base64,([A-Za-z0-9+/=]+)", text)
    assert len(uris) == 2
    assert base64.b64decode(uris[0]) == png.read_bytes()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "bars.png").is_file()
    assert not list(tmp_path.glob("*.tmp"))


def _luminance(colour: str) -> float:
    """WCAG relative luminance of ``#RRGGBB``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_tornado_bars_are_low_and_high_values_in_no_arms_colour(tmp_path):
    """A tornado's bars are a parameter's low and high value, not arms: none of their colours
    is an arm's (any of the 16 in the palette, or the baseline's black), the legend says which
    is low and which high, and the two differ in lightness alone (so with any colour vision)."""
    import matplotlib.image
    import numpy as np
    from matplotlib.colors import to_hex
    from matplotlib.patches import Rectangle

    from hrsim.reporting.palette import (
        ARM_PALETTE,
        BASELINE_COLOUR,
        HIGH_VALUE_COLOUR,
        LOW_VALUE_COLOUR,
        PALETTE,
        arm_colours,
    )

    arms = {c.lower() for c in (*PALETTE, *ARM_PALETTE, BASELINE_COLOUR)}
    every = arm_colours([f"arm {i}" for i in range(40)], baseline="arm 0").values()
    arms |= {c.lower() for c in every}  # as the report gives them, palette repeats and all
    fig = tornado(["a", "b", "c"], [1, 2, 0.5], [3, 5, 4], 2.5, "deaths")
    (ax,) = fig.axes
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(bars) == 6  # a low and a high half per parameter
    low = {to_hex(b.get_facecolor()) for b in bars[0::2]}
    high = {to_hex(b.get_facecolor()) for b in bars[1::2]}
    assert low == {LOW_VALUE_COLOUR.lower()} and high == {HIGH_VALUE_COLOUR.lower()}
    assert not (low | high) & arms

    legend = ax.get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert "low" in texts[0] and "high" in texts[1]
    handles = [to_hex(h.get_facecolor()) for h in legend.legend_handles]
    assert handles == [LOW_VALUE_COLOUR.lower(), HIGH_VALUE_COLOUR.lower()]

    # Told apart by lightness, not hue: greys, 3:1 apart, the lighter one 3:1 on white.
    for colour in (LOW_VALUE_COLOUR, HIGH_VALUE_COLOUR):
        assert colour[1:3] == colour[3:5] == colour[5:7]
    assert _contrast(LOW_VALUE_COLOUR, HIGH_VALUE_COLOUR) >= 3
    assert _contrast(LOW_VALUE_COLOUR, "#FFFFFF") >= 3

    # The saved figure: both greys drawn, and not one pixel of an arm's hue anywhere.
    png = Page("t", tmp_path).figure(fig, "tornado")
    pixels = np.round(matplotlib.image.imread(png)[:, :, :3] * 255).astype(int)
    seen = {"#{:02x}{:02x}{:02x}".format(*p) for p in np.unique(pixels.reshape(-1, 3), axis=0)}
    assert {LOW_VALUE_COLOUR.lower(), HIGH_VALUE_COLOUR.lower()} <= seen
    assert not seen & (arms - {BASELINE_COLOUR.lower()})  # black: the text and axes
