"""`predis migrate`: copy a live Redis (or ElastiCache) into Predis without downtime.

The copy is the path ElastiCache allows (no SYNC/PSYNC/MIGRATE there): SCAN the source,
DUMP + PTTL each batch in one pipeline, RESTORE ... REPLACE into the target in another. `--live`
subscribes to the source's keyevent notifications first and re-copies (or deletes) every key
that changes during and after the bulk copy. `--verify` compares key counts, types, TTLs and
per-key content digests. Progress goes to stderr; `--state FILE` records the cursor after each
batch so an interrupted copy resumes where it stopped.
"""

import argparse
import hashlib
import json
import os
import sys
import threading
import time

import redis

BATCH = 500
RETRIES = 5


def _client(url: str, tls: bool, db: int = None):
    if tls and url.startswith("redis://"):
        url = "rediss://" + url[len("redis://"):]
    options = {"decode_responses": False, "socket_timeout": 30}
    client = redis.Redis.from_url(url, **options)
    if db is not None:
        client.execute_command("SELECT", db)
    return client


def _source_dbs(source, url: str) -> list:
    path = url.split("://", 1)[1].split("/", 1)
    if len(path) == 2 and path[1]:
        return [int(path[1])]
    keyspace = source.info("keyspace")
    return sorted(int(name[2:]) for name in keyspace)


def _retry(action, what: str):
    for attempt in range(RETRIES):
        try:
            return action()
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if attempt == RETRIES - 1:
                raise
            delay = 0.2 * 2**attempt
            print(f"{what}: {exc}; retrying in {delay:.1f}s", file=sys.stderr)
            time.sleep(delay)


def copy_keys(source, target, keys) -> int:
    """DUMP+PTTL from the source, RESTORE REPLACE (or DEL when gone) into the target."""
    if not keys:
        return 0
    pipe = source.pipeline(transaction=False)
    for key in keys:
        pipe.dump(key)
        pipe.pttl(key)
    replies = _retry(pipe.execute, "source")
    out = target.pipeline(transaction=False)
    copied = 0
    for index, key in enumerate(keys):
        payload, ttl = replies[2 * index], replies[2 * index + 1]
        if payload is None or ttl == -2:
            out.delete(key)
            continue
        out.execute_command("RESTORE", key, max(ttl, 0), payload, "REPLACE")
        copied += 1
    _retry(out.execute, "target")
    return copied


class Progress:
    def __init__(self):
        self.started = time.monotonic()
        self.copied = 0
        self.last = 0.0

    def add(self, count: int, db: int) -> None:
        self.copied += count
        now = time.monotonic()
        if now - self.last >= 1.0:
            self.last = now
            rate = self.copied / max(now - self.started, 1e-9)
            print(f"db{db}: {self.copied} keys copied ({rate:,.0f} keys/s)", file=sys.stderr)


def _load_state(path):
    if path and os.path.exists(path):
        with open(path) as handle:
            return json.load(handle)
    return {}


def _save_state(path, state) -> None:
    if not path:
        return
    temp = path + ".tmp"
    with open(temp, "w") as handle:
        json.dump(state, handle)
    os.replace(temp, path)


def bulk_copy(args, source_url, dbs, progress) -> None:
    state = _load_state(args.state)
    for db in dbs:
        if state.get(str(db)) == "done":
            continue
        source = _client(source_url, args.tls, db)
        target = _client(args.target, False, db)
        cursor = int(state.get(str(db), 0))
        while True:
            cursor, keys = _retry(lambda: source.scan(cursor, count=BATCH), "source")
            progress.add(copy_keys(source, target, keys), db)
            state[str(db)] = cursor if cursor else "done"
            _save_state(args.state, state)
            if not cursor:
                break


class LiveFollower:
    """Collects keys named by the source's keyevent notifications while the copy runs."""

    def __init__(self, source_url, tls):
        self.client = _client(source_url, tls)
        self.pending: dict = {}  # (db, key) -> None
        self.lock = threading.Lock()
        try:
            flags = self.client.config_get("notify-keyspace-events").get(
                b"notify-keyspace-events", b"")
            if b"E" not in flags or b"A" not in flags:  # keyevents for every class needed
                self.client.config_set("notify-keyspace-events", (flags + b"EA").decode())
        except redis.ResponseError:
            print("note: could not enable notify-keyspace-events on the source (set it in the "
                  "parameter group, e.g. 'KEA' on ElastiCache)", file=sys.stderr)
        self.pubsub = self.client.pubsub()
        self.pubsub.psubscribe("__keyevent@*__:*")
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.running = True
        self.thread.start()

    def _run(self):
        while self.running:
            message = self.pubsub.get_message(timeout=0.2)
            if message and message["type"] in ("pmessage", b"pmessage"):
                channel = message["channel"]
                db = int(channel.split(b"@", 1)[1].split(b"__", 1)[0])
                with self.lock:
                    self.pending[(db, message["data"])] = None

    def drain(self) -> dict:
        with self.lock:
            pending, self.pending = self.pending, {}
        by_db: dict = {}
        for db, key in pending:
            by_db.setdefault(db, []).append(key)
        return by_db

    def stop(self):
        self.running = False
        self.thread.join(2)
        self.pubsub.close()


