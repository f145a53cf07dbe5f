"""CLIENT TRACKING (client-side caching) against redis-server: invalidation pushes in RESP3,
redirection to a RESP2 pub/sub client, BCAST prefixes, OPTIN/OPTOUT with CLIENT CACHING,
NOLOOP, flushes, TRACKINGINFO/GETREDIR and the errors."""

import time

import redis

from .rawclient import Err, RawClient
from .servers import start_predis, start_redis

import pytest


@pytest.fixture(scope="module")
def pair():
    servers = [start_redis(), start_predis()]
    yield servers
    for server in servers:
        server.stop()


def pushes(client, wait: float = 0.3) -> list:
    """Every reply waiting on the connection."""
    client.sock.settimeout(wait)
    out = []
    try:
        while True:
            out.append(client.read_reply())
    except OSError:
        pass
    client.sock.settimeout(10)
    return out


def scenario(server, steps) -> list:
    """Run steps (client name, command...) on fresh connections; what each step answered
    and what every client then had waiting."""
    clients, ids = {}, {}
    log = []
    for name, *args in steps:
        if name not in clients:
            clients[name] = RawClient(server.port)
            ids[clients[name].call("CLIENT", "ID")] = name.encode()
        args = [next(i for i, n in ids.items() if n == a[1:].encode())
                if isinstance(a, str) and a.startswith("@") else a for a in args]
        reply = clients[name].call(*args)
        if args[0] == "HELLO":
            reply = "hello"  # the version and client id differ by server
        elif args[-1] in ("TRACKINGINFO", "GETREDIR"):
            reply = _named(reply, ids)  # the redirect target by name, not id
        log.append((name, args[0], reply))
        time.sleep(0.05)
    for name in sorted(clients):
        log.append((name, "pending", pushes(clients[name])))
        clients[name].close()
    clients.clear()
    RawClient(server.port).call("FLUSHALL")
    return log


def _named(reply, ids):
    if isinstance(reply, int):
        return ids.get(reply, reply)
    if isinstance(reply, dict):
        return {k: _named(v, ids) for k, v in reply.items()}
    if isinstance(reply, list):
        return [_named(v, ids) for v in reply]
    return reply


def same(pair, steps) -> list:
    """Predis answers and pushes exactly what redis-server does; returns Predis's log."""
    expected, actual = (scenario(server, steps) for server in pair)
    assert actual == expected
    return actual


def pending(log, name) -> list:
    return next(entry[2] for entry in log if entry[:2] == (name, "pending"))


def invalidations(log, name) -> list:
    """The key lists of every invalidation client `name` received (a push can arrive in
    place of a reply, so every value it read is searched)."""
    found = []

    def walk(value):
        if isinstance(value, list):
            if value[:1] == [b"invalidate"] and len(value) == 2:
                found.append(value[1])
            elif value[:2] == [b"message", b"__redis__:invalidate"]:
                found.append(value[2])
            else:
                for item in value:
                    walk(item)
    for entry in log:
        if entry[0] == name:
            walk([entry[2]])
    return found


RESP3_STEPS = [("a", "HELLO", "3"), ("a", "CLIENT", "TRACKING", "on"), ("a", "GET", "k"),
               ("a", "MGET", "x", "y"), ("b", "SET", "k", "v"), ("b", "SET", "k", "w"),
               ("b", "MSET", "x", "1", "y", "2"), ("a", "GET", "k"), ("b", "DEL", "k"),
               ("a", "CLIENT", "TRACKINGINFO"), ("a", "CLIENT", "GETREDIR")]


def test_resp3_clients_get_invalidation_pushes(pair):
    log = same(pair, RESP3_STEPS)
    # k read, changed twice (one push: the read is forgotten), read again, deleted (a second);
    # x and y read by MGET, changed by MSET
    assert sorted(map(tuple, invalidations(log, "a"))) == [(b"k",), (b"k",), (b"x",), (b"y",)]
    assert invalidations(log, "b") == []


