"""`predis upgrade`: replace a running Predis with a new version (or the same one, restarted)
without refusing a connection or losing a write.

1. The new server starts on a spare port as a replica of the running one, with the running
   one's configuration (CONFIG GET *, every value that differs from the default) and its ACL
   users, persistence off for now (the two share `dir`).
2. Once it has synced, the running server pauses writes (CLIENT PAUSE WRITE; reads go on) and
   the new one catches up to its replication offset.
3. The new server is promoted (REPLICAOF NO ONE) and takes over the client port beside the old
   one (CONFIG SET port; both have SO_REUSEPORT: `predis-reuseport yes`). The old server stops
   listening (CONFIG SET port 0), closes its clients (their paused writes never ran there, so a
   client that retries once on the reset lands on the new server and loses nothing) and exits
   without saving. The new server then turns persistence back on as it was configured.

If the new server does not sync or catch up in time, the old one is unpaused and the new one
stopped: clients see a pause at most. Runs where processes are managed by hand or by a plain
supervisor; under Kubernetes or systemd use the orchestrator's rolling update instead
(docs/operations.md).
"""

import argparse
import os
import shlex
import socket
import subprocess
import sys
import tempfile
import time

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from .config import Config
from .config_params import BY_NAME
from .config_rewrite import config_line, default_rendered

# Parameters the new server gets from this procedure rather than from the running one
HANDED_OVER = {"port", "replicaof", "appendonly", "save", "unixsocket", "daemonize", "pidfile",
               "masterauth", "masteruser"}


class UpgradeError(RuntimeError):
    pass


def config_text(settings: dict) -> str:
    """redis.conf lines for every parameter the running server has away from its default."""
    config = Config()
    pairs = {}
    for name, value in settings.items():
        param = BY_NAME.get(name)
        if param is None or param.name in HANDED_OVER or param.name in pairs:
            continue
        pairs[param.name] = value
    config.set_many(list(pairs.items()), at_start=True)
    return "".join(config_line(config, name) + "\n" for name in pairs
                   if config.render(name) != default_rendered(config, BY_NAME[name]))


def _spare_port(host: str) -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


