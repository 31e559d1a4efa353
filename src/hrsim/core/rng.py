"""Random streams for common random numbers.

Every process draws from its own named stream, re-keyed each week from
``SeedSequence([seed, crc32(name), week])``, so one process's draws never shift another's
(Starsim's "worlds" idea). Two kinds of draw:

- ``generator(name, week)``: a NumPy generator, used for draws over rows (rows picked by
  geometric gaps, eligible or not: ``hrsim.core.sampling``) and for draws about ties;
- ``uniform(name, week, pids)``: one uniform per person from a counter-based hash of
  (seed, name, week, person id). A person's draw is the same whoever else is in the subset,
  so decisions about a few people cost O(few) and stay paired between two arms of a run;
- ``pair_uniform(name, week, first, second)``: one uniform per ordered pair of person ids
  (a transmission from ``second`` to ``first``, a contact of ``first`` at ``first``'s
  overdose), the same whatever other pairs are drawn with it or in what order.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence


def stream_key(name: str) -> int:
    """A stable 32-bit key for a stream name (same on every machine and Python)."""
    return zlib.crc32(name.encode())


class Streams:
    """Named, week-keyed random generators for one run."""

    BLOCK_WEEKS = 256  # seed states are computed for this many weeks of a stream at a time

    def __init__(self, seed: int) -> None:
        self.seed = int(seed)
        self._words = _uint32_words(self.seed)
        # (name, block) -> the states of SeedSequence([seed, stream_key(name), week]) for
        # the block's weeks, four uint64 words each (what PCG64 asks its seed sequence for).
        self._states: dict[tuple[str, int], np.ndarray] = {}

    def _state(self, name: str, week: int) -> np.ndarray:
        """``SeedSequence([seed, stream_key(name), week]).generate_state(4, np.uint64)``."""
        week = int(week)
        block, offset = divmod(week, self.BLOCK_WEEKS)
        states = self._states.get((name, block))
        if states is None:
            if len(self._states) > 4096:
                self._states.clear()
            first = block * self.BLOCK_WEEKS
            weeks = np.arange(first, first + self.BLOCK_WEEKS, dtype=np.int64)
            words = [*self._words, *_uint32_words(stream_key(name))]
            states = self._states[(name, block)] = seed_sequence_states(words, weeks)
        return states[offset]

    def generator(self, name: str, week: int) -> np.random.Generator:
        """A fresh generator for ``name`` in ``week``; identical for the same (seed, name, week).

        The same generator as ``Generator(PCG64(SeedSequence([seed, stream_key(name), week])))``;
        the seed sequence's state is computed for a block of weeks at once (vectorised), as
        building a ``SeedSequence`` each time costs more than the draws of a small process.
        """
        seq: Any = _FixedSeedSequence(self._state(name, week))  # an ISeedSequence
        return np.random.Generator(np.random.PCG64(seq))

    def uniform(self, name: str, week: int, pids: np.ndarray) -> np.ndarray:
        """One uniform in [0, 1) per person id: splitmix64 of (stream key + id).

        The key is ``SeedSequence([seed, stream_key(name), week]).generate_state(1, uint64)``
        (the first word of the generator's state).
        """
        return _to_unit(_splitmix(_keyed(pids, self._state(name, week)[0])))

    def pair_uniform(
        self, name: str, week: int, first: np.ndarray, second: np.ndarray
    ) -> np.ndarray:
        """One uniform in [0, 1) per ordered pair of person ids ``(first[i], second[i])``.

        splitmix64 of the first id's hash (as ``uniform``) mixed with the second id: keyed to
        the pair, never to its place in the arrays, so a pair's draw is shared by two arms
        whatever other pairs each of them draws. ``(a, b)`` and ``(b, a)`` differ.
        """
        key = self._state(name, week)[0]
        x = _splitmix(_keyed(first, key))
        x ^= np.asarray(second).astype(np.uint64)
        x *= _GOLDEN
        x += key
        return _to_unit(_splitmix(x))


#: ``draw(decision, rows)``: one uniform per row, keyed to the row's person and the week.
type PersonDraw = Callable[[str, np.ndarray], np.ndarray]


def person_draws(streams: Streams, prefix: str, week: int, pid: np.ndarray) -> PersonDraw:
    """A process's keyed draws for one week: ``draw(decision, rows)``.

    Each decision is its own stream (``prefix.decision``), and each row's uniform is keyed to
    its person id, never to its place among the rows asked about: two arms that differ in who
    is eligible draw the same for everyone they share.
    """

    def draw(decision: str, rows: np.ndarray) -> np.ndarray:
        return streams.uniform(f"{prefix}.{decision}", week, pid[rows])

    return draw


def _keyed(ids: np.ndarray, key: np.uint64) -> np.ndarray:
    """``ids * golden + key`` as a fresh uint64 array (wrapping), ready to be mixed in place."""
    x = np.asarray(ids).astype(np.uint64)
    x *= _GOLDEN
    x += key
    return x


def _splitmix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser (Steele, Lea and Flood 2014), in place on uint64 ``x``.

    The shifts go into one scratch array: the hash runs over every person a process asks
    about each week, and fresh temporaries cost about a third of its time.
    """
    shifted = np.empty_like(x)
    for shift, mult in ((_SHIFT30, _MIX1), (_SHIFT27, _MIX2)):
        np.right_shift(x, shift, out=shifted)
        x ^= shifted
        x *= mult
    np.right_shift(x, _SHIFT31, out=shifted)
    x ^= shifted
    return x


def _to_unit(x: np.ndarray) -> np.ndarray:
    """Uniforms in [0, 1) from the top 53 bits of uint64 ``x`` (``x`` is overwritten)."""
    x >>= _SHIFT11
    out = x.astype(np.float64)
    out *= 2.0**-53
    return out


class _FixedSeedSequence(ISeedSequence):
    """A seed sequence whose state is already known (see ``seed_sequence_states``)."""

    __slots__ = ("_state",)

    def __init__(self, state: np.ndarray) -> None:
        self._state = state

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        """The known state; PCG64 asks for four uint64 words."""
        if n_words != self._state.size or np.dtype(dtype) != np.uint64:
            raise ValueError("only PCG64's state (4 uint64 words) is known")
        return self._state.copy()


def _uint32_words(n: int) -> list[int]:
    """``n`` as little-endian 32-bit words, as ``SeedSequence`` reads an integer."""
    n = int(n)
    if n < 0:
        raise ValueError("seeds and stream keys must be non-negative")
    words = [n & _MASK32]
    n >>= 32
    while n > 0:
        words.append(n & _MASK32)
        n >>= 32
    return words


def seed_sequence_states(words: list[int], weeks: np.ndarray, n_words64: int = 4) -> np.ndarray:
    """``SeedSequence([*words, week]).generate_state(n_words64, np.uint64)`` for every week.

    NumPy's ``SeedSequence`` (pool of four 32-bit words, hashmix and mix as in
    ``numpy/random/bit_generator.pyx``), vectorised over the weeks. ``words`` are the
    entropy's leading 32-bit words (each below 2**32); each week is one more word.
    Tests compare it with NumPy's own over many seeds, names and weeks.
    """
    weeks = np.asarray(weeks)
    if weeks.size and (weeks.min() < 0 or weeks.max() > _MASK32):
        raise ValueError("weeks must be in [0, 2**32)")
    columns = [np.full(weeks.size, w, dtype=np.uint32) for w in words]
    columns.append(weeks.astype(np.uint32))
    hash_const = _INIT_A

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_A) & _MASK32
        value = value * np.uint32(hash_const)
        return value ^ (value >> np.uint32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result: np.ndarray = x * np.uint32(_MIX_MULT_L) - y * np.uint32(_MIX_MULT_R)
        return result ^ (result >> np.uint32(16))

    zero = np.zeros(weeks.size, dtype=np.uint32)
    pool = [hashmix(columns[i] if i < len(columns) else zero) for i in range(_POOL)]
    for src in range(_POOL):
        for dst in range(_POOL):
            if src != dst:
                pool[dst] = mix(pool[dst], hashmix(pool[src]))
    for src in range(_POOL, len(columns)):
        for dst in range(_POOL):
            pool[dst] = mix(pool[dst], hashmix(columns[src]))
    hash_const = _INIT_B
    out = np.empty((weeks.size, 2 * n_words64), dtype=np.uint32)
    for i in range(2 * n_words64):
        value = pool[i % _POOL] ^ np.uint32(hash_const)
        hash_const = (hash_const * _MULT_B) & _MASK32
        value = value * np.uint32(hash_const)
        out[:, i] = value ^ (value >> np.uint32(16))
    return out.astype("<u4").view("<u8").astype(np.uint64)


# SeedSequence's constants (numpy/random/bit_generator.pyx).
_POOL = 4
_MASK32 = 0xFFFFFFFF
_INIT_A, _MULT_A = 0x43B0D7E5, 0x931E8875
_INIT_B, _MULT_B = 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SHIFT11, _SHIFT27, _SHIFT30, _SHIFT31 = (np.uint64(k) for k in (11, 27, 30, 31))


def replicate_seeds(base_seed: int, replicates: int) -> list[int]:
    """Independent replicate seeds spawned from one base seed (``SeedSequence.spawn``)."""
    children = np.random.SeedSequence(base_seed).spawn(replicates)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1)) for c in children]
