"""`predis-server [config-file] [--option value ...]`: parse config, start the server."""

import asyncio
import os
import signal
import sys

from .config import Config, ConfigError
from .logging import configure


def build_config(argv) -> Config:
    config = Config()
    try:
        config.load_argv(argv)
    except (ConfigError, OSError) as exc:
        _exit_with(CONFIG_ERROR.format(exc))
    return config


CONFIG_ERROR = "\n*** FATAL CONFIG FILE ERROR (Predis) ***\n{}\n"


def _exit_with(message: str) -> None:
    """Stop the start with Redis's words for why (on standard error)."""
    sys.stderr.write(message)
    sys.exit(1)


def _install_loop():
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a hard dependency; fallback for dev
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def _serve(config) -> None:
    from gpu.select import EngineUnavailable
    from server.app import PredisServer

    if not (config["port"] or config["tls-port"] or config["unixsocket"]):
        _exit_with("\nConfigured to not listen anywhere, exiting.\n")
    data_dir = config["dir"]
    os.makedirs(data_dir, exist_ok=True)
    try:
        server = PredisServer(config)
    except EngineUnavailable as exc:
        _exit_with(f"\n*** FATAL: {exc}\n")
    except ConfigError as exc:  # users from `user` lines or the aclfile
        _exit_with(CONFIG_ERROR.format(exc))
    from ops.tls import TLSConfigError
    from server.listen import UnixSocketError
    from server.loading import LoadingInterrupted

    try:
        await server.open_listeners()
    except TLSConfigError as exc:
        _exit_with(CONFIG_ERROR.format(exc))
    except UnixSocketError as exc:
        _exit_with(f"\nFailed opening Unix socket: {exc}\n")
    except OSError as exc:  # Redis's words (its test suite retries another port on them)
        _exit_with(f"\nFailed listening on port {config['port']} (tcp), aborting: "
                         f"{exc.strerror}\n")
    server.shutdown.install()  # SIGTERM/SIGINT from here on (during the load: end it)
    try:
        server.load_snapshot_at_start()
        if server.shutdown.pending:  # a signal before or after the loading state
            raise LoadingInterrupted(server.shutdown.pending)
    except LoadingInterrupted as exc:  # Redis exits without saving a half-loaded dataset
        server.log.warning("shutdown_while_loading", cause=str(exc))
        for listener in server.listen.close():
            await listener.wait_closed()
        return
    except (OSError, ValueError) as exc:  # RDBError is a ValueError
        _exit_with(f"\n*** FATAL: the snapshot could not be loaded: {exc}\n")
    admin_refused = ()  # (ops.admin_http and prometheus_client: imported only for an admin port)
    if config["admin-port"]:
        from ops.admin_http import AdminExposed as admin_refused
    try:
        await server.start()
    except admin_refused as exc:
        _exit_with(CONFIG_ERROR.format(exc))
    asyncio.get_running_loop().add_signal_handler(signal.SIGHUP, server.reload_config)
    await server.serve_until_shutdown()


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in ("-v", "--version"):
        from server.app import PREDIS_VERSION, VERSION

        print(f"Predis server v={PREDIS_VERSION} (Redis {VERSION} compatible)")
        return
    config = build_config(argv)
    configure(config["loglevel"], config["logfile"])
    loop = _install_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(_serve(config))
    finally:
        loop.close()
    _leave()


def _leave() -> None:
    """The server stopped and wrote what it had to: leave at once, as Redis's exit(0) does.
    The interpreter's own teardown (finalizing numba, LLVM and numpy modules, about a quarter
    of a second) has nothing of Predis's left to do; the log is line-buffered, the sidecar
    waited for, the children reaped or killed."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
