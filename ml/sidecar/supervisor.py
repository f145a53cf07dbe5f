"""The server's side of the sidecar: start the process, talk to it, restart it when it dies.

The sidecar runs as a child process (ml/sidecar/worker.py) on one end of a socketpair. If it
exits or its connection breaks, the supervisor starts it again after a back-off that doubles
from 1 s up to 60 s (reset once a sidecar has lived a minute); meanwhile the server serves with
the model it has, and `status` says what is going on (INFO, metrics, PREDIS.INFO).

Frames to the sidecar are dropped, and counted, rather than queued without bound when it does
not keep up (`MAX_BUFFERED` bytes waiting in the socket's write buffer).
"""

import asyncio
import os
import socket
import sys
import time

from . import wire

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_BUFFERED = 8 << 20
BACKOFF_FIRST, BACKOFF_MAX, STABLE_AFTER = 1.0, 60.0, 60.0


class SidecarSupervisor:
    def __init__(self, registry_root: str, on_message, on_connect, log):
        """on_message(header) for every frame the sidecar sends; on_connect() after each
        (re)start, to send it the configuration and the champion."""
        self.registry_root = registry_root
        self.on_message = on_message
        self.on_connect = on_connect
        self.log = log
        self.status = "starting"  # starting | running | restarting | stopped
        self.pid = None
        self.restarts = 0
        self.dropped_frames = 0
        self.started_at = None
        self.last_exit = None  # the last sidecar's exit code
        self.backoff = BACKOFF_FIRST  # the delay before the next restart
        self._writer = None
        self._process = None
        self._said_hello = False  # the running sidecar finished starting (its "hello")
        self._task = None
        self._stopping = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._supervise())

    @property
    def connected(self) -> bool:
        return self.status == "running" and self._writer is not None

    def send(self, header: dict, payload: bytes = b"") -> bool:
        """Queue a frame; False (and counted) when the sidecar is away or behind."""
        writer = self._writer
        if writer is None or writer.transport.get_write_buffer_size() > MAX_BUFFERED:
            self.dropped_frames += 1
            return False
        writer.write(wire.encode(header, payload))
        return True

    async def _supervise(self) -> None:
        while not self._stopping:
            lived = await self._run_once()
            if self._stopping:
                break
            self.restarts += 1
            delay = BACKOFF_FIRST if lived >= STABLE_AFTER else self.backoff
            self.backoff = min(BACKOFF_MAX, delay * 2)
            self.status = "restarting"
            self.log.warning("sidecar_exited", exit_code=self.last_exit, lived_s=round(lived, 1),
                             restart_in_s=delay)
            await asyncio.sleep(delay)
        self.status = "stopped"

    async def _run_once(self) -> float:
        """Run one sidecar until it exits; how long it lived."""
        ours, theirs = socket.socketpair()
        started, self._said_hello = time.monotonic(), False
        try:
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                filter(None, [ROOT, os.environ.get("PYTHONPATH")])))
            self._process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "ml.sidecar.worker", "--fd", str(theirs.fileno()),
                "--registry", self.registry_root, pass_fds=(theirs.fileno(),), env=env,
                cwd=ROOT, stdin=asyncio.subprocess.DEVNULL)
        except OSError as exc:
            ours.close()
            theirs.close()
            self.last_exit = f"could not start: {exc}"
            return 0.0
        theirs.close()
        self.pid = self._process.pid
        reader, self._writer = await asyncio.open_connection(sock=ours)
        self.status, self.started_at = "running", time.time()
        self.log.info("sidecar_started", pid=self.pid)
        try:
            self.on_connect()
            while True:
                header, _ = await wire.read_frame(reader)
                self._said_hello = self._said_hello or header.get("op") == "hello"
                self.on_message(header)
        except (asyncio.IncompleteReadError, ConnectionError, wire.WireError) as exc:
            if not isinstance(exc, asyncio.IncompleteReadError):
                self.log.warning("sidecar_link_broken", error=str(exc))
        finally:
            self._writer.close()
            self._writer = None
            if self._process.returncode is None and not self._stopping:
                self._process.kill()  # (a sidecar asked to stop closes its end as it exits:
                #                        stop() waits for it)
            self.last_exit = await self._process.wait()
            self.pid = None
        return time.monotonic() - started

    async def stop(self) -> None:
        """Ask the sidecar to stop and wait for it (2 s at most). One still starting (importing
        its libraries, up to a second or more) has nothing to lose: it is killed at once, so
        a shutdown right after a start does not wait for it to read the request."""
        self._stopping = True
        process = self._process
        if process is not None and process.returncode is None and not self._said_hello:
            process.kill()
        elif self._writer is not None:
            self.send({"op": "stop"})
        if process is not None and process.returncode is None:
            try:
                await asyncio.wait_for(process.wait(), 2)
            except asyncio.TimeoutError:
                process.kill()
        if self._task is not None:
            self._task.cancel()
        self.status = "stopped"

    def info(self) -> dict:
        return {"status": self.status, "pid": self.pid or 0, "restarts": self.restarts,
                "dropped_frames": self.dropped_frames,
                "uptime_s": int(time.time() - self.started_at) if self.status == "running"
                and self.started_at else 0,
                "last_exit": "" if self.last_exit is None else str(self.last_exit)}
