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
