"""Fixtures for differential tests: the same commands go to a real redis-server and to Predis,
and their replies (errors included) must be identical."""

import re

import pytest
import redis

from .rawclient import Err, RawClient
from .servers import STARTERS, forking, start_launcher, start_predis, start_redis

# Replies whose wording changed between the reference redis-server installed here (Debian's
# 7.0) and Redis 7.2, which Predis follows. Applied to the reference's reply only.
REDIS_70_TO_72 = {
    # XADD ms-* after ms-18446744073709551615: 7.0 reports a stale errno, 7.2 says why
    "ERR Elements are too large to be stored":
    "ERR The ID specified in XADD is equal or smaller than the target stream top item",
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "AUTH <user> <pass> option can be used to authenticate the client and select the RESP "
    "protocol version at the same time":
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
    "<proto> AUTH <user> <pass> option can be used to authenticate the client and select the "
    "RESP protocol version at the same time",
}


# Doubles: the reference server (7.0) prints them with %.17g, Redis 7.2 (and Predis) with the
# shortest round-trip form; tests that see scores compare them as numbers.
_NUMBER = re.compile(rb"-?(\d+\.?\d*(e[+-]?\d+)?|inf)\Z")


def numeric(reply):
    if isinstance(reply, Err):
        return reply
    if isinstance(reply, bytes) and _NUMBER.match(reply):
        return float(reply)
    if isinstance(reply, list):
        return [numeric(r) for r in reply]
    if isinstance(reply, dict):
        return {numeric(k): numeric(v) for k, v in reply.items()}
    return reply


def as_72(reply):
    if isinstance(reply, Err):
        return Err(REDIS_70_TO_72.get(str(reply), str(reply)))
    return reply


def as_72_reply(args, reply):
    """as_72, and as_72_user for ACL GETUSER and ACL LIST: the reference's reply to `args`."""
    if [str(arg).upper() for arg in args[:2]] in (["ACL", "GETUSER"], ["ACL", "LIST"]):
        return as_72_user(reply)
    return as_72(reply)


# A user's payload flag: Redis 7.0 creates users with neither sanitize-payload nor
# skip-sanitize-payload (only `reset` sets the first), 7.2 creates them with sanitize-payload.
# Each rule sets exactly one, so 7.0's "neither" is 7.2's sanitize-payload.
_PAYLOAD_FLAGS = (b"sanitize-payload", b"skip-sanitize-payload")
_ACL_LIST_LINE = re.compile(rb"(user \S+(?: (?:on|off|nopass))*)( .*)?\Z", re.S)


def as_72_user(reply):
    """ACL GETUSER's reply (either protocol) or ACL LIST's lines from Redis 7.0, as 7.2 gives
    them."""
    if isinstance(reply, dict) and isinstance(reply.get(b"flags"), list):
        flags = reply[b"flags"]
        if not any(flag in flags for flag in _PAYLOAD_FLAGS):
            return {**reply, b"flags": flags + [b"sanitize-payload"]}
        return reply
    if isinstance(reply, list) and reply[:1] == [b"flags"] and isinstance(reply[1], list):
        fields = as_72_user(dict(zip(reply[0::2], reply[1::2])))
        return [item for field in fields.items() for item in field]
    if isinstance(reply, list):
        return [as_72_user(item) for item in reply]
    if isinstance(reply, bytes) and reply.startswith(b"user "):
        words = reply.split(b" ")
        if not any(word in _PAYLOAD_FLAGS for word in words):
            match = _ACL_LIST_LINE.match(reply)
            if match:
                return match[1] + b" sanitize-payload" + (match[2] or b"")
    return reply


_COMMAND_70 = re.compile(
    r"(EXECABORT Transaction discarded because of: )?NOPERM this user has no permissions to "
    r"run the '(.+)' command")


