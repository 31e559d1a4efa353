"""Places as data: a place's surveillance series with their sources and uncertainty.

What lives here: ``place.py`` (the place file format: series, noise models, the population,
the fit's parameters and priors; reading and checking it) and one TOML file per place shipped
with hrsim (``massachusetts.toml``). ``load_place("massachusetts")`` reads a shipped place,
``load_place("path/to/place.toml")`` the user's own; ``hrsim fit PLACE`` calibrates the model
to one (:mod:`hrsim.analysis.fit`).

May import: ``hrsim.scenario`` and below; ``hrsim.analysis.calibration`` (a scenario's value
of a dotted key), when a place is read.
"""

from hrsim.places.place import (
    POPULATION,
    QUANTITIES,
    Place,
    Quantity,
    Series,
    load_place,
    shipped_places,
    yearly,
)

__all__ = [
    "POPULATION",
    "QUANTITIES",
    "Place",
    "Quantity",
    "Series",
    "load_place",
    "shipped_places",
    "yearly",
]
