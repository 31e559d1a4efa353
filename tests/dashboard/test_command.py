"""`hrsim dashboard` and the promise that `import hrsim` never pulls in Solara."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_import_hrsim_does_not_import_solara():
    proc = python(
        "import sys, hrsim, hrsim.cli, hrsim.dashboard.paired_run, hrsim.runner\n"
        "import hrsim.analysis.compare\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('solara', 'ipyvuetify', 'ipywidgets', 'reacton', 'altair', 'playwright'))\n"
        "print(heavy)"
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_without_the_viz_extra_the_command_says_so_in_one_line():
    # Hide solara as if it were not installed.
    proc = python(
        "import sys; sys.modules['solara'] = None\n"
        "from hrsim.cli import main; sys.exit(main(['dashboard']))"
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert "viz extra" in proc.stderr and "Traceback" not in proc.stderr


def test_a_bad_port_is_bad_input():
    proc = subprocess.run(
        [sys.executable, "-m", "hrsim.cli", "dashboard", "--port", "70000"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr == "hrsim: error: --port 70000 is out of range: allowed 0 to 65535\n"
