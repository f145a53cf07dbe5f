"""The command table is data: every entry is well formed and drives COMMAND and dispatch."""

import server.commands  # noqa: F401  (registers the families)
from server.command_table import TABLE, acl_categories

KNOWN_FLAGS = {"write", "readonly", "denyoom", "admin", "pubsub", "noscript", "blocking",
               "loading", "stale", "skip_monitor", "skip_slowlog", "fast", "no_auth",
               "may_replicate", "sentinel", "no_multi", "allow_busy", "no_async_loading",
               "asking", "no_mandatory_keys"}


def test_every_command_is_well_formed():
    for name, spec in TABLE.items():
        assert name == spec.name.encode()
        assert spec.arity != 0
        assert spec.flags <= KNOWN_FLAGS, (name, spec.flags - KNOWN_FLAGS)
        assert spec.summary, name
        assert spec.handler is not None or spec.subcommands, name
        for sub in spec.subcommands.values():
            assert sub.parent is spec and sub.arity != 0 and sub.handler is not None


def test_key_positions():
    assert TABLE[b"get"].key_positions([b"GET", b"k"]) == [1]
    assert TABLE[b"mset"].key_positions([b"MSET", b"a", b"1", b"b", b"2"]) == [1, 3]
    assert TABLE[b"del"].key_positions([b"DEL", b"a", b"b", b"c"]) == [1, 2, 3]
    assert TABLE[b"ping"].key_positions([b"PING"]) == []


def test_acl_categories_are_redis_s_own_or_follow_flags():
    assert acl_categories(TABLE[b"get"]) == ["@read", "@string", "@fast"]  # Redis's, its order
    assert acl_categories(TABLE[b"predis.info"]) == ["@admin", "@slow", "@dangerous"]  # flags
    assert "@slow" in acl_categories(TABLE[b"keys"]) and "@dangerous" in acl_categories(
        TABLE[b"keys"])
