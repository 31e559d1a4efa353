"""The one renderer of "did you mean" hints, for every name a user can misspell.

Scenario keys, programme types and their keys, sweep keys, calibration keys and outcomes all
end their one-line error with the same kind of hint, made here. A user's value inside such a
line (``show``) and a value of the wrong type (``wrong_type``) are rendered here too.
"""

from __future__ import annotations

import difflib
import math
import reprlib
from collections.abc import Sequence
from typing import Any

from hrsim.errors import ScenarioError


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


# ---------------------------------------------------------------------------------------------
# A user's value inside a one-line message: short, on one line, and safe to render whatever it
# is (a 5,000-digit integer cannot even be turned into text by default; a nested list can be
# deep). Used by the scenario and programme validators.

_SHORT = reprlib.Repr(maxlevel=2, maxlist=4, maxtuple=4, maxdict=4, maxstring=40, maxother=40)
_SHORT.maxlong = 40
_KINDS = {bool: "a boolean", int: "a whole number", float: "a decimal number", str: "text"}


def show(value: object) -> str:
    """``value`` as a short one-line literal: ``true``, ``1.5``, ``'text'``, ``[1, 2, ...]``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > 128:
        digits = int((value.bit_length() - 1) * math.log10(2)) + 1
        return f"<a {'negative ' if value < 0 else ''}whole number of about {digits:,} digits>"
    return _SHORT.repr(value)


def kind_of(value: object) -> str:
    """What a value is, in words: ``a boolean``, ``text``, ``a list``, ``a table``."""
    for cls, name in _KINDS.items():
        if type(value) is cls:
            return name
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


#: What pydantic's type errors expect, in words.
EXPECTED = {
    "int_type": "a whole number",
    "int_parsing": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "text (in quotes)",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "dict_type": "a table",
    "model_type": "a table",
    "model_attributes_type": "a table",
}


def wrong_type(where: str, value: object, error_type: str) -> str | None:
    """``"run.years = true is a boolean, not a number"`` for a pydantic type error, else None."""
    expected = EXPECTED.get(error_type)
    if expected is None:
        return None
    return f"{where} = {show(value)} is {kind_of(value)}, not {expected}"


def check_keys(where: str, table: Any, allowed: Sequence[str], required: Sequence[str]) -> None:
    """A table of a user's file holds only ``allowed`` keys and every ``required`` one.

    One line per problem, naming ``where``: not a table; an unknown key with the closest valid
    one (and the valid ones); a missing key.
    """
    if not isinstance(table, dict):
        raise ScenarioError(f"{where}: must be a table")
    for key in table:
        if key not in allowed:
            raise ScenarioError(
                f"{where}: unknown key '{key}'{did_you_mean(key, allowed, list_valid=True)}"
            )
    for key in required:
        if key not in table:
            raise ScenarioError(f"{where}: missing '{key}'")
