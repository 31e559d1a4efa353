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


def test_pair_uniform_is_keyed_to_the_pair_not_its_position() -> None:
    from scipy import stats

    s = Streams(11)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 10**6, 50_000), rng.integers(0, 10**6, 50_000)
    u = s.pair_uniform("x", 3, a, b)
    order = rng.permutation(a.size)[:1000]
    np.testing.assert_array_equal(s.pair_uniform("x", 3, a[order], b[order]), u[order])
    assert np.all((u >= 0) & (u < 1))
    assert stats.kstest(u, "uniform").pvalue > 1e-3  # fixed seed: a check, not a coin flip
    # Ordered pairs, weeks, names and the seed each give other draws.
    for other in (
        s.pair_uniform("x", 3, b, a),
        s.pair_uniform("x", 4, a, b),
        s.pair_uniform("y", 3, a, b),
        Streams(12).pair_uniform("x", 3, a, b),
        s.pair_uniform("x", 3, a, b + 1),
    ):
        assert abs(np.corrcoef(u, other)[0, 1]) < 4 / np.sqrt(a.size)  # 4 SE of r under 0
    # Not a function of the first id alone: its per-person draw is another number.
    assert abs(np.corrcoef(u, s.uniform("x", 3, a))[0, 1]) < 4 / np.sqrt(a.size)
