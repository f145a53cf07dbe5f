"""RDB snapshots of a running server: SAVE (in process), BGSAVE (in a forked child, so the event
loop keeps serving), and loading at start. Files are written to a temporary name and renamed,
so a crash never leaves a half-written dump.rdb behind."""

import os
import time

from ops.proc_title import CHILD_TITLES
from ops.rdb.codec import RDBError
from ops.rdb.file import RDBWriter, read_rdb
from ops.replication.resume import aux_fields, restore
from server import disk_errors
from server.keyspace import now_ms
from server.keyspace.serialize import build, describe
from server.loading import debug_delay, loading

PREDIS_AUX = b"predis-ver"


class Persistence:
    """A server's snapshots: SAVE in process, BGSAVE in a forked child, `save` points, and
    what INFO persistence reports about them."""

    def __init__(self, server):
        self.server = server
        self.child_pid = 0
        self.child_started = 0.0
        self.dirty_at_fork = 0
        self._last_status = "ok"
        self.saves = 0
        self.last_duration = -1
        self.loaded = {"keys_loaded": 0, "keys_expired": 0}
        self.scheduled = False  # BGSAVE SCHEDULE while a child runs

    @property
    def last_status(self) -> str:
        """"ok" or "err": how the last save ended (INFO rdb_last_bgsave_status)."""
        return self._last_status

    @last_status.setter
    def last_status(self, status: str) -> None:
        self._last_status = status
        disk_errors.refresh(self.server)  # (a failed save may stop writes: MISCONF)

    def save(self) -> bool:
        """SAVE: write the snapshot in this process (the loop waits, as Redis's SAVE)."""
        server = self.server
        started = time.monotonic()
        try:
            keys = write_snapshot(server, snapshot_path(server.config))
        except (OSError, ValueError) as exc:  # (the background save's status stays: Redis
            server.log.warning("save_failed", error=str(exc))  # sets it only from BGSAVE)
            return False
        self._saved(started, server.keyspace.dirty)
        server.log.info("save_done", keys=keys, seconds=round(time.monotonic() - started, 3))
        return True

    def background_save(self) -> bool:
        """BGSAVE: fork; the child writes the snapshot while the parent keeps serving."""
        server = self.server
        if self.child_pid:
            return False
        dirty_at_fork = server.keyspace.dirty
        pid, reporter = server.children.fork("rdb", CHILD_TITLES["bgsave"])
        if pid == 0:  # the child: write and leave without running any parent cleanup
            status = 1
            try:
                in_forked_child(server)
                write_snapshot(server, snapshot_path(server.config), reporter=reporter)
                reporter.finish()
                status = 0
            finally:
                os._exit(status)
        self.child_pid = pid
        self.child_started = time.monotonic()
        self.dirty_at_fork = dirty_at_fork
        server.log.info("bgsave_started", pid=pid)
        return True

    def rdb_child_running(self) -> bool:
        """A child writes an RDB: a BGSAVE's, or one for replicas' full resyncs (Redis runs
        one RDB child of either kind)."""
        source = self.server.replication
        return bool(self.child_pid) or (source is not None and source.syncs.child_pid != 0)

    def kill_child(self) -> None:
        """End the RDB child whose snapshot is no longer wanted (shutdown, FLUSHALL), and
        remove what it had written (a full resync's replicas are dropped, as Redis drops
        them)."""
        source = self.server.replication
        if source is not None:
            source.syncs.stop()
        pid = self.child_pid
        if pid:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            self.child_pid = 0
            self.server.children.child_done()
            remove_quietly(temp_snapshot_path(self.server.config["dir"], pid))

    def check_child(self) -> None:
        """The cron's reaping of a finished BGSAVE child."""
        if not self.child_pid:
            return
        pid, status = os.waitpid(self.child_pid, os.WNOHANG)
        if pid == 0:
            return
        self.child_pid = 0
        server = self.server
        server.children.child_done()
        if os.waitstatus_to_exitcode(status) == 0:
            self.saved_in_background(self.child_started, self.dirty_at_fork)
        else:
            self.last_status = "err"
            server.log.warning("bgsave_failed", status=status)

    def saved_in_background(self, started: float, dirty_included: int) -> None:
        """A child wrote dump.rdb (a BGSAVE's, or a disk-based full resync's)."""
        self._saved(started, dirty_included)
        self.server.log.info("bgsave_done")

    def _saved(self, started: float, dirty_included: int) -> None:
        self.server.keyspace.dirty -= dirty_included
        self.server.lastsave = int(time.time())
        self.last_status = "ok"
        self.saves += 1
        self.last_duration = int(time.monotonic() - started)

    def save_on_schedule(self) -> None:
        """A BGSAVE scheduled while another child ran, or one that `save <seconds> <changes>`
        points call for: checked by the cron, as Redis's serverCron does."""
        server = self.server
        if server.has_active_child():
            return
        if self.scheduled:
            self.scheduled = False
            self.background_save()
            return
        points = server.config["save"]
        if not points:
            return
        elapsed = time.time() - server.lastsave
        for seconds, changes in points:
            if server.keyspace.dirty >= changes and elapsed >= seconds:
                self.background_save()
                return


