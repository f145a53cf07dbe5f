"""Differential tests: ACL users, their permissions and the ACL commands, against redis-server.

The reference is Redis 7.0; Predis follows 7.2, whose NOPERM messages changed wording
(`as_72_noperm`) and which keeps command rules in the order they were given (so the rules
these tests compare are written in the order 7.0 normalises them to)."""

import subprocess
import sys
import time

import pytest

from .conftest import as_72, as_72_noperm, as_72_reply, as_72_user
from .rawclient import Err, RawClient, encode_command
from .servers import ROOT, eventually, free_port, start_predis, start_redis

@pytest.fixture
def admin(pair):
    clients = [RawClient(server.port) for server in pair]
    yield clients
    for client in clients:
        for name in client.call("ACL", "USERS"):
            if name != b"default":
                client.call("ACL", "DELUSER", name)
        client.call("ACL", "LOG", "RESET")
        client.call("FLUSHALL")
        client.close()


def both(clients, *args, user="default"):
    expected = as_72_noperm(as_72_reply(args, clients[0].call(*args)), user)
    actual = clients[1].call(*args)
    assert actual == expected, f"{args!r}: redis={expected!r} predis={actual!r}"
    return actual


def test_a_refused_exec_ends_the_transaction(admin, pair):
    """Redis answers an EXEC it refuses (here by ACL) with EXECABORT and leaves MULTI."""
    both(admin, "ACL", "SETUSER", "noexec", "on", ">p", "+@all", "-exec", "~*")
    clients = login(pair, "noexec", "p")
    replies = [both(clients, *args, user="noexec") for args in (
        ("MULTI",), ("SET", "a", "1"), ("EXEC",), ("EXEC",), ("DISCARD",), ("GET", "a"))]
    assert replies[2] == Err("EXECABORT Transaction discarded because of: NOPERM User noexec "
                             "has no permissions to run the 'exec' command")
    assert replies[4] == Err("ERR DISCARD without MULTI") and replies[5] is None


def login(pair, user, password):
    clients = [RawClient(server.port) for server in pair]
    for client in clients:
        assert client.call("AUTH", user, password) == b"OK"
    return clients


def test_setuser_getuser_list_and_errors(admin):
    both(admin, "ACL", "SETUSER", "bob")
    both(admin, "ACL", "GETUSER", "bob")
    both(admin, "ACL", "SETUSER", "bob", "on", ">pw", "#" + "a" * 64, "~app:*", "%R~ro:*",
         "&news", "+@hash", "-hdel")
    both(admin, "ACL", "GETUSER", "bob")
    both(admin, "ACL", "LIST")
    both(admin, "ACL", "USERS")
    both(admin, "ACL", "SETUSER", "bob", "<pw", "nopass", "allkeys", "allchannels", "+@all")
    both(admin, "ACL", "GETUSER", "bob")
    both(admin, "ACL", "SETUSER", "bob", "reset")
    both(admin, "ACL", "GETUSER", "bob")
    for bad in (["+@bogus"], ["bogus"], ["+nosuchcommand"], ["#tooshort"], ["<notthere"],
                ["%X~a"], ["(~x"], ["on", "+get", "junk"]):
        both(admin, "ACL", "SETUSER", "bob", *bad)
    both(admin, "ACL", "GETUSER", "bob")  # a failed SETUSER changes nothing
    both(admin, "ACL", "GETUSER", "nobody")
    both(admin, "ACL", "DELUSER", "default")
    both(admin, "ACL", "DELUSER", "bob", "nobody")
    both(admin, "ACL", "WHOAMI")
    both(admin, "ACL", "CAT")
    both(admin, "ACL", "CAT", "nosuchcategory")
    both(admin, "ACL", "SETUSER")
    assert len(admin[1].call("ACL", "GENPASS")) == 64
    assert len(admin[1].call("ACL", "GENPASS", "10")) == 3
    both(admin, "ACL", "GENPASS", "0")


def test_users_start_with_sanitize_payload_as_in_redis_72(admin):
    """Redis 7.2 creates every user, the default one included, with sanitize-payload (7.0,
    the reference here, only set it on `reset`: the other tests map its replies)."""
    predis = admin[1]
    assert b"user default on nopass sanitize-payload ~* &* +@all" in predis.call("ACL", "LIST")
    predis.call("ACL", "SETUSER", "fresh")
    assert predis.call("ACL", "GETUSER", "fresh")[:2] == [b"flags", [b"off", b"sanitize-payload"]]
    assert b"user fresh off sanitize-payload resetchannels -@all" in predis.call("ACL", "LIST")
    predis.call("ACL", "SETUSER", "fresh", "skip-sanitize-payload")
    assert predis.call("ACL", "GETUSER", "fresh")[1] == [b"off", b"skip-sanitize-payload"]
    predis.call("ACL", "SETUSER", "fresh", "reset")
    assert predis.call("ACL", "GETUSER", "fresh")[1] == [b"off", b"sanitize-payload"]


