"""The registry's memory totals (server/clients.py) follow clients that come, grow, become
replicas and go: no drift, whatever the order."""

from types import SimpleNamespace

from server.clients import ClientRegistry
from server.protocol.reply_buffer import ReplyBuffer


class _Conn:
    closed = False

    def __init__(self):
        self.held, self.output = 0, 0
        self.reply_buffer = ReplyBuffer(now_ms=0)

    def input_held(self):
        return self.held

    def output_buffer_size(self):
        return self.output


class _Server:
    def on_client_gone(self, client):
        pass


class _Client:
    def __init__(self, client_id):
        self.id, self.conn, self.server = client_id, _Conn(), _Server()
        self.replica, self.memory, self.memory_as_replica = None, 0, False
        self.multi, self.watched, self.subscribed, self.tracking = None, {}, False, None
        self.exec_state = None


def test_totals_follow_clients_that_grow_turn_replica_and_leave():
    registry = ClientRegistry()
    normal, later_replica = _Client(1), _Client(2)
    for client in (normal, later_replica):
        registry.register(client)
    base = registry.memory // 2
    normal.conn.output = 5000
    # PSYNC made it a replica after it connected; 300 bytes of stream wait for its first ACK
    later_replica.replica = SimpleNamespace(pending=bytearray(300))
    later_replica.conn.output = 7000
    registry.measure_all()
    assert (registry.memory, registry.replica_memory) == (2 * base + 12300, base + 7300)
    registry.unregister(later_replica)
    assert (registry.memory, registry.replica_memory) == (base + 5000, 0)
    registry.unregister(normal)
    assert (registry.memory, registry.replica_memory) == (0, 0)


def test_a_closed_client_holds_nothing_and_lists_count_as_redis_counts_them():
    from server.clients import DICT_SLOT_BYTES, WATCHED_KEY_BYTES, client_memory

    client = _Client(1)
    base = client_memory(client)
    client.watched = {(0, b"k%d" % i): True for i in range(10)}
    assert client_memory(client) == base + 10 * WATCHED_KEY_BYTES
    client.subscribed, client.subscriptions = True, {b"a": None, b"b": None, b"c": None}
    client.psubscriptions, client.ssubscriptions = {}, {}
    # three dict entries and a table of four buckets
    assert client_memory(client) == base + 10 * WATCHED_KEY_BYTES + 3 * 24 + 4 * DICT_SLOT_BYTES
    client.conn.closed = True
    assert client_memory(client) == 0
