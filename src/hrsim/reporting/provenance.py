"""What a folder of results was made from, so that a rerun replaces it only by the same results.

``hrsim run`` keeps its scenario's hash in ``metadata.json`` and replaces a previous run in its
``--out`` only when the new run would write the same files; anything else needs ``--force``.
``hrsim calibrate`` and ``hrsim sensitivity`` do the same with an ``inputs`` record in the JSON
they write (``calibration.json``, ``sensitivity.json``): a fingerprint of everything their
results depend on (every parameter of the scenario, with the run size; the targets or the
parameter ranges; the method, sizes and seeds; hrsim's version), and not of what leaves them
unchanged (workers, a Dask scheduler, the name of the targets file). The record also keeps a
few readable facts, for the one-line refusal to name what is there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from hrsim._version import __version__
from hrsim.outputs import MARKER, Output, OutputError


def fingerprint(inputs: Mapping[str, Any]) -> str:
    """A stable hash of ``inputs`` (plain JSON types), 16 hex digits."""
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:16]


def record(inputs: Mapping[str, Any], **shown: Any) -> dict[str, Any]:
    """The ``inputs`` block written with the results.

    ``fingerprint`` covers ``inputs`` and hrsim's version; ``shown`` (scenario name, targets
    file, method, ...) is for messages only and is not part of it.
    """
    return {
        "fingerprint": fingerprint({**inputs, "hrsim_version": __version__}),
        "hrsim_version": __version__,
        **shown,
    }


def previous_record(output: Output, file: str) -> dict[str, Any] | None:
    """The ``inputs`` block of ``file`` in a previous output, or None (none, or unreadable)."""
    try:
        document = json.loads((output.path / file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    inputs = document.get("inputs") if isinstance(document, dict) else None
    return inputs if isinstance(inputs, dict) else None


def _written(output: Output) -> str:
    """``" (written 2026-12-01T10:00:00+0000)"`` from the folder's marker, or ``""``."""
    try:
        marker = json.loads((output.path / MARKER).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return ""
    created = marker.get("created") if isinstance(marker, dict) else None
    return f" (written {created})" if isinstance(created, str) else ""


def refuse_other_results(
    output: Output,
    file: str,
    new: Mapping[str, Any],
    describe: Callable[[Mapping[str, Any]], str],
) -> None:
    """Raise a one-line ``OutputError`` unless the previous output had the same inputs.

    Call it when :func:`hrsim.outputs.prepare` found a previous output of the same kind
    (``output.replaces``) and there is no ``--force``. ``describe`` turns the previous record
    into words (``"a calibration of baseline to targets.toml, 40 trials"``; it gets ``{}``
    when the previous output recorded nothing); the message adds when it was written and the
    way out.
    """
    before = previous_record(output, file)
    if before is not None and before.get("fingerprint") == new["fingerprint"]:
        return
    if before is None:
        what = f"{describe({})}{_written(output)} whose settings were not recorded"
    else:
        what = f"{describe(before)}{_written(output)} with other settings"
    raise OutputError(
        f"{output.option} {output.shown} holds {what}; give another {output.option}, or --force"
        " to replace it"
    )


__all__ = ["fingerprint", "previous_record", "record", "refuse_other_results"]