def follow(args, source_url, follower, progress, seconds) -> None:
    deadline = None if seconds is None else time.monotonic() + seconds
    while deadline is None or time.monotonic() < deadline:
        for db, keys in follower.drain().items():
            source = _client(source_url, args.tls, db)
            target = _client(args.target, False, db)
            for start in range(0, len(keys), BATCH):
                progress.add(copy_keys(source, target, keys[start:start + BATCH]), db)
        time.sleep(0.1)
    for db, keys in follower.drain().items():  # what arrived in the last moment
        copy_keys(_client(source_url, args.tls, db), _client(args.target, False, db), keys)


def digest(client, key, kind: bytes) -> str:
    """A content digest independent of encodings (and of Redis versions)."""
    if kind == b"string":
        data = [client.get(key)]
    elif kind == b"list":
        data = client.lrange(key, 0, -1)
    elif kind == b"set":
        data = sorted(client.smembers(key))
    elif kind == b"zset":
        data = [repr((m, float(s))).encode() for m, s in client.zrange(key, 0, -1,
                                                                         withscores=True)]
    elif kind == b"hash":
        data = [repr(item).encode() for item in sorted(client.hgetall(key).items())]
    elif kind == b"stream":
        data = [repr(entry).encode() for entry in client.xrange(key)]
    else:
        data = [kind]
    return hashlib.sha1(b"\x00".join(x or b"" for x in data)).hexdigest()


def verify(args, source_url, dbs, ttl_tolerance_ms: int = 2000) -> int:
    differences = 0
    for db in dbs:
        source = _client(source_url, args.tls, db)
        target = _client(args.target, False, db)
        if source.dbsize() != target.dbsize():
            print(f"db{db}: {source.dbsize()} keys in the source, {target.dbsize()} in Predis")
            differences += 1
        for key in source.scan_iter(count=BATCH):
            kind = source.type(key)
            other = target.type(key)
            if kind != other:
                print(f"db{db} {key!r}: type {kind.decode()} in the source, {other.decode()} here")
                differences += 1
                continue
            ttl_a, ttl_b = source.pttl(key), target.pttl(key)
            if (ttl_a < 0) != (ttl_b < 0) or abs(ttl_a - ttl_b) > ttl_tolerance_ms:
                print(f"db{db} {key!r}: TTL {ttl_a} ms in the source, {ttl_b} ms here")
                differences += 1
            if digest(source, key, kind) != digest(target, key, kind):
                print(f"db{db} {key!r}: contents differ")
                differences += 1
    print(f"verify: {differences} difference(s)")
    return differences


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="predis migrate", description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, help="redis://[user:pass@]host:port[/db]")
    parser.add_argument("--target", default="redis://127.0.0.1:6379", help="the Predis server")
    parser.add_argument("--tls", action="store_true", help="connect to the source over TLS")
    parser.add_argument("--live", action="store_true",
                        help="keep copying changes made on the source (until interrupted)")
    parser.add_argument("--live-seconds", type=float, default=None,
                        help="with --live: stop following after this many seconds")
    parser.add_argument("--verify", action="store_true", help="compare source and target")
    parser.add_argument("--state", help="file recording progress, to resume an interrupted copy")
    args = parser.parse_args(argv)
    source_url = args.source
    source = _client(source_url, args.tls)
    dbs = _source_dbs(source, source_url)
    progress = Progress()
    follower = LiveFollower(source_url, args.tls) if args.live else None
    try:
        bulk_copy(args, source_url, dbs, progress)
        print(f"bulk copy done: {progress.copied} keys", file=sys.stderr)
        if follower is not None:
            follow(args, source_url, follower, progress, args.live_seconds)
    except KeyboardInterrupt:
        print("interrupted; rerun with the same --state to resume", file=sys.stderr)
        return 130
    finally:
        if follower is not None:
            follower.stop()
    if args.verify:
        return 1 if verify(args, source_url, _source_dbs(source, source_url)) else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
