"""Writing the append-only file: one propagation sink (server/propagation.py).

Propagated commands are buffered and written to the current incremental file with one os.write
before any output leaves the server (the connections ask `gate` first) and from the cron, so a
killed process loses nothing it acknowledged (the kernel holds the bytes). `appendfsync`
decides when they reach the disk: `always` holds every connection's output once something
was written, and one fsync at the start of the next loop turn releases them all (Redis's
group commit: one fsync per turn, not per client); `everysec` fsyncs once a second from the
cron; `no` leaves it to the kernel.

BGREWRITEAOF (and the automatic rewrite past `auto-aof-rewrite-percentage`): the parent opens
a new incremental file and records it in the manifest (so a crash at any moment leaves a
loadable AOF), then a forked child writes the new base (an RDB snapshot of the fork's moment).
When the child succeeds, the manifest is switched to the new base plus the incremental files
opened since the fork, and the old files are deleted; when it fails, nothing changes.
"""

import os
import time

from ops.commandstream import encode
from ops.proc_title import CHILD_TITLES
from server import disk_errors
from ops.aof.rewrite import write_aof_base
from ops.snapshot import in_forked_child, write_snapshot

from .manifest import Manifest, base_name, incr_name, read_manifest, write_manifest


class AppendOnlyFile:
    def __init__(self, server, directory: str, filename: str):
        self.server = server
        self.directory = directory
        self.filename = filename
        self.manifest = read_manifest(directory, filename) or Manifest()
        self.fd = None
        self.pending: list = []  # encoded commands not yet written
        self.held: set = set()  # connections whose output waits for the next fsync (always)
        self.sync_scheduled = False
        self.selected = -1  # the database the file's last SELECT chose
        self.stamped = 0  # the second of the last "#TS:" annotation (aof-timestamp-enabled)
        self.unsynced = False
        self.last_fsync = time.monotonic()
        self.fsynced_offset = 0  # the replication offset the last fsync covered (WAITAOF)
        self.size = 0  # bytes of the incremental files since the last rewrite
        self.base_size = 0
        self.child = None  # (pid, new base (name, seq), seq of the first incr after the fork,
        #                     start time)
        self.scheduled = False
        # (name, seq) of the incremental file start_in_background opened: written to, but in
        # the manifest only once the child's base is there (Redis's AOF_WAIT_REWRITE)
        self.waiting_base = None
        self.rewrites = 0
        self.last_rewrite_status = "ok"
        self.last_rewrite_seconds = -1
        self.last_write_status = "ok"
        self.last_write_error = ""  # why the last failed write failed (MISCONF's words)

    # -- opening -------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.manifest.base is not None or bool(self.manifest.incrs)

    def adopt_old_style(self) -> bool:
        """Redis 7's upgrade of a Redis 4-6 AOF (one file, `appendfilename` in `dir`, perhaps
        starting with an RDB preamble): the file moves into the AOF directory as the base,
        under the name it had, named by the manifest. As Redis decides it: when the AOF
        directory or its manifest is missing or names nothing, or when an interrupted upgrade
        left a manifest that names that file alone as its base, not moved yet. True if it
        did."""
        old = os.path.join(self.server.config["dir"], self.filename)
        if not os.path.isfile(old):
            return False
        manifest = self.manifest
        interrupted = (manifest.base is not None and manifest.base[0] == self.filename
                       and not manifest.incrs
                       and not os.path.exists(os.path.join(self.directory, self.filename)))
        if self.exists() and not interrupted:
            return False
        os.makedirs(self.directory, exist_ok=True)
        self.manifest = Manifest((self.filename, 1), [])
        write_manifest(self.directory, self.filename, self.manifest)
        os.replace(old, os.path.join(self.directory, self.filename))
        self.server.log.info("aof_upgraded", directory=self.directory)
        return True

    def create(self) -> None:
        """A new AOF from the data in memory: base snapshot written here (the loop waits, as
        for SAVE), then an empty incremental file."""
        os.makedirs(self.directory, exist_ok=True)
        seq = (self.manifest.base[1] if self.manifest.base else 0) + 1
        name = self._base_name(seq)
        self._write_base(name)
        old = self.manifest.files()
        self.manifest = Manifest((name, seq), [])
        self._open_next_incr()
        current = set(self.manifest.files())  # (the new incr file may reuse an old name)
        self._remove([file for file in old if file not in current])
        self.base_size = os.path.getsize(os.path.join(self.directory, name))

    def _base_name(self, seq: int) -> str:
        return base_name(self.filename, seq, rdb=self.server.config["aof-use-rdb-preamble"])

    def _write_base(self, name: str, reporter=None) -> None:
        """The data as it is now: an RDB, or with aof-use-rdb-preamble no the commands that
        rebuild it (ops/aof/rewrite.py)."""
        path = os.path.join(self.directory, name)
        if name.endswith(".rdb"):
            write_snapshot(self.server, path, aof_base=True, reporter=reporter)
        else:
            write_aof_base(self.server, path, reporter)

    def start_in_background(self) -> None:
        """CONFIG SET appendonly yes: commands go to a new incremental file from now on, and a
        forked child writes the base (scheduled, like Redis, while another child runs or
        inside MULTI). Until the base is written the manifest on disk is left as it was."""
        os.makedirs(self.directory, exist_ok=True)
        seq = (self.manifest.incrs[-1][1] if self.manifest.incrs else 0) + 1
        name = incr_name(self.filename, seq)
        self.fd = os.open(os.path.join(self.directory, name),
                          os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o644)
        self.waiting_base = (name, seq)
        self.selected = -1
        if self.server.in_exec or self.server.has_active_child():
            self.scheduled = True
            self.server.log.warning("aof_enable_scheduled")
        else:
            self.start_rewrite()

    def complete_now(self) -> None:
        """A base still awaited (shutdown, DEBUG LOADAOF): write one from memory here instead,
        with an empty incremental file after it (what the awaited file held is in memory)."""
        if self.waiting_base is None:
            return
        self._kill_child()
        os.close(self.fd)
        self.fd = None
        self._remove([self.waiting_base[0]])
        self.waiting_base = None
        self.pending.clear()  # (in memory already, and in the new base)
        self.create()

    def open_for_append(self) -> None:
        """Continue the AOF that was loaded: append to its last incremental file."""
        if not self.manifest.incrs:
            self._open_next_incr()
            return
        path = os.path.join(self.directory, self.manifest.incrs[-1][0])
        self.fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self.size = sum(self._size_of(name) for name, _ in self.manifest.incrs)
        if self.manifest.base:
            self.base_size = self._size_of(self.manifest.base[0])

    def _size_of(self, name: str) -> int:
        try:
            return os.path.getsize(os.path.join(self.directory, name))
        except OSError:
            return 0

    def _open_next_incr(self) -> None:
        seq = (self.manifest.incrs[-1][1] if self.manifest.incrs else 0) + 1
        name = incr_name(self.filename, seq)
        fd = os.open(os.path.join(self.directory, name), os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                     0o644)
        self.manifest.incrs.append((name, seq))
        write_manifest(self.directory, self.filename, self.manifest)
        if self.fd is not None:
            self._fsync()  # what was fed so far belongs to the file it follows
            os.close(self.fd)
        self.fd = fd
        self.selected = -1  # a new file starts without a SELECT

    def _remove(self, names) -> None:
        for name in names:
            try:
                os.unlink(os.path.join(self.directory, name))
            except FileNotFoundError:
                pass

    # -- writing -------------------------------------------------------------------------------
    def feed(self, index: int, commands: list) -> None:
        if self.server.config["aof-timestamp-enabled"]:  # "#TS:<unix time>" once a second,
            now = int(time.time())  # before what was written in it (redis-check-aof
            if now > self.stamped:  # --truncate-to-timestamp cuts the file there)
                self.pending.append(b"#TS:%d\r\n" % now)
                self.stamped = now
        if index != self.selected:
            self.pending.append(encode([b"SELECT", b"%d" % index]))
            self.selected = index
        self.pending.extend(map(encode, commands))

    def gate(self, connection) -> bool:
        """Before a connection's output leaves: write what was fed; True (hold the output)
        while written data awaits its fsync under appendfsync always."""
        self.write_pending()
        if not self.sync_scheduled:
            return False
        self.held.add(connection)
        return True

    def _sync_and_release(self) -> None:
        self.sync_scheduled = False
        if self.fd is not None:
            self._fsync()
        held, self.held = self.held, set()
        for connection in held:
            connection.flush()

    def write_pending(self) -> None:
        """Write what was fed since the last call; under appendfsync always, schedule the
        fsync that releases held output."""
        if not self.pending:
            return
        data = b"".join(self.pending)
        self.pending.clear()
        if self.server.aof_flush_sleep_us:  # DEBUG AOF-FLUSH-SLEEP (Redis's tests of slow
            time.sleep(self.server.aof_flush_sleep_us / 1e6)  # disks)
        try:
            written = os.write(self.fd, data)
            while written < len(data):  # a short write (disk nearly full): finish or fail
                written += os.write(self.fd, data[written:])
        except OSError as exc:
            self.last_write_status, self.last_write_error = "err", exc.strerror or str(exc)
            self.server.log.error("aof_write_failed", error=str(exc))
            disk_errors.refresh(self.server)  # writes stop while the AOF cannot be written
            return
        if self.last_write_status != "ok":
            self.last_write_status = "ok"
            disk_errors.refresh(self.server)
        self.size += len(data)
        self.unsynced = True
        if self.server.config["appendfsync"] == "always" and not self.sync_scheduled:
            self.sync_scheduled = True
            self.server.loop.call_soon(self._sync_and_release)

    def cron(self) -> None:
        """fsync once a second (everysec), finish a rewrite child, start scheduled or
        automatic rewrites."""
        self.write_pending()
        now = time.monotonic()
        config = self.server.config
        if self.unsynced and config["appendfsync"] == "everysec" and now - self.last_fsync >= 1:
            self._fsync()
            self.last_fsync = now
        if self.child is not None:
            self._check_child()
        elif (self.scheduled and not self.server.has_active_child()) or self._due_for_rewrite():
            self.start_rewrite()

    def _fsync(self) -> None:
        """Write and fsync everything fed so far; WAITAOF's waiters may be through."""
        self.write_pending()
        os.fsync(self.fd)
        self.unsynced = False
        self.fsynced_offset = self.server.acks.offset()
        self.server.acks.changed()

    def _attached(self) -> bool:
        """Appended to (appendonly yes), not only rewritten by BGREWRITEAOF."""
        return self.server.aof is self

    def _due_for_rewrite(self) -> bool:
        if not self._attached() or self.server.has_active_child():
            return False
        config = self.server.config
        percentage = config["auto-aof-rewrite-percentage"]
        if not percentage or self.size < config["auto-aof-rewrite-min-size"]:
            return False
        return self.size * 100 >= self.base_size * percentage

    def _kill_child(self) -> None:
        if self.child is not None:
            self.server.log.info("aof_rewrite_killed", pid=self.child[0])
            os.kill(self.child[0], 9)
            os.waitpid(self.child[0], 0)
            self._remove([self.child[1][0]])
            self.child = None
            self.server.children.child_done()

    def close(self, complete: bool = False) -> None:
        """Stop appending: CONFIG SET appendonly no (the files stay as the manifest names them;
        an incremental file opened for a base not yet written goes), or at shutdown with
        `complete` (a base still awaited is written first)."""
        if complete:
            self.complete_now()
        self._kill_child()
        if self.waiting_base is not None:
            os.close(self.fd)
            self.fd = None
            self._remove([self.waiting_base[0]])
            self.waiting_base = None
            self.pending.clear()
        if self.fd is not None:
            self.write_pending()
            os.fsync(self.fd)  # (no WAITAOF is satisfied by it: the AOF is going away)
            os.close(self.fd)
            self.fd = None
        held, self.held = self.held, set()
        for connection in held:  # nothing is pending any more: let the output go
            connection.flush()

    # -- rewriting -----------------------------------------------------------------------------
    def start_rewrite(self) -> bool:
        """Fork a child that writes a new base; False if one of the server's children (this or
        a BGSAVE) is running (the rewrite is then scheduled). While appendonly is off there is
        no incremental file to open: the new base replaces every file."""
        if self.server.has_active_child():
            self.scheduled = True
            return False
        self.scheduled = False
        if self.waiting_base is not None:
            first_new = self.waiting_base[1]
        elif self._attached():
            self._open_next_incr()
            first_new = self.manifest.incrs[-1][1]
        else:
            os.makedirs(self.directory, exist_ok=True)
            first_new = float("inf")
        seq = (self.manifest.base[1] if self.manifest.base else 0) + 1
        name = self._base_name(seq)
        pid, reporter = self.server.children.fork("aof", CHILD_TITLES["aof"])
        if pid == 0:  # the child: write and leave without running any parent cleanup
            status = 1
            try:
                in_forked_child(self.server)
                self._write_base(name, reporter)
                reporter.finish()
                status = 0
            finally:
                os._exit(status)
        self.child = (pid, (name, seq), first_new, time.monotonic())
        self.server.log.info("aof_rewrite_started", pid=pid)
        return True

    def _check_child(self) -> None:
        pid, (name, seq), first_new, started = self.child
        done, status = os.waitpid(pid, os.WNOHANG)
        if done == 0:
            return
        self.child = None
        self.server.children.child_done()
        self.last_rewrite_seconds = int(time.monotonic() - started)
        if os.waitstatus_to_exitcode(status) != 0:
            self.last_rewrite_status = "err"
            self._remove([name])
            self.server.log.warning("aof_rewrite_failed", status=status)
            if self.waiting_base is not None:
                self.scheduled = True  # appendonly stays on: try again
            return
        if self.waiting_base is not None:  # the AOF turned on: these two replace every file
            old = self.manifest.files()
            self.manifest = Manifest((name, seq), [self.waiting_base])
            self.waiting_base = None
            self._fsync()  # from here on WAITAOF counts this AOF (base and all)
        else:
            old = [self.manifest.base[0]] if self.manifest.base else []
            old += [n for n, incr_seq in self.manifest.incrs if incr_seq < first_new]
            self.manifest = Manifest((name, seq), [(n, incr_seq) for n, incr_seq in
                                                   self.manifest.incrs if incr_seq >= first_new])
        write_manifest(self.directory, self.filename, self.manifest)
        self._remove(old)
        self.base_size = self._size_of(name)
        self.size = sum(self._size_of(n) for n, _ in self.manifest.incrs)
        self.rewrites += 1
        self.last_rewrite_status = "ok"
        self.server.log.info("aof_rewrite_done", base=name)
