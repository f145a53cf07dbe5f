"""Differential tests: HyperLogLog counts match Redis's exactly (same hash and estimator)."""


def test_pfadd_pfcount(diff):
    diff.assert_same("PFADD", "h", "a", "b", "c")
    diff.assert_same("PFADD", "h", "a")
    diff.assert_same("PFADD", "h")
    diff.assert_same("PFADD", "empty")
    diff.assert_same("PFCOUNT", "h")
    diff.assert_same("PFCOUNT", "empty")
    diff.assert_same("PFCOUNT", "missing")
    diff.assert_same("TYPE", "h")
    for batch in range(20):
        diff.assert_same("PFADD", "big", *[f"element:{batch}:{i}" for i in range(500)])
    diff.assert_same("PFCOUNT", "big")
    diff.assert_same("PFADD", "other", *[f"element:0:{i}" for i in range(1000)], "extra")
    diff.assert_same("PFCOUNT", "big", "other")
    diff.assert_same("PFCOUNT", "h", "missing")
    diff.assert_same("PFMERGE", "merged", "big", "other", "h")
    diff.assert_same("PFCOUNT", "merged")
    diff.assert_same("SET", "str", "not an hll")
    diff.assert_same("PFADD", "str", "x")
    diff.assert_same("PFCOUNT", "str")
    diff.assert_same("HSET", "hash", "f", "v")
    diff.assert_same("PFADD", "hash", "x")


def test_hll_from_redis_loads_here(servers):
    from .rawclient import RawClient

    ref, predis = (RawClient(s.port) for s in servers)
    ref.call("DEL", "copied")
    ref.call("PFADD", "copied", *[f"x{i}" for i in range(300)])  # small: Redis's sparse form
    sparse = ref.call("GET", "copied")
    dense_source = [f"y{i}" for i in range(20000)]
    for start in range(0, len(dense_source), 1000):
        ref.call("PFADD", "dense", *dense_source[start:start + 1000])
    dense = ref.call("GET", "dense")
    predis.call("SET", "copied", sparse)
    predis.call("SET", "dense", dense)
    assert predis.call("PFCOUNT", "copied") == ref.call("PFCOUNT", "copied")
    assert predis.call("PFCOUNT", "dense") == ref.call("PFCOUNT", "dense")
    assert predis.call("PFADD", "copied", "new-one") == ref.call("PFADD", "copied", "new-one")
    assert predis.call("PFCOUNT", "copied") == ref.call("PFCOUNT", "copied")
    ref.close()
    predis.close()
