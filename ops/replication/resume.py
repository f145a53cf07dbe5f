"""The replication id and offset an RDB file keeps (its repl-id, repl-offset and
repl-stream-db aux fields), so that after a restart a primary's replicas, or a replica itself,
can go on with a partial resync instead of a full one (Redis's rdbPopulateSaveInfo and
loadDataFromDisk)."""


def aux_fields(server) -> list:
    """The fields to save: a primary's history once it has a backlog (it is in a chain), a
    replica's primary's once it synced; none otherwise."""
    link, source = server.master_link, server.replication
    if link is not None:
        if link.primary_id == "?":
            return []
        db, replid, offset = link.client.db.index, link.primary_id, link.offset
    elif source is not None:
        db, replid, offset = max(source.selected, 0), source.replid, source.offset
    else:
        return []
    return [(b"repl-stream-db", b"%d" % db), (b"repl-id", replid.encode()),
            (b"repl-offset", b"%d" % offset)]


def restore(server, aux: dict, dropped: list) -> None:
    """After the file loaded at start: a replica asks its primary to continue from the saved
    position (ReplicaLink takes `server.resume_from`); a primary keeps the saved id as its
    second one, its offset rebased on the saved one, so its former replicas continue, and
    the keys it `dropped` as expired go to them as DELs first (they still hold them; UNLINKs
    under lazyfree-lazy-expire)."""
    try:
        replid = aux[b"repl-id"].decode()
        offset, db = int(aux[b"repl-offset"]), int(aux[b"repl-stream-db"])
    except (KeyError, ValueError, UnicodeDecodeError):
        return
    if offset < 0 or not 0 <= db < len(server.keyspace) or len(replid) != 40:
        return
    if server.config["replicaof"]:
        server.resume_from = (replid, offset, db)
        return
    source = server.replication_source()
    source.replid2, source.second_offset = replid, offset + 1
    source.offset += offset
    source.backlog_start = source.offset + 1 - len(source.backlog)
    deletion = b"UNLINK" if server.config["lazyfree-lazy-expire"] else b"DEL"
    for index, key in dropped:
        source.feed(index, [[deletion, key]])
