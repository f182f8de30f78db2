"""Random numbers addressed by (seed, stream, scenario, asset), not drawn from a stream.

Every random number of a hazard is a hash of where it is used: the ensemble's seed, a
stream (what the number is for: a flood's local scatter, a fragility draw, a repair time),
the scenario's number in the ensemble and the asset's index. So:

- a plan that changes which assets fail still sees exactly the same numbers everywhere
  (common random numbers by construction, not by drawing arrays of a fixed shape);
- numbers that are never needed are never computed (an asset far above a flood), and
  skipping them shifts nothing;
- a scenario's numbers do not depend on how scenarios are cut into chunks, or on who runs
  them.

The hash is SplitMix64's finaliser applied three times (seed and stream, scenario, asset);
uniforms carry 53 bits, normals come from them by Wichura's inverse-CDF algorithm AS 241,
so every normal lies within ±:data:`Z_MAX`.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit, prange

#: Largest |z| a normal from :func:`normal` can take (the inverse CDF of 2⁻⁵⁴ is −8.29).
Z_MAX = 8.4

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)
_ONE = np.uint64(1)

#: Streams: one per use, so that two uses never share a number.
STREAMS: dict[str, int] = {
    "repair": 1,
    "fragility": 2,
    "flood.stage": 3,
    "flood.local": 4,
    "quake.inter": 5,
    "quake.intra": 6,
    "heat.excess": 7,
    "epidemic.r0": 8,
    "cyber.entry": 9,
    "cyber.hop": 10,
    "cyber.restore": 11,
    "outage.hit": 12,
    "outage.duration": 13,
    "flood.year": 14,
}


@njit(cache=True, inline="always")
def mix(x: np.uint64) -> np.uint64:
    """SplitMix64's finaliser: a bijection of 64-bit words with good avalanche."""
    x = (x ^ (x >> _S30)) * _M1
    x = (x ^ (x >> _S27)) * _M2
    return x ^ (x >> _S31)


@njit(cache=True)
def scenario_key(seed: np.uint64, stream: np.uint64, scenario: np.uint64) -> np.uint64:
    """The key of one stream in one scenario (hash it with an asset for the number)."""
    h = mix(seed * _GOLDEN + stream)
    return mix(h + (scenario + _ONE) * _GOLDEN)


@njit(cache=True, inline="always")
def uniform(key: np.uint64, item: np.uint64) -> float:
    """Uniform on the open interval (0, 1), 53 bits."""
    h = mix(key ^ ((item + _ONE) * _GOLDEN))
    return (float(h >> _S11) + 0.5) * (1.0 / 9007199254740992.0)


