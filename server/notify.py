"""Keyspace notifications (`notify-keyspace-events`), named and classed exactly as Redis does.

A write reports its key through commands.common.modified(); the event name defaults to what
Redis sends for the command being run (EVENTS below), and a handler passes an explicit name where
one command emits several (RENAME's rename_from/rename_to, LMOVE's pop and push...).
"""

# Command -> event, where the event is not simply the command's name.
EVENTS = {
    "setnx": "set", "setex": "set", "psetex": "set", "getset": "set", "mset": "set",
    "msetnx": "set", "bitop": "set", "incr": "incrby", "decr": "incrby", "decrby": "incrby", "bitfield": "setbit",
    "unlink": "del", "getdel": "del", "pexpire": "expire", "expireat": "expire",
    "pexpireat": "expire", "lpushx": "lpush", "rpushx": "rpush", "blpop": "lpop",
    "brpop": "rpop", "hmset": "hset", "hsetnx": "hset", "zincrby": "zincr", "bzpopmin": "zpopmin",
    "bzpopmax": "zpopmax", "copy": "copy_to", "geoadd": "zadd", "georadius": "georadiusstore",
    "georadiusbymember": "georadiusstore",
}
GENERIC_EVENTS = {"del", "expire", "persist", "rename_from", "rename_to", "copy_to", "move_from",
                  "move_to", "restore", "new"}
GROUP_CLASS = {"string": "$", "bitmap": "$", "hyperloglog": "$", "list": "l", "set": "s",
               "hash": "h", "sorted-set": "z", "geo": "z", "stream": "t", "generic": "g"}
# Events of another class than their command's group (SORT is generic, its store a list)
EVENT_CLASS = {"sortstore": "l"}


def event_class(event: str, group: str) -> str:
    if event in GENERIC_EVENTS:
        return "g"
    if event == "expired":
        return "x"
    if event == "evicted":
        return "e"
    return EVENT_CLASS.get(event) or GROUP_CLASS.get(group, "g")


class Notifier:
    def __init__(self, server):
        self.server = server
        self.flags = ""

    def configure(self, flags: str) -> None:
        expanded = set(flags)
        if "A" in expanded:
            expanded |= set("g$lshzxetd")
        self.flags = "".join(sorted(expanded)) if expanded & set("KE") else ""
        # 'm' and 'n' fire from the keyspace itself (a read that misses, a key created), so
        # their hooks are installed only while someone asked for them
        stats = self.server.keyspace.stats
        stats.on_key_missed = self._key_missed if "m" in self.flags else None
        stats.on_key_added = self._key_added if "n" in self.flags else None

    def _key_missed(self, db, key) -> None:
        self.notify("m", "keymiss", key, db.index)

    def _key_added(self, db, key) -> None:
        self.notify("n", "new", key, db.index)

    def command_event(self, spec) -> str:
        return EVENTS.get(spec.name, spec.name)

    def notify(self, cls: str, event: str, key: bytes, db_index: int) -> None:
        flags = self.flags
        if cls not in flags:
            return
        publish = self.server.pubsub.publish
        if "K" in flags:
            publish(b"__keyspace@%d__:" % db_index + bytes(key), event.encode())
        if "E" in flags:
            publish(b"__keyevent@%d__:" % db_index + event.encode(), bytes(key))
