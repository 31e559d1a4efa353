"""How long the fuzz suite searches: hypothesis settings for CI and for longer local runs.

The default (``ci``) is bounded and reproducible: ``derandomize=True`` draws the same examples
on every run, ``database=None`` leaves no ``.hypothesis/`` folder behind, and each test runs
the number of examples it sets. Measured on the project's 2-core machine (shared, load
average 4-6) with ``pytest -n 2 --dist loadfile tests/fuzz``: 150 examples per in-process
test and 5 (+ 11 explicit) in a subprocess take about 3 minutes (the subprocess file, about
2.5 minutes of it, is the longest; two of its explicit cases hang for 20-30 s on the current
code). Locally:

- ``HRSIM_FUZZ_EXAMPLES=N`` runs N examples per test instead;
- ``HRSIM_FUZZ_PROFILE=long`` draws new random examples on every run (still no database);
- ``HRSIM_FUZZ_FINDINGS=FILE.jsonl`` records every failing case there instead of failing
  (see ``oracle``), to list all distinct failures of a long run at once.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis.configuration import set_hypothesis_home_dir

# Hypothesis keeps a cache of the code's constants in ./.hypothesis even without a database:
# keep it out of the checkout (HYPOTHESIS_STORAGE_DIRECTORY, if set, still wins).
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "hrsim-fuzz-hypothesis")

_COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
    "print_blob": False,
}
settings.register_profile("hrsim-ci", derandomize=True, **_COMMON)  # type: ignore[arg-type]
settings.register_profile("hrsim-long", derandomize=False, **_COMMON)  # type: ignore[arg-type]


def fuzz_settings(examples: int) -> settings:
    """Settings for one fuzz test that runs ``examples`` examples by default."""
    profile = os.environ.get("HRSIM_FUZZ_PROFILE", "ci")
    if profile not in ("ci", "long"):
        raise ValueError(f"HRSIM_FUZZ_PROFILE={profile!r}: choose ci or long")
    count = int(os.environ.get("HRSIM_FUZZ_EXAMPLES", examples))
    return settings(settings.get_profile(f"hrsim-{profile}"), max_examples=count)