def test_permissions_on_commands_keys_and_channels(pair, admin):
    both(admin, "ACL", "SETUSER", "bob", "on", ">pw", "~app:*", "%R~ro:*", "&news", "+@hash",
         "-hdel", "+get", "+set", "+publish", "+subscribe", "+multi", "+exec", "+eval")
    bob = login(pair, "bob", "pw")
    for args in (["GET", "app:1"], ["GET", "other"], ["SET", "app:1", "v"], ["SET", "ro:1", "v"],
                 ["HSET", "app:h", "f", "v"], ["HGET", "ro:h", "f"], ["HSET", "ro:h", "f", "v"],
                 ["HDEL", "app:h", "f"], ["DEL", "app:1"], ["PUBLISH", "news", "x"],
                 ["PUBLISH", "sports", "x"], ["ACL", "WHOAMI"],
                 ["EVAL", "return redis.call('get', KEYS[1])", "1", "app:1"],
                 ["EVAL", "return redis.call('get', KEYS[1])", "1", "other"]):
        both(bob, *args, user="bob")
    both(bob, "MULTI")
    both(bob, "SET", "app:2", "x", user="bob")
    both(bob, "SET", "nope", "x", user="bob")
    both(bob, "EXEC", user="bob")
    both(bob, "SUBSCRIBE", "sports", user="bob")
    both(admin, "ACL", "DRYRUN", "bob", "GET", "other")
    both(admin, "ACL", "DRYRUN", "bob", "GET", "app:1")
    both(admin, "ACL", "DRYRUN", "bob", "DEL", "app:1")
    both(admin, "ACL", "DRYRUN", "bob", "HSET", "ro:h", "f", "v")
    both(admin, "ACL", "DRYRUN", "nobody", "GET", "x")
    both(admin, "ACL", "DRYRUN", "bob", "OBJECT", "NOSUCH", "x")  # (lookupCommand: not found)
    both(admin, "ACL", "DRYRUN", "bob", "NOSUCHCOMMAND", "x")
    both(admin, "ACL", "DRYRUN", "bob", "SET", "x")
    for client in bob:
        client.close()


def test_sort_by_and_get_patterns_need_access_to_every_key(pair, admin):
    both(admin, "RPUSH", "app:list", "2", "1", "3")
    both(admin, "SET", "app:w_1", "30")
    both(admin, "ACL", "SETUSER", "kim", "on", ">pw", "~app:*", "+@all")
    both(admin, "ACL", "SETUSER", "max", "on", ">pw", "allkeys", "+sort", "+sort_ro")
    both(admin, "ACL", "SETUSER", "sel", "on", ">pw", "~app:*", "+sort", "(~* +sort_ro)")
    kim, max_, sel = (login(pair, name, "pw") for name in ("kim", "max", "sel"))
    for args in (["SORT", "app:list"], ["SORT", "app:list", "BY", "app:w_*"],
                 ["SORT", "app:list", "BY", "nosort"], ["SORT", "app:list", "GET", "#"],
                 ["SORT", "app:list", "GET", "app:w_*"], ["SORT_RO", "app:list", "BY", "x_*"],
                 ["SORT", "app:list", "BY", "app:w_*", "GET", "#", "STORE", "app:out"]):
        both(kim, *args, user="kim")
        both(max_, *args, user="max")
    both(sel, "SORT", "app:list", "BY", "app:w_*", user="sel")  # root: keys restricted
    both(sel, "SORT_RO", "app:list", "GET", "#", user="sel")  # the selector has every key
    # Redis's unit/acl-v2 "Test sort with ACL permissions": reading every key is what counts
    for rules in (["~app:list", "~app:w_*"], ["~app:list", "%W~*"], ["~app:list", "%R~*"],
                  ["%R~*"], ["~app:*", "%R~*"]):
        both(admin, "ACL", "SETUSER", "sortacl", "reset", "on", "nopass",
             "(+sort " + " ".join(rules) + ")")
        clients = login(pair, "sortacl", "x")
        for args in (["SORT", "app:list", "BY", "app:w_*"], ["SORT", "app:list", "GET", "#"],
                     ["SORT", "app:list", "GET", "#", "STORE", "app:out"]):
            both(clients, *args, user="sortacl")
        for client in clients:
            client.close()
    for client in (*kim, *max_, *sel):
        client.close()


def test_acl_log_records_refusals(pair, admin):
    both(admin, "ACL", "SETUSER", "eve", "on", ">pw", "~mine", "+get")
    eve = login(pair, "eve", "pw")
    both(eve, "GET", "theirs", user="eve")
    both(eve, "GET", "theirs", user="eve")
    both(eve, "SET", "mine", "x", user="eve")
    for client in admin:
        client.call("AUTH", "eve", "wrong")
    logs = [dict(zip(entry[::2], entry[1::2])) for entry in admin[1].call("ACL", "LOG")]
    reference = [dict(zip(entry[::2], entry[1::2])) for entry in admin[0].call("ACL", "LOG")]
    fields = (b"count", b"reason", b"context", b"object", b"username")
    assert [[log[f] for f in fields] for log in logs] == \
        [[log[f] for f in fields] for log in reference]
    assert len(admin[1].call("ACL", "LOG", "1")) == 1
    both(admin, "ACL", "LOG", "RESET")
    both(admin, "ACL", "LOG")
    for client in eve:
        client.close()


