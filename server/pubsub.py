"""Pub/sub: channel, pattern and shard-channel subscriptions, and message delivery.

Messages go through each subscriber's connection (`deliver`), which keeps them in order with
that client's replies. A subscriber that cannot keep up is disconnected once its pending output
passes `client-output-buffer-limit pubsub` (hard limit at once, soft limit after its seconds),
instead of letting the server's memory grow without bound.
"""

from .glob import compile_glob
from .output_limits import close_if_over
from .replies import Push


class PubSub:
    def __init__(self, server):
        self.server = server
        self.channels: dict = {}  # channel -> {client: None} (insertion-ordered)
        self.patterns: dict = {}  # pattern -> {client: None}
        self.shard_channels: dict = {}

    # -- subscriptions ------------------------------------------------------------------
    def subscribe(self, client, kind: str, name: bytes) -> bool:
        table, mine = self._tables(client, kind)
        if name in mine:
            return False
        mine[name] = None
        table.setdefault(name, {})[client] = None
        client.subscribed = True
        return True

    def unsubscribe(self, client, kind: str, name: bytes) -> bool:
        table, mine = self._tables(client, kind)
        if name not in mine:
            return False
        del mine[name]
        subscribers = table.get(name)
        if subscribers is not None:
            subscribers.pop(client, None)
            if not subscribers:
                del table[name]
        client.subscribed = bool(client.subscriptions or client.psubscriptions
                                 or client.ssubscriptions)
        return True

    def names(self, client, kind: str) -> list:
        """What `client` is subscribed to, of one kind, in subscription order."""
        return list(self._tables(client, kind)[1])

    def drop_client(self, client) -> None:
        for kind in ("channel", "pattern", "shard"):
            _, mine = self._tables(client, kind)
            for name in list(mine):
                self.unsubscribe(client, kind, name)

    def _tables(self, client, kind: str):
        if kind == "channel":
            return self.channels, client.subscriptions
        if kind == "pattern":
            return self.patterns, client.psubscriptions
        return self.shard_channels, client.ssubscriptions

    # -- delivery ---------------------------------------------------------------------------
    def publish(self, channel: bytes, message: bytes, shard: bool = False) -> int:
        receivers = 0
        if shard:
            for client in list(self.shard_channels.get(channel, ())):
                self._send(client, Push([b"smessage", channel, message]))
                receivers += 1
            return receivers
        for client in list(self.channels.get(channel, ())):
            self._send(client, Push([b"message", channel, message]))
            receivers += 1
        for pattern, clients in list(self.patterns.items()):
            if compile_glob(pattern).fullmatch(channel):
                for client in list(clients):
                    self._send(client, Push([b"pmessage", pattern, channel, message]))
                    receivers += 1
        return receivers

    def _send(self, client, message) -> None:
        if client.conn is None or client.conn.closed:
            return
        # a message to the publishing client itself follows its command's reply (and EXEC's,
        # and the script's), as in Redis 7.2
        client.deliver(message, after_reply=client.conn.executing)
        close_if_over(self.server, client, "pubsub",
                      self.server.config["client-output-buffer-limit"]["pubsub"])

    # -- introspection ------------------------------------------------------------------
    def channel_names(self, pattern=None, shard=False) -> list:
        table = self.shard_channels if shard else self.channels
        if pattern is None:
            return list(table)
        match = compile_glob(bytes(pattern)).fullmatch
        return [name for name in table if match(name)]

    def count(self, client, kind: str = "channel") -> int:
        """The number a (un)subscribe confirmation reports: shard channels count apart."""
        if kind == "shard":
            return len(client.ssubscriptions)
        return len(client.subscriptions) + len(client.psubscriptions)