def test_redirect_to_a_resp2_subscriber(pair):
    log = same(pair, [("r", "SUBSCRIBE", "__redis__:invalidate"),
                      ("a", "CLIENT", "TRACKING", "on", "REDIRECT", "@r"), ("a", "GET", "k"),
                      ("b", "SET", "k", "v"), ("a", "CLIENT", "TRACKINGINFO")])
    assert invalidations(log, "r") == [[b"k"]] and invalidations(log, "a") == []
    info = next(e[2] for e in log if e[:2] == ("a", "CLIENT") and isinstance(e[2], list))
    assert info == [b"flags", [b"on"], b"redirect", b"r", b"prefixes", []]


def test_a_resp2_redirect_target_in_pubsub_mode_gets_invalidations_on_any_channel(pair):
    """Redis only asks the target to be in pub/sub mode, whatever it subscribed to; a target
    out of it (unsubscribed again) gets nothing."""
    log = same(pair, [("r", "SUBSCRIBE", "news"),
                      ("a", "CLIENT", "TRACKING", "on", "REDIRECT", "@r"), ("a", "GET", "k"),
                      ("b", "SET", "k", "v"), ("r", "UNSUBSCRIBE"), ("a", "GET", "k"),
                      ("b", "SET", "k", "w")])
    assert invalidations(log, "r") == [[b"k"]]


def test_a_read_that_fails_is_remembered_too(pair):
    """Redis remembers a read-only command's keys whatever it answered (WRONGTYPE here)."""
    log = same(pair, [("b", "LPUSH", "l", "x"), ("a", "HELLO", "3"),
                      ("a", "CLIENT", "TRACKING", "on"), ("a", "GET", "l"),
                      ("b", "RPUSH", "l", "y")])
    assert invalidations(log, "a") == [[b"l"]]


def test_reads_with_movable_keys_are_remembered_as_redis_finds_their_keys(pair):
    """Keys come from the command's own key finder where it has one (ZUNION, SINTERCARD,
    ZINTERCARD, XREAD, SORT_RO: their keys were not remembered), even for a read that fails
    ('1x' reads as 1 there); a read-only script's own keys are not (its reads are: see
    test_a_script_tracks_the_keys_it_read_not_those_it_declared)."""
    reads = [("a", "ZUNION", "2", "z1", "z2"), ("a", "SINTERCARD", "2", "s1", "s2"),
             ("a", "XREAD", "COUNT", "1", "STREAMS", "x1", "0"), ("a", "SORT_RO", "l1"),
             ("a", "ZINTERCARD", "1", "z3"), ("a", "ZDIFF", "1x", "z4"),
             ("a", "FCALL_RO", "nosuch", "1", "f1")]
    writes = [("b", "SET", key, "v") for key in ("z1", "z2", "s1", "s2", "x1", "l1", "z3", "z4",
                                                  "f1")]
    log = same(pair, [("a", "HELLO", "3"), ("a", "CLIENT", "TRACKING", "on"), *reads, *writes])
    assert sorted(key for keys in invalidations(log, "a") for key in keys) == [
        b"l1", b"s1", b"s2", b"x1", b"z1", b"z2", b"z3", b"z4"]


