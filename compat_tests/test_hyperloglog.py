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
    # the hash's edge cases: empty, a whole 8-byte block, a tail, bytes over 0x7f
    odd = [b"", b"abcdefgh", b"abcdefghi", b"\xff" * 17, bytes(range(256))]
    for index, element in enumerate(odd):
        diff.assert_same("PFADD", f"odd{index}", element)
        diff.assert_same("GET", f"odd{index}")
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


def test_hll_strings_are_redis_bytes_sparse_then_dense(diff):
    """GET of an HLL gives Redis's very bytes: a new one is sparse, single elements split and
    merge its opcodes as Redis edits them, PFCOUNT caches the count in the header, and it goes
    dense once the sparse form passes hll-sparse-max-bytes (here lowered to reach it fast)."""
    import random

    rng = random.Random(7)
    diff.assert_same("PFADD", "fresh")
    diff.assert_same("GET", "fresh")
    for step in range(300):
        diff.assert_same("PFADD", "grow", *[f"e{rng.randrange(5000)}"
                                            for _ in range(rng.choice((1, 1, 2, 5)))])
        if step % 25 == 0:
            diff.assert_same("GET", "grow")
            diff.assert_same("PFCOUNT", "grow")
            diff.assert_same("GET", "grow")
    diff.assert_same("STRLEN", "grow")
    for batch in range(3):  # many opcodes: the edits far into a long sparse string
        diff.assert_same("PFADD", "bulk", *[f"b{batch}:{i}" for i in range(400)])
        diff.assert_same("GET", "bulk")
    diff.assert_same("CONFIG", "SET", "hll-sparse-max-bytes", "200")
    for batch in range(10):
        diff.assert_same("PFADD", "small", *[f"s{batch}:{i}" for i in range(8)])
        diff.assert_same("GET", "small")
    diff.assert_same("CONFIG", "SET", "hll-sparse-max-bytes", "3000")
    diff.assert_same("PFADD", "few", "a", "b", "c")
    diff.assert_same("PFMERGE", "sparse_merge", "few", "grow")
    diff.assert_same("GET", "sparse_merge")
    diff.assert_same("PFMERGE", "dense_merge", "few", "small")
    diff.assert_same("GET", "dense_merge")
    diff.assert_same("PFMERGE", "few", "missing")
    diff.assert_same("GET", "few")


def test_pfdebug_and_pfselftest(diff):
    diff.assert_same("PFADD", "s", "a", "b")
    for sub in ("DECODE", "ENCODING", "GETREG", "ENCODING", "TODENSE", "DECODE", "BOGUS"):
        diff.assert_same("PFDEBUG", sub, "s")
    diff.assert_same("PFADD", "t", "a")
    diff.assert_same("PFDEBUG", "TODENSE", "t")
    diff.assert_same("GET", "t")
    diff.assert_same("PFDEBUG", "TODENSE", "t")
    diff.assert_same("PFDEBUG", "ENCODING", "missing")
    diff.assert_same("SET", "str", "x")
    diff.assert_same("PFDEBUG", "ENCODING", "str")
    diff.assert_same("PFDEBUG", "ENCODING")
    diff.assert_same("PFSELFTEST")
    diff.assert_same("PFSELFTEST", "x")
