"""structlog setup: a console renderer on a TTY, JSON lines otherwise; redis.conf's `loglevel`
(debug, verbose, notice, warning, nothing) and `logfile` (empty = stderr)."""

import logging
import sys

import structlog

_LEVELS = {"debug": logging.DEBUG, "verbose": logging.INFO, "notice": logging.INFO,
           "warning": logging.WARNING}
_state = {"level": logging.INFO}


def _filter_by_level(logger, method_name, event_dict):
    if logging.getLevelName(method_name.upper()) < _state["level"]:
        raise structlog.DropEvent
    return event_dict


def configure(loglevel: str = "notice", logfile: str = "") -> None:
    _state["level"] = _LEVELS.get(loglevel, logging.INFO)
    stream = open(logfile, "a", buffering=1) if logfile else sys.stderr
    renderer = (structlog.dev.ConsoleRenderer(colors=False) if stream.isatty()
                else structlog.processors.JSONRenderer())
    structlog.configure(
        processors=[
            _filter_by_level,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )


def set_level(loglevel: str) -> None:
    _state["level"] = _LEVELS.get(loglevel, logging.INFO)
