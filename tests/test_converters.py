"""The typed argument converters (server/commands/common.py) against Redis's rules."""

import math

import pytest

from server.commands.common import to_float
from server.errors import CommandError


@pytest.mark.parametrize("text,number", [
    (b"0", 0.0), (b"000", 0.0), (b"12", 12.0), (b"9" * 308, float("9" * 308)),
    (b"1.5", 1.5), (b"-2", -2.0), (b"+inf", math.inf), (b"-Infinity", -math.inf),
    (b"1e3", 1000.0), (b"0x10", 16.0), (b".5", 0.5),
])
def test_scores_redis_accepts(text, number):
    assert to_float(text) == number


@pytest.mark.parametrize("text", [
    b"", b"abc", b"nan", b"1_000", b" 1", b"1 ", b"1e400", b"1e-400", b"9" * 309, "\u0663".encode(),
])
def test_scores_redis_refuses(text):
    with pytest.raises(CommandError, match="ERR value is not a valid float"):
        to_float(text)
