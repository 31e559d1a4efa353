"""What a process or a programme may read and write in a week: a narrow, typed interface.

Processes and programmes are typed against ``WeekContext`` rather than the whole model, so a
type checker tells when a plug-in reaches past the hooks (into the Mesa view, the
DataCollector, the list of programmes or the processes). ``HarmReductionModel`` satisfies
this protocol: ``hrsim.model`` checks it statically, and ``tests/test_context.py`` checks that
mypy flags a programme that reaches past it.

Every member is read-only: a week changes what the people, the network, the hooks and the
records hold, never which objects they are (nor the week number or the scenario).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from hrsim.core.hooks import Hooks
    from hrsim.core.kits import NaloxoneKits
    from hrsim.core.network import ContactNetwork
    from hrsim.core.people import People, WeekView
    from hrsim.core.results import EventLog, ProgrammeOutputs, Timeseries
    from hrsim.core.rng import Streams
    from hrsim.scenario import Scenario


class WeekContext(Protocol):
    """The state one week's processes and programmes share."""

    @property
    def scenario(self) -> Scenario:
        """The scenario being run (read its parameters; never replaced)."""
        ...

    @property
    def week(self) -> int:
        """The current week (1 in the first simulated week)."""
        ...

    @property
    def people(self) -> People:
        """Every person's arrays, including the per-person programme hooks."""
        ...

    @property
    def network(self) -> ContactNetwork:
        """The three layers of ties."""
        ...

    @property
    def hooks(self) -> Hooks:
        """This week's model-wide knobs (reset each week in which programmes run)."""
        ...

    @property
    def streams(self) -> Streams:
        """Named random streams (each process and programme draws from its own)."""
        ...

    @property
    def events(self) -> EventLog:
        """The event log."""
        ...

    @property
    def timeseries(self) -> Timeseries:
        """The weekly results (processes add this week's flows)."""
        ...

    @property
    def programme_outputs(self) -> ProgrammeOutputs:
        """Programmes' weekly outputs and costs."""
        ...

    @property
    def week_view(self) -> WeekView:
        """This week's shared masks (alive, left, active, injecting, on MOUD, free, ...)."""
        ...

    @property
    def kits(self) -> NaloxoneKits:
        """The naloxone kit ledger: who carries a kit, who gave it, which were used."""
        ...

    def max_hook(self, name: str) -> float:
        """The largest value of a per-person programme hook this week."""
        ...

    def share_of_contacts_using(self, rows: np.ndarray) -> np.ndarray:
        """For each row, the share of its social contacts in active use."""
        ...
