"""Differential test: what a replica attached with the old SYNC command receives (no
+FULLRESYNC line, the RDB, then the command stream), and how commands are rewritten for it
(GETDEL as DEL, GETSET as SET, LMPOP/ZMPOP and their blocking forms as single-key pops with a count, SET
without GET, INCRBYFLOAT as SET ... KEEPTTL, XREADGROUP as XCLAIMs and XGROUP SETID,
approximate stream trims as exact ones, PUBLISH passed on)."""

import hiredis

from .rawclient import RawClient


class StreamReader:
    def __init__(self, port: int):
        self.client = RawClient(port)
        self.client.send_raw(b"SYNC\r\n")
        self.first_line = self._rdb()
        self.reader = hiredis.Reader()
        self.reader.feed(self.rest)

    def _rdb(self) -> bytes:
        """Skip the RDB transfer ($<length> then the bytes); keep what follows it."""
        data = b""
        while b"\r\n" not in data.lstrip(b"\n"):
            data += self.client.sock.recv(65536)
        data = data.lstrip(b"\n")  # newlines are keep-alives while the RDB is produced
        line, _, data = data.partition(b"\r\n")
        length = int(line[1:])
        while len(data) < length:
            data += self.client.sock.recv(65536)
        self.rest = data[length:]
        return line[:1]

    def commands_until(self, last: list, lowered: bool = True) -> list:
        """The commands received up to `last` (each argument lowered, or only the command's
        name: `lowered` False), as text (Latin-1: any bytes)."""
        seen = []
        while True:
            command = self.reader.gets()
            if command is False:
                self.reader.feed(self.client.sock.recv(65536))
                continue
            command = [part.decode("latin-1") for part in command]
            command = [part.lower() for part in command] if lowered else \
                [command[0].lower(), *command[1:]]
            if command[0] == "xclaim":  # delivery times differ by when each server ran it
                command[7] = "<time>"
            if command[0] in ("ping", "select") or command[:2] == ["replconf", "getack"]:
                continue
            seen.append(command)
            if command == last:
                return seen


# redis.set_repl: `sb` goes nowhere, `sc` to the AOF only
SELECTIVE = ("redis.call('set', 'sa', '1') redis.set_repl(redis.REPL_NONE) "
             "redis.call('set', 'sb', '2') redis.set_repl(redis.REPL_AOF) "
             "redis.call('set', 'sc', '3') redis.set_repl(redis.REPL_ALL) "
             "redis.call('set', 'sd', '4')")