def in_forked_child(server) -> None:
    """First thing in a BGSAVE or AOF-rewrite child: signals' default actions, and the
    background child's OOM score."""
    from server.oom_score import BACKGROUND_CHILD
    from server.shutdown import forked_child

    forked_child()
    server.oom_score.apply(BACKGROUND_CHILD)


def snapshot_path(config) -> str:
    return os.path.join(config["dir"], config["dbfilename"])


def temp_snapshot_path(directory: str, pid: int) -> str:
    """Where process `pid` writes a snapshot before renaming it (Redis's temp-<pid>.rdb: a
    server that kills its BGSAVE child removes the child's)."""
    return os.path.join(directory, f"temp-{pid}.rdb")


def write_snapshot(server, path: str, version: int = 11, aof_base: bool = False,
                   reporter=None) -> int:
    """Write every database and function library to `path`; returns the number of keys.
    aof_base: the file is an AOF's base (the `aof-base` aux field says so, as in Redis).
    `reporter`: a forked child's (ops/children.py), told of the keys written."""
    temp = temp_snapshot_path(os.path.dirname(path) or ".", os.getpid())
    try:
        with open(temp, "wb") as handle:
            written = write_rdb(server, handle, version, aof_base,
                                server.config["rdb-key-save-delay"], reporter=reporter)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        remove_quietly(temp)
        raise
    return written


def remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_rdb(server, handle, version: int = 11, aof_base: bool = False,
              key_delay: int = 0, excludes=frozenset(), reporter=None) -> int:
    """The RDB of the whole server to a binary file object (a file, or a primary's full
    resync); returns the number of keys. key_delay: `rdb-key-save-delay` (Redis's tests use
    it to catch a save or a full resync midway).
    `excludes`: "data" and/or "functions" left out
    (a replica's REPLCONF rdb-filter-only)."""
    config = server.config
    written = 0
    writer = RDBWriter(handle, version, config["rdbcompression"], config["rdbchecksum"])
    writer.aux(b"redis-ver", server.version.encode())
    writer.aux(b"redis-bits", b"64")
    writer.aux(b"ctime", b"%d" % int(time.time()))
    writer.aux(b"used-mem", b"%d" % server.used_memory())
    for name, value in aux_fields(server):  # (where replication can resume from)
        writer.aux(name, value)
    writer.aux(b"aof-base", b"1" if aof_base else b"0")
    writer.aux(PREDIS_AUX, server.predis_version.encode())
    for library in () if "functions" in excludes else server.libraries.values():
        writer.function(library.code)
    for db in () if "data" in excludes else server.keyspace.dbs:
        if not db.data:
            continue
        # keys past their deadline too, as Redis writes them: the loader of a primary drops
        # them (and tells its replicas), a replica keeps them for its primary's DEL
        items = list(db.data.items())
        writer.select(db.index, len(items), sum(1 for k, _ in items if k in db.expires))
        for key, value in items:
            kind, contents = describe(value)
            writer.key(key, kind, contents, db.expires.get(key))
            written += 1
            if reporter is not None:
                reporter.written(written)
            if key_delay:
                debug_delay(key_delay)
    writer.finish()
    return written


def load_rdb_at_start(server) -> None:
    """The snapshot at `dir`/`dbfilename` (or --import-rdb's file), if there is one; a damaged
    file stops the start, as in Redis."""
    path = server.config["import-rdb"] or snapshot_path(server.config)
    if not os.path.exists(path):
        if server.config["import-rdb"]:
            raise OSError(f"--import-rdb file not found: {path}")
        return
    started = time.monotonic()
    try:
        aux, dropped = {}, []
        counts = load_snapshot(server, path, aux=aux, dropped=dropped)
    except RDBError as exc:  # (the start stops: Redis's last words in the log first)
        server.log.warning("rdb_load_failed", reason=str(exc))
        server.log.warning("rdb_load_terminating")
        raise
    restore(server, aux, dropped)
    server.persistence.loaded = counts
    if counts["empty_keys_skipped"]:
        server.log.warning("snapshot_loaded_skipping_empty_keys", path=path, **counts)
    else:
        server.log.info("snapshot_loaded", path=path,
                        seconds=round(time.monotonic() - started, 3), **counts)


def load_snapshot(server, path: str, caller=None, merge: bool = True, aux=None,
                  dropped=None) -> dict:
    """Load a snapshot into an empty server; returns counts. RDBError if the file is damaged.
    `caller`: the client whose command loads it (not served meanwhile). merge=False (DEBUG
    RELOAD NOFLUSH without MERGE) refuses a key or function library that is already there."""
    with open(path, "rb") as handle:
        return load_snapshot_bytes(server, handle.read(), caller, merge, aux, dropped)


