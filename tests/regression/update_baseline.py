"""Rerun the regression cases and rewrite baseline.json, printing what changed.

    python tests/regression/update_baseline.py     (or: make baseline)

Commit the new baseline.json with the change that moved the results, and say why in the
commit message.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.regression import cases  # noqa: E402


def main() -> int:
    """Recompute, compare with the stored file, write it."""
    new = cases.compute_all()
    old = cases.load() if cases.BASELINE.exists() else {}
    changed = cases.differences(old, new)
    cases.save(new)
    if not old:
        print(f"wrote {cases.BASELINE} ({len(new)} cases)")
    elif changed:
        print(f"{len(changed)} stored values changed:")
        print("\n".join(f"  {line}" for line in changed))
    else:
        print("no change")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
