"""`client-output-buffer-limit`: a client whose unsent output passes its class's hard limit,
or stays above the soft limit for the soft seconds, is closed at once and its unsent output
discarded, as Redis's checkClientOutputBufferLimits does.

Classes, as Redis's getClientType: a replica (its replication stream), a subscribed client
(pubsub), everyone else (normal); the link to our own primary has no limit. Pub/sub checks at
each delivery (server/pubsub.py); a normal or replica client's connection is checked before each
write while its class has a limit (by default only replicas: a normal client's write then pays
one attribute test), counting the output about to be queued as Redis counts its reply list
(what does not fit its reply buffer, whose size follows the client's recent replies, in
its list's nodes: protocol/reply_buffer.py), so a reply over the hard limit is never sent; the
client cron checks every class too (a soft limit ends while no new output comes).
"""

import time

from .protocol.reply_buffer import CHUNK_BYTES, reply_list_bytes

# A client that has not authenticated yet (where a password is required) may hold this much
# output, whatever its class: it cannot make the server buffer replies it never reads
# (Redis 7.2.8's fix for CVE-2025-21605).
UNAUTHENTICATED_LIMIT = (1024, 0, 0)


def output_class(client) -> str | None:
    """The limit class of `client` (the config's names: normal, slave, pubsub)."""
    if client.is_primary:
        return None
    if client.replica is not None:
        return "slave"
    if client.subscribed:
        return "pubsub"
    return "normal"


def limit_reached(client, limit: tuple, pending: int) -> bool:
    """Whether `pending` unsent bytes break (hard, soft, soft seconds), keeping the time the
    client first went over the soft limit."""
    hard, soft, seconds = limit
    over_soft = soft and pending > soft
    if over_soft and client.soft_limit_since is None:
        client.soft_limit_since = time.monotonic()
    elif not over_soft:
        client.soft_limit_since = None
    return bool((hard and pending > hard) or
                (over_soft and time.monotonic() - client.soft_limit_since >= seconds))


def close_if_over(server, client, cls: str, limit: tuple, incoming: int = 0) -> bool:
    """Close `client` (discarding its output) when over `limit` with `incoming` bytes more to
    queue; True if it was closed."""
    conn = client.conn
    if conn is None or conn.closed:
        return False
    pending = conn.output_buffer_size()
    past_buffer = incoming - (0 if pending else conn.reply_buffer.size)
    if past_buffer > 0:
        pending += reply_list_bytes(past_buffer)
    if not limit_reached(client, limit, pending):
        return False
    server.log.warning("client_output_buffer_limit", client_id=client.id, addr=client.addr,
                       cls=cls, pending=pending)
    if cls == "pubsub":
        server.pubsub.drop_client(client)
    client.kill(abort=True)  # free the memory now
    return True


def cut_short(client, reply_bytes: int) -> bool:
    """Redis writes a long reply piece by piece and closes the client once its output passes
    the hard limit, mid-command (HRANDFIELD key -999999999 stops there). For a reply of about
    `reply_bytes` past that limit: close the client now, without building the reply. True if
    it was closed."""
    cls = output_class(client)
    limit = client.server.config["client-output-buffer-limit"].get(cls) if cls else None
    buffer = client.conn.reply_buffer.size if client.conn is not None else CHUNK_BYTES
    if not limit or not limit[0] or reply_bytes <= limit[0] + buffer:
        return False
    return close_if_over(client.server, client, cls, (limit[0], 0, 0), reply_bytes)


def watch(server, client) -> None:
    """Arm (or disarm) the before-write check of a client's connection: armed while its class,
    normal or replica, has a limit, or while it has not authenticated (at a new connection,
    when it becomes a replica, authenticates or RESETs, and when the configuration changes;
    the check looks the class up again, as it can change)."""
    conn = client.conn
    if conn is None:
        return
    cls = output_class(client)
    limit = server.config["client-output-buffer-limit"].get(cls, (0, 0, 0)) \
        if cls in ("normal", "slave") else (0, 0, 0)
    if limit[0] or limit[1] or not client.authenticated:
        conn.output_check = lambda _conn, size: check(server, client, size)
    else:
        conn.output_check = None


def check(server, client, incoming: int = 0) -> bool:
    """Close `client` if its class's limit is passed (with `incoming` bytes about to be
    queued); True if it was closed."""
    cls = output_class(client)
    if not client.authenticated and cls is not None:
        return close_if_over(server, client, "unauthenticated", UNAUTHENTICATED_LIMIT, incoming)
    if cls is not None:
        limit = server.config["client-output-buffer-limit"].get(cls)
        if limit is not None and (limit[0] or limit[1]):
            return close_if_over(server, client, cls, limit, incoming)
    return False
