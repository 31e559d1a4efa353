"""An HTML page printed to PDF by headless Chromium: the same page, on paper.

The report is HTML with its figures embedded; a browser's print engine lays out its tables,
text and figures as the page does, with the print rules of :mod:`hrsim.reporting.figures`
(A4, no figure split across pages). Chromium is the tool: ``--headless --print-to-pdf``. It is
found as ``$HRSIM_CHROMIUM``, else ``chromium``, ``chromium-browser``, ``google-chrome`` on the
PATH, else ``/usr/bin/chromium`` (Debian's package, which ``make test`` installs). Without it
the report fails with one line saying how to get it; it never skips the PDF silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from hrsim.errors import ScenarioError

ENVIRONMENT = "HRSIM_CHROMIUM"
NAMES = ("chromium", "chromium-browser", "google-chrome")
FALLBACK = "/usr/bin/chromium"
TIMEOUT_S = 180
# What the browser must not do on a closed network (each would be refused, or time out).
_QUIET = (
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-pdf-header-footer",
)


class PdfError(ScenarioError):
    """The PDF could not be printed (no Chromium, or it failed); one line, the CLI exits 2."""


def chromium() -> Path:
    """The Chromium to print with, or a :class:`PdfError` that says how to get one."""
    given = os.environ.get(ENVIRONMENT)
    if given:
        if not (Path(given).is_file() and os.access(given, os.X_OK)):
            raise PdfError(f"{ENVIRONMENT}={given}: no such program; point it at Chromium")
        return Path(given)
    for name in NAMES:
        found = shutil.which(name)
        if found:
            return Path(found)
    if Path(FALLBACK).is_file():
        return Path(FALLBACK)
    raise PdfError(
        "report.pdf needs Chromium to print the report (none found: chromium,"
        f" chromium-browser, google-chrome, {FALLBACK}); install it (Debian: apt-get install"
        f" chromium), set {ENVIRONMENT}=/path/to/chromium, or pass --no-pdf for HTML only"
    )


def html_to_pdf(page: Path, pdf: Path) -> Path:
    """Print ``page`` (an HTML file) to ``pdf`` with headless Chromium; returns ``pdf``."""
    browser = chromium()
    page, pdf = Path(page).resolve(), Path(pdf).resolve()
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hrsim-chromium-") as profile:
        args = [str(browser), "--headless", *_QUIET, f"--user-data-dir={profile}"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
        args += [f"--print-to-pdf={pdf}", page.as_uri()]
        try:
            done = subprocess.run(
                args, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PdfError(f"report.pdf: {browser} did not print the page: {exc}") from None
    if done.returncode != 0 or not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PdfError(
            f"report.pdf: {browser} failed to print the page (exit {done.returncode}): {last}"
        )
    return pdf
