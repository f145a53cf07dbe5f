"""splitmix64 (Steele, Lea and Flood, 2014): 64 well-mixed bits from a 64-bit input, for the
trace readers' key ids and the reuse sampler's random draws."""

import numpy as np
from numba import njit

GOLDEN = 0x9E3779B97F4A7C15  # the generator's increment (2**64 / the golden ratio)


@njit(cache=True, inline="always")
def splitmix64(x):
    """The output for state `x` (a uint64): `x` advanced by GOLDEN, then mixed."""
    z = x + np.uint64(GOLDEN)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))
