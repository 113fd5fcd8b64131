"""The traffic Meta's endpoint monitoring would have seen, read from locust's CSV output.

Requests are counted by name: ``ping`` is WhatsApp's health check, ``INIT``,
``data_exchange:*`` and ``BACK:*`` are screen navigations, anything else (error
notifications) only an endpoint request. Each failure message names Meta's error
type when the request had one (``HTTP 500 [unexpected_http_status_code]``, the
walker's ``timeout_error (no answer)``, a contract finding's ``invalid-screen-transition``);
a failure that is only over the project's budget is no error to Meta (it answered
within 10 s). :func:`harness.health.assess` turns the result into the verdict.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from harness.health import CLIENT_ERRORS, ENDPOINT_ERRORS, Traffic
from loadtests.budget import OVER_BUDGET_MARKER
from loadtests.verdict import CsvFormatError, _number, _read_rows

__all__ = ["meta_error_in", "request_kind", "traffic_from_csv"]

_TYPES = sorted(ENDPOINT_ERRORS | CLIENT_ERRORS)
_NAVIGATIONS = ("INIT", "data_exchange", "BACK")


def meta_error_in(message: str) -> str | None:
    """The first of Meta's error types named in a failure message, or None."""
    found = [(message.find(kind), kind) for kind in _TYPES if kind in message]
    return min(found)[1] if found else None


def request_kind(name: str) -> str:
    """``health_check``, ``navigation`` or ``other``, from a request's locust name."""
    if name == "ping":
        return "health_check"
    return "navigation" if name.split(":", 1)[0] in _NAVIGATIONS else "other"


def _only_over_budget(message: str) -> bool:
    """The request answered as it should, only later than the project's budget."""
    _, marker, rest = message.partition(OVER_BUDGET_MARKER)
    return bool(marker) and "; " not in rest


def traffic_from_csv(prefix: str | Path, *, seconds: float | None = None) -> Traffic:
    """The run's :class:`~harness.health.Traffic` from ``PREFIX_stats.csv`` and
    ``PREFIX_failures.csv`` (p50 and p90 of the ``Aggregated`` row, in ms)."""
    stats_path = Path(f"{prefix}_stats.csv")
    rows = _read_rows(stats_path)
    requests = navigations = checks = 0
    aggregated: dict[str, str] | None = None
    for row in rows:
        name = (row.get("Name") or "").strip()
        if name == "Aggregated":
            aggregated = row
            continue
        count = int(_number(row, "Request Count", stats_path))
        requests += count
        kind = request_kind(name)
        navigations += count if kind == "navigation" else 0
        checks += count if kind == "health_check" else 0
    if aggregated is None:
        raise CsvFormatError(f"{stats_path} has no 'Aggregated' row: not a locust --csv stats file")
    endpoint: Counter[str] = Counter()
    client: Counter[str] = Counter()
    checks_failed = 0
    failures_path = Path(f"{prefix}_failures.csv")
    for failure in _read_rows(failures_path) if failures_path.exists() else []:
        message = failure.get("Error") or ""
        times = int(_number(failure, "Occurrences", failures_path))
        kind = request_kind((failure.get("Name") or "").strip())
        error = meta_error_in(message)
        if error in ENDPOINT_ERRORS:
            endpoint[error] += times
        elif error in CLIENT_ERRORS and kind == "navigation":
            client[error] += times
        if kind == "health_check" and not _only_over_budget(message):
            checks_failed += times
    has_p90 = (aggregated.get("90%") or "").strip() not in ("", "N/A")
    return Traffic(
        requests=max(requests, int(_number(aggregated, "Request Count", stats_path))),
        endpoint_errors=dict(endpoint),
        navigations=navigations,
        client_errors=dict(client),
        health_checks=checks,
        health_checks_failed=min(checks_failed, checks),
        p50_seconds=_number(aggregated, "50%", stats_path) / 1000 if has_p90 else None,
        p90_seconds=_number(aggregated, "90%", stats_path) / 1000 if has_p90 else None,
        seconds=seconds,
    )
