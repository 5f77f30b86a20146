"""Scrambled Sobol' points in numpy: the points SciPy's ``qmc.Sobol(d, scramble=True,
rng=rng).random(n)`` gives, bit for bit, without importing ``scipy.stats`` (about 0.6 s
of start-up, most of a sensitivity command's).

The construction is SciPy's (after Bratley and Fox, ACM TOMS 14, 1988): Joe and Kuo's
direction numbers (``sobol_directions.txt``, the first 1024 dimensions), a linear
matrix scramble and a digital shift drawn from a generator spawned from ``rng`` (so
``rng`` itself is not advanced), and the points in Gray-code order, 30 bits each.
More dimensions than the table holds go to SciPy (same points, its start-up cost).
``tests/test_sobol.py`` compares both.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

BITS = 30
TABLE = Path(__file__).with_name("sobol_directions.txt")


@cache
def _table() -> tuple[tuple[int, ...], ...]:
    rows = []
    for line in TABLE.read_text(encoding="ascii").splitlines():
        if line and not line.startswith("#"):
            rows.append(tuple(int(v) for v in line.split()))
    return tuple(rows)


def max_dimensions() -> int:
    return len(_table())


def _directions(d: int) -> np.ndarray:
    """(d, BITS) direction numbers v[i, j] = m_j · 2^(BITS - 1 - j)."""
    v = np.zeros((d, BITS), dtype=np.uint64)
    v[0, :] = 1
    for i, (poly, *initial) in enumerate(_table()[1:d], start=1):
        m = poly.bit_length() - 1
        row = list(initial[:m]) + [0] * (BITS - m)
        for j in range(m, BITS):
            new = row[j - m]
            for k in range(m):
                if (poly >> (m - 1 - k)) & 1:
                    new ^= row[j - k - 1] << (k + 1)
            row[j] = new
        v[i] = row
    return v << np.arange(BITS - 1, -1, -1, dtype=np.uint64)


def _parity(x: np.ndarray) -> np.ndarray:
    for shift in (32, 16, 8, 4, 2, 1):
        x = x ^ (x >> np.uint64(shift))
    return x & np.uint64(1)


def _scrambled(d: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """SciPy's linear matrix scramble and digital shift, drawn in its order."""
    own = rng.spawn(1)[0]
    bits = own.integers(0, 2, size=(d, BITS), dtype=np.uint32).astype(np.uint64)
    shift = (bits << np.arange(BITS, dtype=np.uint64)).sum(axis=1, dtype=np.uint64)
    ltm = np.tril(own.integers(0, 2, size=(d, BITS, BITS), dtype=np.uint32)).astype(np.uint64)
    ltm[:, np.arange(BITS), np.arange(BITS)] = 1
    # row p of each matrix as an integer, its first column the highest bit
    rows = (ltm << np.arange(BITS - 1, -1, -1, dtype=np.uint64)).sum(axis=2, dtype=np.uint64)
    v = _directions(d)
    # bit (BITS - 1 - p) of a scrambled direction number: the parity of row p AND it
    parity = _parity(rows[:, None, :] & v[:, :, None])  # (d, BITS: j, BITS: p)
    weights = np.uint64(1) << np.arange(BITS - 1, -1, -1, dtype=np.uint64)
    return (parity * weights).sum(axis=2, dtype=np.uint64), shift


def sobol(d: int, n: int, rng: np.random.Generator) -> np.ndarray:
    """The first ``n`` points (n, d) of a scrambled Sobol' sequence in [0, 1)^d, as
    ``scipy.stats.qmc.Sobol(d, scramble=True, rng=rng).random(n)``."""
    if d > max_dimensions():
        from scipy.stats import qmc

        return qmc.Sobol(d, scramble=True, rng=rng).random(n)
    if n > 2**BITS:
        raise ValueError(f"at most 2**{BITS} Sobol' points")
    v, shift = _scrambled(d, rng)
    k = np.arange(n, dtype=np.uint64)
    gray = k ^ (k >> np.uint64(1))
    quasi = np.broadcast_to(shift, (n, d)).copy()
    for bit in range(max(int(n - 1).bit_length(), 0)):
        on = ((gray >> np.uint64(bit)) & np.uint64(1)).astype(bool)
        quasi[on] ^= v[:, bit]
    return quasi * (1.0 / 2**BITS)
