"""Hypothesis: three clients block on lists, sorted sets and streams and wake one another,
against redis-server and Predis alike. A client sends a blocking command with no timeout and
reads nothing; later steps (pushes, MULTI/EXEC, RENAME, MOVE, SWAPDB, DEL, type changes, LMOVE
chains; a blocked client's steps run on a fourth connection) may serve it. After every step, CLIENT LIST tells which clients are still blocked (its
'b' flag), and each client that no longer is gets its reply read: who was served, in what
order and with what, is compared step by step. At the end CLIENT UNBLOCK releases the rest.

`FUZZ_EXAMPLES` sets the number of sequences (100 in CI; thousands for a long run)."""

import os
import select
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import as_72, numeric
from .rawclient import RawClient, encode_command

KEYS = st.sampled_from([b"a", b"b"])
VALUES = st.sampled_from([b"1", b"2", b"x"])
SIDES = st.sampled_from([b"LEFT", b"RIGHT"])

BLOCKING = st.one_of(
    st.tuples(st.sampled_from([b"BLPOP", b"BRPOP"]), KEYS, st.just(b"0")),
    st.tuples(st.sampled_from([b"BLPOP", b"BRPOP"]), KEYS, KEYS, st.just(b"0")),
    st.tuples(st.just(b"BLMOVE"), KEYS, KEYS, SIDES, SIDES, st.just(b"0")),
    st.tuples(st.just(b"BRPOPLPUSH"), KEYS, KEYS, st.just(b"0")),
    st.tuples(st.just(b"BLMPOP"), st.just(b"0"), st.just(b"2"), KEYS, KEYS, SIDES,
              st.just(b"COUNT"), st.sampled_from([b"1", b"2"])),
    st.tuples(st.sampled_from([b"BZPOPMIN", b"BZPOPMAX"]), KEYS, st.just(b"0")),
    st.tuples(st.just(b"BZMPOP"), st.just(b"0"), st.just(b"1"), KEYS,
              st.sampled_from([b"MIN", b"MAX"])),
    st.tuples(st.just(b"XREAD"), st.just(b"BLOCK"), st.just(b"0"), st.just(b"STREAMS"), KEYS,
              st.just(b"$")),
)
WAKING = st.one_of(
    st.tuples(st.sampled_from([b"LPUSH", b"RPUSH"]), KEYS, VALUES),
    st.tuples(st.sampled_from([b"LPUSH", b"RPUSH"]), KEYS, VALUES, VALUES),
    st.tuples(st.just(b"LMOVE"), KEYS, KEYS, SIDES, SIDES),
    st.tuples(st.just(b"ZADD"), KEYS, st.sampled_from([b"1", b"2"]), VALUES),
    st.tuples(st.just(b"XADD"), KEYS, st.sampled_from([b"1-1", b"2-1", b"3-1"]), st.just(b"f"),
              VALUES),
    st.tuples(st.sampled_from([b"DEL", b"LPOP", b"ZPOPMIN", b"TYPE", b"LLEN"]), KEYS),
    st.tuples(st.just(b"SET"), KEYS, VALUES),
    st.tuples(st.sampled_from([b"RENAME", b"COPY"]), KEYS, KEYS),
    st.tuples(st.just(b"MOVE"), KEYS, st.just(b"1")),
    st.tuples(st.just(b"SWAPDB"), st.just(b"0"), st.just(b"1")),
    st.tuples(st.sampled_from([b"MULTI", b"EXEC", b"DISCARD"])),
    st.tuples(st.just(b"SELECT"), st.sampled_from([b"0", b"1"])),
)
STEPS = st.lists(st.tuples(st.sampled_from([0, 1, 2]), st.one_of(BLOCKING, WAKING, WAKING)),
                 min_size=1, max_size=25)


class Session:
    """One server's three clients; `blocked[i]` holds client i's blocking command."""

    def __init__(self, port: int):
        self.clients = [RawClient(port) for _ in range(3)]
        self.admin = RawClient(port)
        self.admin.call("FLUSHALL")
        self.ids = [b"%d" % client.call("CLIENT", "ID") for client in self.clients]
        self.blocked = [None, None, None]

    def step(self, index: int, command: tuple):
        """The step's own reply (None while it blocks), then what each client that was
        blocked got, in client order."""
        if self.blocked[index] is not None:  # (a blocked client sends nothing more: the
            reply = self.admin.call(*command)  # admin connection runs the write instead)
            return reply, self._wake_ups()
        client = self.clients[index]
        client.send_raw(encode_command(*command))
        if command in ((b"MULTI",), (b"EXEC",), (b"DISCARD",)) or command[0] not in _BLOCKING:
            reply = client.read_reply()
        else:
            self.blocked[index] = command
            reply = self._served_now(index)
        return reply, self._wake_ups()

    def _served_now(self, index: int):
        """A blocking command's reply if it did not block (or ran queued in MULTI): the admin
        connection's CLIENT LIST may run before the command arrives, so it asks until the
        client either shows the 'b' flag or has its answer waiting."""
        sock = self.clients[index].sock
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if select.select([sock], [], [], 0.005)[0]:
                self.blocked[index] = None
                return self.clients[index].read_reply()
            if self._is_blocked(index):
                return None
        raise AssertionError(f"client {index} neither blocked nor answered")

    def _is_blocked(self, index: int) -> bool:
        line = self.admin.call("CLIENT", "LIST", "ID", self.ids[index])
        flags = line.split(b" flags=", 1)[1].split(b" ", 1)[0]
        return b"b" in flags

    def _wake_ups(self) -> list:
        served = []
        for index, command in enumerate(self.blocked):
            if command is not None and not self._is_blocked(index):
                served.append((index, self.clients[index].read_reply()))
                self.blocked[index] = None
        return served

    def release(self) -> list:
        """CLIENT UNBLOCK for whoever is still blocked; their replies."""
        out = []
        for index, command in enumerate(self.blocked):
            if command is not None:
                out.append(self.admin.call("CLIENT", "UNBLOCK", self.ids[index]))
                out.append(self.clients[index].read_reply())
        return out

    def close(self) -> None:
        for client in (*self.clients, self.admin):
            client.close()


_CONNECTION_STATE = {b"MULTI", b"EXEC", b"DISCARD", b"SELECT"}
_BLOCKING = {b"BLPOP", b"BRPOP", b"BLMOVE", b"BRPOPLPUSH", b"BLMPOP", b"BZPOPMIN", b"BZPOPMAX",
             b"BZMPOP", b"XREAD"}


def first_difference(servers, steps):
    sessions = [Session(server.port) for server in servers]
    try:
        for number, (index, command) in enumerate(steps):
            if command[0] in _BLOCKING | _CONNECTION_STATE and any(
                    session.blocked[index] is not None for session in sessions):
                continue  # (the admin connection never blocks nor changes its state)
            expected, actual = (numeric(session.step(index, command)) for session in sessions)
            if actual != numeric(_as_72(expected)):
                return (f"first difference at step {number}: client {index} {command!r}\n"
                        f"redis={expected!r}\npredis={actual!r}\nsteps={steps[:number + 1]!r}")
        expected, actual = (numeric(session.release()) for session in sessions)
        if actual != expected:
            return f"at the end: redis={expected!r} predis={actual!r}\nsteps={steps!r}"
        return None
    finally:
        for session in sessions:
            session.close()


def _as_72(outcome):
    reply, served = outcome
    return as_72(reply), [(index, as_72(value)) for index, value in served]


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "100")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(steps=STEPS)
def test_random_blocking_and_waking_across_clients_match(servers, steps):
    assert first_difference(servers, steps) is None
