"""math.random and math.randomseed as Redis replaces them for scripts: drawn from Redis's own
lrand48 (rand.c: the 48-bit generator x = 0x5DEECE66D * x + 11, answering its top 31 bits),
one sequence for the whole process, started from lrand48's fixed state and moved only by
scripts. So a fresh server's scripts draw the numbers a fresh Redis's do, and
math.randomseed(n) starts the same sequence in both.
"""

import math

from .library_errors import ArgumentError, RaisedError
from ..protocol.ldb_wire import c_int
from .lua_values import check_integer

_MULTIPLIER, _INCREMENT, _MASK = 0x5DEECE66D, 0xB, (1 << 48) - 1
_INITIAL = 0x1234ABCD330E
LRAND48_MAX = 2**31 - 1  # REDIS_LRAND48_MAX (INT32_MAX)
_state = [_INITIAL]


def lrand48() -> int:
    _state[0] = (_MULTIPLIER * _state[0] + _INCREMENT) & _MASK
    return _state[0] >> 17


def srand48(seed: int) -> None:
    _state[0] = ((seed & 0xFFFFFFFF) << 16) | 0x330E


def _check_int(values: tuple, index: int) -> int:
    """luaL_checkint: luaL_checkinteger cast to int."""
    return c_int(check_integer(values, index))


def random(*args) -> float:
    """math.random(), math.random(u), math.random(l, u)."""
    r = (lrand48() % LRAND48_MAX) / LRAND48_MAX
    if not args:
        return r
    if len(args) == 1:
        upper = _check_int(args, 1)
        if upper < 1:
            raise ArgumentError(1, "interval is empty")
        return float(math.floor(r * upper) + 1)
    if len(args) == 2:
        lower, upper = _check_int(args, 1), _check_int(args, 2)
        if lower > upper:
            raise ArgumentError(2, "interval is empty")
        return float(math.floor(r * (upper - lower + 1)) + lower)
    raise RaisedError("wrong number of arguments")


def randomseed(*args) -> None:
    srand48(_check_int(args, 1))
