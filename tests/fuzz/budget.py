"""How long the fuzz suite searches: hypothesis settings for CI and for longer local runs.

The default (``ci``) is bounded and reproducible: ``derandomize=True`` draws the same examples
on every run, ``database=None`` leaves no ``.hypothesis/`` folder behind, and each test runs
the number of examples it sets, chosen so the whole suite takes about 3 minutes under
``pytest -n 2 --dist loadfile`` on two cores. Locally:

- ``HRSIM_FUZZ_EXAMPLES=N`` runs N examples per test instead;
- ``HRSIM_FUZZ_PROFILE=long`` draws new random examples on every run (still no database);
- ``HRSIM_FUZZ_FINDINGS=FILE.jsonl`` records every failing case there instead of failing
  (see ``oracle``), to list all distinct failures of a long run at once.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
