"""Predis servers for the tests, forked from one process that has already imported the server
(a fork server, as multiprocessing's "forkserver"): a start costs 0.06 s instead of the 0.7-1.0 s
a fresh interpreter spends importing numba, numpy and the server's modules, and the tests start
about 270 servers (`python -m bench.server_start`).

A forked server runs what `python -m predis ARGS` runs (ops.cli.main, with sys.argv, the
working directory and the log as an exec'd one has them) in a process of its own; only the
imports are shared, so a start whose environment differs from the launcher's in what those
imports read (READ_AT_IMPORT: a test that sets PREDIS_TEST_ENGINE, say) is exec'd instead
(servers._start_process decides).

The launcher is the forked servers' parent: it reaps them and sends each exit status back,
and `ForkedProcess` answers for them as the subprocess.Popen the tests otherwise hold.
"""

import importlib
import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREDIS_SCRIPT = os.path.join(ROOT, "predis.py")


# -- the launcher process ------------------------------------------------------------------------
def _serve(channel: Connection) -> None:
    for module in ("ops.cli", "server.app"):  # (what a server imports before it serves)
        importlib.import_module(module)
    from ml.model import DEFAULT_PATH, EvictionModel
    from server.eviction import warm_up_kernels

    # (each server runs the same warm-up at its start: the kernels are loaded by then)
    warm_up_kernels(EvictionModel.load(DEFAULT_PATH).arrays())

    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # (a handler, so the wakeup fd hears it)
    selector = selectors.DefaultSelector()
    selector.register(channel.fileno(), selectors.EVENT_READ, "request")
    selector.register(wake_read, selectors.EVENT_READ, "child")
    while True:
        for key, _ in selector.select():
            if key.data == "child":
                os.read(wake_read, 4096)
                _report_exits(channel)
                continue
            try:
                args, cwd, env, log_path = channel.recv()
            except EOFError:  # the tests are over
                return
            pid = os.fork()
            if pid == 0:
                selector.close()
                for fd in (wake_read, wake_write):
                    os.close(fd)
                _run_server(channel, args, cwd, env, log_path)
            channel.send(("started", pid))


def _report_exits(channel: Connection) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        channel.send(("exited", pid, os.waitstatus_to_exitcode(status)))


def _run_server(channel: Connection, args: list, cwd: str, env: dict, log_path: str) -> None:
    """In the forked child: become `python -m predis ARGS`; never returns."""
    code = 1
    try:
        channel.close()
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        null = os.open(os.devnull, os.O_RDONLY)
        for fd, onto in ((null, 0), (log, 1), (log, 2)):
            os.dup2(fd, onto)
        os.close(log)
        os.close(null)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        sys.argv = [PREDIS_SCRIPT, *args]
        from ops.cli import main

        main(args)
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:  # as the interpreter would: the traceback, and status 1
        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


# -- the tests' side -----------------------------------------------------------------------------
# The variables a server's imports read (numba's configuration, Predis's own, the interpreter's,
# CUDA's, the dynamic loader's, the math libraries' thread counts): a start is forked only when
# they are as the launcher had them. Others (pytest's PYTEST_CURRENT_TEST, what torch sets when
# a test imports it) reach the forked server's os.environ all the same.
READ_AT_IMPORT = ("NUMBA_", "PREDIS_", "PYTHON", "CUDA", "NVIDIA_", "LD_", "OPENBLAS_", "OMP_",
                  "MKL_", "NPY_", "NUMPY_")
TESTS_OWN = {"PREDIS_TEST_FORK"}


class Launcher:
    """One launcher process, started with `env`; `spawn` forks a server from it."""

    def __init__(self, env: dict, log_path: str):
        ours, theirs = socket.socketpair()
        self.env, self.log_path = env, log_path
        with open(log_path, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "compat_tests.launcher", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),), env=env, cwd=ROOT, stdin=subprocess.DEVNULL,
                stdout=log, stderr=log)
        theirs.close()
        self._channel = Connection(ours.detach())
        self._lock = threading.Lock()
        self._exits: dict = {}  # pid -> exit status, as the launcher reported them

    def can_start(self, env: dict) -> bool:
        """Whether a server with `env` is the one an exec would start: `env` agrees with the
        launcher's on what the imports read."""
        def relevant(names):
            return {name: value for name, value in names.items()
                    if name.startswith(READ_AT_IMPORT) and name not in TESTS_OWN}
        return relevant(env) == relevant(self.env)

    def spawn(self, args: list, cwd: str, env: dict, log_path: str) -> "ForkedProcess":
        with self._lock:
            self._channel.send((list(args), cwd, dict(env), log_path))
            while True:
                message = self._channel.recv()
                if message[0] == "started":
                    return ForkedProcess(self, message[1], args)
                self._exits[message[1]] = message[2]

    def exit_status(self, pid: int, timeout: float):
        """`pid`'s exit status once the launcher reported it, or None after `timeout`. (The
        channel is read in short turns: another thread may be starting a server meanwhile.)"""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                if pid in self._exits:
                    return self._exits.pop(pid)
                left = deadline - time.monotonic()
                if self._channel.poll(min(max(left, 0), 0.05)):
                    message = self._channel.recv()
                    self._exits[message[1]] = message[2]
                elif left <= 0:
                    return None

    def close(self) -> None:
        self._channel.close()  # (the launcher leaves when it reads the end of its channel)
        self.process.wait(10)
        if os.path.getsize(self.log_path) == 0:
            os.unlink(self.log_path)


class ForkedProcess:
    """What the tests use of subprocess.Popen, for a server the launcher forked."""

    def __init__(self, launcher: Launcher, pid: int, args: list):
        self.launcher, self.pid, self.args = launcher, pid, args
        self.returncode = None

    def poll(self):
        return self._wait(0)

    def wait(self, timeout=None):
        code = self._wait(1e9 if timeout is None else timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return code

    def _wait(self, timeout: float):
        if self.returncode is None:
            self.returncode = self.launcher.exit_status(self.pid, timeout)
        return self.returncode

    def send_signal(self, sig) -> None:
        if self.poll() is None:  # (never signal a pid the system may have given another)
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])))
