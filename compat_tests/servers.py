"""Start a real redis-server and a Predis server side by side on free loopback ports."""

import atexit
import importlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# (repl-diskless-sync-delay 0: redis-server's default waits 5 s before each full sync)
COMMON_FLAGS = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--enable-debug-command", "yes", "--protected-mode", "no",
                "--repl-diskless-sync-delay", "0"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _answers_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith((b"+PONG", b"-NOAUTH"))


def wait_for_port(port: int, proc, timeout: float = 60.0, ready=None) -> None:
    """Until the server answers (`ready(port)`: a plain PING unless told otherwise)."""
    ready = ready or _answers_ping
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            if ready(port):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server on port {port} did not start")


_launcher = None  # the fork server Predis servers start from (launcher.py), once started
# Importing ml sets NUMBA_CACHE_DIR (ml/__init__.py), as it does in every server; the tests
# import it too, so it is set here first: the environment below is then the one every test
# has, unless a test sets something of its own.
importlib.import_module("ml")
_TESTS_ENV = dict(os.environ)  # (the launcher's, whatever a test sets later)


def predis_env(env=None, root: str = ROOT) -> dict:
    """The environment Predis servers get: `env` (the tests' own by default) with the
    checkout (`root`) first on PYTHONPATH."""
    env = os.environ if env is None else env
    return dict(env, PYTHONPATH=os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")])))


def _start_process(argv, cwd, env, log):
    """`argv` running with its output in `log`. `python -m predis ...` with the environment
    the launcher has is forked from the launcher (0.06 s instead of 0.7-1.0: its imports are done);
    anything else, or PREDIS_TEST_FORK=0, is exec'd."""
    if argv[:3] == [sys.executable, "-m", "predis"] and forking():
        launcher = start_launcher()
        if env is not None and launcher.can_start(env):
            return launcher.spawn(argv[3:], cwd, env, log.name)
    return subprocess.Popen(argv, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=env)


def forking() -> bool:
    """Whether Predis servers are forked from the launcher (PREDIS_TEST_FORK=0: never)."""
    return os.environ.get("PREDIS_TEST_FORK") != "0"


def start_launcher():
    """The launcher, started at the first call (it then imports and loads the kernels in the
    background; the first spawn waits for it)."""
    global _launcher
    if _launcher is None:
        from .launcher import Launcher

        _launcher = Launcher(predis_env(_TESTS_ENV), os.path.join(
            tempfile.gettempdir(), f"predis-launcher-{os.getpid()}.log"))
        atexit.register(_launcher.close)
    return _launcher


class ServerProcess:
    def __init__(self, argv, port, workdir, cwd=None, env=None, ready=None):
        self.port = port
        self.workdir = workdir
        self._start = (argv, port, workdir, cwd, env, ready)
        self.log = open(os.path.join(workdir, "server.log"), "wb")
        self.proc = _start_process(argv, cwd or workdir, env, self.log)
        wait_for_port(port, self.proc, ready=ready)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def again(self) -> "ServerProcess":
        """The same server started again once this one has exited: same port, same files."""
        self.stop()
        return ServerProcess(*self._start)


def redis_server_binary() -> str:
    path = shutil.which("redis-server")
    if path is None:
        raise RuntimeError("redis-server is not installed (.ci/run installs it)")
    return path


def start_redis(extra=(), ready=None) -> ServerProcess:
    """`ready(port)`: when the server counts as started (wait_for_port's default: a PING)."""
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="redis-ref-")
    argv = [redis_server_binary(), "--port", str(port), "--dir", workdir, *COMMON_FLAGS, *extra]
    return ServerProcess(argv, port, workdir, ready=ready)


def start_predis(extra=(), sidecar: bool = False, ready=None, tree: str = ROOT) -> ServerProcess:
    """A Predis server; PREDIS_TEST_ENGINE=gpu runs the whole differential suite on the GPU
    engine (in numba's CUDA simulator where there is no GPU). The ML sidecar process is left
    off unless a test asks for it: dozens of servers each starting one would cost minutes.
    `tree`: another checkout's Predis (an A/B of two versions; exec'd, never forked)."""
    port = free_port()
    engine = os.environ.get("PREDIS_TEST_ENGINE")
    if engine:
        extra = ("--engine", engine, "--gpu-arena-size", "64mb", *extra)
    workdir = tempfile.mkdtemp(prefix="predis-")
    argv = [sys.executable, "-m", "predis", "--port", str(port), "--dir", workdir,
            "--admin-port", "0", "--predis-sidecar", "yes" if sidecar else "no", *COMMON_FLAGS,
            *extra]
    return ServerProcess(argv, port, workdir, cwd=tree, env=predis_env(root=tree), ready=ready)


def shut_down(server, *options: str) -> int:
    """SHUTDOWN [options] over a plain socket, then the process's exit status. (redis-py
    retries a command whose connection drops, for seconds, so its SHUTDOWN is slow to fail.)"""
    from .rawclient import RawClient

    RawClient(server.port).send_raw(" ".join(("SHUTDOWN",) + options).encode() + b"\r\n")
    return server.proc.wait(20)


def refused_start(kind: str, args) -> str:
    """Start a server of `kind` ("redis" or "predis") with `args`, expecting it to refuse to
    start (a damaged file): what it printed. Fails if it exits cleanly; times out if it
    serves."""
    program = [redis_server_binary()] if kind == "redis" else [sys.executable, "-m", "predis",
                                                              "--predis-sidecar", "no"]
    done = subprocess.run([*program, "--port", str(free_port()), *args], cwd=ROOT,
                          capture_output=True, timeout=60)
    assert done.returncode != 0
    return (done.stdout + done.stderr).decode(errors="replace")


STARTERS = {"redis": start_redis, "predis": start_predis}


def sidecar_settled_ticks(port: int, at_least: int = 1, pause: float = 1.0,
                          timeout: float = 90.0) -> int:
    """The ML sidecar's request clock (PREDIS.DRIFT `ticks`) once it stands still for `pause`
    seconds at `at_least` or more: every sampled access sent so far has reached the sidecar."""
    import redis

    client = redis.Redis(port=port)
    try:
        deadline, last = time.time() + timeout, None
        while time.time() < deadline:
            reply = client.execute_command("PREDIS.DRIFT")
            ticks = dict(zip(reply[::2], reply[1::2]))[b"ticks"]
            if ticks == last and ticks >= at_least:
                return ticks
            last = ticks
            time.sleep(pause)
    finally:
        client.close()
    raise TimeoutError(f"the sidecar on port {port} did not settle (ticks {last})")


def client_without_retries(port: int, **options):
    """A redis-py client that fails at once on a refused or dropped connection (by default
    redis-py retries three times with back-off, seconds in all: a test expecting the error
    waited for nothing)."""
    import redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return redis.Redis(port=port, retry=Retry(NoBackoff(), 0), **options)


def eventually(condition, seconds: float, step: float = 0.05) -> bool:
    """Whether `condition()` comes true within `seconds` (asked every `step`, and once more
    at the end)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def parent_of(pid: int) -> int:
    """The parent process id of `pid` (from /proc)."""
    with open(f"/proc/{pid}/stat") as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[1])


def children_of(pid: int) -> list:
    """The processes whose parent is `pid` (a server's BGSAVE or AOF-rewrite child)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if parent_of(int(entry)) == pid:
                    found.append(int(entry))
            except (OSError, ValueError, IndexError):
                pass  # gone meanwhile
    return sorted(found)
