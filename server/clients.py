"""The connected clients: the registry by id, the memory they take (which counts in used_memory,
as Redis counts it), client eviction (`maxmemory-clients`), and Redis's client cron
(clientsCron)."""

import time
from collections import deque

from . import output_limits
from .protocol.query_buffer import allocation
from .protocol.reply_buffer import CHUNK_BYTES

CRON_MIN_ITERATIONS = 5  # Redis's CLIENTS_CRON_MIN_ITERATIONS
PEAK_SLOTS = 8  # Redis's CLIENTS_PEAK_MEM_USAGE_SLOTS: one a second, the last 8 seconds
# used_memory's estimate of a connection's own objects (besides its buffers)
CLIENT_OVERHEAD = 20_000
MIN_CLIENT_EVICTION_LIMIT = 128 * 1024  # Redis's floor for maxmemory-clients
# Redis's per-item overheads in getClientMemoryUsage (64-bit): a watched key's list node and
# watchedKey, a pattern's list node, a channel's dict entry and bucket pointer, a tracking
# prefix's rax nodes
WATCHED_KEY_BYTES = 24 + 32
MULTI_COMMAND_BYTES = 24  # Redis's multiCmd: a queued command's slot
PATTERN_BYTES = 24
DICT_ENTRY_BYTES, DICT_SLOT_BYTES = 24, 8
TRACKING_PREFIX_BYTES = 4 * 8


def client_memory(client) -> int:
    """What a client holds, for used_memory and client eviction (Redis's
    getClientMemoryUsage): base, input of unfinished commands, output not yet sent, a MULTI
    queue, and the per-client overheads of watched keys, subscriptions and tracking prefixes;
    CLIENT LIST's tot-mem. (Input counts as held, not as the modelled room of Redis's query
    buffer that qbuf-free shows, which grows with each read's size: Redis reads 16 KB at a
    time where Predis takes a whole pipeline, so that model would count pipelines Redis never
    holds.)"""
    conn = client.conn
    if conn is not None and conn.closed:
        return 0  # killed or evicted: gone as far as memory goes, though not yet reaped
    memory = CLIENT_OVERHEAD
    if conn is not None:  # (the overhead counts a new client's 16 KB reply buffer)
        memory += conn.input_held() + conn.output_buffer_size() + \
            conn.reply_buffer.size - CHUNK_BYTES
    if client.replica is not None:  # the stream held during its snapshot or until its first
        memory += len(client.replica.pending)  # ACK: in Redis's replica output buffer too
    memory += multi_state_memory(client)
    if client.subscribed:
        memory += (len(client.psubscriptions) * PATTERN_BYTES
                   + _dict_bytes(len(client.subscriptions))
                   + _dict_bytes(len(client.ssubscriptions)))
    if client.tracking is not None:
        memory += len(client.tracking.prefixes) * TRACKING_PREFIX_BYTES
    return memory


def argv_memory(args) -> int:
    """A command's arguments as Redis counts them (argv_len_sum and the pointers)."""
    return sum(map(len, args)) + 8 * len(args)


def queued_memory(client) -> int:
    """The queued commands' arguments, while in MULTI or EXEC (Redis's mstate.argv_len_sums:
    CLIENT LIST's multi-mem)."""
    return client.multi_memory if client.multi is not None or client.exec_state else 0


def multi_state_memory(client) -> int:
    """Redis's multiStateMemOverhead (in tot-mem): the queued arguments, the queue's slots
    (two at the first command, doubling when full) and the watched keys' overhead."""
    queue = client.exec_state[0] if client.exec_state else client.multi
    slots = max(2, 1 << (len(queue) - 1).bit_length()) if queue else 0
    return (queued_memory(client) + slots * MULTI_COMMAND_BYTES
            + len(client.watched) * WATCHED_KEY_BYTES)


def _dict_bytes(size: int) -> int:
    """A Redis dict of `size` entries: the entries and a power-of-two bucket table."""
    if not size:
        return 0
    return size * DICT_ENTRY_BYTES + max(4, 1 << (size - 1).bit_length()) * DICT_SLOT_BYTES


def _evictable(client) -> bool:
    """Redis's clientEvictionAllowed: normal and pub/sub clients without CLIENT NO-EVICT."""
    return not (client.no_evict or client.replica is not None or client.is_primary
                or client.conn is None or client.conn.closed)


