"""Care states and the questions every process and programme asks of them.

The codes are plain ``int``, not an ``IntEnum``: NumPy compares an int8 array with a plain int
in place but first converts the whole array to int64 for an int subclass, which made every
``state == Care.X`` about 12 times slower (measured at 100,000 people).

The predicates (``on_moud``, ``free_to_meet``, ``injecting_now``) are the one definition of
each question, so a change of meaning (a new state, people on MOUD who still inject) is made
in one place.
"""

from __future__ import annotations

import numpy as np


class Care:
    """Care states, in the order the timeseries columns use."""

    ACTIVE = 0
    DETOX = 1
    METHADONE = 2
    BUPRENORPHINE = 3
    RECOVERY = 4
    PRISON = 5
    DEAD = 6
    EXITED = 7


_CODES = {name: code for name, code in vars(Care).items() if name.isupper()}
STATE_NAMES: tuple[str, ...] = tuple(
    name.lower() for name in sorted(_CODES, key=_CODES.__getitem__)
)
LIVING_STATES: tuple[int, ...] = tuple(range(Care.DEAD))
MOUD_STATES: tuple[int, ...] = (Care.METHADONE, Care.BUPRENORPHINE)


def on_moud(state: np.ndarray) -> np.ndarray:
    """On methadone or buprenorphine."""
    return (state == Care.METHADONE) | (state == Care.BUPRENORPHINE)


def free_to_meet(state: np.ndarray) -> np.ndarray:
    """Alive and neither in prison nor in inpatient detox: can meet people and make ties."""
    return (state < Care.PRISON) & (state != Care.DETOX)


def injecting_now(state: np.ndarray, injects: np.ndarray) -> np.ndarray:
    """In active use by injection this week."""
    return (state == Care.ACTIVE) & injects
