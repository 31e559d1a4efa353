"""What a process or a programme may read and write in a week: a narrow, typed interface.

Processes and programmes are typed against ``WeekContext`` rather than the whole model, so a
type checker tells when a plug-in reaches past the hooks (into the Mesa view, the
DataCollector, the list of programmes or the processes). ``HarmReductionModel`` satisfies
this protocol; a test checks that it does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from hrsim.core.hooks import Hooks
    from hrsim.core.network import ContactNetwork
    from hrsim.core.people import People, WeekView
    from hrsim.core.results import EventLog, ProgrammeOutputs, Timeseries
    from hrsim.core.rng import Streams
    from hrsim.scenario import Scenario


class WeekContext(Protocol):
    """The state one week's processes and programmes share."""

    scenario: Scenario
    week: int
    people: People
    network: ContactNetwork
    hooks: Hooks
    streams: Streams
    events: EventLog
    timeseries: Timeseries
    programme_outputs: ProgrammeOutputs
    week_view: WeekView
    naloxone_used: np.ndarray

    def max_hook(self, name: str) -> float:
        """The largest value of a per-person programme hook this week."""
        ...

    def share_of_contacts_using(self, rows: np.ndarray) -> np.ndarray:
        """For each row, the share of its social contacts in active use."""
        ...