COMMANDS = [
    ["SET", "foo", "bar"], ["GETDEL", "foo"], ["GETDEL", "foo"],
    ["RPUSH", "l", "a", "b", "c", "d"], ["LMPOP", "1", "l", "LEFT", "COUNT", "2"],
    ["LMPOP", "2", "nolist", "l", "RIGHT"], ["BLMPOP", "0", "1", "l", "LEFT", "COUNT", "5"],
    ["LMPOP", "1", "l", "LEFT"],
    ["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"], ["ZMPOP", "1", "z", "MAX", "COUNT", "2"],
    ["ZMPOP", "1", "z", "MIN"], ["BZMPOP", "0", "2", "none", "z", "MIN", "COUNT", "9"],
    ["SET", "a", "b", "XX", "GET"], ["SET", "a", "b", "NX", "GET", "KEEPTTL"],
    ["SET", "c", "d", "GET"], ["SET", "c", "e", "keepttl"], ["INCRBYFLOAT", "n", "1.5"],
    ["GETSET", "c", "f"], ["GETSET", "newkey", "g"],
    ["EVAL", "redis.call('incrbyfloat', KEYS[1], 1)", "1", "key"],
    ["EVAL", "redis.call('set', KEYS[1], '1', 'KEEPTTL')", "1", "key"],
    ["XADD", "st", "1-1", "f", "v"], ["XADD", "st", "2-1", "f", "v"], ["XADD", "st", "3-1", "f", "v"],
    ["XGROUP", "CREATE", "st", "g", "0"],
    ["XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "st", ">"],
    ["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "st", "0"],
    ["MULTI"], ["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "st", ">"], ["EXEC"],
    ["XADD", "st", "4-1", "f", "v"], ["XADD", "st", "5-1", "f", "v"],
    ["XREADGROUP", "GROUP", "g", "alice", "NOACK", "STREAMS", "st", ">"],
    ["XADD", "st", "6-1", "f", "v"], ["XREADGROUP", "GROUP", "g", "carol", "NOACK", "STREAMS", "st", ">"],
    ["XACK", "st", "g", "1-1", "9-9"], ["XACK", "st", "g", "9-9"],
    ["PUBLISH", "news", "hello"], ["MULTI"], ["PUBLISH", "bla", "bla"], ["EXEC"],
    ["EVAL", "redis.call('publish', 'ch', 'from lua')", "0"], ["SPUBLISH", "shard", "x"],
    ["EVAL", SELECTIVE, "0"],
    *[["XADD", "tr", f"{i}-0", "f", "v"] for i in range(1, 251)],
    ["XTRIM", "tr", "MAXLEN", "~", "120"], ["XTRIM", "tr", "MAXLEN", "~", "110"],
    ["XADD", "tr", "MAXLEN", "~", "10", "LIMIT", "50", "300-0", "f", "v"],
    ["XTRIM", "tr", "MINID", "~", "280"], ["XADD", "tr2", "1-0", "f", "v"],
    ["XTRIM", "tr2", "MINID", "~", "5"], ["XADD", "tr2", "MINID", "~", "0", "2-0", "f", "v"],
    ["SADD", "popped", "a", "b"], ["SPOP", "popped", "5"],  # (the whole set: its DEL)
    # found by test_random_propagation: GEOADD goes as its ZADD; SWAPDB of a database with
    # itself is passed on; EXPIRE keeps its flags; an XADD ID without sequence goes as given;
    # a key a command expires on its way goes in one MULTI/EXEC with the command's effect
    ["GEOADD", "geo", "CH", "13.36", "38.1", "pa"], ["SWAPDB", "0", "0"],
    ["SET", "ttl", "v"], ["EXPIRE", "ttl", "1000", "NX"], ["PEXPIREAT", "ttl", "999999999999", "LT"],
    ["XADD", "ids", "7", "f", "v"],
    ["DEBUG", "SET-ACTIVE-EXPIRE", "0"], ["SET", "gone", "1", "PX", "1"], ["DEBUG", "SLEEP", "0.01"],
    ["SET", "gone", "2"], ["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
    ["SAVE"],  # (it lowers the changes counter: not a write to pass on; Predis passed it on,
    ["SET", "done", "1"],  # and a saving SHUTDOWN with it, which stopped its replicas)
]


def as_725(stream: list) -> list:
    """The 7.0 reference's stream as Redis 7.2.5 sends it (#12898): an XREADGROUP's XCLAIMs
    are followed by XGROUP SETID ... ENTRIESREAD (so a replica's read counter keeps up), in
    one MULTI/EXEC with them. No entry is deleted here, so a group's read counter is what the
    last SETID said plus the entries claimed since."""
    out, read, index = [], {}, 0
    while index < len(stream):
        command = stream[index]
        if command[:2] == ["xgroup", "setid"]:
            read[tuple(command[2:4])] = int(command[6])
        if command[0] != "xclaim":
            out.append(command)
            index += 1
            continue
        claims = []
        while index < len(stream) and stream[index][0] == "xclaim":
            claims.append(stream[index])
            index += 1
        group = tuple(claims[0][1:3])
        read[group] = read.get(group, 0) + len(claims)
        wrapped = out[-1:] == [["multi"]]
        out += ([] if wrapped else [["multi"]]) + claims + [
            ["xgroup", "setid", *group, claims[-1][5], "entriesread", str(read[group])]] + (
            [] if wrapped else [["exec"]])
    return out


_TIMED = ("pxat", "exat", "pexpireat")  # (the argument after these is a time)


def untimed(commands: list) -> list:
    """Commands with their times of expiry left out (they differ by when each server ran
    them)."""
    out = []
    for command in commands:
        command = list(command)
        for index in range(1, len(command)):
            if command[index - 1].lower() in _TIMED:
                command[index] = "<time>"
        if command[0] == "pexpireat":
            command[2] = "<time>"
        out.append(command)
    return out


def test_a_sync_replica_gets_redis_s_stream(servers):
    streams = []
    for server in servers:
        admin = RawClient(server.port)
        admin.call("FLUSHALL")
        replica = StreamReader(server.port)
        for command in COMMANDS:
            admin.call(*command)
        streams.append((replica.first_line, replica.commands_until(["set", "done", "1"])))
        admin.close()
    assert (streams[1][0], untimed(streams[1][1])) == (streams[0][0],
                                                       untimed(as_725(streams[0][1])))
    assert streams[0][0] == b"$"  # the RDB comes first, without +FULLRESYNC
    assert ["del", "foo"] in streams[0][1] and ["lpop", "l", "2"] in streams[0][1]
    assert ["zpopmax", "z", "2"] in streams[0][1] and ["zpopmin", "z", "1"] in streams[0][1]
    assert ["set", "a", "b", "nx", "keepttl"] in streams[0][1]
    assert ["set", "key", "1", "keepttl"] in streams[0][1]
    claims = [c for c in streams[0][1] if c[0] == "xclaim"]
    assert [c[5] for c in claims] == ["1-1", "2-1", "3-1"]  # XREADGROUP as XCLAIMs
    assert ["xgroup", "setid", "st", "g", "5-1", "entriesread", "5"] in streams[0][1]
    assert ["xgroup", "createconsumer", "st", "g", "carol"] in streams[0][1]
    assert ["xack", "st", "g", "1-1", "9-9"] in streams[0][1]
    assert ["publish", "bla", "bla"] in streams[0][1]  # replicas' subscribers hear it too
    assert ["set", "sd", "4"] in streams[0][1] and ["set", "sb", "2"] not in streams[0][1]
    assert ["set", "sc", "3"] not in streams[0][1]
    assert ["xtrim", "tr", "maxlen", "=", "150"] in streams[0][1]  # what `~ 120` came to
    assert ["xtrim", "tr2", "minid", "=", f"{2**64 - 1}-{2**64 - 1}"] in streams[0][1]
    assert ["del", "popped"] in streams[0][1]


def test_a_blocked_client_woken_for_an_expired_key_leaves_it_alone(servers):
    """Redis 7.2 looks at the key a blocked client was woken for without effects: a list
    pushed and already expired when EXEC ends neither serves the BRPOP nor is deleted then;
    its DEL goes out when a later command meets it (Redis's unit/type/list.tcl "MULTI + LPUSH
    + EXPIRE + DEBUG SLEEP on blocked client, key already expired"; 7.0, installed here,
    deleted it at once)."""
    admin, blocked = RawClient(servers[1].port), RawClient(servers[1].port)
    admin.call("FLUSHALL")
    admin.call("DEBUG", "SET-ACTIVE-EXPIRE", "0")
    stream = StreamReader(servers[1].port)
    blocked_id = blocked.call("CLIENT", "ID")
    blocked.send_raw(b"*3\r\n$5\r\nBRPOP\r\n$1\r\nk\r\n$1\r\n0\r\n")
    while b"blocked_clients:1" not in admin.call("INFO", "clients"):
        pass
    for args in (["MULTI"], ["RPUSH", "k", "hello"], ["PEXPIRE", "k", "100"],
                 ["DEBUG", "SLEEP", "0.2"], ["EXEC"]):
        admin.call(*args)
    assert b"flags=b" in admin.call("CLIENT", "LIST", "ID", str(blocked_id))  # still waiting
    assert admin.call("CLIENT", "UNBLOCK", str(blocked_id)) == 1
    assert blocked.read_reply() is None
    admin.call("SET", "marker", "1")
    assert blocked.call("EXISTS", "k") == 0
    seen = stream.commands_until(["del", "k"])
    assert seen[2][:2] == ["pexpireat", "k"]
    seen[2][2] = "<deadline>"
    assert seen == [["multi"], ["rpush", "k", "hello"], ["pexpireat", "k", "<deadline>"],
                    ["exec"], ["set", "marker", "1"], ["del", "k"]]
    admin.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