def test_bcast_prefixes_noloop_and_flush(pair):
    log = same(pair, [("a", "HELLO", "3"),
                      ("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "NOLOOP"),
                      ("b", "SET", "user:1", "x"), ("b", "SET", "other", "y"),
                      ("a", "SET", "user:2", "own"), ("a", "CLIENT", "TRACKINGINFO"),
                      ("b", "FLUSHALL")])
    # user:1 under the prefix; not "other" (outside it), not user:2 (a's own: NOLOOP); then
    # FLUSHALL's null
    assert invalidations(log, "a") == [[b"user:1"], None]


def test_optin_and_optout(pair):
    log = same(pair, [("a", "HELLO", "3"), ("a", "CLIENT", "TRACKING", "on", "OPTIN"),
                ("a", "GET", "skipped"), ("a", "CLIENT", "CACHING", "yes"), ("a", "GET", "kept"),
                ("b", "SET", "skipped", "1"), ("b", "SET", "kept", "1"),
                ("c", "HELLO", "3"), ("c", "CLIENT", "TRACKING", "on", "OPTOUT"),
                ("c", "CLIENT", "CACHING", "no"), ("c", "GET", "n1"), ("c", "GET", "n2"),
                ("b", "SET", "n1", "1"), ("b", "SET", "n2", "1"),
                ("c", "CLIENT", "TRACKINGINFO")])
    assert invalidations(log, "a") == [[b"kept"]]  # OPTIN: only after CACHING yes
    assert invalidations(log, "c") == [[b"n2"]]  # OPTOUT: not after CACHING no


def test_errors(pair):
    log = same(pair, [("a", "CLIENT", "TRACKING", "on", "PREFIX", "a"),
                ("a", "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"),
                ("a", "CLIENT", "TRACKING", "on", "REDIRECT", "99999"),
                ("a", "CLIENT", "TRACKING", "maybe"),
                ("a", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "a", "PREFIX", "ab"),
                ("a", "CLIENT", "CACHING", "yes"), ("a", "CLIENT", "TRACKINGINFO"),
                ("a", "CLIENT", "TRACKING", "on", "BCAST"),
                ("a", "CLIENT", "TRACKING", "on"), ("a", "CLIENT", "TRACKING", "off"),
                ("a", "CLIENT", "TRACKINGINFO")])
    replies = [e[2] for e in log if e[0] == "a" and e[1] == "CLIENT"]
    assert replies[0] == Err("ERR PREFIX option requires BCAST mode to be enabled")
    assert str(replies[8]).startswith("ERR You can't switch BCAST mode")
    assert replies[-1] == [b"flags", [b"off"], b"redirect", -1, b"prefixes", []]


def test_option_checks_in_redis_order(pair):
    """OFF reads its options without checking them together; ON checks them in Redis's
    order, then against the tracking already on (OPTIN to OPTOUT); CLIENT CACHING with
    tracking on but neither OPTIN nor OPTOUT answers the mode's own error."""
    log = same(pair, [("a", "CLIENT", "TRACKING", "off", "OPTIN", "OPTOUT"),
                      ("a", "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT", "BCAST"),
                      ("a", "CLIENT", "TRACKING", "on", "REDIRECT", "@a", "REDIRECT", "@a"),
                      ("a", "CLIENT", "TRACKING", "on", "REDIRECT", "0"),
                      ("a", "CLIENT", "TRACKING", "on"), ("a", "CLIENT", "CACHING", "yes"),
                      ("a", "CLIENT", "CACHING", "no"), ("a", "CLIENT", "TRACKING", "on", "OPTIN"),
                      ("a", "CLIENT", "TRACKING", "on", "OPTOUT"),
                      ("a", "CLIENT", "TRACKING", "on", "BCAST", "OPTOUT"),
                      ("a", "CLIENT", "TRACKINGINFO")])
    replies = [e[2] for e in log if e[0] == "a"]
    assert replies[0] == b"OK"
    assert replies[1] == Err("ERR OPTIN and OPTOUT are not compatible with BCAST")
    assert replies[2] == Err("ERR A client can only redirect to a single other client")
    assert replies[5] == Err("ERR CLIENT CACHING YES is only valid when tracking is enabled in "
                             "OPTIN mode.")
    assert str(replies[8]).startswith("ERR You can't switch OPTIN/OPTOUT mode")
    assert str(replies[9]).startswith("ERR You can't switch BCAST mode")


def test_the_gpu_engine_remembers_what_tracking_clients_read(pair):
    """GET/SET of the GPU engine go through its batcher; a tracking client's reads must not
    (numba's CUDA simulator stands in for the GPU where there is none)."""
    gpu = start_predis(("--engine", "gpu", "--gpu-arena-size", "16mb"))
    try:
        expected = scenario(pair[0], RESP3_STEPS)
        actual = scenario(gpu, RESP3_STEPS)
        assert actual == expected
        assert [b"invalidate", [b"k"]] in pending(actual, "a")
    finally:
        gpu.stop()


def test_a_script_tracks_the_keys_it_read_not_those_it_declared():
    """Redis 7.2 changed what a script counts as reading: the keys its read commands read
    (7.0, the reference installed here, took the keys EVAL declared once the script read
    anything). Redis's tracking.tcl "Tracking only occurs for scripts when a command calls a
    read-only command", as Redis 8.0's suite has it: a script that only writes or pings tracks
    nothing, one that reads key2 while declaring key1 and key2 tracks key2 alone."""
    server = start_predis()
    try:
        r, other = RawClient(server.port), RawClient(server.port)
        r.call("HELLO", "3")
        assert r.call("CLIENT", "TRACKING", "on") == b"OK"
        other.call("MSET", "key2", "1", "key2", "1")
        for command, script, changed, told in (
                ("EVAL", "redis.call('set', 'key3', 'bar')", ("key2", "key1"), None),
                ("EVAL", "redis.call('get', 'key2')", ("key2", "key3"), b"key2"),
                ("EVAL_RO", "redis.call('ping')", ("key2", "key1"), None),
                ("EVAL_RO", "redis.call('get', 'key2')", ("key2", "key3"), b"key2"),
                ("FCALL", "read_key2", ("key2", "key1"), b"key2")):
            if command == "FCALL":
                r.call("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('read_key2'"
                       ", function(keys) return redis.call('get', 'key2') end)")
            r.call(command, script, "2", "key1", "key2")
            other.call("MSET", changed[0], "2", changed[1], "2")
            seen = [r.call("PING")]  # invalidations, if any, arrive before this reply
            while seen[-1] != b"PONG":
                seen.append(r.read_reply())
            assert seen == ([[b"invalidate", [told]]] if told else []) + [b"PONG"], script
    finally:
        server.stop()


def test_invalidation_order_around_replies(servers):
    """Found by Redis's own suite: a client is told of its own changes (and of keys its own
    command expired) after that command's reply, EXEC's included; of evictions made before
    its command runs, before the reply; a served BLMOVE's reply comes first too."""
    transcripts = []
    for server in servers:
        r = RawClient(server.port)
        r.call("FLUSHALL")
        r.call("HELLO", "3")
        r.call("CLIENT", "TRACKING", "on")
        seen = [r.call("HSET", "myhash", "f", "1"), r.call("HGET", "myhash", "f"),
                r.call("HDEL", "myhash", "f"), r.read_reply()]
        r.call("MSET", "a", "1", "b", "2")
        r.call("GET", "a")
        seen += [r.call("MULTI"), r.call("INCR", "a"), r.call("GET", "b"), r.call("EXEC"),
                 r.read_reply()]
        r.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        seen += [r.call(*args) for args in (["MULTI"], ["MSET", "x", "1", "y", "2"],
                                            ["PEXPIRE", "y", "100"], ["GET", "y"], ["EXEC"])]
        time.sleep(0.15)
        seen += [r.call("MGET", "x", "y"), r.read_reply()]
        r.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        # eviction of a tracked key, made before the next command runs
        info = r.call("INFO", "memory")
        info = info if isinstance(info, bytes) else info.encode()
        used = int(info.split(b"used_memory:")[1].split(b"\r\n")[0])
        r.call("CONFIG", "SET", "maxmemory", str(used + 100 * 1024))
        r.call("CONFIG", "SET", "maxmemory-policy", "volatile-random")
        r.call("SETEX", "volatile-key", "10000", "x")
        r.call("GET", "volatile-key")
        r.call("SETBIT", "big-key", "1600000", "0")
        seen += [r.call("GETBIT", "big-key", "0"), r.read_reply()]
        r.call("CONFIG", "SET", "maxmemory", "0")
        r.call("CONFIG", "SET", "maxmemory-policy", "noeviction")
        # a served BLMOVE: its reply, then the invalidation of the list it pushed to
        other = RawClient(server.port)
        r.call("RPUSH", "list2", "a")
        r.call("LRANGE", "list2", "0", "-1")
        r.send_raw(b"BLMOVE list1 list2 LEFT LEFT 0\r\n")
        deadline = time.time() + 5
        while b"blocked_clients:1" not in other.call("INFO", "clients"):
            assert time.time() < deadline
            time.sleep(0.01)
        other.call("RPUSH", "list1", "foo")
        seen += [r.read_reply(), r.read_reply()]
        transcripts.append(seen)
    assert transcripts[1] == transcripts[0]
    assert transcripts[0][-2:] == [b"foo", [b"invalidate", [b"list2"]]]


def test_bcast_prefixes_must_not_overlap(diff):
    for args in (["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "FOO", "PREFIX", "BAR"],
                 ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "FOO"],
                 ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "FO"],
                 ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "BARB", "PREFIX", "BA"],
                 ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "X", "PREFIX", "XY"],
                 ["CLIENT", "TRACKING", "ON", "BCAST"], ["CLIENT", "TRACKINGINFO"],
                 ["CLIENT", "TRACKING", "OFF"]):
        diff.assert_same(*args)