def test_authentication(pair, admin):
    both(admin, "AUTH", "nopass-default")
    both(admin, "ACL", "SETUSER", "carol", ">secret")  # off: cannot log in yet
    both(admin, "AUTH", "carol", "secret")
    both(admin, "ACL", "SETUSER", "carol", "on")
    both(admin, "AUTH", "carol", "wrong")
    both(admin, "AUTH", "carol", "secret")
    both(admin, "ACL", "WHOAMI", user="carol")
    both(admin, "ACL", "SETUSER", "carol", "-@all", user="carol")
    both(admin, "GET", "x", user="carol")
    both(admin, "ACL", "WHOAMI", user="carol")
    both(admin, "AUTH", "default", "anything")
    both(admin, "ACL", "WHOAMI")


def test_deluser_disconnects_and_default_user_rules(pair, admin):
    both(admin, "ACL", "SETUSER", "dan", "on", "nopass", "+@all", "~*")
    dan = login(pair, "dan", "x")
    both(admin, "ACL", "DELUSER", "dan")
    time.sleep(0.2)
    for client in dan:
        with pytest.raises((ConnectionError, OSError)):
            client.call("PING")
            client.call("PING")
    both(admin, "ACL", "SETUSER", "default", "-flushall")
    both(admin, "FLUSHALL")
    both(admin, "ACL", "SETUSER", "default", "+@all")


def started_with_aclfile(tmp_path, text: str) -> list:
    """A redis-server and a Predis, each in its own folder with `text` as its users.acl."""
    servers = []
    for start in (start_redis, start_predis):
        folder = tmp_path / start.__name__
        folder.mkdir()
        (folder / "users.acl").write_text(text)
        servers.append(start(("--dir", str(folder), "--aclfile", str(folder / "users.acl"))))
    return servers


def test_aclfile_save_and_load(tmp_path):
    servers = started_with_aclfile(tmp_path, "user default on nopass ~* &* +@all\n"
                                             "user ann on >pw ~ann:* +@read\n")
    try:
        clients = [RawClient(server.port) for server in servers]
        both(clients, "ACL", "LIST")
        both(clients, "ACL", "SETUSER", "ben", "on", "nopass", "~b*", "+@all")
        both(clients, "ACL", "SAVE")
        saved = [(tmp_path / start.__name__ / "users.acl").read_text()
                 for start in (start_redis, start_predis)]
        assert saved[1].encode().split(b"\n") == as_72_user(saved[0].encode().split(b"\n"))
        both(clients, "ACL", "DELUSER", "ben")
        both(clients, "ACL", "LOAD")
        both(clients, "ACL", "USERS")
        for client in clients:
            client.close()
    finally:
        for server in servers:
            server.stop()



@pytest.mark.parametrize("duplicate", ["alice", "default"])
def test_an_aclfile_naming_a_user_twice_is_refused(tmp_path, duplicate):
    """ACL LOAD of a file that names a user twice: Redis's error, nothing changed."""
    servers = started_with_aclfile(tmp_path, "user alice on >alice ~* &* +@all\n"
                                             "user default on nopass ~* &* +@all\n")
    try:
        clients = [RawClient(server.port) for server in servers]
        for start in (start_redis, start_predis):
            with open(tmp_path / start.__name__ / "users.acl", "a") as handle:
                handle.write(f"user {duplicate} on nopass ~* -@all\n")
        both(clients, "ACL", "LOAD")
        both(clients, "ACL", "LIST")
    finally:
        for server in servers:
            server.stop()


