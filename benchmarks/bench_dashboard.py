"""How responsive the dashboard is at its default population (2,000 people).

    python benchmarks/bench_dashboard.py               # in-process and in Chromium
    python benchmarks/bench_dashboard.py --no-browser  # in-process only

In-process: one Step is both models' week plus every figure of the page built (what the
server does when Step is pressed), timed early, in the middle and at the end of a 10-year run,
for the baseline and the full package; "Play, server bound" is how many weeks a second the
server could step and draw with no pause between frames. "After two changes" is the same
with two changes of fentanyl made while running (at weeks 10 and 20): the two copies of the
run without each change step beside it (the faint lines), the dearest case of play-from-here.

In the browser (Debian's Chromium, a real `hrsim dashboard` server): Step latency is the time
from the click until the clock and all six charts show the new week (the charts mark the week
they have drawn); Play rate is weeks advanced per second of wall time at each speed, and the
frames the network chart actually drew; Step is timed again after two changes typed into
the fentanyl box (two faint lines running).
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from hrsim.dashboard.parameters import Settings
from hrsim.dashboard.session import DashboardSession

ROOT = Path(__file__).resolve().parents[1]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def summary(ms: list[float]) -> str:
    ms = sorted(ms)
    p90 = ms[min(len(ms) - 1, int(0.9 * len(ms)))]
    return f"median {statistics.median(ms):6.1f} ms   p90 {p90:6.1f} ms   max {ms[-1]:6.1f} ms"


def in_process(file: str, people: int, changes: int = 0) -> dict[str, object]:
    session = DashboardSession(Settings.from_file(file, people=people))
    for k in range(changes):  # play from here, twice: two copies step beside the run
        session.step(10 * (k + 1) - session.clock.week)
        session.change(session.settings.changes(fentanyl_share_by_year=(0.6 + 0.1 * k,)))
    if changes:
        file = f"{file}, after {changes} changes"
    out: dict[str, object] = {}
    for label, until in (("weeks 1-50", 50), ("weeks 251-300", 300), ("weeks 471-520", 520)):
        session.step(until - 50 - session.clock.week)  # get there without timing
        times = []
        while session.clock.week < until:
            start = time.perf_counter()
            session.step(1)
            times.append(1000 * (time.perf_counter() - start))
        out[label] = times
        print(f"  {file:22s} Step, {label:13s} {summary(times)}", flush=True)
    # The figures sent per step at the end of the run (JSON bytes over the websocket).
    figures = session.figures
    payload = sum(len(f.json()) for f in figures.values() if hasattr(f, "json"))
    out["payload_kb_at_end"] = payload / 1024
    print(f"  {file:22s} rows sent per step at week 520: {payload / 1024:.0f} kB of JSON")
    if changes:
        return out
    fresh = DashboardSession(Settings.from_file(file, people=people))
    start = time.perf_counter()
    fresh.step(200)
    rate = 200 / (time.perf_counter() - start)
    out["play_server_bound_weeks_per_s"] = rate
    print(f"  {file:22s} Play, server bound: {rate:.0f} weeks/s (step and draw, no pauses)")
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def in_browser(people: int) -> dict[str, object]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "hrsim.cli", "dashboard", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ},
    )
    url = f"http://127.0.0.1:{port}/"
    for _ in range(240):
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            time.sleep(0.5)
    out: dict[str, object] = {}
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 2300})
            page.goto(url)
            page.wait_for_selector(".hrsim-network-chart [data-week='0']", timeout=60_000)
            if people != 2000:
                raise SystemExit("the browser part runs at the page's default, 2,000 people")
            page.wait_for_timeout(1000)
            out["step_early"] = _steps(page, 20)
            print(f"  browser Step, weeks 1-20:    {summary(out['step_early'])}", flush=True)
            for speed in ("Normal", "Fast"):
                out[f"play_{speed.lower()}"] = _play(page, speed, seconds=8)
            _play_to(page, 400)
            out["step_late"] = _steps(page, 20)
            print(f"  browser Step, weeks ~400+:   {summary(out['step_late'])}", flush=True)
            for share in ("60", "70"):  # two changes while running: two faint lines
                _type_fentanyl(page, share)
                _steps(page, 3)
            out["step_late_two_changes"] = _steps(page, 20)
            print(
                f"  browser Step, after 2 changes: {summary(out['step_late_two_changes'])}",
                flush=True,
            )
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    return out


_DRAWN = """week => {
    const clock = document.querySelector('.hrsim-clock').innerText;
    const charts = [...document.querySelectorAll('[data-week]')];
    return clock.startsWith('Week ' + week.toLocaleString('en-US') + ' ')
        && charts.length === 6 && charts.every(e => e.dataset.week === String(week));
}"""


def _week(page) -> int:
    text = page.inner_text(".hrsim-clock")
    return int(text.split()[1].replace(",", ""))


def _steps(page, n: int) -> list[float]:
    times = []
    for _ in range(n):
        week = _week(page) + 1
        start = time.perf_counter()
        page.click(".hrsim-step")
        page.wait_for_function(_DRAWN, arg=week, polling="raf", timeout=30_000)
        times.append(1000 * (time.perf_counter() - start))
        page.wait_for_timeout(150)
    return times


def _play(page, speed: str, seconds: float) -> dict[str, float]:
    page.click(f".hrsim-controls .v-btn:has-text('{speed}')")
    page.evaluate(
        """() => {
            window.__frames = new Set();
            const el = document.querySelector('.hrsim-network-chart [data-week]');
            window.__observer = new MutationObserver(() => window.__frames.add(el.dataset.week));
            window.__observer.observe(el, {attributes: true});
        }"""
    )
    first = _week(page)
    page.click(".hrsim-play")
    start = time.perf_counter()
    page.wait_for_timeout(seconds * 1000)
    last = _week(page)
    elapsed = time.perf_counter() - start
    page.click(".hrsim-play")
    frames = page.evaluate("() => window.__frames.size")
    page.wait_for_timeout(600)
    rate, drawn = (last - first) / elapsed, frames / elapsed
    print(
        f"  browser Play, {speed:6s}: {rate:5.1f} weeks/s, network redrawn {drawn:4.1f} times/s",
        flush=True,
    )
    return {"weeks_per_s": rate, "network_frames_per_s": drawn}


def _type_fentanyl(page, percent: str) -> None:
    """Type a fentanyl share into its box, as a student does; the run goes on from here."""
    week = _week(page)
    box = page.locator(".hrsim-slider-fentanyl .hrsim-number input")
    if not box.is_visible():
        page.click(".hrsim-menu")
    box.fill(percent)
    box.press("Enter")
    page.wait_for_function(_DRAWN, arg=week, timeout=30_000)
    page.wait_for_selector(".hrsim-earlier-run")


def _play_to(page, week: int) -> None:
    page.click(".hrsim-controls .v-btn:has-text('Fast')")
    page.click(".hrsim-play")
    page.wait_for_function(
        "n => parseInt(document.querySelector('.hrsim-clock').innerText.split(' ')[1]"
        ".replace(/,/g, '')) >= n",
        arg=week,
        timeout=180_000,
    )
    page.click(".hrsim-play")
    page.wait_for_timeout(800)
    page.wait_for_function(_DRAWN, arg=_week(page), timeout=30_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the timings here")
    args = parser.parse_args()
    results: dict[str, object] = {"people": args.people}
    print(f"In-process ({args.people:,} people, both arms, every figure):")
    for file in ("baseline.toml", "full_package.toml"):
        results[file] = in_process(file, args.people)
    results["full_package.toml, 2 changes"] = in_process("full_package.toml", args.people, 2)
    if not args.no_browser:
        print("In Chromium (baseline scenario, 2,000 people):")
        results["browser"] = in_browser(args.people)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
