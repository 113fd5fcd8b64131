"""The dashboard's "add a fault" form: the closed set it offers, read into a ``FaultRule``.

Four kinds (the ones a person reaches for by hand; the admin API has every
kind): ``delay`` (a latency fault), ``status`` (answer a code, optional body),
``reset`` (drop the connection), ``empty`` (an empty answer, 200 unless a
status is given); each ``always``, for the ``next`` N calls, or with
``probability`` p; on one method and path glob, or every call.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import ValidationError

from mocks._core import (
    ConnectionResetFault,
    EmptyResponseFault,
    Fault,
    FaultRule,
    LatencyFault,
    StatusFault,
)

__all__ = ["FAULT_KINDS", "WHEN", "FormError", "rule_from_form"]

FAULT_KINDS = {
    "delay": "delay (seconds)",
    "status": "status code",
    "reset": "connection reset",
    "empty": "empty answer",
}
"""form value -> label, in the order the form offers them."""

WHEN = {"always": "always", "next": "next N calls", "probability": "with probability p"}


class FormError(ValueError):
    """The form cannot make a fault; the message says which field to fix."""


def _text(form: Mapping[str, str], name: str) -> str:
    return (form.get(name) or "").strip()


def _number(form: Mapping[str, str], name: str, label: str) -> float:
    value = _text(form, name)
    if not value:
        raise FormError(f"{label} is required")
    try:
        return float(value)
    except ValueError:
        raise FormError(f"{label} must be a number, got {value!r}") from None


def _whole(form: Mapping[str, str], name: str, label: str) -> int:
    value = _number(form, name, label)
    if not value.is_integer():
        raise FormError(f"{label} must be a whole number, got {_text(form, name)!r}")
    return int(value)


def _fault(form: Mapping[str, str]) -> Fault:
    kind = _text(form, "kind")
    if kind == "delay":
        seconds = _number(form, "seconds", "seconds")
        return LatencyFault(seconds=seconds, min_seconds=None, max_seconds=None)
    if kind == "status":
        body = _text(form, "body") or None
        return StatusFault(status=_whole(form, "status", "status"), body=body)
    if kind == "reset":
        return ConnectionResetFault()
    if kind == "empty":
        status = _whole(form, "status", "status") if _text(form, "status") else 200
        return EmptyResponseFault(status=status)
    raise FormError(f"kind must be one of {', '.join(FAULT_KINDS)}, got {kind!r}")


def rule_from_form(form: Mapping[str, str]) -> FaultRule:
    """The fault rule a submitted form asks for, or :class:`FormError`."""
    when = _text(form, "when") or "always"
    if when not in WHEN:
        raise FormError(f"when must be one of {', '.join(WHEN)}, got {when!r}")
    try:
        fault = _fault(form)
        return FaultRule(
            fault=fault,
            method=_text(form, "method").upper() or None,
            path=_text(form, "path") or None,
            times=_whole(form, "times", "N (the next N calls)") if when == "next" else None,
            probability=_number(form, "probability", "p") if when == "probability" else 1.0,
        )
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or 'fault'}: {error['msg']}"
            for error in exc.errors()
        )
        raise FormError(problems) from None
