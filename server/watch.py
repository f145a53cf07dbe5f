"""WATCH bookkeeping: which clients watch which keys, and whose transaction must fail.

Every write reaches `touch()` through the server's on_key_modified hook, which is installed only
while some client watches something (or tracks keys), so the write path pays nothing otherwise.
"""

from .keyspace import now_ms

# What a watched key was, per client: alive when WATCHed (EXEC fails if it has expired since),
# absent, or stale: a key that SWAPDB brought in already expired, which EXEC then ignores as
# Redis does (its watchedKey.expired flag).
ALIVE, ABSENT, STALE = "alive", "absent", "stale"


class WatchRegistry:
    def __init__(self, server):
        self.server = server
        self.watchers: dict = {}  # (db index, key) -> set of clients

    def watch(self, client, key) -> None:
        db = client.db
        ident = (db.index, key)
        if ident in client.watched:
            return
        # Remember whether the key was alive: if it expires before EXEC, EXEC fails (Redis 7).
        client.watched[ident] = ALIVE if db.lookup(key) is not None else ABSENT
        self.watchers.setdefault(ident, set()).add(client)
        self.server.refresh_key_hook()

    def unwatch_all(self, client) -> None:
        self._forget_keys(client)
        client.watch_dirty = False

    def _forget_keys(self, client) -> None:
        for ident in client.watched:
            clients = self.watchers.get(ident)
            if clients is not None:
                clients.discard(client)
                if not clients:
                    del self.watchers[ident]
        client.watched = {}
        if not self.watchers:
            self.server.refresh_key_hook()

    def _dirty(self, dirtied: list) -> None:
        """Clients whose EXEC will now fail watch nothing more (Redis's touchWatchedKey
        unwatches them: no memory held, no later write looked at, until EXEC or UNWATCH)."""
        for client in dirtied:
            self._forget_keys(client)

    def touch(self, db, key) -> None:
        ident = (db.index, key)
        clients = self.watchers.get(ident)
        if clients:
            gone = key not in db.data
            self._dirty([client for client in clients if _touched(client, ident, gone)])

    def touch_swapped(self, db, replaced_with) -> None:
        """SWAPDB, before the swap: watchers of `db`'s keys whose value changes logically
        (Redis's touchAllWatchedKeysInDb; an expired key counts as no key)."""
        now = now_ms()

        def stale(key):
            deadline = replaced_with.expires.get(key)
            return deadline is not None and deadline <= now

        dirtied = []
        for (index, key), clients in self.watchers.items():
            if index != db.index:
                continue
            in_emptied, in_replacement = key in db.data, key in replaced_with.data
            if not (in_emptied or in_replacement):
                continue
            for client in clients:
                if client.watched.get((index, key)) is STALE:
                    if in_replacement and stale(key):
                        continue  # an expired key replaced by an expired key
                elif not in_emptied and stale(key):
                    client.watched[(index, key)] = STALE  # no key replaced by an expired key
                    continue
                if _touched(client, (index, key), gone=not in_replacement):
                    dirtied.append(client)
        self._dirty(dirtied)

    def touch_db(self, index, keys_before=None) -> None:
        """FLUSHDB/FLUSHALL: every watched key in that db that existed is touched (a stale one
        goes as a deleted stale key does)."""
        dirtied = []
        for (db_index, key), clients in self.watchers.items():
            if db_index == index and (keys_before is None or key in keys_before):
                dirtied += [client for client in clients
                            if _touched(client, (db_index, key), gone=True)]
        self._dirty(dirtied)

    def exec_allowed(self, client) -> bool:
        if client.watch_dirty:
            return False
        now = now_ms()
        for (index, key), state in client.watched.items():
            deadline = self.server.keyspace[index].expires.get(key)
            if state is ALIVE and deadline is not None and deadline <= now:
                return False
        return True


def _touched(client, ident, gone: bool) -> bool:
    """A watched key changed: the client's EXEC will fail, unless the key was stale (brought in
    expired by SWAPDB) and is now gone, which is no logical change (Redis's touchWatchedKey).
    True if the client's transaction is doomed by it."""
    if gone and client.watched.get(ident) is STALE:
        client.watched[ident] = ABSENT
        return False
    client.watch_dirty = True
    return True
