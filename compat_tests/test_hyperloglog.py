"""Differential tests: HyperLogLog counts match Redis's exactly (same hash and estimator)."""


def test_pfadd_pfcount(diff):
    diff.check("PFADD", "h", "a", "b", "c")
    diff.check("PFADD", "h", "a")
    diff.check("PFADD", "h")
    diff.check("PFADD", "empty")
    diff.check("PFCOUNT", "h")
    diff.check("PFCOUNT", "empty")
    diff.check("PFCOUNT", "missing")
    diff.check("TYPE", "h")
    for batch in range(20):
        diff.check("PFADD", "big", *[f"element:{batch}:{i}" for i in range(500)])
    diff.check("PFCOUNT", "big")
    diff.check("PFADD", "other", *[f"element:0:{i}" for i in range(1000)], "extra")
    diff.check("PFCOUNT", "big", "other")
    diff.check("PFCOUNT", "h", "missing")
    diff.check("PFMERGE", "merged", "big", "other", "h")
    diff.check("PFCOUNT", "merged")
    diff.check("SET", "str", "not an hll")
    diff.check("PFADD", "str", "x")
    diff.check("PFCOUNT", "str")
    diff.check("HSET", "hash", "f", "v")
    diff.check("PFADD", "hash", "x")


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
