"""Which keys and channels a command touches, and which access each key needs, for ACL
checks.

Keys are found as Redis finds them (server/key_specs.py: the key specs, or the command's own
key finder where a spec cannot be applied), and a key needs what its flags say, as in Redis's
ACLSelectorCheckKey: read permission with ACCESS, write permission with INSERT, DELETE or
UPDATE, and only a pattern that matches its name when it has neither (EXISTS, TYPE, a key a
fallback finder returned without flags).
"""

from .. import key_specs

_WRITE_FLAGS = frozenset({"insert", "delete", "update"})
_CHANNELS = {"publish": (1, 2), "spublish": (1, 2), "subscribe": (1, None),
             "ssubscribe": (1, None)}


def accesses(spec, args):
    """(keys as (key, needs read, needs write), channels, channel patterns)."""
    keys = [(args[index], "access" in flags, not _WRITE_FLAGS.isdisjoint(flags))
            for index, flags in key_specs.find_keys(spec, args)]
    name = spec.fullname
    channels, patterns = [], []
    if name in _CHANNELS:
        start, stop = _CHANNELS[name]
        channels = list(args[start:stop])
    elif name == "psubscribe":
        patterns = list(args[1:])
    return keys, channels, patterns
