"""WATCH bookkeeping: which clients watch which keys, and whose transaction must fail.

Every write reaches `touch()` through the server's on_key_modified hook, which is installed only
while some client watches something (or tracks keys), so the write path pays nothing otherwise.
"""

from .keyspace import now_ms


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
        client.watched[ident] = db.lookup(key) is not None
        self.watchers.setdefault(ident, set()).add(client)
        self.server.refresh_key_hook()

    def unwatch_all(self, client) -> None:
        for ident in client.watched:
            clients = self.watchers.get(ident)
            if clients is not None:
                clients.discard(client)
                if not clients:
                    del self.watchers[ident]
        client.watched = {}
        client.watch_dirty = False
        if not self.watchers:
            self.server.refresh_key_hook()

    def touch(self, db, key) -> None:
        clients = self.watchers.get((db.index, key))
        if clients:
            for client in clients:
                client.watch_dirty = True

    def touch_db(self, index, keys_before=None) -> None:
        """FLUSHDB/FLUSHALL/SWAPDB: every watched key in that db that existed is touched."""
        for (db_index, key), clients in self.watchers.items():
            if db_index == index and (keys_before is None or key in keys_before):
                for client in clients:
                    client.watch_dirty = True

    def exec_allowed(self, client) -> bool:
        if client.watch_dirty:
            return False
        now = now_ms()
        for (index, key), was_alive in client.watched.items():
            deadline = self.server.keyspace[index].expires.get(key)
            if was_alive and deadline is not None and deadline <= now:
                return False
        return True
