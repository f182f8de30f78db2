"""One way to turn a user's seed into a random generator."""

from __future__ import annotations

import numpy as np

RandomLike = np.random.Generator | np.random.SeedSequence | int | None


def as_generator(rng: RandomLike = None) -> np.random.Generator:
    """Return a :class:`numpy.random.Generator` for ``rng``.

    Args:
        rng: A generator (returned as is), a seed sequence, an integer seed, or ``None`` for
            fresh entropy. The global ``np.random`` state is never used.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    return np.random.default_rng(rng)