def test_tracking_table_max_keys_evicts_from_the_table(servers):
    """Found by Redis's own suite: past tracking-table-max-keys, keys leave the table and
    their readers are told (here through a redirect, with NOLOOP)."""
    outcomes = []
    for server in servers:
        listener, r = RawClient(server.port), RawClient(server.port)
        listener_id = listener.call("CLIENT", "ID")
        listener.call("SUBSCRIBE", "__redis__:invalidate")
        r.call("FLUSHALL")
        r.call("CLIENT", "TRACKING", "on", "REDIRECT", str(listener_id), "NOLOOP")
        r.call("MSET", "key1", "1", "key2", "2")
        r.call("MGET", "key1", "key2")
        try:
            r.call("CONFIG", "SET", "tracking-table-max-keys", "1")
            message = listener.read_reply()
            keys = r.call("INFO", "all").split(b"tracking_total_keys:")[1].split(b"\r\n")[0]
        finally:
            r.call("CONFIG", "SET", "tracking-table-max-keys", "1000000")
        outcomes.append((message[:2], message[2] in ([b"key1"], [b"key2"]), keys))
    # which of the two keys goes is Redis's random pick
    assert outcomes[1] == outcomes[0] == ([b"message", b"__redis__:invalidate"], True, b"1")


def test_a_flush_empties_the_tracking_table_even_with_no_tracking_client_left(pair):
    """Keys remembered for a client that turned tracking off stay counted until a FLUSHALL /
    FLUSHDB, which empties the table (Redis's trackingInvalidateKeysOnFlush)."""
    fields = ("tracking_total_items", "tracking_total_keys", "tracking_total_prefixes",
              "tracking_clients")
    seen = []
    for server in pair:
        admin = redis.Redis(port=server.port, single_connection_client=True)
        admin.flushall()
        tracker = redis.Redis(port=server.port, single_connection_client=True, protocol=3)
        tracker.execute_command("CLIENT", "TRACKING", "ON")
        tracker.set("x", 1)
        tracker.get("x")
        tracker.get("y")
        tracker.execute_command("CLIENT", "TRACKING", "OFF")  # its keys stay in the table
        tracker.close()
        counts = []
        for step in ("left", "flushdb"):
            if step == "flushdb":
                admin.execute_command("SELECT", "3")
                admin.flushdb()
            info = admin.info()
            counts.append([info[field] for field in fields])
        seen.append(counts)
        admin.close()
    assert seen[1] == seen[0] == [[2, 2, 0, 0], [0, 0, 0, 0]]


