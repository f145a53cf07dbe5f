"""Hypothesis: every command with keys, with drawn arguments (key names a user may read, write,
both or neither, counts such as 3, -1, '1x' and ' 1', and the command's own option words):
the same ACL DRYRUN answer for a user with `%R~r* %W~w* %RW~b*`, and the same COMMAND
GETKEYSANDFLAGS, from redis-server and Predis. It found ACL's own list of key positions
wrong wherever Redis falls back from the key specs to the command's key finder: a count
past the arguments (EVAL "" 3 rw read, Redis's unit/acl-v2) or unreadable by string2ll,
where Redis finds no key at all or keys with no flags (any pattern that matches the name
will do); BITFIELD with a bad operation needing write permission; PFMERGE and PFDEBUG keys;
MIGRATE's keys with a syntax error; XREADGROUP's STREAMS looked for from its fourth
argument. ACL now reads keys from the key specs (server/acl/access.py); COMMAND GETKEYS got
Redis's fallback finders for counted keys and MIGRATE, and no keys for the shard-channel
commands. Left out: ZRANK and ZREVRANK, whose WITHSCORE (7.2) Redis 7.0's arity refuses.
`FUZZ_EXAMPLES` sets the number of commands (300 in CI)."""

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import as_72, as_72_noperm

KEY_NAMES = ["r1", "w1", "b1", "n1"]
COUNTS = ["0", "1", "2", "3", "-1", "1x", " 1", "01", "100"]
SEVEN_TWO_ARITY = {"zrank", "zrevrank"}


def _tokens(arguments: list) -> set:
    """The option words of COMMAND DOCS's argument tree."""
    found = set()
    for argument in arguments:
        fields = dict(zip(argument[0::2], argument[1::2]))
        if b"token" in fields:
            found.add(fields[b"token"].decode())
        found |= _tokens(fields.get(b"arguments", []))
    return found


@pytest.fixture(scope="module")
def keyed_commands(pair_clients):
    """[(command words, option words)] of every command (and subcommand) with key specs, as
    the reference lists them; the user on both servers."""
    reference = pair_clients[0]
    names = []
    for entry in reference.call("COMMAND", "INFO"):
        for command in entry[9] or [entry]:
            if command[8] and command[0].decode() not in SEVEN_TWO_ARITY:
                names.append(command[0].decode().split("|"))
    commands = []
    for words in names:
        docs = reference.call("COMMAND", "DOCS", "|".join(words))
        fields = dict(zip(docs[1][0::2], docs[1][1::2]))
        commands.append((words, sorted(_tokens(fields.get(b"arguments", [])))))
    for client in pair_clients:
        client.call("ACL", "SETUSER", "keyed", "on", "nopass", "+@all", "%R~r*", "%W~w*",
                    "%RW~b*")
    yield commands
    for client in pair_clients:
        client.call("ACL", "DELUSER", "keyed")


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_drawn_commands_need_the_same_key_permissions(pair_clients, keyed_commands, data):
    words, tokens = data.draw(st.sampled_from(keyed_commands))
    argument = st.sampled_from(KEY_NAMES * 3 + COUNTS + tokens * 2)
    args = words + data.draw(st.lists(argument, max_size=8))
    for probe in (["ACL", "DRYRUN", "keyed"], ["COMMAND", "GETKEYSANDFLAGS"]):
        redis_reply, predis_reply = (client.call(*probe, *args) for client in pair_clients)
        assert predis_reply == as_72_noperm(as_72(redis_reply), "keyed"), (probe, args)