@njit(cache=True)
def ndtri(p: float) -> float:
    """Inverse of the standard normal CDF (Wichura 1988, AS 241, about 1e-16 relative)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (
            (
                (
                    (
                        (
                            (2509.0809287301226727 * r + 33430.575583588128105) * r
                            + 67265.770927008700853
                        )
                        * r
                        + 45921.953931549871457
                    )
                    * r
                    + 13731.693765509461125
                )
                * r
                + 1971.5909503065514427
            )
            * r
            + 133.14166789178437745
        ) * r + 3.387132872796366608
        den = (
            (
                (
                    (
                        (
                            (5226.495278852545925 * r + 28729.085735721942674) * r
                            + 39307.89580009271061
                        )
                        * r
                        + 21213.794301586595867
                    )
                    * r
                    + 5394.1960214247511077
                )
                * r
                + 687.1870074920579083
            )
            * r
            + 42.313330701600911252
        ) * r + 1.0
        return q * num / den
    r = p if q < 0 else 1.0 - p
    r = np.sqrt(-np.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (
            (
                (
                    (
                        (
                            (7.7454501427834140764e-4 * r + 0.0227238449892691845833) * r
                            + 0.24178072517745061177
                        )
                        * r
                        + 1.27045825245236838258
                    )
                    * r
                    + 3.64784832476320460504
                )
                * r
                + 5.7694972214606914055
            )
            * r
            + 4.6303378461565452959
        ) * r + 1.42343711074968357734
        den = (
            (
                (
                    (
                        (
                            (1.05075007164441684324e-9 * r + 5.475938084995344946e-4) * r
                            + 0.0151986665636164571966
                        )
                        * r
                        + 0.14810397642748007459
                    )
                    * r
                    + 0.68976733498510000455
                )
                * r
                + 1.6763848301838038494
            )
            * r
            + 2.05319162663775882187
        ) * r + 1.0
    else:
        r -= 5.0
        num = (
            (
                (
                    (
                        (
                            (2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                            + 0.0012426609473880784386
                        )
                        * r
                        + 0.026532189526576123093
                    )
                    * r
                    + 0.29656057182850489123
                )
                * r
                + 1.7848265399172913358
            )
            * r
            + 5.4637849111641143699
        ) * r + 6.6579046435011037772
        den = (
            (
                (
                    (
                        (
                            (2.04426310338993978564e-15 * r + 1.4215117583164458887e-7) * r
                            + 1.8463183175100546818e-5
                        )
                        * r
                        + 7.868691311456132591e-4
                    )
                    * r
                    + 0.0148753612908506148525
                )
                * r
                + 0.13692988092273580531
            )
            * r
            + 0.59983220655588793769
        ) * r + 1.0
    value = num / den
    return -value if q < 0 else value


@njit(cache=True, inline="always")
def normal(key: np.uint64, item: np.uint64) -> float:
    """Standard normal number for ``item`` under ``key`` (within ±Z_MAX)."""
    return ndtri(uniform(key, item))


def seed_word(seed: int) -> np.uint64:
    """A 64-bit word from any non-negative integer seed."""
    return np.uint64(int(seed) % (1 << 64))


@njit(cache=True, parallel=True)
def _grid(
    seed: np.uint64,
    stream: np.uint64,
    rows: np.ndarray,
    scenarios: np.ndarray,
    as_normal: bool,
    out: np.ndarray,
) -> None:
    for j in prange(scenarios.shape[0]):
        key = scenario_key(seed, stream, np.uint64(scenarios[j]))
        for i in range(rows.shape[0]):
            u = uniform(key, np.uint64(rows[i]))
            out[i, j] = ndtri(u) if as_normal else u


def grid(
    seed: int,
    stream: str,
    rows: npt.ArrayLike,
    scenarios: npt.ArrayLike,
    kind: str = "normal",
) -> npt.NDArray[np.float64]:
    """``(len(rows), len(scenarios))`` numbers of ``stream`` (``kind`` normal or uniform).

    ``rows`` are asset indices (or any item numbers; use ``[-1]``-free small integers for
    one number per scenario, e.g. ``[0]``).
    """
    r = np.ascontiguousarray(rows, dtype=np.int64)
    s = np.ascontiguousarray(scenarios, dtype=np.int64)
    out = np.empty((r.size, s.size))
    _grid(seed_word(seed), np.uint64(STREAMS[stream]), r, s, kind == "normal", out)
    return out


@njit(cache=True, parallel=True)
def _pairs(
    seed: np.uint64,
    stream: np.uint64,
    items: np.ndarray,
    scenarios: np.ndarray,
    as_normal: bool,
    out: np.ndarray,
) -> None:
    for i in prange(items.shape[0]):
        key = scenario_key(seed, stream, np.uint64(scenarios[i]))
        u = uniform(key, np.uint64(items[i]))
        out[i] = ndtri(u) if as_normal else u


def pairs(
    seed: int,
    stream: str,
    items: npt.ArrayLike,
    scenarios: npt.ArrayLike,
    kind: str = "normal",
) -> npt.NDArray[np.float64]:
    """One number of ``stream`` per (item, scenario) pair (two equally long arrays)."""
    r = np.ascontiguousarray(items, dtype=np.int64)
    s = np.ascontiguousarray(scenarios, dtype=np.int64)
    out = np.empty(r.size)
    _pairs(seed_word(seed), np.uint64(STREAMS[stream]), r, s, kind == "normal", out)
    return out