def _wait(what: str, check, timeout: float, step: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except (redis.ConnectionError, redis.BusyLoadingError):
            value = None
        if value:
            return value
        time.sleep(step)
    raise UpgradeError(f"timed out waiting for {what}")


class Upgrade:
    def __init__(self, host: str, port: int, command: list, user=None, password=None,
                 sync_timeout: float = 120.0, pause_ms: int = 10000, log=print):
        self.host, self.port = host, port
        self.command = command
        self.credentials = {"username": user, "password": password}
        self.sync_timeout = sync_timeout
        self.pause_ms = pause_ms
        self.log = log
        # One connection, never re-made: once the port is handed over, a reconnect would reach
        # the new server (and a retried SHUTDOWN would stop it)
        self.old = redis.Redis(host=host, port=port, decode_responses=True, single_connection_client=True,
                               retry=Retry(NoBackoff(), 0), **self.credentials)
        self.new = None
        self.process = None

    def _start_new(self, settings: dict) -> None:
        data_dir = settings["dir"]
        handle, conf = tempfile.mkstemp(prefix="predis-upgrade-", suffix=".conf", dir=data_dir)
        with os.fdopen(handle, "w") as out:
            out.write(config_text(settings))
        spare = _spare_port(self.host)
        argv = [*self.command, conf, "--port", str(spare), "--replicaof", self.host,
                str(self.port), "--appendonly", "no", "--save", ""]
        if self.credentials["password"]:
            argv += ["--masterauth", self.credentials["password"]]
        if self.credentials["username"]:
            argv += ["--masteruser", self.credentials["username"]]
        log_path = os.path.join(data_dir, f"predis-upgrade-{int(time.time())}.log")
        with open(log_path, "ab") as log:  # the new server's stderr until it sets logfile
            self.process = subprocess.Popen(argv, cwd=data_dir, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=log, start_new_session=True)
        self.log(f"started the new server (pid {self.process.pid}) on port {spare}, "
                 f"log {log_path}")
        self.new = redis.Redis(host=self.host, port=spare, decode_responses=True,
                               **self.credentials)

    def _synced(self) -> bool:
        if self.process.poll() is not None:
            raise UpgradeError(f"the new server exited with status {self.process.returncode}")
        info = self.new.info("replication")
        return info.get("master_link_status") == "up" and not info.get("master_sync_in_progress")

    def _copy_users(self) -> None:
        for line in self.old.execute_command("ACL", "LIST"):
            words = line.split()
            self.new.execute_command("ACL", "SETUSER", words[1], "reset", *words[2:])

    def _abort(self, reason: str) -> None:
        try:
            self.old.execute_command("CLIENT", "UNPAUSE")
        except redis.RedisError:
            pass
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
        raise UpgradeError(reason)

    def run(self) -> int:
        """The hand-over; returns the new server's pid."""
        old = self.old
        if old.info("replication")["role"] != "master":
            raise UpgradeError("the server to upgrade is a replica: upgrade its primary")
        settings = old.config_get("*")
        if settings.get("predis-reuseport") != "yes":
            raise UpgradeError("the running server was started without `predis-reuseport yes`, "
                               "so no second server can bind its port")
        if settings.get("tls-port", "0") != "0":
            raise UpgradeError("tls-port is set: the TLS port is not handed over")
        self._start_new(settings)
        try:
            _wait("the new server to sync", self._synced, self.sync_timeout)
            self._copy_users()
        except (UpgradeError, redis.RedisError) as exc:
            self._abort(f"the new server did not sync: {exc}")
        paused = time.monotonic()
        old.execute_command("CLIENT", "PAUSE", self.pause_ms, "WRITE")
        target = old.info("replication")["master_repl_offset"]
        try:
            _wait("the new server to catch up",
                  lambda: self.new.info("replication")["slave_repl_offset"] >= target,
                  self.pause_ms / 2000)
            self.new.execute_command("REPLICAOF", "NO", "ONE")
            self.new.config_set("port", self.port)
        except (UpgradeError, redis.RedisError) as exc:
            self._abort(f"the hand-over failed: {exc}")
        old.config_set("port", 0)
        for kind in ("normal", "pubsub"):
            old.execute_command("CLIENT", "KILL", "TYPE", kind)
        pause_ms = (time.monotonic() - paused) * 1000
        try:
            old.shutdown(nosave=True)
        except redis.ConnectionError:
            pass  # the old server closes this connection as it exits
        self.new = redis.Redis(host=self.host, port=self.port, decode_responses=True,
                               **self.credentials)
        self.new.config_set("save", settings["save"])
        self.new.config_set("appendonly", settings["appendonly"])
        if settings["save"] and settings["appendonly"] == "no":
            self.new.bgsave()
        self.log(f"upgraded: pid {self.process.pid} serves port {self.port}; writes were paused "
                 f"for {pause_ms:.0f} ms")
        return self.process.pid


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="predis upgrade", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=6379)
    parser.add_argument("--user")
    parser.add_argument("--password", default=os.environ.get("PREDIS_PASSWORD"))
    parser.add_argument("--new-command", default=shlex.join([sys.executable, "-m", "predis"]),
                        help="how to start the new version (its config file and overrides "
                             "are added); default: this installation's server")
    parser.add_argument("--sync-timeout", type=float, default=120.0)
    parser.add_argument("--pause-ms", type=int, default=10000,
                        help="the longest writes may stay paused (CLIENT PAUSE's timeout)")
    args = parser.parse_args(argv)
    upgrade = Upgrade(args.host, args.port, shlex.split(args.new_command), args.user,
                      args.password, args.sync_timeout, args.pause_ms,
                      log=lambda line: print(line, file=sys.stderr))
    try:
        upgrade.run()
    except (UpgradeError, redis.RedisError) as exc:
        print(f"predis upgrade: {exc}", file=sys.stderr)
        return 1
    return 0
