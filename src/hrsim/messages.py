"""The one renderer of "did you mean" hints, for every name a user can misspell.

Scenario keys, programme types and their keys, sweep keys, calibration keys and outcomes all
end their one-line error with the same kind of hint, made here.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence


def closest(word: str, valid: Sequence[str], *, cutoff: float = 0.5) -> str | None:
    """The valid name closest to ``word``, or None when nothing is close.

    A dotted key with no close match is tried by its last part alone against the last parts
    of the valid keys (``care.aftercare_fractio`` finds ``care.aftercare_fraction`` and
    ``overdose.aftercare_fraction`` finds it too).
    """
    match = difflib.get_close_matches(str(word), list(valid), n=1, cutoff=cutoff)
    if match:
        return match[0]
    if "." in str(word):
        bare = str(word).rpartition(".")[2]
        names = {v.rpartition(".")[2]: v for v in valid}
        found = difflib.get_close_matches(bare, list(names), n=1, cutoff=0.6)
        if found:
            return names[found[0]]
    return None


def did_you_mean(
    word: str,
    valid: Sequence[str],
    *,
    label: str = "valid",
    list_valid: bool | int = False,
    always_list: bool = False,
) -> str:
    """The hint to append after ``unknown ... 'word'``.

    ``"; did you mean 'x'?"`` when a valid name is close. The valid names are listed too
    (``"; valid: a, b"``) when ``always_list``, or when nothing is close and ``list_valid`` is
    True or at least the number of valid names.
    """
    match = closest(word, valid)
    names = f"{label}: {', '.join(valid)}"
    if match is not None:
        return f"; did you mean '{match}'? {names}" if always_list else f"; did you mean '{match}'?"
    if list_valid is True:
        wanted = True
    else:
        wanted = always_list or (list_valid is not False and len(valid) <= list_valid)
    return f"; {names}" if wanted else ""


def unknown(
    origin: str,
    word: str,
    valid: Sequence[str],
    what: str = "key",
    *,
    list_valid: bool | int = False,
) -> str:
    """``"origin: unknown key 'word'; did you mean 'x'?"``."""
    return f"{origin}: unknown {what} '{word}'{did_you_mean(word, valid, list_valid=list_valid)}"
