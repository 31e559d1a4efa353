"""Places as data: a place's surveillance series with their sources and uncertainty.

``load_place("massachusetts")`` reads a place shipped with hrsim (a TOML file in this folder);
``load_place("path/to/place.toml")`` reads the user's own. The format is documented in
:mod:`hrsim.places.place`; ``hrsim fit PLACE`` calibrates the model to one
(:mod:`hrsim.analysis.fit`).
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
