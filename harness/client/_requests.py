"""The decrypted requests WhatsApp sends, built and checked (docs/protocol.md, "Requests")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from harness.client._exceptions import InvalidRequestError

PING_VERSION = "3.0"  # WhatsApp's health check always says 3.0
ErrorKey = Literal["error", "error_key"]


def ping_request() -> dict[str, Any]:
    return {"version": PING_VERSION, "action": "ping"}


def init_request(
    version: str, flow_token: str | None, data: Mapping[str, Any] | None, screen: str | None
) -> dict[str, Any]:
    payload: dict[str, Any] = {"version": version, "action": "INIT"}
    if screen is not None:
        payload["screen"] = _screen(screen)
    if data is not None:
        payload["data"] = _data(data)
    return _with_token(payload, flow_token)


def data_exchange_request(
    version: str, screen: str, data: Mapping[str, Any], flow_token: str | None
) -> dict[str, Any]:
    payload = {
        "version": version,
        "action": "data_exchange",
        "screen": _screen(screen),
        "data": _data(data),
    }
    return _with_token(payload, flow_token)


def back_request(version: str, screen: str, flow_token: str | None) -> dict[str, Any]:
    payload = {"version": version, "action": "BACK", "screen": _screen(screen), "data": {}}
    return _with_token(payload, flow_token)


def error_notification_request(
    version: str,
    flow_token: str | None,
    error: str,
    error_message: str,
    *,
    screen: str | None,
    key: ErrorKey,
    action: str,
) -> dict[str, Any]:
    # Meta's sample says "error", its table says "error_key": endpoints must take both.
    if key not in ("error", "error_key"):
        raise InvalidRequestError(f"key must be 'error' or 'error_key', not {key!r}")
    if not isinstance(error, str) or not error:
        raise InvalidRequestError("error must be a non-empty error type, e.g. 'timeout_error'")
    if not isinstance(error_message, str):
        raise InvalidRequestError("error_message must be a string")
    payload: dict[str, Any] = {"version": version, "action": action}
    if screen is not None:
        payload["screen"] = _screen(screen)
    payload["data"] = {key: error, "error_message": error_message}
    return _with_token(payload, flow_token)


def _with_token(payload: dict[str, Any], flow_token: str | None) -> dict[str, Any]:
    # Some iOS clients omit flow_token: None sends a request without it.
    if flow_token is not None:
        if not isinstance(flow_token, str):
            raise InvalidRequestError(f"flow_token must be a string or None, not {flow_token!r}")
        payload["flow_token"] = flow_token
    return payload


def _screen(screen: str) -> str:
    if not isinstance(screen, str) or not screen:
        raise InvalidRequestError(f"screen must be a non-empty screen id, not {screen!r}")
    return screen


def _data(data: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise InvalidRequestError(
            f"data must be a JSON object (a mapping), not {type(data).__name__}"
        )
    return dict(data)
