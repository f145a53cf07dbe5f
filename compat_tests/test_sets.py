"""Differential tests: set commands (order-insensitive where Redis's order is unspecified)."""


def sorted_reply(reply):
    return sorted(reply) if isinstance(reply, (list, set)) else reply


def check_unordered(d, *args):
    expected, actual = d.both(*args)
    assert sorted_reply(actual) == sorted_reply(expected), args


def test_sadd_srem_members(diff23):
    d = diff23
    d.check("SADD", "s", "a", "b", "c", "a")
    d.check("SADD", "s", "c", "d")
    d.check("SCARD", "s")
    d.check("SISMEMBER", "s", "a")
    d.check("SISMEMBER", "s", "z")
    d.check("SMISMEMBER", "s", "a", "z", "d")
    d.check("SMISMEMBER", "missing", "a")
    check_unordered(d, "SMEMBERS", "s")
    check_unordered(d, "SMEMBERS", "missing")
    d.check("SREM", "s", "a", "z")
    d.check("SREM", "missing", "a")
    d.check("SREM", "s", "b", "c", "d")
    d.check("EXISTS", "s")


def test_set_algebra(diff23):
    d = diff23
    d.check("SADD", "a", "1", "2", "3", "4")
    d.check("SADD", "b", "3", "4", "5")
    d.check("SADD", "c", "4", "6")
    for op in ("SINTER", "SUNION", "SDIFF"):
        check_unordered(d, op, "a", "b", "c")
        check_unordered(d, op, "a", "missing")
        check_unordered(d, op, "missing", "a")
    for op in ("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"):
        d.check(op, "dest", "a", "b")
        check_unordered(d, "SMEMBERS", "dest")
    d.check("SINTERSTORE", "dest", "a", "missing")
    d.check("EXISTS", "dest")
    d.check("SET", "str", "x")
    d.check("SINTER", "a", "str")
    d.check("SUNIONSTORE", "dest", "a", "str")
    d.check("SINTERCARD", "2", "a", "b")
    d.check("SINTERCARD", "2", "a", "b", "LIMIT", "1")
    d.check("SINTERCARD", "2", "a", "b", "LIMIT", "-1")
    d.check("SINTERCARD", "0", "a")
    d.check("SINTERCARD", "3", "a", "b")
    d.check("SINTERCARD", "1", "a", "FOO", "1")


def test_smove_spop_srandmember(diff):
    diff.check("SADD", "src", "a", "b")
    diff.check("SMOVE", "src", "dst", "a")
    diff.check("SMOVE", "src", "dst", "zz")
    diff.check("SMOVE", "src", "src", "b")
    diff.check("SMOVE", "src", "dst", "b")
    diff.check("EXISTS", "src")
    check_unordered(diff, "SMEMBERS", "dst")
    diff.check("SET", "str", "v")
    diff.check("SMOVE", "dst", "str", "a")
    diff.check("SPOP", "missing")
    diff.check("SPOP", "missing", "2")
    diff.check("SPOP", "dst", "-1")
    diff.check("SPOP", "dst", "0")
    diff.check("SRANDMEMBER", "missing")
    diff.check("SRANDMEMBER", "missing", "5")
    diff.check("SADD", "one", "x")
    diff.check("SRANDMEMBER", "one")
    diff.check("SRANDMEMBER", "one", "-3")
    diff.check("SPOP", "one")
    diff.check("EXISTS", "one")
    diff.check("SADD", "many", *[str(i) for i in range(50)])
    for args in (("SPOP", "many", "10"), ("SRANDMEMBER", "many", "-70"),
                 ("SRANDMEMBER", "many", "20"), ("SPOP", "many")):
        expected, actual = diff.both(*args)
        assert type(actual) == type(expected)
        if isinstance(actual, list):
            assert len(actual) == len(expected)
    diff.check("SCARD", "many")


def test_set_encodings(diff):
    diff.check("SADD", "ints", "1", "2", "3")
    diff.check("OBJECT", "ENCODING", "ints")
    diff.check("SADD", "big", *[str(i) for i in range(600)])
    diff.check("OBJECT", "ENCODING", "big")


def test_sscan(diff):
    diff.check("SADD", "s", *[f"m{i}" for i in range(300)])
    results = []
    for client in (diff.ref, diff.predis):
        seen, cursor = set(), b"0"
        while True:
            cursor, items = client.call("SSCAN", "s", cursor, "MATCH", "m1*", "COUNT", "20")
            seen.update(items)
            if cursor == b"0":
                break
        results.append(seen)
    assert results[1] == results[0]