def as_72_noperm(reply, user: str):
    """Redis 7.0's NOPERM words as 7.2 writes them."""
    if isinstance(reply, Err):
        text = str(reply)
        match = _COMMAND_70.fullmatch(text)
        if match:
            return Err(f"{match[1] or ''}NOPERM User {user} has no permissions to run the "
                       f"'{match[2]}' command")
        text = text.replace("NOPERM this user has no permissions to access one of the keys used "
                            "as arguments", "NOPERM No permissions to access a key")
        text = text.replace("NOPERM this user has no permissions to access one of the channels "
                            "used as arguments", "NOPERM No permissions to access a channel")
        return Err(text)
    if isinstance(reply, list):
        return [as_72_noperm(item, user) for item in reply]
    return reply


def pytest_collection_finish(session):
    """A run with differential tests starts the launcher of Predis servers now: its imports
    and kernels (in a fresh clone, 30 s of numba compiling them) take the other core while the
    unit tests run, instead of the first differential test's time."""
    if forking() and any(
            item.nodeid.startswith("compat_tests/") for item in session.items):
        start_launcher()


@pytest.fixture(scope="module")
def pair():
    """A redis-server and a Predis for one test module, for tests that change server-wide
    state (policies, users) that other modules must not see."""
    servers = (start_redis(), start_predis())
    yield servers
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def pair_clients(pair):
    """A RawClient on each server of `pair`, redis-server's first."""
    clients = [RawClient(server.port) for server in pair]
    yield clients
    for client in clients:
        client.close()


@pytest.fixture(scope="session")
def servers():
    reference = start_redis()
    predis = start_predis()
    yield reference, predis
    reference.stop()
    predis.stop()
    assert predis.alive() is False


class Differ:
    """Runs each command on both servers and asserts the replies match."""

    def __init__(self, ref_port: int, predis_port: int, protocol: int = 2):
        self.ref = RawClient(ref_port)
        self.predis = RawClient(predis_port)
        if protocol == 3:
            self.ref.call("HELLO", "3")
            self.predis.call("HELLO", "3")

    def both(self, *args):
        return as_72_reply(args, self.ref.call(*args)), self.predis.call(*args)

    def assert_same(self, *args):
        expected, actual = self.both(*args)
        assert actual == expected, f"{args!r}: redis={expected!r} predis={actual!r}"
        return actual

    def assert_close(self, *args, slack: int = 1):
        """Integer replies that depend on when each server was asked (TTL rounding to the
        second) may differ by `slack`; anything else must match."""
        expected, actual = self.both(*args)
        if isinstance(expected, int) and isinstance(actual, int):
            assert abs(actual - expected) <= slack, f"{args!r}: redis={expected} predis={actual}"
        else:
            assert actual == expected, f"{args!r}: redis={expected!r} predis={actual!r}"
        return actual

    def close(self):
        self.ref.close()
        self.predis.close()


def flush_and_reset(servers):
    for server in servers:
        client = RawClient(server.port)
        client.call("FLUSHALL")
        client.call("CONFIG", "RESETSTAT")
        client.close()


@pytest.fixture
def diff(servers):
    flush_and_reset(servers)
    differ = Differ(servers[0].port, servers[1].port)
    yield differ
    differ.close()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def diff23(servers, request):
    flush_and_reset(servers)
    differ = Differ(servers[0].port, servers[1].port, protocol=request.param)
    yield differ
    differ.close()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def redis_pair(servers, request):
    """Two redis-py clients (reference, predis) speaking the same protocol version."""
    flush_and_reset(servers)
    clients = [redis.Redis(port=s.port, protocol=request.param) for s in servers]
    yield clients
    for client in clients:
        client.close()


@pytest.fixture(params=sorted(STARTERS))
def server(request):
    """A server of its own for the test, which runs once with redis-server and once with
    Predis (STARTERS[request.param] starts another of the same kind)."""
    started = STARTERS[request.param]()
    yield started
    started.stop()
