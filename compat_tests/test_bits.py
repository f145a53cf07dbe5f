"""Differential tests: bitmap commands."""

import pytest

from .rawclient import RawClient


def test_setbit_getbit(diff):
    diff.assert_same("SETBIT", "b", 7, 1)
    diff.assert_same("SETBIT", "b", 7, 0)
    diff.assert_same("SETBIT", "b", 100, 1)
    diff.assert_same("GET", "b")
    diff.assert_same("GETBIT", "b", 100)
    diff.assert_same("GETBIT", "b", 101)
    diff.assert_same("GETBIT", "b", 100000)
    diff.assert_same("GETBIT", "missing", 3)
    diff.assert_same("SETBIT", "b", -1, 1)
    diff.assert_same("SETBIT", "b", 1, 2)
    diff.assert_same("SETBIT", "b", "x", 1)
    diff.assert_same("SETBIT", "b", 4294967296, 1)
    diff.assert_same("GETBIT", "b", -1)


@pytest.mark.parametrize("args", [
    [], [0, -1], [1, 1], [-2, -1], [5, 30, "BIT"], [0, 0, "BIT"], [-10, -2, "BIT"],
    [3, 1], [0, 100], [0, -1, "BYTE"], [0, -1, "FOO"], [0], ["a", 1], [-1, -3],
    [1, 17, "BIT"], [-5, -5, "BIT"],
])
def test_bitcount(diff, args):
    diff.assert_same("SET", "s", "foobar")
    diff.assert_same("BITCOUNT", "s", *args)


@pytest.mark.parametrize("args", [
    [1], [0], [1, 2], [0, 2], [1, 2, -1], [0, 0, -1], [1, 7, 15, "BIT"], [0, 0, 5, "BIT"],
    [1, -1], [0, 3, 2], [2], [1, "a"], [1, 0, -1, "FOO"], [0, 0, -1, "BIT"],
])
def test_bitpos(diff, args):
    diff.assert_same("SET", "s", b"\xff\xf0\x00")
    diff.assert_same("BITPOS", "s", *args)
    diff.assert_same("SET", "ones", b"\xff\xff\xff")
    diff.assert_same("BITPOS", "ones", *args)
    diff.assert_same("BITPOS", "missing", *args[:1])


def test_bitop(diff):
    diff.assert_same("SET", "a", "foobar")
    diff.assert_same("SET", "b", "abcdef")
    diff.assert_same("SET", "c", "xy")
    for op in ("AND", "OR", "XOR"):
        diff.assert_same("BITOP", op, "dest", "a", "b", "c")
        diff.assert_same("GET", "dest")
    diff.assert_same("BITOP", "NOT", "dest", "a")
    diff.assert_same("GET", "dest")
    diff.assert_same("BITOP", "NOT", "dest", "a", "b")
    diff.assert_same("BITOP", "NAND", "dest", "a", "b")
    diff.assert_same("BITOP", "AND", "dest", "m1", "m2")
    diff.assert_same("EXISTS", "dest")


@pytest.mark.parametrize("ops", [
    ["SET", "u8", 0, 255, "GET", "u8", 0],
    ["SET", "i8", 0, -100, "GET", "i8", 0, "GET", "u8", 0],
    ["INCRBY", "u2", 100, 1, "INCRBY", "u2", 100, 1, "INCRBY", "u2", 100, 1,
     "INCRBY", "u2", 100, 1],
    ["OVERFLOW", "SAT", "INCRBY", "u2", 102, 5, "INCRBY", "i4", 50, -100],
    ["OVERFLOW", "FAIL", "INCRBY", "u2", 102, 5, "GET", "u2", 102],
    ["OVERFLOW", "WRAP", "INCRBY", "i8", 0, 200, "INCRBY", "i8", 0, -300],
    ["SET", "u8", "#1", 200, "GET", "u8", "#1", "GET", "u16", 0],
    ["SET", "i64", 0, -1, "GET", "u63", 1, "INCRBY", "i64", 0, 1],
    ["SET", "u63", 3, 12345, "GET", "i64", 0],
    ["SET", "u8", 0, -1, "OVERFLOW", "SAT", "SET", "u8", 8, -1, "SET", "i8", 16, 1000],
    ["GET", "u64", 0], ["GET", "i65", 0], ["GET", "x8", 0], ["GET", "u8", -1],
    ["GET", "u8", "#-1"], ["SET", "u8", 0], ["OVERFLOW", "FOO"], ["BAR"], ["GET", "u8", "a"],
    ["SET", "u8", 0, "abc"], ["GET", "i5", 3, "SET", "i5", 3, 15, "INCRBY", "i5", 3, 1],
])
def test_bitfield(diff, ops):
    diff.assert_same("SET", "bf", b"\x12\x34\x56\x78")
    diff.assert_same("BITFIELD", "bf", *ops)
    diff.assert_same("GET", "bf")
    diff.assert_same("BITFIELD", "newkey", *ops)
    diff.assert_same("GET", "newkey")


