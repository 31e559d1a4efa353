"""The drug supply, dose by dose: does this week's dose of a person contain fentanyl?

One keyed draw per person-week (``Streams.uniform`` on the stream ``overdose.fentanyl``, the
week and the person's id), below the scenario's fentanyl share for the week. The same
person-week gives the same answer wherever it is asked, so the overdose process (which
applies the fentanyl rate ratio) and the test-strip programme (which tests the dose before
the processes run) agree without any ordering between them, and paired arms with the same
seed share every person-week's supply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext

FENTANYL_STREAM = "overdose.fentanyl"


def fentanyl_in_dose(model: WeekContext, rows: np.ndarray) -> np.ndarray:
    """Whether this week's dose of each person in ``rows`` contains fentanyl (a bool mask)."""
    share = model.scenario.fentanyl_share(model.week)
    u = model.streams.uniform(FENTANYL_STREAM, model.week, model.people.pid[rows])
    return np.asarray(u < share)
