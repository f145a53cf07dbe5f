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
        sys.stderr.write(f"\n*** FATAL CONFIG FILE ERROR (Predis) ***\n{exc}\n")
        sys.exit(1)
    return config


def _install_loop():
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a hard dependency; fallback for dev
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


async def _serve(config) -> None:
    from gpu.select import EngineUnavailable
    from server.app import PredisServer

    data_dir = config["dir"]
    os.makedirs(data_dir, exist_ok=True)
    try:
        server = PredisServer(config)
    except EngineUnavailable as exc:
        sys.stderr.write(f"\n*** FATAL: {exc}\n")
        sys.exit(1)
    except ConfigError as exc:  # users from `user` lines or the aclfile
        sys.stderr.write(f"\n*** FATAL CONFIG FILE ERROR (Predis) ***\n{exc}\n")
        sys.exit(1)
    try:
        server.load_snapshot_at_start()
    except (OSError, ValueError) as exc:  # RDBError is a ValueError
        sys.stderr.write(f"\n*** FATAL: the snapshot could not be loaded: {exc}\n")
        sys.exit(1)
    from ops.admin_http import AdminExposed
    from ops.tls import TLSConfigError

    try:
        await server.start()
    except (TLSConfigError, AdminExposed) as exc:
        sys.stderr.write(f"\n*** FATAL CONFIG FILE ERROR (Predis) ***\n{exc}\n")
        sys.exit(1)
    except OSError as exc:  # Redis's words (its test suite retries another port on them)
        sys.stderr.write(f"\nFailed listening on port {config['port']} (tcp), aborting: "
                         f"{exc.strerror}\n")
        sys.exit(1)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, server.signal_shutdown, sig.name)
    loop.add_signal_handler(signal.SIGHUP, server.reload_config)
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


if __name__ == "__main__":
    main()
