"""Install the front-end files Solara would fetch from a CDN, so the dashboard works offline.

Solara serves JavaScript and CSS through its own proxy under ``/_solara/cdn/...`` and, on a
miss, fetches them from a public CDN at run time. On a machine with no internet (a health
department, a classroom, CI) that leaves the page blank or half-drawn. The ``solara-assets``
wheel covers the app bundle, requirejs and font-awesome; this script adds the rest from the
npm registry with ``npm pack`` (the registry's own client) and unpacks each package where
Solara's proxy looks first: ``<solara.server.settings.assets.proxy_cache_dir>/NAME@RANGE/``.

    python -m hrsim.dashboard.offline_assets   # idempotent; `make dashboard` and `make test` run it

Which packages (found by loading the dashboard offline in Chromium and reading the 404s):
``vega@5``, ``vega-lite@5`` and ``vega-embed@6`` (charts; solara's VegaLite widget),
``katex@0.16.9`` (maths in Markdown), and with ipyvuetify 3 the app bundle
``@widgetti/solara-vuetify3-app@5.2.0``, which ``solara-assets`` 1.58.2 does not have.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# The request path prefix Solara uses -> the npm spec that provides it.
PACKAGES: dict[str, str] = {
    "vega@5": "vega@5",
    "vega-lite@5": "vega-lite@5",
    "vega-embed@6": "vega-embed@6",
    "katex@0.16.9": "katex@0.16.9",
    # The Vuetify 3 app bundle solara 1.64 asks for with ipyvuetify 3; solara-assets 1.58.2
    # (its newest) only has 5.1.1. Keep in step with solara/server/templates/solara.html.j2.
    "@widgetti/solara-vuetify3-app@5.2.0": "@widgetti/solara-vuetify3-app@5.2.0",
}
# One file per package that must exist afterwards (what the browser asks for).
CHECK: dict[str, str] = {
    "vega@5": "build/vega.min.js",
    "vega-lite@5": "build/vega-lite.min.js",
    "vega-embed@6": "build/vega-embed.min.js",
    "katex@0.16.9": "dist/katex.min.js",
    "@widgetti/solara-vuetify3-app@5.2.0": "dist/solara-vuetify-app8.min.js",
}


def cache_dir() -> Path:
    """Where Solara's CDN proxy looks for files before going to the internet."""
    from solara.server import settings

    return Path(settings.assets.proxy_cache_dir)


def install(target: Path) -> list[str]:
    """Unpack every missing package into ``target``; returns the ones installed now."""
    npm = shutil.which("npm")
    missing = [name for name in PACKAGES if not (target / name / CHECK[name]).is_file()]
    if missing and npm is None:
        needed = ", ".join(missing)
        raise SystemExit(f"offline_assets: npm is needed to fetch {needed} (apt-get install npm)")
    for name in missing:
        with tempfile.TemporaryDirectory() as tmp:
            out = subprocess.run(
                [str(npm), "pack", PACKAGES[name], "--silent", "--pack-destination", tmp],
                capture_output=True,
                text=True,
                check=False,
            )
            if out.returncode != 0:
                raise SystemExit(f"offline_assets: npm pack {PACKAGES[name]} failed: {out.stderr}")
            tarball = Path(tmp) / out.stdout.strip().splitlines()[-1]
            staging = Path(tmp) / "unpacked"
            with tarfile.open(tarball) as tar:
                tar.extractall(staging, filter="data")  # npm tarballs hold one folder, package/
            dest = target / name
            if dest.exists():
                shutil.rmtree(dest)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(staging / "package"), dest)
        if not (target / name / CHECK[name]).is_file():
            raise SystemExit(f"offline_assets: {name} has no {CHECK[name]} after unpacking")
    return missing


def main() -> int:
    """Install what is missing and say what was done."""
    target = cache_dir()
    installed = install(target)
    done = ", ".join(installed) if installed else "nothing (all present)"
    print(f"offline_assets: {target}: installed {done}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