def test_bitfield_ro(diff):
    diff.assert_same("SET", "bf", b"\x12\x34")
    diff.assert_same("BITFIELD_RO", "bf", "GET", "u4", 0, "GET", "i8", 4)
    diff.assert_same("BITFIELD_RO", "bf", "SET", "u4", 0, 1)
    diff.assert_same("BITFIELD_RO", "bf", "INCRBY", "u4", 0, 1)
    diff.assert_same("BITFIELD_RO", "missing", "GET", "u8", 0)
    diff.assert_same("BITFIELD_RO", "bf")
    # parsed whole before a write is refused: syntax and number errors first, OVERFLOW is fine
    for args in (("SET",), ("SET", "u8", 0, "abc"), ("SET", "i99", 0, 1), ("OVERFLOW", "SAT"),
                 ("OVERFLOW", "SAT", "GET", "u8", 0), ("OVERFLOW", "bad"),
                 ("INCRBY", "u8", 0, 1, "GET", "u8", 0, "foo")):
        diff.assert_same("BITFIELD_RO", "bf", *args)


def test_setbit_and_bitfield_change_only_what_they_change(diff):
    """Found by Redis's own suite: writing the bits a key already has is no change (the
    dirty counter, hence saves and WATCH, do not move)."""
    def dirty(client):
        info = client.call("INFO", "persistence").decode()
        return int(info.split("rdb_changes_since_last_save:")[1].split()[0])

    counts = []
    for client in (diff.ref, diff.predis):
        client.call("DEL", "foo", "foo2")
        start = dirty(client)
        client.call("SETBIT", "foo", "0", "0")  # created: a change
        client.call("BITFIELD", "foo2", "SET", "i5", "0", "0")
        created = dirty(client)
        client.call("SETBIT", "foo", "0", "0")  # the same again: none
        client.call("BITFIELD", "foo2", "SET", "i5", "0", "0")
        same = dirty(client)
        client.call("SETBIT", "foo", "0", "1")
        client.call("SETBIT", "foo", "0", "1")
        client.call("BITFIELD", "foo2", "SET", "i5", "0", "1")
        client.call("BITFIELD", "foo2", "SET", "i5", "0", "1")
        client.call("SETBIT", "foo", "100", "0")  # grows the string: a change
        counts.append([created - start, same - created, dirty(client) - same])
    assert counts[1] == counts[0] == [2, 0, 3]


def test_bit_arguments_and_the_key_are_checked_in_redis_order(servers):
    """BITCOUNT and BITPOS look at the key before their range (an absent key answers 0, or -1
    for BITPOS 1, whatever follows), as Redis 7.0 and 7.2 do: Redis 8.0's suite checks the
    arguments first (#11734, a later change, which Predis had taken for 7.2's). Every
    combination of up to four arguments from a set of good and bad ones, on a string, a
    missing key and a list, answers as redis-server."""
    import itertools

    clients = [RawClient(server.port) for server in servers]
    for client in clients:
        client.call("DEL", "s", "nokey", "w")
        client.call("SET", "s", "\xff\x00")
        client.call("LPUSH", "w", "a")
    values = ["1", "a", "bit", "hello"]  # an integer, a non-integer, a unit, a bad word
    for key in ("s", "nokey", "w"):
        for count in range(5):
            for extra in itertools.product(values, repeat=count):
                for name in ("BITCOUNT", "BITPOS"):
                    args = [name, key, *extra]
                    expected, actual = (client.call(*args) for client in clients)
                    assert actual == expected, args
    for client in clients:
        client.close()