def test_a_user_declared_twice_stops_the_start():
    outputs = []
    for argv in (["redis-server"], [sys.executable, "-m", "predis"]):
        done = subprocess.run(argv + ["--port", str(free_port()), "--user", "foo", "--user",
                                      "foo"],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        assert done.returncode == 1
        outputs.append(done.stdout + done.stderr)
    for output in outputs:
        assert "Error in user declaration 'foo': Duplicate user found. A user can only be " \
               "defined once in config files" in output


@pytest.mark.parametrize("rules", [["on", "nopass", "~*", "+@all"],
                                   ["on", "nopass", "~*", "&*", "+@all"]])
def test_a_declared_default_user_starts_from_reset(rules):
    """`user default ...` in the configuration resets the default user before its rules, as
    for a new user: without `&*` it has no channel (Redis's unit/acl "default: load from config
    file, without channel permission default user can't access any channels")."""
    servers = [start(("--user", "default", *rules)) for start in (start_redis, start_predis)]
    try:
        clients = [RawClient(server.port) for server in servers]
        both(clients, "ACL", "GETUSER", "default")
        both(clients, "ACL", "LIST")
        both(clients, "PUBLISH", "foo", "x")
        both(clients, "SUBSCRIBE", "foo")
    finally:
        for server in servers:
            server.stop()


def test_acl_without_aclfile(admin):
    both(admin, "ACL", "SAVE")
    both(admin, "ACL", "LOAD")


def test_tenants_cannot_reach_each_others_keys(tmp_path):
    """Predis-only (acl-tenant-isolation): two tenants on one server, each an ACL user with a key
    prefix and its own keyspace-notification channels. Neither can read, write, list, scan,
    pick at random or watch the other's keys."""
    import redis

    server = start_predis(("--acl-tenant-isolation", "yes", "--notify-keyspace-events", "KEA"))
    try:
        admin = redis.Redis(port=server.port)
        for tenant in ("t1", "t2"):
            admin.acl_setuser(tenant, enabled=True, passwords=[f"+{tenant}-pw"],
                              keys=[f"{tenant}:*"], channels=[f"__keyspace@0__:{tenant}:*"],
                              commands=["+@all", "-@dangerous", "+keys"])
        t1 = redis.Redis(port=server.port, username="t1", password="t1-pw")
        t2 = redis.Redis(port=server.port, username="t2", password="t2-pw")
        t1.set("t1:a", "1")
        t2.set("t2:b", "2")
        assert sorted(admin.keys("*")) == [b"t1:a", b"t2:b"]  # the admin sees everything
        assert t1.keys("*") == [b"t1:a"] and list(t1.scan_iter()) == [b"t1:a"]
        assert [t1.randomkey() for _ in range(20)] == [b"t1:a"] * 20
        for attempt in (lambda: t1.get("t2:b"), lambda: t1.set("t2:b", "x"),
                        lambda: t1.delete("t2:b"), lambda: t1.rename("t2:b", "t1:stolen"),
                        lambda: t1.copy("t2:b", "t1:copy"), lambda: t1.expire("t2:b", 1)):
            with pytest.raises(redis.exceptions.NoPermissionError):
                attempt()
        pubsub = t1.pubsub()
        with pytest.raises(redis.exceptions.NoPermissionError):
            pubsub.subscribe("__keyspace@0__:t2:b")
            pubsub.get_message(timeout=1)
        events = t1.pubsub()
        with pytest.raises(redis.exceptions.NoPermissionError):
            events.psubscribe("__keyevent@0__:*")  # events carry other tenants' key names
            events.get_message(timeout=1)
        assert admin.get("t2:b") == b"2"
    finally:
        server.stop()


def test_pipelined_runs_are_checked_like_single_commands(pair, admin):
    """Runs of plain SETs/GETs take a faster path than one command at a time; a restricted
    user's run must still be refused key by key, as Redis does."""
    both(admin, "ACL", "SETUSER", "ro", "on", ">pw", "%R~*", "~app:*", "+@all")
    ro = login(pair, "ro", "pw")
    batch = b"".join(encode_command(*args) for args in (
        ["SET", "x:1", "v"], ["SET", "x:2", "v"], ["SET", "app:1", "v"], ["SET", "app:2", "v"],
        ["GET", "x:1"], ["GET", "app:1"], ["GET", "app:2"]))
    replies = []
    for client in ro:
        client.send_raw(batch)
        replies.append([client.read_reply() for _ in range(7)])
    assert replies[1] == as_72_noperm(replies[0], "ro")
    assert replies[1][:2] == [Err("NOPERM No permissions to access a key")] * 2
    both(admin, "DBSIZE")
    for client in ro:
        client.close()


# Commands with every kind of key access, for ACL DRYRUN by a read-only and a write-only user
DRYRUN_COMMANDS = [
    ["GET", "a"], ["SET", "a", "v"], ["SET", "a", "v", "GET"], ["SETBIT", "a", "1", "1"],
    ["GETBIT", "a", "1"], ["MOVE", "a", "1"], ["SMISMEMBER", "s", "m"], ["SISMEMBER", "s", "m"],
    ["EXISTS", "a"], ["TYPE", "a"], ["STRLEN", "a"], ["INCR", "a"], ["APPEND", "a", "v"],
    ["GETDEL", "a"], ["GETEX", "a"], ["GETRANGE", "a", "0", "1"], ["SETRANGE", "a", "0", "v"],
    ["LPUSH", "l", "v"], ["LPOP", "l"], ["LRANGE", "l", "0", "-1"], ["LINDEX", "l", "0"],
    ["LSET", "l", "0", "v"], ["LMOVE", "l", "m", "LEFT", "RIGHT"], ["RPOPLPUSH", "l", "m"],
    ["LMPOP", "2", "l", "m", "LEFT"], ["BLPOP", "l", "0"], ["SMOVE", "s", "t", "m"],
    ["COPY", "a", "b"], ["RENAME", "a", "b"], ["SINTERSTORE", "d", "s", "t"],
    ["SUNION", "s", "t"], ["SINTERCARD", "2", "s", "t"], ["SPOP", "s"], ["SRANDMEMBER", "s"],
    ["ZUNIONSTORE", "d", "2", "z", "y"], ["ZRANGESTORE", "d", "z", "0", "-1"],
    ["ZADD", "z", "1", "m"], ["ZSCORE", "z", "m"], ["ZPOPMIN", "z"], ["ZINCRBY", "z", "1", "m"],
    ["ZCARD", "z"], ["SORT", "l"], ["SORT", "l", "STORE", "d"], ["HSET", "h", "f", "v"],
    ["HGET", "h", "f"], ["HEXISTS", "h", "f"], ["HINCRBY", "h", "f", "1"], ["HLEN", "h"],
    ["XADD", "x", "*", "f", "v"], ["XREAD", "STREAMS", "x", "0"], ["XLEN", "x"],
    ["PFADD", "p", "e"], ["PFCOUNT", "p"], ["PFMERGE", "d", "p", "q"],
    ["BITOP", "AND", "d", "a", "b"], ["DEL", "a"], ["UNLINK", "a"], ["EXPIRE", "a", "10"],
    ["TTL", "a"], ["PERSIST", "a"], ["DUMP", "a"], ["TOUCH", "a"], ["OBJECT", "ENCODING", "a"],
    ["MEMORY", "USAGE", "a"], ["EVAL", "return 1", "1", "a"], ["EVAL_RO", "return 1", "1", "a"],
    ["ZINTER", "2", "z", "y"], ["ZDIFF", "2", "z", "y"], ["ZINTERCARD", "2", "z", "y"],
    ["ZINTERSTORE", "d", "2", "z", "y"], ["ZDIFFSTORE", "d", "2", "z", "y"],
    ["SDIFFSTORE", "d", "s", "t"], ["SUNIONSTORE", "d", "s", "t"], ["BRPOPLPUSH", "l", "m", "0"],
    ["BLMOVE", "l", "m", "LEFT", "LEFT", "0"], ["ZMPOP", "1", "z", "MIN"],
    ["BZMPOP", "0", "1", "z", "MIN"], ["BLMPOP", "0", "1", "l", "LEFT"], ["RENAMENX", "a", "b"],
    ["SORT_RO", "l"], ["HDEL", "h", "f"], ["HGETALL", "h"], ["LLEN", "l"], ["SCARD", "s"],
    ["ZREM", "z", "m"], ["XDEL", "x", "1-1"], ["XTRIM", "x", "MAXLEN", "1"],
    ["XACK", "x", "g", "1-1"], ["XGROUP", "CREATE", "x", "g", "$"], ["XINFO", "STREAM", "x"],
    ["XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">"], ["INCRBYFLOAT", "a", "1"],
    ["MSET", "a", "1", "b", "2"], ["MGET", "a", "b"], ["MSETNX", "a", "1"], ["GETSET", "a", "v"],
    ["SETNX", "a", "v"], ["SETEX", "a", "10", "v"], ["LPUSHX", "l", "v"], ["LTRIM", "l", "0", "1"],
    ["LINSERT", "l", "BEFORE", "p", "v"], ["LPOS", "l", "v"], ["SADD", "s", "m"],
    ["SMEMBERS", "s"], ["SSCAN", "s", "0"], ["HSCAN", "h", "0"], ["ZSCAN", "z", "0"],
    ["ZRANGE", "z", "0", "-1"], ["ZRANGEBYSCORE", "z", "0", "1"], ["ZREVRANK", "z", "m"],
    ["EXPIRETIME", "a"], ["PEXPIRE", "a", "10"], ["BITCOUNT", "a"], ["BITPOS", "a", "1"],
    ["BITFIELD", "a", "GET", "u8", "0"], ["BITFIELD", "a", "SET", "u8", "0", "1"],
    ["BITFIELD", "a", "INCRBY", "u8", "0", "1"], ["BITFIELD_RO", "a", "GET", "u8", "0"],
    ["LCS", "a", "b"], ["OBJECT", "FREQ", "a"], ["HRANDFIELD", "h"], ["ZRANDMEMBER", "z"],
]


@pytest.mark.parametrize("user, rule", [("reader", "%R~*"), ("writer", "%W~*")])
def test_key_access_of_every_kind_matches_redis(pair, admin, user, rule):
    both(admin, "ACL", "SETUSER", user, "on", "nopass", rule, "+@all")
    for args in DRYRUN_COMMANDS:
        both(admin, "ACL", "DRYRUN", user, *args, user=user)


def test_a_container_commands_rule_covers_its_subcommands(admin, pair):
    """`+acl` allows every ACL subcommand (Redis's unit/acl "Enabling the user allows the
    login"), `-client` takes them all away again, `+client|id` one of them."""
    both(admin, "ACL", "SETUSER", "sub", "on", ">p", "+config", "-config|set", "+acl",
         "+client", "-client", "+client|id", "~*")
    clients = login(pair, "sub", "p")
    for args in (("ACL", "WHOAMI"), ("ACL", "USERS"), ("CONFIG", "GET", "maxmemory"),
                 ("CONFIG", "SET", "maxmemory", "0"), ("CLIENT", "ID"), ("CLIENT", "GETNAME"),
                 ("CLIENT", "SETNAME", "x")):
        expected, actual = (as_72_noperm(as_72(clients[0].call(*args)), "sub"),
                            clients[1].call(*args))
        if args == ("CLIENT", "ID"):
            assert type(actual) is type(expected) is int
        else:
            assert actual == expected, f"{args!r}: redis={expected!r} predis={actual!r}"
    # (the rules as 7.2 keeps them: a later rule for a command replaces the earlier one)
    assert admin[1].call("ACL", "GETUSER", "sub")[5] == \
        b"-@all +config -config|set +acl -client +client|id"
    admin[1].call("ACL", "SETUSER", "sub", "+config")  # drops -config|set with the old +config
    assert admin[1].call("ACL", "GETUSER", "sub")[5] == b"-@all +acl -client +client|id +config"


def test_shard_channels_are_checked_as_channels_not_keys(admin, pair):
    """SPUBLISH/SSUBSCRIBE name their channel where a key would be (a not_key key spec, for
    cluster slots): ACL checks it against the channel rules only (Redis's unit/acl)."""
    both(admin, "ACL", "SETUSER", "shard", "on", ">p", "resetkeys", "resetchannels", "&foo:1",
         "&bar:*", "+spublish", "+ssubscribe", "+publish")
    clients = login(pair, "shard", "p")
    for args in (("SPUBLISH", "foo:1", "m"), ("SPUBLISH", "bar:2", "m"),
                 ("SPUBLISH", "zap:3", "m"), ("PUBLISH", "zap:3", "m"),
                 ("SSUBSCRIBE", "zap:3")):
        both(clients, *args, user="shard")
    both(clients, "SSUBSCRIBE", "foo:1", user="shard")


def test_first_argument_rules_for_commands_without_subcommands(admin, pair):
    """`+select|0`, `+debug|object` (deprecated in Redis, still honoured; Redis's unit/acl):
    the command runs only with that first argument; a rule for the whole command ends them."""
    both(admin, "ACL", "SETUSER", "fa", "on", ">p", "-@all", "+incr", "+select|0", "+select|2",
         "+debug|object", "+acl", "~*")
    # (7.0 orders the rules its own way; 7.2 keeps the order given)
    assert admin[1].call("ACL", "GETUSER", "fa")[5] == \
        b"-@all +incr +select|0 +select|2 +debug|object +acl"
    for rule in ("-select|0", "+select|", "+nosuch|x", "+config|nosuch", "+config|get|x",
                 "-config|get|x"):
        both(admin, "ACL", "SETUSER", "fa", rule)
    clients = login(pair, "fa", "p")
    for args in (("SELECT", "0"), ("SELECT", "1"), ("SELECT", "2"), ("INCR", "fa_key"),
                 ("DEBUG", "OBJECT", "fa_key"), ("DEBUG", "SLEEP", "0"),
                 ("ACL", "DRYRUN", "fa", "SELECT", "2"), ("ACL", "DRYRUN", "fa", "SELECT", "3")):
        expected, actual = (as_72_noperm(as_72(clients[0].call(*args)), "fa"),
                            clients[1].call(*args))
        if args[0] == "DEBUG" and args[1] == "OBJECT":  # (addresses and sizes differ)
            assert type(actual) is type(expected) is bytes
        else:
            assert actual == expected, f"{args!r}: redis={expected!r} predis={actual!r}"
    both(admin, "ACL", "SETUSER", "fa", "+select")
    assert admin[1].call("ACL", "GETUSER", "fa")[5] == \
        b"-@all +incr +debug|object +acl +select"
    both(admin, "ACL", "SETUSER", "fa", "-select", "+select|5")
    assert admin[1].call("ACL", "GETUSER", "fa")[5] == \
        b"-@all +incr +debug|object +acl -select +select|5"
    both(clients, "SELECT", "0", user="fa")
    both(clients, "SELECT", "5", user="fa")


def test_deleting_the_callers_own_user_answers_then_closes(admin, pair):
    """ACL DELUSER of the user the caller is logged in as: the reply comes, then the
    connection closes (Redis's unit/acl); other clients of that user are closed at once."""
    both(admin, "ACL", "SETUSER", "using", "on", "+acl", "+ping", ">p")
    callers, others = login(pair, "using", "p"), login(pair, "using", "p")
    both(callers, "ACL", "DELUSER", "using", user="using")
    for client in (*callers, *others):
        client.sock.settimeout(5)
        assert client.read_all_until_close() == b""


def test_rules_after_all_commands_keep_it_in_the_description(admin, pair):
    """`+@all -@dangerous` is described (ACL GETUSER, LIST, SAVE) from +@all, not -@all: the
    description is what ACL SAVE writes, and -@all read back would allow nothing."""
    for rules in (["+@all", "-@dangerous"], ["+@all", "-flushall"], ["allcommands", "-@all",
                  "+get"], ["+@all", "-client", "+client|id"], ["+@all", "-@keyspace"]):
        both(admin, "ACL", "SETUSER", "desc", "reset", "on", ">p", "~*", *rules)
        described = admin[1].call("ACL", "GETUSER", "desc")[5]
        assert described.split()[0] == (b"-@all" if "-@all" in rules else b"+@all"), described
        clients = login(pair, "desc", "p")
        for args in (("GET", "k"), ("FLUSHALL",), ("CLIENT", "ID"), ("DEBUG", "SLEEP", "0"),
                     ("DEL", "k")):
            reply = [as_72_noperm(as_72(clients[0].call(*args)), "desc"),
                     clients[1].call(*args)]
            if args[0] == "CLIENT" and type(reply[0]) is int:
                assert type(reply[1]) is int
            else:
                assert reply[1] == reply[0], (rules, args, reply)
    both(admin, "ACL", "SETUSER", "a a")
    both(admin, "ACL", "SETUSER", "a\0a")


@pytest.mark.parametrize("subscribe,kept,revoked", [
    (("SUBSCRIBE", "foo:1"), ["&foo:*"], ["resetchannels", "&bar"]),
    (("SSUBSCRIBE", "foo:1"), ["&foo:1"], ["resetchannels"]),
    (("PSUBSCRIBE", "foo:*"), ["&foo:*"], ["resetchannels", "&foo:1"]),
    (("SUBSCRIBE", "foo:1"), ["allchannels"], ["resetchannels"])])
def test_subscribers_are_closed_when_their_channels_are_revoked(admin, pair, subscribe, kept,
                                                                revoked):
    """ACL SETUSER that takes a subscribed channel (or pattern) away from a user closes its
    subscribed clients; one that keeps it leaves them (Redis's unit/acl)."""
    both(admin, "ACL", "SETUSER", "psuser", "on", ">p", "+@all", "resetchannels", "&foo:1",
         "&foo:*")
    subscribers = login(pair, "psuser", "p")
    for client in subscribers:
        client.call("CLIENT", "SETNAME", "deathrow")
        client.call(*subscribe)
    named = lambda client: b"name=deathrow " in client.call("CLIENT", "LIST")  # noqa: E731
    both(admin, "ACL", "SETUSER", "psuser", "resetchannels", *kept)
    assert [named(client) for client in admin] == [True, True]
    both(admin, "ACL", "SETUSER", "psuser", *revoked)
    assert [named(client) for client in admin] == [False, False]


def test_rules_changed_between_queueing_and_exec(admin, pair):
    """A command queued in MULTI that the user's rules no longer allow at EXEC gets Redis's
    EXEC-time NOPERM, and ACL LOG records it in the multi context (unit/acl)."""
    both(admin, "ACL", "SETUSER", "antirez", "on", ">foo", "~*", "+incr", "+multi", "+exec")
    clients = login(pair, "antirez", "foo")
    for client in clients:
        client.call("MULTI")
        client.call("INCR", "object:1234")
    both(admin, "ACL", "SETUSER", "antirez", "-incr")
    both(clients, "EXEC", user="antirez")
    logs = [dict(zip(entry[::2], entry[1::2])) for entry in
            (client.call("ACL", "LOG", "1")[0] for client in admin)]
    for log in logs:
        assert (log[b"context"], log[b"object"], log[b"reason"]) == (b"multi", b"incr",
                                                                      b"command")


def test_acl_log_shows_the_refused_command_as_the_clients_command(admin, pair):
    """ACL LOG's client-info is the client's CLIENT LIST line while its refused command is
    the current one: cmd= names it and argv-mem counts its arguments (unit/acl); for a failed
    AUTH and a script's refused call, AUTH's and EVAL's."""
    both(admin, "ACL", "SETUSER", "logged", "on", ">foo", "+set", "+auth", "+eval", "~object:*")
    clients = login(pair, "logged", "foo")
    for args in (("GET", "foo"), ("SET", "other", "1"), ("AUTH", "logged", "wrong"),
                 ("EVAL", "return redis.pcall('get', 'x')", "0")):
        for client in clients:  # (7.0 words the script's refusal otherwise: not compared)
            client.call(*args)
        infos = [dict(zip(entry[::2], entry[1::2]))[b"client-info"] for entry in
                 (client.call("ACL", "LOG", "1")[0] for client in admin)]
        fields = [[field for field in info.split() if field.split(b"=")[0] in (
            b"cmd", b"argv-mem", b"qbuf", b"multi", b"flags")] for info in infos]
        assert fields[1] == fields[0], args
    for client in clients:
        client.close()


def test_a_repeated_refusal_moves_its_log_entry_first_with_the_new_client(admin, pair):
    """ACL LOG merges a refusal into an equal entry among the latest ten: its count grows, it
    moves first, and it takes the refused client's line and time (its age restarts)."""
    both(admin, "ACL", "LOG", "RESET")
    both(admin, "ACL", "SETUSER", "merged", "on", ">foo", "+set", "+client|setname",
         "~object:*")
    clients = login(pair, "merged", "foo")
    for name, args in (("first", ("GET", "a")), ("first", ("DEL", "b")),
                       ("second", ("GET", "a"))):
        for client in clients:
            client.call("CLIENT", "SETNAME", name)
            client.call(*args)
    logs = []
    for client in admin:
        entries = [dict(zip(entry[::2], entry[1::2])) for entry in client.call("ACL", "LOG")]
        logs.append([(entry[b"object"], entry[b"count"], b"name=second " in entry[
            b"client-info"], float(entry[b"age-seconds"]) < 1) for entry in entries])
    assert logs[1] == logs[0], logs
    assert logs[0] == [(b"get", 2, True, True), (b"del", 1, False, True)]
    for client in clients:
        client.close()


def test_a_blocked_command_is_checked_again_when_woken(servers):
    """Redis 7.2 runs a woken blocked command through its checks again (unit/acl "blocked
    command gets rejected when reprocessed after permission change"; 7.0, the reference here,
    served it): rules changed while it waited end it with NOPERM, a rejected call, and the
    value stays."""
    admin, waiter = RawClient(servers[1].port), RawClient(servers[1].port)
    admin.call("CONFIG", "RESETSTAT")
    admin.call("ACL", "SETUSER", "blocked", "reset", "on", "nopass", "+@all", "allkeys")
    waiter.call("AUTH", "blocked", "x")
    waiter.send_raw(b"BLPOP reprocessed 0\r\n")
    assert eventually(lambda: b"blocked_clients:1" in admin.call("INFO", "clients"), 5)
    admin.call("ACL", "SETUSER", "blocked", "resetkeys")
    admin.call("LPUSH", "reprocessed", "foo")
    assert waiter.read_reply() == Err("NOPERM No permissions to access a key")
    assert waiter.call("PING") == b"PONG"
    stats = admin.call("INFO", "commandstats").decode()
    assert "cmdstat_blpop:calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0" \
        in stats
    assert admin.call("LRANGE", "reprocessed", "0", "-1") == [b"foo"]
    admin.call("DEL", "reprocessed")
    admin.call("ACL", "DELUSER", "blocked")
    for client in (admin, waiter):
        client.close()


def test_patterns_after_every_key_or_channel_and_migrate_key_access(admin):
    """A key or channel pattern after allkeys / allchannels is refused (also inside a
    selector); MIGRATE reads and writes the keys it moves (Redis's unit/acl-v2)."""
    for rules in (["allkeys", "~foo"], ["~*", "%R~foo"], ["allchannels", "&foo"],
                  ["(~* %W~x)"], ["(&* &x)"], ["allkeys", "~*"], ["resetkeys", "~foo"]):
        both(admin, "ACL", "SETUSER", "patterns", "reset", *rules)
    both(admin, "ACL", "SETUSER", "mig", "+@all", "%R~read*", "%W~write*", "%RW~rw*")
    for keys in (["rw", "0", "500"], ["read", "0", "500"], ["write", "0", "500"],
                 ["", "0", "500", "KEYS", "rw", "write"], ["", "0", "500", "AUTH", "KEYS",
                                                            "KEYS", "read"]):
        both(admin, "ACL", "DRYRUN", "mig", "MIGRATE", "host", "1", *keys)


def test_reset_starts_with_every_channel_when_that_is_the_default(pair):
    """acl-pubsub-default allchannels: `reset` (and a new selector) start with every channel,
    as a new user does (Redis's unit/acl)."""
    outcomes = []
    for server in pair:
        client = RawClient(server.port)
        client.call("CONFIG", "SET", "acl-pubsub-default", "allchannels")
        try:
            client.call("ACL", "SETUSER", "pubdef", "reset", "on", "nopass", "~*", "+@all",
                        "(+get ~k)")
            outcomes.append(client.call("ACL", "GETUSER", "pubdef")[8:])
        finally:
            client.call("ACL", "DELUSER", "pubdef")
            client.call("CONFIG", "SET", "acl-pubsub-default", "resetchannels")
    assert outcomes[1] == outcomes[0]
    assert outcomes[0][:2] == [b"channels", b"&*"]


def test_a_subscriber_that_revokes_its_own_channel_gets_its_reply_then_goes(servers):
    """ACL SETUSER run by the subscriber itself: it gets +OK, then its connection closes
    (Redis's later unit/acl.tcl; the 7.0 reference here closes it before the reply)."""
    admin = RawClient(servers[1].port)
    admin.call("ACL", "SETUSER", "psuser", "on", ">pspass", "+@all", "~*", "resetchannels",
               "&foo:1")
    subscriber = RawClient(servers[1].port)
    subscriber.call("HELLO", "3", "AUTH", "psuser", "pspass")
    subscriber.call("CLIENT", "SETNAME", "deathrow")
    assert subscriber.call("SUBSCRIBE", "foo:1") == [b"subscribe", b"foo:1", 1]
    assert subscriber.call("ACL", "SETUSER", "psuser", "resetchannels") == b"OK"
    assert subscriber.sock.recv(1) == b""  # closed (a timeout here raises)
    assert b"deathrow" not in admin.call("CLIENT", "LIST")
    admin.call("ACL", "DELUSER", "psuser")
    admin.close()


def test_key_permission_and_pattern_rules_are_read_as_acl_setselector_reads_them(admin):
    """`%` rules: R and W each once, in any case, the `~` optional (an empty pattern); the
    allkeys check before the rule is read; whitespace or NUL in a key or channel pattern is a
    syntax error (found by a random ACL SETUSER sweep)."""
    for rules in (["%R"], ["%rw"], ["%RR~x"], ["%WRW~x"], ["%~x"], ["%R~"], ["%X~y"],
                  ["allkeys", "%X~y"], ["allkeys", "%R~x"], ["~a b"], ["&a b"], ["~a\tb"],
                  ["%R~a\nb"], ["&a\x00b"], ["%wR~k*", "~k*"], ["resetkeys", "%W~w", "%R~w"]):
        both(admin, "ACL", "SETUSER", "pat", "reset", *rules)
        both(admin, "ACL", "GETUSER", "pat")
