"""A run's burn-in, kept so that the paired arms of a comparison run it once.

Programmes start at week 0 and the burn-in (the weeks before it) draws from streams of its
own, so every arm that shares the rest of the scenario (all but its programmes and its name)
and the seed has the same state at week 0. ``BurnIn.capture`` keeps that state (people,
naloxone kits, the network with its tie-end calendar, the processes, the hooks) as bytes; a
model built with ``burn_in=`` starts from a copy of it instead of drawing the population and
running the burn-in again. Its run is identical to one that ran the burn-in itself (tested
for every shipped programme).

A burn-in is 5 of the 15 years a default 10-year run steps, so a comparison of ``k`` arms
saves ``(k - 1) / k`` of a third of its time.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hrsim.model import HarmReductionModel
    from hrsim.processes import Process
    from hrsim.scenario import Scenario

#: The model's attributes that hold its state at week 0 (kept and restored together, so the
#: references between them, such as the kits' and the processes' views of ``people``, hold).
STATE: tuple[str, ...] = ("people", "kits", "week_view", "network", "processes", "hooks")


def burn_in_key(scenario: Scenario, processes: tuple[type[Process], ...]) -> str:
    """What a burn-in depends on: the scenario without its programmes and name, the processes."""
    data: dict[str, Any] = scenario.model_dump()
    data.pop("interventions", None)
    data["run"] = {k: v for k, v in data["run"].items() if k != "name"}
    data["processes"] = [f"{cls.__module__}.{cls.__qualname__}" for cls in processes]
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class BurnIn:
    """A model's state at week 0, with the key of what produced it."""

    key: str
    state: bytes

    @classmethod
    def capture(cls, model: HarmReductionModel) -> BurnIn:
        """The state of ``model`` at week 0 (call before its first step)."""
        if model.week != 0:
            raise ValueError("a burn-in is captured at week 0, before the first step")
        kept: dict[str, Any] = {name: getattr(model, name) for name in STATE}
        # Processes hold event codes they registered at their start (``detail_code``): the
        # next model's event log must number its details the same way.
        kept["event_codes"] = model.events.codes()
        state = pickle.dumps(kept, protocol=pickle.HIGHEST_PROTOCOL)
        return cls(burn_in_key(model.scenario, model.process_classes), state)

    def restore_into(self, model: HarmReductionModel) -> None:
        """Give ``model`` a fresh copy of the state (its own arrays: runs never share them)."""
        if self.key != burn_in_key(model.scenario, model.process_classes):
            raise ValueError(
                "this burn-in belongs to another scenario: only the programmes and the run's "
                "name may differ between the runs that share one"
            )
        kept = pickle.loads(self.state)
        model.events.adopt_codes(kept.pop("event_codes"))
        for name, value in kept.items():
            setattr(model, name, value)