def test_an_expiry_is_announced_even_when_the_tracking_client_changed_the_key_too(servers):
    """Redis's "Tracking gets notification of lazy expired keys": inside EXEC the time stands
    still (the GET still finds the key after DEBUG SLEEP); the key's SET by the NOLOOP client
    and its expiry, merged in one announcement, still reach the redirection client."""
    seen = []
    for server in servers:
        redirection = RawClient(server.port)
        redirect_to = str(redirection.call("CLIENT", "ID"))
        redirection.call("SUBSCRIBE", "__redis__:invalidate")
        client = RawClient(server.port)
        client.call("CLIENT", "TRACKING", "on", "BCAST", "REDIRECT", redirect_to, "NOLOOP")
        steps = [client.call(*command) for command in (
            ["MULTI"], ["SET", "lazy{t}", "v", "PX", "1"], ["SET", "lazyother{t}", "v"],
            ["DEBUG", "SLEEP", "0.1"], ["GET", "lazy{t}"], ["EXEC"])]
        redirection.sock.settimeout(5)
        steps.append(redirection.read_reply())
        client.call("CLIENT", "TRACKING", "off")
        seen.append(steps)
        client.close()
        redirection.close()
    assert seen[1] == seen[0]
    assert seen[0][-2:] == [[b"OK", b"OK", b"OK", b"v"],
                            [b"message", b"__redis__:invalidate", [b"lazy{t}"]]]
