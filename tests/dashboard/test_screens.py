"""The dashboard on a phone, a tablet and a laptop: nothing clipped, a drawer that closes.

Each size opens its own page in Debian's Chromium against a real `hrsim dashboard`, steps the
run a few weeks (numbers grow wider), and then checks every visible element of the page: no
box reaches past the window's right edge, no container holds content wider than itself, the
page does not scroll sideways, and nothing went to the console or failed to load. Below
1,024 px the settings are a drawer: it opens from the Settings button without covering it,
and closes with its close button and with Escape. A screenshot of the whole main area at each
size is saved to test-artifacts/dashboard/.
"""

from __future__ import annotations

import pytest
from tests.dashboard.conftest import open_page
from tests.dashboard.test_browser import wait_until_drawn

SIZES = {"phone": (390, 844), "tablet": (768, 1024), "laptop": (1400, 1000)}

# Every visible element inside the page: its right edge within the window, and (for boxes
# that clip or scroll) its content no wider than itself. Text inputs scroll by nature, and a
# button's ripple is clipped by its button on purpose.
OVERFLOW = """() => {
    const width = window.innerWidth;
    const problems = [];
    const describe = e => e.tagName.toLowerCase() + [...e.classList].slice(0, 3)
        .map(c => '.' + c).join('') + ' "' + (e.innerText || '').trim().slice(0, 40) + '"';
    if (document.documentElement.scrollWidth > width) {
        problems.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} px`);
    }
    for (const e of document.querySelectorAll('.hrsim-shell *')) {
        const box = e.getBoundingClientRect();
        const style = getComputedStyle(e);
        if (box.width === 0 || box.height === 0 || style.visibility === 'hidden') continue;
        if (e.closest('.v-ripple__container')) continue;  // a click's ripple, clipped by design
        if (box.right > width + 1) {
            problems.push(`${describe(e)} ends at ${Math.round(box.right)} px`);
        }
        if (e.tagName !== 'INPUT' && e.clientWidth > 0 && e.scrollWidth > e.clientWidth + 1
                && style.overflowX !== 'visible') {
            problems.push(`${describe(e)} holds ${e.scrollWidth} px in ${e.clientWidth} px`);
        }
    }
    return problems;
}"""


def visible(page, selector: str) -> bool:
    return page.locator(selector).first.is_visible()


def check_drawer(page) -> None:
    """Below 1,024 px: the drawer opens without covering its button, and closes two ways."""
    assert not visible(page, ".hrsim-side")  # closed at first: the run is what a phone shows
    page.click(".hrsim-menu")
    page.wait_for_selector(".hrsim-side", state="visible")
    assert visible(page, ".hrsim-close")
    # The Settings button stays on top and clickable: the drawer opens below the bar.
    menu = page.locator(".hrsim-menu").bounding_box()
    assert menu is not None
    hit = page.evaluate(
        "([x, y]) => !!document.elementFromPoint(x, y).closest('.hrsim-menu')",
        [menu["x"] + menu["width"] / 2, menu["y"] + menu["height"] / 2],
    )
    assert hit, "the drawer covers the Settings button"
    side = page.locator(".hrsim-side").bounding_box()
    assert side is not None and side["width"] <= page.viewport_size["width"]
    page.keyboard.press("Escape")
    page.wait_for_selector(".hrsim-side", state="hidden")
    page.click(".hrsim-menu")
    page.wait_for_selector(".hrsim-side", state="visible")
    page.click(".hrsim-close")
    page.wait_for_selector(".hrsim-side", state="hidden")


@pytest.mark.parametrize("size", list(SIZES))
def test_nothing_is_clipped_and_the_drawer_closes(browser, server, artifacts, size):
    width, height = SIZES[size]
    context, watched = open_page(browser, server, width, height)
    page = watched.page
    try:
        if width < 1024:
            check_drawer(page)
        else:
            assert visible(page, ".hrsim-side") and not visible(page, ".hrsim-menu")
        # The controls are at the top of the main area on every screen, and the hint says so.
        assert visible(page, ".hrsim-step") and visible(page, ".hrsim-play")
        hint = page.inner_text(".hrsim-start-hint")
        assert "(left)" not in hint and "at the top" in hint
        for week in (1, 2, 3):
            page.click(".hrsim-step")
            wait_until_drawn(page, week)
        page.wait_for_timeout(300)  # a chart that re-fits after a resize has settled
        assert page.evaluate(OVERFLOW) == []
        # The averted cards share rows: none is squeezed to a word per line.
        cards = page.locator(".hrsim-averted .hrsim-card")
        assert cards.count() == 7
        for i in range(cards.count()):
            box = cards.nth(i).bounding_box()
            assert box is not None and box["width"] >= 140, (i, box)
        if width >= 1024:
            assert visible(page, ".hrsim-side")
            assert page.evaluate(OVERFLOW) == []  # with the settings column shown too
        # The whole main area, at this width: a window as tall as its content.
        tall = page.evaluate("() => document.querySelector('.hrsim-main').scrollHeight")
        page.set_viewport_size({"width": width, "height": tall + 60})
        page.wait_for_timeout(400)
        assert page.evaluate(OVERFLOW) == []
        page.screenshot(path=str(artifacts / f"screen-{size}-{width}x{height}.png"))
        watched.assert_clean()
    finally:
        context.close()
