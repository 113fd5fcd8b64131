"""Structured JSON logs with phone numbers and email addresses masked.

Every log call passes its fields as ``extra=log_fields(name=value, ...)``: they travel
under one attribute no ``LogRecord`` has, so a field may be called ``created``,
``name`` or ``msg`` without ``logging`` raising ``KeyError`` (it refuses extras that
would overwrite a record attribute, and would do so only when the level is enabled).

The endpoint logs a line for every request, so the masking costs little where nothing
can be masked: only text is masked (numbers pass as they are), and text with neither
an ``@`` nor a digit, which neither pattern can match, skips the patterns.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import Any

import httpx

_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+\.)+[A-Za-z]{2,}")
# 8+ digits, maybe with + and separators: masks everything but the last two digits.
# Not inside a word: the digits of a hex lead reference are no phone number.
_PHONE = re.compile(r"(?<!\w)\+?\d[\d ()./-]{6,}\d(?!\w)")
# what each pattern needs: an email an @, a phone number digits
_MAYBE_PERSONAL = re.compile(r"[@\d]")
_STANDARD_ATTRS = frozenset(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}
FIELDS = "flowharness_fields"
"""The one record attribute that carries a log call's fields."""
_MAX_FIELD_CHARS = 300  # a log line quotes client input: keep it short
_JSON = json.JSONEncoder(ensure_ascii=False, default=str).encode  # built once, not per line


def log_fields(**fields: Any) -> dict[str, Any]:
    """``extra=`` for a log call: ``fields`` under :data:`FIELDS`, long texts cut short."""
    return {
        FIELDS: {
            k: v[:_MAX_FIELD_CHARS] + "..." if isinstance(v, str) and len(v) > _MAX_FIELD_CHARS
            else v
            for k, v in fields.items()
        }
    }  # fmt: skip


def record_fields(record: logging.LogRecord) -> dict[str, Any]:
    """A record's fields: those given with :func:`log_fields`, then any other ``extra``."""
    attributes = vars(record)
    given = attributes.get(FIELDS)
    found: dict[str, Any] = dict(given) if isinstance(given, dict) else {}
    for key in attributes.keys() - _STANDARD_ATTRS:
        if key != FIELDS:
            found.setdefault(key, attributes[key])
    return found


def mask(text: str) -> str:
    """``text`` with emails as ``j***@***`` and phone numbers as ``***23``."""
    if _MAYBE_PERSONAL.search(text) is None:
        return text
    text = _EMAIL.sub(lambda m: f"{m.group(1)}***@***", text)
    return _PHONE.sub(lambda m: "***" + re.sub(r"\D", "", m.group())[-2:], text)


def _mask_value(value: Any) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_value(v) for v in value]
    return value


def describe_error(exc: BaseException) -> str:
    """``exc`` for a log line: an HTTP status error without its URL (webhook URLs are secrets)."""
    if isinstance(exc, httpx.HTTPStatusError):
        response = exc.response
        return f"HTTP {response.status_code} {response.reason_phrase}".rstrip()
    return str(exc) or type(exc).__name__


class MaskingFilter(logging.Filter):
    """Masks personal data in the message, its arguments and ``extra`` fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(record.getMessage())
        record.args = None
        attributes = vars(record)
        for key in attributes.keys() - _STANDARD_ATTRS:
            attributes[key] = _mask_value(attributes[key])
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, and every ``extra`` field."""

    _second: tuple[int, str] = (-1, "")
    """The last whole second formatted, and its text: a line per request reuses it."""

    def _time(self, created: float) -> str:
        """``created`` in ISO 8601 (UTC) to the millisecond, as ``datetime.isoformat`` has it
        (rounded to the microsecond first)."""
        second = int(created)
        micro = round((created - second) * 1e6)
        if micro >= 1_000_000:
            second, micro = second + 1, micro - 1_000_000
        if self._second[0] != second:
            text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._second = (second, text)
        return f"{self._second[1]}.{micro // 1000:03d}+00:00"

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self._time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record_fields(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = mask(self.formatException(record.exc_info))
        return _JSON(entry)


class _PlainFormatter(logging.Formatter):
    """The message and its fields (``key=value``), with any traceback masked too."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        text = super().formatMessage(record)
        fields = " ".join(f"{k}={v}" for k, v in record_fields(record).items())
        return f"{text} {fields}" if fields else text

    def formatException(self, ei: Any) -> str:
        return mask(super().formatException(ei))


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Send ``reference_server`` logs to stderr, masked (JSON lines unless told otherwise)."""
    logger = logging.getLogger("reference_server")
    logger.setLevel(level.upper())
    handler = logging.StreamHandler()
    handler.addFilter(MaskingFilter())
    handler.setFormatter(JsonFormatter() if json_lines else _PlainFormatter("%(message)s"))
    logger.handlers = [handler]
    logger.propagate = False
