"""The uncertainty the defaults declare: every ``psa = { dist, low, high }`` next to a value.

``default_distributions()`` reads them from the model's defaults and the programmes'
defaults. ``hrsim psa`` samples them, and ``hrsim fit`` takes them as its priors
(:mod:`hrsim.places`), so a parameter's uncertainty is stated once, next to its source.
"""

from __future__ import annotations

from hrsim.economics.distributions import Distribution, declared
from hrsim.scenario.scenario import parameter_table

MODEL_DEFAULTS = "defaults.toml"
PROGRAMME_DEFAULTS = "interventions/defaults.toml"


def default_distributions() -> dict[str, Distribution]:
    """Every distribution the model and programme defaults declare, by dotted name."""
    from hrsim.interventions import programme_defaults

    found = declared(parameter_table(), where=MODEL_DEFAULTS)
    found.update(declared(programme_defaults(), prefix="interventions.", where=PROGRAMME_DEFAULTS))
    return found
