"""Structured logs: `JsonFormatter` writes each record as one JSON object on one line.

Fields: time (UTC, ISO 8601 with milliseconds), level, logger, message, request_id, and for an exception its
type and traceback; whatever a caller passes in `extra=` is kept. The web server's access lines (gunicorn
passes its atoms as the record's arguments) become fields: method, path, status, bytes, duration_ms, remote,
user_agent. No Django import: gunicorn's master process uses it before Django is set up.
"""
from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


def _access_fields(atoms: dict) -> dict:
    """Gunicorn's access atoms (glogging.Logger.atoms) as named fields."""
    def atom(key):
        value = atoms.get(key)
        return None if value in (None, "-") else value

    duration_us = atom("D")
    return {
        "method": atom("m"), "path": atom("U"), "query": atom("q"), "status": atom("s"),
        "bytes": atom("B"), "duration_ms": round(int(duration_us) / 1000, 1) if duration_us else None,
        "remote": atom("h"), "user_agent": atom("a"), "referer": atom("f"),
        "request_id": atom("{x-request-id}o"),
    }


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if record.name == "gunicorn.access" and isinstance(record.args, dict):
            access = _access_fields(record.args)
            entry.update({key: value for key, value in access.items() if value is not None})
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            entry["traceback"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        if entry.get("request_id") in (None, "-"):
            entry.pop("request_id")
        return json.dumps(entry, ensure_ascii=False, default=str)