class ClientRegistry:
    def __init__(self):
        self.by_id: dict = {}
        self.next_id = 1
        self.monitors: list = []
        self._cron_turns: deque = deque()  # clients the cron has still to visit this round
        # client_memory() of every client as last measured (each keeps its own in `memory`):
        # all of them, and the replicas' links (which eviction leaves out, as Redis does)
        self.memory = 0
        self.replica_memory = 0
        self.evicted = 0  # INFO evicted_clients
        self.eviction_limit = 0  # maxmemory-clients in bytes (eviction_limit()), 0: off
        # INFO client_recent_max_input_buffer / _output_buffer: the largest query buffer and
        # output seen by the cron's visits, per second of the last PEAK_SLOTS
        self.input_peaks = [0] * PEAK_SLOTS
        self.output_peaks = [0] * PEAK_SLOTS

    def register(self, client) -> None:
        self.by_id[client.id] = client
        self.measure(client)

    def unregister(self, client) -> None:
        if self.by_id.pop(client.id, None) is not None:
            self._record(client, 0)
        if client in self.monitors:
            self.monitors.remove(client)
        client.server.on_client_gone(client)

    # -- memory ---------------------------------------------------------------------------
    def measure(self, client) -> None:
        """Measure a client's memory again (the cron's visit, a client about to be judged)."""
        self._record(client, client_memory(client))

    def _record(self, client, memory: int) -> None:
        """Replace the client's share of the totals (a client that became a replica since it
        was last measured moves to the replicas' share)."""
        self.memory += memory - client.memory
        if client.memory_as_replica:
            self.replica_memory -= client.memory
        client.memory_as_replica = client.replica is not None
        if client.memory_as_replica:
            self.replica_memory += memory
        client.memory = memory

    def measure_all(self) -> None:
        for client in self.by_id.values():
            self.measure(client)

    def evict_before_command(self, client, args) -> bool:
        """Before `client` runs a command (Redis evicts clients there): with its arguments
        counted as its memory (Redis's argv), are the clients over maxmemory-clients? The
        largest are closed until they are not; True if that closed this client."""
        # (a client that cannot be evicted counts as last measured, as in Redis, whose
        # memory buckets leave it out)
        argv = argv_memory(args) if _evictable(client) else 0
        self.measure(client)
        if self.memory - self.replica_memory + argv < self.eviction_limit:
            return False
        self.evict_over(self.eviction_limit, client, argv)
        return client.conn is None or client.conn.closed

    def evict_over(self, limit: int, current=None, argv: int = 0) -> None:
        """maxmemory-clients: close the largest evictable clients until the clients' memory
        (replica links apart) is under `limit`, as Redis's evictClients (`current`: the client
        about to run a command of `argv` bytes)."""
        self.measure_all()
        if current is not None:
            self._record(current, current.memory + argv)
        remaining = self.memory - self.replica_memory
        if remaining < limit:
            return
        for client in sorted(filter(_evictable, self.by_id.values()),
                             key=lambda c: c.memory, reverse=True):
            client.log_event("client_evicted", memory=client.memory, limit=limit)
            client.kill(abort=True)  # its output goes; it leaves the registry once closed,
            remaining -= client.memory  # but its memory is given back now
            self._record(client, 0)
            self.evicted += 1
            if remaining < limit:
                return
        # (still over: the rest are replicas or NO-EVICT clients, which Redis keeps too)

    def __iter__(self):
        return iter(list(self.by_id.values()))

    def __len__(self):
        return len(self.by_id)

    def cron(self, hz: int, timeout: int) -> None:
        """One tick of Redis's clientsCron: a share of the clients (at least 5, so each comes
        round about once a second) is closed past `timeout` seconds idle or past its output
        buffer limit (a soft limit runs out with no new output), or has its query buffer's
        room resized."""
        count = len(self.by_id)
        iterations = max(count // hz, min(count, CRON_MIN_ITERATIONS))
        turns = self._cron_turns
        now = time.time()
        slot = int(now) % PEAK_SLOTS
        self.input_peaks[(slot + 1) % PEAK_SLOTS] = 0  # the slot that is 8 seconds old next
        self.output_peaks[(slot + 1) % PEAK_SLOTS] = 0
        for _ in range(iterations):
            if not turns:
                turns.extend(self.by_id.values())
            client = turns.popleft()
            if client.id not in self.by_id:
                continue  # gone since the round started
            idle = now - client.last_interaction
            if timeout and idle > timeout and _may_time_out(client):
                client.kill()
            elif client.conn is not None and not output_limits.check(client.server, client):
                client.conn.resize_query_buffer(idle)
                client.conn.resize_reply_buffer(int(now * 1000), client.server.reply_buffers)
                self._note_peaks(client.conn, slot)
            self.measure(client)  # (after the resizing, as Redis's clientsCron)

    def _note_peaks(self, conn, slot: int) -> None:
        """Redis's clientsCronTrackExpansiveClients: the query buffer's allocation and the
        output waiting, as the cron finds them."""
        held = allocation(conn.query_buffer_room())
        if held > self.input_peaks[slot]:
            self.input_peaks[slot] = held
        if conn.output_buffer_size() > self.output_peaks[slot]:
            self.output_peaks[slot] = conn.output_buffer_size()


def eviction_limit(config) -> int:
    """maxmemory-clients in bytes (a percentage is of maxmemory), 0 when off; never under
    128 KB, so that a bad setting cannot cut every client off (Redis's rule)."""
    setting = config["maxmemory-clients"]
    if setting < 0:
        if not config["maxmemory"]:
            return 0
        setting = int(config["maxmemory"] * -setting / 100)
    return max(setting, MIN_CLIENT_EVICTION_LIMIT) if setting else 0


def _may_time_out(client) -> bool:
    """Redis's exemptions from `timeout`: replicas, monitors, the primary's link, clients
    blocked on a command and subscribers."""
    return (client.replica is None and not client.monitor and not client.obeys_unconditionally
            and client.blocked is None and not client.subscribed)
