"""The drug supply, dose by dose: does this week's dose of a person contain fentanyl, xylazine?

The supply is data: ``[supply] fentanyl_share_by_year`` is the share of doses (person-weeks
of use) that contain fentanyl, and ``xylazine_share_by_year`` the share of those doses with
fentanyl that also contain xylazine, each by simulated year with the last value carried on
(``Scenario.fentanyl_share``, ``Scenario.xylazine_share``). Neither is an outcome: the share
of deaths involving fentanyl or xylazine emerges from who overdoses on what.

One keyed draw per person-week for each (``Streams.uniform`` on the streams
``overdose.fentanyl`` and ``overdose.xylazine``, the week and the person's id), below the
week's share. The same person-week gives the same answer wherever it is asked, so the
overdose process (which applies the dose's potency) and the test-strip programme (which tests
the dose before the processes run) agree without any ordering between them, and paired arms
with the same seed share every person-week's supply. A dose holds xylazine only if it holds
fentanyl (xylazine comes mixed into fentanyl, DEA testing).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext

FENTANYL_STREAM = "overdose.fentanyl"
XYLAZINE_STREAM = "overdose.xylazine"


def fentanyl_in_dose(model: WeekContext, rows: np.ndarray) -> np.ndarray:
    """Whether this week's dose of each person in ``rows`` contains fentanyl (a bool mask)."""
    share = model.scenario.fentanyl_share(model.week)
    u = model.streams.uniform(FENTANYL_STREAM, model.week, model.people.pid[rows])
    return np.asarray(u < share)


def xylazine_in_dose(
    model: WeekContext, rows: np.ndarray, fentanyl: np.ndarray | None = None
) -> np.ndarray:
    """Whether this week's dose of each person in ``rows`` contains xylazine (a bool mask).

    ``fentanyl``: the rows' fentanyl draws if already known (``fentanyl_in_dose``).
    """
    share = model.scenario.xylazine_share(model.week)
    if share <= 0.0 or rows.size == 0:
        return np.zeros(rows.size, dtype=bool)
    if fentanyl is None:
        fentanyl = fentanyl_in_dose(model, rows)
    u = model.streams.uniform(XYLAZINE_STREAM, model.week, model.people.pid[rows])
    return np.asarray(fentanyl & (u < share))
