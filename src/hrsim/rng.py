"""Random streams for common random numbers.

Every process draws from its own named stream, re-keyed each week from
``SeedSequence([seed, crc32(name), week])``. A process always draws its per-person uniforms
for every row, eligible or not, so switching something on in one process does not reshuffle
anyone's luck in another process or in a later week (Starsim's "worlds" idea).
"""

from __future__ import annotations

import zlib

import numpy as np


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (same on every machine and Python)."""
    return zlib.crc32(name.encode())


class Streams:
    """Named, week-keyed random generators for one run."""

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)

    def generator(self, name: str, week: int) -> np.random.Generator:
        """A fresh generator for ``name`` in ``week``; identical for the same (seed, name, week)."""
        seq = np.random.SeedSequence([self.seed, stream_key(name), int(week)])
        return np.random.Generator(np.random.PCG64(seq))


def replicate_seeds(base_seed: int, replicates: int) -> list[int]:
    """Independent replicate seeds spawned from one base seed (``SeedSequence.spawn``)."""
    children = np.random.SeedSequence(base_seed).spawn(replicates)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
