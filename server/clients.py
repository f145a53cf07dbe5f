"""The connected clients: the registry by id, and Redis's client cron (clientsCron)."""

import time
from collections import deque

from . import output_limits

CRON_MIN_ITERATIONS = 5  # Redis's CLIENTS_CRON_MIN_ITERATIONS


class ClientRegistry:
    def __init__(self):
        self.by_id: dict = {}
        self.next_id = 1
        self.monitors: list = []
        self._cron_turns: deque = deque()  # clients the cron has still to visit this round

    def register(self, client) -> None:
        self.by_id[client.id] = client

    def unregister(self, client) -> None:
        self.by_id.pop(client.id, None)
        if client in self.monitors:
            self.monitors.remove(client)
        client.server.on_client_gone(client)

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


def _may_time_out(client) -> bool:
    """Redis's exemptions from `timeout`: replicas, monitors, the primary's link, clients
    blocked on a command and subscribers."""
    return (client.replica is None and not client.monitor and not client.obeys_unconditionally
            and client.blocked is None and not client.subscribed)
