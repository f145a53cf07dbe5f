"""The AOF's manifest and old-style files, as Redis 7 reads them: a malformed manifest or a
missing file stops the start with Redis's words, and a Redis 4-6 AOF (one file in `dir`,
perhaps starting with an RDB) is moved into the AOF directory as the base and loaded. Each
case runs on redis-server and on Predis (Redis's integration/aof-multi-part.tcl)."""

import pytest
import redis

from ops.commandstream import encode

from .servers import refused_start, start_predis, start_redis

AOF = ("--appendonly", "yes", "--appendfsync", "always")
STARTERS = {"redis": start_redis, "predis": start_predis}
SET = [[b"SET", b"k1", b"v1"]]

# manifest text, the files it needs, what the refusal must say
BAD_MANIFESTS = [
    ("file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n",
     ["appendonly.aof.1.base.aof"],
     "Unable to obtain the AOF file appendonly.aof.1.incr.aof length. stat: No such file"),
    ("file appendonly.aof.1.incr.aof seq 2 type i\nfile appendonly.aof.2.incr.aof seq 1 type i\n",
     ["appendonly.aof.1.incr.aof", "appendonly.aof.2.incr.aof"],
     "Found a non-monotonic sequence number"),
    ("file appendonly.aof.1.incr.aof seq 1 type i\n\n", ["appendonly.aof.1.incr.aof"],
     "Invalid AOF manifest file format"),
    ("file a.aof seq 1 type b\nfile b.aof seq 2 type b\n", ["a.aof", "b.aof"],
     "Found duplicate base file information"),
    ("file appendonly.aof.1.incr.aof seq 1 type x\n", ["appendonly.aof.1.incr.aof"],
     "Unknown AOF file type"),
    ("file appendonly.aof.1.incr.aof seq 1\n", ["appendonly.aof.1.incr.aof"],
     "Invalid AOF manifest file format"),
    ("file appendonly.aof.1.incr.aof seq 1 type i foo\n", ["appendonly.aof.1.incr.aof"],
     "Invalid AOF manifest file format"),
    ("file appendonly.aof.1.incr.aof seq 1 type i" + " x y" * 300 + "\n",
     ["appendonly.aof.1.incr.aof"], "The AOF manifest file contains too long line"),
    ("file appendonly.aof.1.incr.aof seq 1 type i", ["appendonly.aof.1.incr.aof"],
     "The AOF manifest file contains too long line"),
    ("", [], "Found an empty AOF manifest"),
]


@pytest.mark.parametrize("kind", sorted(STARTERS))
@pytest.mark.parametrize("manifest, files, words", BAD_MANIFESTS)
def test_a_bad_manifest_stops_the_start_with_redis_words(tmp_path, kind, manifest, files, words):
    folder = tmp_path / "appendonlydir"
    folder.mkdir()
    (folder / "appendonly.aof.manifest").write_text(manifest)
    for name in files:
        (folder / name).write_bytes(b"".join(map(encode, SET)))
    assert words in refused_start(kind, ("--dir", str(tmp_path), *AOF))


def _rdb_of(keys: dict) -> bytes:
    """An RDB holding `keys`, written by redis-server."""
    server = start_redis()
    try:
        client = redis.Redis(port=server.port)
        client.mset(keys)
        client.save()
        with open(f"{server.workdir}/dump.rdb", "rb") as handle:
            return handle.read()
    finally:
        server.stop()


@pytest.mark.parametrize("kind", sorted(STARTERS))
@pytest.mark.parametrize("preamble", [False, True], ids=["commands", "rdb-preamble"])
def test_an_old_style_aof_is_moved_in_and_loaded(tmp_path, kind, preamble):
    """Redis 4-6 kept the AOF as `dir`/appendonly.aof (commands, or an RDB followed by
    commands with aof-use-rdb-preamble): Redis 7 moves it into appendonlydir as the base,
    names it in a new manifest with a first incremental file, and loads it; writes after
    that survive a restart."""
    head = _rdb_of({"k1": "v1", "k2": "v2"}) if preamble else b"".join(map(encode, [
        [b"SET", b"k1", b"v1"], [b"SET", b"k2", b"v2"]]))
    (tmp_path / "appendonly.aof").write_bytes(head + encode([b"SET", b"k3", b"v3"]))
    server = STARTERS[kind](("--dir", str(tmp_path), *AOF))
    try:
        client = redis.Redis(port=server.port)
        assert client.mget("k1", "k2", "k3") == [b"v1", b"v2", b"v3"]
        assert not (tmp_path / "appendonly.aof").exists()
        assert (tmp_path / "appendonlydir" / "appendonly.aof").exists()
        manifest = (tmp_path / "appendonlydir" / "appendonly.aof.manifest").read_text()
        assert manifest.splitlines() == ["file appendonly.aof seq 1 type b",
                                         "file appendonly.aof.1.incr.aof seq 1 type i"]
        client.set("k4", "v4")
    finally:
        server.stop()
    server = STARTERS[kind](("--dir", str(tmp_path), *AOF))
    try:
        assert redis.Redis(port=server.port).mget("k1", "k4") == [b"v1", b"v4"]
    finally:
        server.stop()


@pytest.mark.parametrize("kind", sorted(STARTERS))
@pytest.mark.parametrize("moved", [False, True], ids=["interrupted", "both-places"])
def test_an_upgrade_left_halfway_is_completed_or_left_alone(tmp_path, kind, moved):
    """A manifest that names the old file as its only base: while the file is still in
    `dir` only (an upgrade stopped between the manifest and the move) the upgrade is
    completed; when the AOF directory has its own file of that name, that one is loaded and
    the old one left where it is (Redis's aof-multi-part "continue the upgrade from the
    interrupted upgrade state", "both server dir and aof dir contain old AOF")."""
    folder = tmp_path / "appendonlydir"
    folder.mkdir()
    (tmp_path / "appendonly.aof").write_bytes(encode([b"SET", b"k1", b"v1"]))
    (folder / "appendonly.aof.manifest").write_text("file appendonly.aof seq 1 type b\n")
    if moved:
        (folder / "appendonly.aof").write_bytes(encode([b"SET", b"k4", b"v4"]))
    server = STARTERS[kind](("--dir", str(tmp_path), *AOF))
    try:
        client = redis.Redis(port=server.port)
        assert client.mget("k1", "k4") == ([None, b"v4"] if moved else [b"v1", None])
        assert (tmp_path / "appendonly.aof").exists() == moved
        assert (folder / "appendonly.aof").exists()
        assert (folder / "appendonly.aof.manifest").read_text().splitlines() == [
            "file appendonly.aof seq 1 type b", "file appendonly.aof.1.incr.aof seq 1 type i"]
    finally:
        server.stop()
