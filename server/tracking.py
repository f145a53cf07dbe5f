"""Client-side caching support (CLIENT TRACKING), as Redis 7 does it.

Default mode remembers which tracking clients read each key (commands flagged readonly; with
OPTIN only after CLIENT CACHING yes, with OPTOUT unless CLIENT CACHING no) and, when the key
is next modified, expired, evicted or flushed, sends those clients one invalidation and
forgets them. BCAST mode needs no memory of reads: every modified key under one of the
client's prefixes (none: every key) is announced at the end of the event-loop turn, one
message per prefix with its keys in order, as Redis's broadcast does. An
invalidation goes to the client itself as a RESP3 push `["invalidate", [keys]]`, or to its
REDIRECT client (a RESP3 push, or for a RESP2 client in pub/sub mode a message of
`__redis__:invalidate`, whatever channels it subscribed to); a flush sends a null key list. NOLOOP skips the client's own changes.
"""

from .replies import Push

CHANNEL = b"__redis__:invalidate"


class TrackingOptions:
    __slots__ = ("redirect", "bcast", "optin", "optout", "noloop", "prefixes", "caching",
                 "broken_redirect")

    def __init__(self, redirect=0, bcast=False, optin=False, optout=False, noloop=False,
                 prefixes=()):
        self.redirect, self.bcast, self.optin, self.optout = redirect, bcast, optin, optout
        self.noloop, self.prefixes = noloop, list(prefixes)
        self.caching = None  # CLIENT CACHING yes/no: for the next command only
        self.broken_redirect = False  # an invalidation found the redirect client gone


class Tracking:
    def __init__(self, server):
        self.server = server
        self.readers = {}  # key -> ids of the clients that read it (default mode)
        self.prefixes = {}  # prefix -> ids of the BCAST clients listening to it
        self.clients = 0  # clients with tracking on (a cheap "anything to do?" test)
        # BCAST: prefix -> {key: id of the first client that changed it (NOLOOP), or None}
        self._pending = {}
        self._flush_scheduled = False

    # -- clients ------------------------------------------------------------------------------
    def enable(self, client, options: TrackingOptions) -> None:
        if client.tracking is None:
            self.clients += 1
            self.server.refresh_key_hook()
        else:
            self._drop_prefixes(client)
        client.tracking = options
        for prefix in options.prefixes or ([b""] if options.bcast else []):
            self.prefixes.setdefault(prefix, set()).add(client.id)

    def disable(self, client) -> None:
        """CLIENT TRACKING off, or the client is gone. Its default-mode entries go lazily."""
        if client.tracking is None:
            return
        self._drop_prefixes(client)
        client.tracking = None
        self.clients -= 1
        self.server.refresh_key_hook()

    def _drop_prefixes(self, client) -> None:
        for prefix in client.tracking.prefixes or ([b""] if client.tracking.bcast else []):
            ids = self.prefixes.get(prefix)
            if ids is not None:
                ids.discard(client.id)
                if not ids:
                    del self.prefixes[prefix]

    # -- reads --------------------------------------------------------------------------------
    def remember(self, client, keys, consume: bool = True) -> None:
        """Keys a tracking client just read (default mode). `consume`: this read uses up a
        CLIENT CACHING answer (a script's reads leave it to the script's end)."""
        options = client.tracking
        caching = options.caching
        if consume:
            options.caching = None
        if options.bcast or (options.optin and caching is not True) or \
                (options.optout and caching is False):
            return
        for key in keys:
            self.readers.setdefault(bytes(key), set()).add(client.id)
        self.enforce_limit()

    def enforce_limit(self) -> None:
        """tracking-table-max-keys: past it, keys leave the table (their readers are told,
        as if the keys had changed), the oldest remembered first."""
        limit = self.server.config["tracking-table-max-keys"]
        while limit and len(self.readers) > limit:
            key = next(iter(self.readers))
            for client_id in self.readers.pop(key):
                self._send(client_id, [key], None, False)

    # -- changes ------------------------------------------------------------------------------
    def invalidate(self, key: bytes, by=None, evicted: bool = False) -> None:
        """A key changed (`by`: the client whose command changed it, None for expiry,
        eviction ...). A client is told after the reply of its own command that caused it;
        an eviction (before any command runs) is told at once, as Redis orders them."""
        key = bytes(key)
        ids = self.readers.pop(key, None)
        if ids:
            for client_id in ids:
                self._send(client_id, [key], by, not evicted)
        if self.prefixes:
            for prefix in self.prefixes:
                if key.startswith(prefix):
                    self._queue(prefix, key, by)

    def flush(self) -> None:
        """FLUSHDB / FLUSHALL: every tracking client is told to drop everything."""
        self.readers.clear()
        if not self.clients:
            return
        for client in list(self.server.clients):
            if client.tracking is not None:
                self._deliver(client, None, after_reply=True)

    def _queue(self, prefix: bytes, key: bytes, by) -> None:
        keys = self._pending.setdefault(prefix, {})
        causer = by.id if by is not None else None
        if key not in keys:
            keys[key] = causer
        elif keys[key] != causer:  # changed by another too (an expiry, say): NOLOOP spares
            keys[key] = None  # no one its announcement
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.server.loop.call_soon(self._announce)

    def _announce(self) -> None:
        pending, self._pending, self._flush_scheduled = self._pending, {}, False
        for prefix in sorted(pending):
            changed = pending[prefix]
            keys = sorted(changed)
            for client_id in sorted(self.prefixes.get(prefix, ())):
                client = self.server.clients.by_id.get(client_id)
                if client is None or client.tracking is None:
                    continue
                mine = keys
                if client.tracking.noloop:  # not the keys this client changed itself
                    mine = [key for key in keys if changed[key] != client_id]
                if mine:
                    self._deliver(client, mine)

    def _send(self, client_id: int, keys, by, may_wait: bool) -> None:
        client = self.server.clients.by_id.get(client_id)
        if client is None or client.tracking is None or client.tracking.bcast or (
                by is client and client.tracking.noloop):
            return  # (keys read before switching to BCAST are not announced, as in Redis)
        self._deliver(client, keys, may_wait and (by is None or by is client))

    def _deliver(self, client, keys, after_reply: bool = False) -> None:
        redirect = client.tracking.redirect
        target = client if not redirect else self.server.clients.by_id.get(redirect)
        if target is None:  # the redirect client went away
            client.tracking.broken_redirect = True
            if client.resp3:
                client.deliver(Push([b"tracking-redir-broken", redirect]))
            return
        after_reply = after_reply and target is client
        if target.resp3:
            target.deliver(Push([b"invalidate", keys]), after_reply)
        elif redirect and target.subscribed:  # (subscribed to anything, as Redis's check)
            target.deliver(Push([b"message", CHANNEL, keys]))

    # -- INFO -----------------------------------------------------------------------------------
    def stats(self) -> dict:
        return {"tracking_total_keys": len(self.readers),
                "tracking_total_items": sum(len(ids) for ids in self.readers.values()),
                "tracking_total_prefixes": len(self.prefixes)}
