"""The admin HTTP port (`admin-port`, default 9121, 0 = off): /metrics (Prometheus text format),
/healthz, /readyz, /api/info (INFO as JSON), /api/history (the dashboard's time series and
hit-ratio forecast), the ML loop's /api/ml, /api/models, /api/drift, /api/mrc, /api/retrains,
/api/ab, and the /dashboard page, served by the same event loop with a minimal GET-only
HTTP/1.0 handler. Bound to `admin-bind` (loopback by default); anywhere else it needs
`admin-token`, then sent as `Authorization: Bearer <token>`. /healthz, /readyz and the
dashboard's static files carry no data and are served without the token (container health
checks and Kubernetes probes need no secret); the page asks for it when /api answers 401.
"""

import asyncio
import hmac
import ipaddress
import json
import pathlib
import time

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from server.info import DEFAULT_SECTIONS, section_fields

from .forecast import hit_ratio_forecast
from .history import History
from .metrics import ServerCollector

MAX_REQUEST = 8192
HISTORY_EVERY_S = 1.0
DASHBOARD_DIR = pathlib.Path(__file__).with_name("dashboard")
DASHBOARD_FILES = {  # path -> (file, content type)
    b"/dashboard": ("index.html", b"text/html; charset=utf-8"),
    b"/dashboard/": ("index.html", b"text/html; charset=utf-8"),
    b"/dashboard/dashboard.js": ("dashboard.js", b"text/javascript; charset=utf-8"),
    b"/dashboard/dashboard.css": ("dashboard.css", b"text/css; charset=utf-8"),
}


def _models(server) -> dict:
    registry = server.model_registry()
    return {"in_use": server.model_version, "aliases": registry.aliases(),
            "versions": [meta for _, meta in registry.versions()],
            "audit": registry.audit()[-100:]}


def _ab(server) -> dict:
    learning = server.learning
    return {"running": learning.ab.status() if learning.ab is not None else None,
            "finished": learning.ab_results}


# The ML loop's state as JSON: what PREDIS.INFO, MODEL LIST, DRIFT, MRC, AB STATUS show
ML_VIEWS = {
    "/api/ml": lambda s: {**s.learning.info(), "events": s.learning.events},
    "/api/models": _models,
    "/api/drift": lambda s: {k: s.learning.sidecar.get(k) for k in (
        "ticks", "windows", "drift_streak", "drift_detections", "drift_detection_ticks",
        "drift_scores", "drift_over", "recent_windows")},
    "/api/mrc": lambda s: s.learning.sidecar.get("mrc"),
    "/api/retrains": lambda s: s.learning.sidecar.get("retrains", []),
    "/api/ab": _ab,
}


class AdminExposed(ValueError):
    """admin-bind leaves loopback without an admin-token."""


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


class AdminHTTP:
    def __init__(self, server):
        self.server = server
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(ServerCollector(server))
        self.listener = None
        from server.command_table import all_commands

        self.history = History(server, all_commands)
        self._history_timer = None

    def _history_tick(self) -> None:
        try:
            self.history.tick()
        finally:
            self._history_timer = asyncio.get_running_loop().call_later(
                HISTORY_EVERY_S, self._history_tick)

    def history_view(self) -> dict:
        now = time.time()
        return {"now": now, "seconds": list(self.history.seconds),
                "minutes": list(self.history.minutes),
                "forecast": hit_ratio_forecast(list(self.history.minutes),
                                               list(self.history.seconds), now)}

    async def start(self) -> None:
        config = self.server.config
        host, port = config["admin-bind"], config["admin-port"]
        if not _loopback(host) and not config["admin-token"]:
            raise AdminExposed(f"admin-bind {host} is not a loopback address: set admin-token "
                               "to expose the admin HTTP port")
        try:
            self.listener = await asyncio.start_server(
                self._serve, host, port, reuse_port=config["predis-reuseport"])
        except OSError as exc:  # the cache still serves; say why the admin port did not open
            self.server.log.warning("admin_http_unavailable", port=port, error=str(exc))
            return
        self._history_tick()

    def close(self) -> None:
        if self._history_timer is not None:
            self._history_timer.cancel()
        if self.listener is not None:
            self.listener.close()

    async def _serve(self, reader, writer) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, asyncio.TimeoutError,
                ConnectionError):
            writer.close()
            return
        status, kind, body = self._respond(head[:MAX_REQUEST])
        writer.write(b"HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                     b"Connection: close\r\n\r\n%s" % (status, kind, len(body), body))
        try:
            await writer.drain()
        except ConnectionError:
            pass
        writer.close()

    def _respond(self, head: bytes):
        lines = head.split(b"\r\n")
        parts = lines[0].split()
        if len(parts) != 3 or parts[0] not in (b"GET", b"HEAD"):
            return b"405 Method Not Allowed", b"text/plain", b"GET only\n"
        path = parts[1].split(b"?")[0]
        if path in DASHBOARD_FILES:
            name, kind = DASHBOARD_FILES[path]
            return b"200 OK", kind, (DASHBOARD_DIR / name).read_bytes()
        if path == b"/healthz":
            return b"200 OK", b"text/plain", b"ok\n"
        if path == b"/readyz":
            if self.server.ready:
                return b"200 OK", b"text/plain", b"ready\n"
            return b"503 Service Unavailable", b"text/plain", b"loading\n"
        token = self.server.config["admin-token"]
        if token:
            headers = dict(line.split(b":", 1) for line in lines[1:] if b":" in line)
            given = headers.get(b"Authorization", headers.get(b"authorization", b"")).strip()
            if not hmac.compare_digest(given, b"Bearer " + token.encode()):
                return b"401 Unauthorized", b"text/plain", b"admin token required\n"
        if path == b"/metrics":
            return b"200 OK", CONTENT_TYPE_LATEST.encode(), generate_latest(self.registry)
        if path == b"/api/info":
            info = {name: section_fields(self.server, name) for name in DEFAULT_SECTIONS}
            return b"200 OK", b"application/json", json.dumps(info, default=str).encode()
        if path == b"/api/history":
            return b"200 OK", b"application/json", json.dumps(self.history_view()).encode()
        view = ML_VIEWS.get(path.decode("latin-1"))
        if view is not None:
            return b"200 OK", b"application/json", json.dumps(view(self.server),
                                                              default=str).encode()
        return b"404 Not Found", b"text/plain", b"not found\n"