def load_snapshot_bytes(server, data: bytes, caller=None, merge: bool = True, aux=None,
                        dropped=None) -> dict:
    """Load RDB contents (a file, or a primary's full resync) into an empty server, serving
    other clients meanwhile (server/loading.py)."""
    with loading(server, len(data), caller) as state:
        counts = _load(server, data, state.read, merge, aux=aux, dropped=dropped)
        state.input_done(len(data))
    return counts


def load_rdb_preamble(server, data: bytes, progress) -> tuple:
    """The RDB at the start of an AOF file written with aof-use-rdb-preamble (Redis 4-6's
    single-file AOF): (counts, the offset where the commands that follow it begin)."""
    end = []
    counts = _load(server, data, progress, True, end.append)
    return counts, end[0]


def _load(server, data: bytes, progress, merge: bool, on_end=None, aux=None,
          dropped=None) -> dict:
    """Keys and functions of RDB contents into the server; counts. `aux`, when given, gets the
    file's aux fields, `dropped` the (db, key) of keys a primary left out as expired (a
    replica keeps them: its primary deletes them)."""
    aux = {} if aux is None else aux
    skipped = {}
    verify = server.config["rdbchecksum"] and not server.skip_checksum_validation
    strings = StringBatch()
    try:
        loaded, expired, empty = _load_items(
            server, read_rdb(data, skip_modules=server.config["rdb-skip-module-data"],
                             progress=progress, on_end=on_end, verify_checksum=verify),
            merge, aux, dropped, skipped, strings)
    finally:
        strings.flush()  # (what was read before a damaged part stays, as it did key by key)
    if skipped:  # only with rdb-skip-module-data yes: say what was left behind
        server.log.warning("module_data_skipped", modules=skipped)
    return {"keys_loaded": loaded, "keys_expired": expired, "empty_keys_skipped": empty}


def _load_items(server, items, merge: bool, aux: dict, dropped, skipped: dict, strings):
    """_load's loop: (keys loaded, keys expired, empty keys skipped)."""
    loaded = expired = empty = 0
    now = now_ms()
    as_primary = server.master_link is None and not server.config["replicaof"]
    keyspace = server.keyspace
    for item in items:
        if item[0] == "function":  # (a snapshot holds them before its keys)
            refusal = server.restore_library(item[1], replace=merge)
            if refusal is not None:
                raise RDBError(refusal)
        elif item[0] == "aux":
            aux[bytes(item[1])] = bytes(item[2])
        elif item[0] == "empty":  # (Redis once saved such keys: skipped, not refused)
            if empty < 10:
                server.log.warning("rdb_empty_key_skipped", key=item[2].decode(errors="replace"))
            empty += 1
        elif item[0] == "module":
            skipped[item[3]] = skipped.get(item[3], 0) + 1
        elif item[0] == "key":
            _, index, key, kind, contents, expire_ms = item
            if index >= len(keyspace):
                raise RDBError(f"the file uses database {index}; 'databases' is "
                               f"{len(keyspace)}")
            if expire_ms is not None and expire_ms <= now and as_primary:
                expired += 1
                if dropped is not None:
                    dropped.append((index, key))
                continue
            db = keyspace[index]
            if not merge and (key in db.data or strings.holds(db, key)):
                # (Redis stops the server on this one)
                raise RDBError(f"duplicated key '{key.decode(errors='replace')}' in DB {index}")
            if kind == "string":
                strings.add(db, key, contents, expire_ms)
            else:
                if strings.holds(db, key):
                    strings.flush()
                db.delete(key)
                db.add(key, build(kind, contents))
                if expire_ms is not None:
                    db.set_expire(key, expire_ms)
            loaded += 1
    return loaded, expired, empty


class StringBatch:
    """Strings read from a file, stored a batch at a time: one engine call per batch, where
    storing them one by one would cost the GPU engine a kernel launch per key."""

    LIMIT = 1 << 14

    def __init__(self):
        self.db = None
        self.values: dict = {}  # key -> value, in file order
        self.deadlines: dict = {}  # key -> expire_ms, for those that have one

    def holds(self, db, key: bytes) -> bool:
        return db is self.db and key in self.values

    def add(self, db, key: bytes, value: bytes, expire_ms) -> None:
        if db is not self.db or key in self.values:
            self.flush()
            self.db = db
        self.values[key] = value
        if expire_ms is not None:
            self.deadlines[key] = expire_ms
        if len(self.values) >= self.LIMIT:
            self.flush()

    def flush(self) -> None:
        db, values = self.db, self.values
        if not values:
            return
        for key in values:
            if key in db.data:  # (a merge replaces keys as a delete and an add would)
                db.delete(key)
        db.set_strings(list(values), list(values.values()))
        for key, when in self.deadlines.items():
            db.set_expire(key, when)
        self.values, self.deadlines = {}, {}
