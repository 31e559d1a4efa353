"""Draws whose cost follows the number of events, not the size of the population.

Most weekly events are rare: a few hundred overdoses or deaths among 100,000 people. Drawing
a uniform for every row and keeping those under a bound costs a pass over the population;
drawing the gaps between picks (geometric) costs one draw per pick and gives the same
distribution.
"""

from __future__ import annotations

import numpy as np


def bernoulli_positions(rng: np.random.Generator, size: int, p: float) -> np.ndarray:
    """Sorted positions in ``range(size)``, each picked independently with probability ``p``.

    The gaps between picks are geometric, so the cost is proportional to the number picked,
    not to ``size``, and the positions come out sorted.
    """
    if size == 0 or p <= 0.0:
        return np.zeros(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(size, dtype=np.int64)
    chunks, last = [], -1
    while True:
        expected = (size - last - 1) * p
        positions = last + np.cumsum(rng.geometric(p, size=int(expected + 4 * expected**0.5) + 16))
        if positions[-1] >= size:
            chunks.append(positions[positions < size])
            return np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
        chunks.append(positions)
        last = int(positions[-1])


def thinned_draws(rng: np.random.Generator, size: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``r`` in ``range(size)`` whose uniform ``u[r]`` falls under ``p``, and those ``u[r]``.

    The same in distribution as ``u = rng.random(size); rows = np.flatnonzero(u < p)``: each
    row is picked with probability ``p`` and, given that, its uniform is uniform on
    ``[0, p)``. Comparing the returned draws against any probability up to ``p`` then
    decides events exactly as the full vector would.
    """
    p = min(max(float(p), 0.0), 1.0)
    rows = bernoulli_positions(rng, size, p)
    return rows, rng.random(rows.size) * p
