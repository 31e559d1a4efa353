"""Tools several programmes share: exact hook products by masks, picking a contact.

Naloxone kits have their own ledger, ``hrsim.core.kits`` (``model.kits``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from hrsim.core.context import WeekContext


def multiply_where(hook: np.ndarray, mask: np.ndarray, factor: float) -> None:
    """``hook[mask] *= factor`` for a mask that holds much of the population.

    ``m factor + (1 - m)`` is exactly ``factor`` where m is 1 and exactly 1 where it is 0, so
    this is the same arithmetic as the indexed product, in a few fast whole-array passes
    instead of a gather and a scatter over many rows.
    """
    m = mask.view(np.uint8).astype(hook.dtype)
    scaled = m * hook.dtype.type(factor)
    m -= 1
    scaled -= m
    hook *= scaled


def pick_contact(
    model: WeekContext, stream: str, givers: np.ndarray, wanted: np.ndarray
) -> np.ndarray:
    """One random contact (injecting or social) per giver among rows where ``wanted`` is True.

    Returns the distinct contacts picked (two givers may pick the same person, who then gets
    one kit). Givers with no such contact pick nobody.
    """
    row, contact = model.network.neighbours_of(givers)
    keep = wanted[contact]
    row, contact = row[keep], contact[keep]
    if row.size == 0:
        return row
    # A key per pair (keyed to the two people, not their place); each giver takes the pair
    # with the smallest key.
    pid = model.people.pid
    key = model.streams.pair_uniform(stream, model.week, pid[row], pid[contact])
    order = np.lexsort((key, row))
    row, contact = row[order], contact[order]
    first = np.ones(row.size, dtype=bool)
    first[1:] = row[1:] != row[:-1]
    return np.unique(contact[first])
