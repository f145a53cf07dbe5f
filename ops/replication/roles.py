"""A server's role changes: REPLICAOF host port (follow a primary) and REPLICAOF NO ONE (become
a primary with a new history), also asked by FAILOVER and by `replicaof` at start."""

from server.errors import DEMOTED
from server.replies import ErrorReply


def replicate_from(server, host: str, port: int) -> None:
    """Drop the current link, follow the new primary."""
    from .replica import ReplicaLink

    link, source = server.master_link, server.replication
    if link is not None:
        link.stop()
        if link.primary_id != "?":  # PSYNC the new primary from where this one stood
            server.resume_from = (link.primary_id, link.offset, link.client.db.index)
    elif source is not None:  # a primary with a history: from the end of its own
        server.resume_from = (source.replid, source.offset, max(source.selected, 0))
    # (its own replicas stay: they are dropped if the new primary's history differs)
    _unblock_all(server, DEMOTED)
    server.config.values["replicaof"] = f"{host} {port}"  # (CONFIG GET / REWRITE show it)
    server.master_link = ReplicaLink(server, host, port)
    server.keyspace.stats.on_replica = True
    server.replica_written.forget_all()
    server.master_link.start()
    server.oom_score.apply()
    server.log.info("replicaof", primary=f"{host}:{port}")


def stop_replicating(server) -> None:
    """Keep the data, become a primary with a new history."""
    link, server.master_link = server.master_link, None
    if link is None:
        return
    server.config.values["replicaof"] = ""
    link.stop()
    server.keyspace.stats.on_replica = False
    server.replica_written.forget_all()
    server.oom_score.apply()
    server.acks.promoted(link.offset)
    if server.replication is not None:
        server.replication.new_history()  # (its replicas reconnect to learn the new id)
    server.log.info("replica_promoted", offset=link.offset)


def _unblock_all(server, message: str) -> None:
    """Clients blocked on keys or in WAIT/WAITAOF get `message` and are closed (Redis's
    disconnectAllBlockedClients); those held by CLIENT PAUSE stay."""
    for client in list(server.clients):
        if client.blocked is not None:
            client.close_after_reply = True
            server.unblock(client, ErrorReply(message))
