"""The vectorised seed-sequence states in ``hrsim.core.rng`` equal NumPy's ``SeedSequence``."""

from __future__ import annotations

import numpy as np
import pytest

from hrsim.core.rng import Streams, seed_sequence_states, stream_key


@pytest.mark.parametrize("seed", [0, 1, 3, 2**32 - 1, 2**32, 2**40 + 7, 2**63 - 1])
def test_states_equal_numpy_seed_sequence(seed: int) -> None:
    rng = np.random.default_rng(seed % 1000)
    weeks = np.concatenate([[0, 1, 255, 256, 2**32 - 1], rng.integers(0, 10_000, 20)])
    for name in ("care", "ties.social", "overdose.fentanyl", ""):
        key = stream_key(name)
        words = [w for n in (seed, key) for w in _words(n)]
        got = seed_sequence_states(words, weeks)
        for week, state in zip(weeks.tolist(), got, strict=True):
            seq = np.random.SeedSequence([seed, key, week])
            assert np.array_equal(state, seq.generate_state(4, dtype=np.uint64))


def test_streams_match_seed_sequence_generators_and_keys() -> None:
    streams = Streams(12345)
    pids = np.arange(50)
    for name in ("care", "ties.injecting"):
        for week in (0, 5, 255, 256, 600):
            seq = np.random.SeedSequence([12345, stream_key(name), week])
            expected = np.random.Generator(np.random.PCG64(seq)).random(10)
            assert np.array_equal(streams.generator(name, week).random(10), expected)
            key = np.random.SeedSequence([12345, stream_key(name), week]).generate_state(
                1, dtype=np.uint64
            )[0]
            x = pids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + key
            x ^= x >> np.uint64(30)
            x *= np.uint64(0xBF58476D1CE4E5B9)
            x ^= x >> np.uint64(27)
            x *= np.uint64(0x94D049BB133111EB)
            x ^= x >> np.uint64(31)
            u = (x >> np.uint64(11)).astype(np.float64) * 2.0**-53
            assert np.array_equal(streams.uniform(name, week, pids), u)


def _words(n: int) -> list[int]:
    out = [n & 0xFFFFFFFF]
    n >>= 32
    while n:
        out.append(n & 0xFFFFFFFF)
        n >>= 32
    return out
