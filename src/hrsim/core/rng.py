"""Random streams for common random numbers.

Every process draws from its own named stream, re-keyed each week from
``SeedSequence([seed, crc32(name), week])``, so one process's draws never shift another's
(Starsim's "worlds" idea). Two kinds of draw:

- ``generator(name, week)``: a NumPy generator, used for draws over rows (rows picked by
  geometric gaps, eligible or not: ``hrsim.core.sampling``) and for draws about ties;
- ``uniform(name, week, pids)``: one uniform per person from a counter-based hash of
  (seed, name, week, person id). A person's draw is the same whoever else is in the subset,
  so decisions about a few people cost O(few) and stay paired between two arms of a run.
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
        self._keys: dict[tuple[str, int], np.uint64] = {}  # some (name, week) recur weekly

    def generator(self, name: str, week: int) -> np.random.Generator:
        """A fresh generator for ``name`` in ``week``; identical for the same (seed, name, week)."""
        seq = np.random.SeedSequence([self.seed, stream_key(name), int(week)])
        return np.random.Generator(np.random.PCG64(seq))

    def uniform(self, name: str, week: int, pids: np.ndarray) -> np.ndarray:
        """One uniform in [0, 1) per person id: splitmix64 of (stream key + id)."""
        key = self._keys.get((name, week))
        if key is None:
            if len(self._keys) > 4096:
                self._keys.clear()
            seq = np.random.SeedSequence([self.seed, stream_key(name), int(week)])
            key = self._keys[(name, week)] = seq.generate_state(1, dtype=np.uint64)[0]
        x = np.asarray(pids).astype(np.uint64) * _GOLDEN + key
        x ^= x >> np.uint64(30)
        x *= _MIX1
        x ^= x >> np.uint64(27)
        x *= _MIX2
        x ^= x >> np.uint64(31)
        return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def replicate_seeds(base_seed: int, replicates: int) -> list[int]:
    """Independent replicate seeds spawned from one base seed (``SeedSequence.spawn``)."""
    children = np.random.SeedSequence(base_seed).spawn(replicates)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
