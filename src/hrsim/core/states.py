"""Care states and the questions every process and programme asks of them.

The codes are plain ``int``, not an ``IntEnum``: NumPy compares an int8 array with a plain int
in place but first converts the whole array to int64 for an int subclass, which made every
``state == Care.X`` about 12 times slower (measured at 100,000 people).

The predicates (``on_moud``, ``in_custody``, ``free_to_meet``, ``injecting_now``) are the one
definition of each question, so a change of meaning (a new state, people on MOUD who still
inject) is made in one place.

Custody is two states: ``JAIL`` (arrest goes there; days to weeks) and ``PRISON`` (a share of
jail stays end in a prison sentence; months to years). ``JAIL`` has the code after ``PRISON``
so that ``state < Care.PRISON`` still means "alive and not in custody" (code written before
jail existed stays right); use ``in_custody`` for "in jail or prison".

``Route`` is the route of use, a behaviour that changes over time (``processes/injecting.py``).
Whether a person injects in a given week is ``people.injected_this_week`` (it includes lapses
on MOUD); ``injecting_now`` is the narrower "in active use, route injecting".
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
    JAIL = 6
    DEAD = 7
    EXITED = 8


class Route:
    """Route of use (``people.route``): how a person takes opioids while using."""

    INJECTING = 0
    SMOKING = 1
    OTHER = 2  # snorting or oral


ROUTE_NAMES: tuple[str, ...] = ("injecting", "smoking", "other")

_CODES = {name: code for name, code in vars(Care).items() if name.isupper()}
STATE_NAMES: tuple[str, ...] = tuple(
    name.lower() for name in sorted(_CODES, key=_CODES.__getitem__)
)
LIVING_STATES: tuple[int, ...] = tuple(range(Care.DEAD))
MOUD_STATES: tuple[int, ...] = (Care.METHADONE, Care.BUPRENORPHINE)
CUSTODY_STATES: tuple[int, ...] = (Care.PRISON, Care.JAIL)


def on_moud(state: np.ndarray) -> np.ndarray:
    """On methadone or buprenorphine."""
    return (state == Care.METHADONE) | (state == Care.BUPRENORPHINE)


def in_custody(state: np.ndarray) -> np.ndarray:
    """In jail or in prison."""
    return (state == Care.PRISON) | (state == Care.JAIL)


def free_to_meet(state: np.ndarray) -> np.ndarray:
    """Alive, not in custody (jail or prison) and not in inpatient detox: can meet people."""
    return (state < Care.PRISON) & (state != Care.DETOX)


def injecting_now(state: np.ndarray, injects: np.ndarray) -> np.ndarray:
    """In active use with injecting as route (``injects`` is ``route == Route.INJECTING``).

    People on MOUD whose route is injecting may inject in a week too: that is
    ``people.injected_this_week``, set by the injecting process.
    """
    return (state == Care.ACTIVE) & injects
