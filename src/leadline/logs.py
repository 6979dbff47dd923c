"""Log lines as JSON objects, one per line: no value (a path with `%0A`, a message) can forge another line.

A plain `logging.Formatter` rendered with orjson, not structlog's ProcessorFormatter: measured with
bench/ingest.py, the latter added about 60 µs of server CPU to every request, more than the collector's
own steps; this costs a few microseconds. Structured fields ride on a record as `extra={"fields": {...}}`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import orjson

_HANDLER_NAME = "leadline-json-lines"  # found by name, so configuring again replaces it instead of adding one


class JsonLines(logging.Formatter):
    """Renders a record as one JSON object: time, level, logger, message, its fields, an escaped traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(line, default=str).decode()


def configure_logging(level: str) -> None:
    """Every logger (ours and uvicorn's) writes JSON lines to stderr at `level`."""
    handler = logging.StreamHandler()
    handler.name = _HANDLER_NAME
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    for previous in [existing for existing in root.handlers if existing.name == _HANDLER_NAME]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(level.upper())
    # uvicorn installs its own plain-text handlers before it builds the app; its records go through ours.
    # Its access logger stays off (`leadline serve`): it records client addresses.
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
