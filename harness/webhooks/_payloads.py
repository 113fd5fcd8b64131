"""The notifications WhatsApp posts to a business's webhook after and around a flow.

Shapes follow Meta's "Flows Webhooks" reference (developers.facebook.com/docs/whatsapp/
flows/reference/flowswebhooks) and the Cloud API messages webhook:

- a completed flow is a ``messages`` change whose message is ``type: interactive``,
  ``interactive: {type: nfm_reply, nfm_reply: {name: flow, body: Sent, response_json}}``,
  ``response_json`` being the SUCCESS params (endpoint flows) or the ``complete``
  payload, as a JSON *string*, with ``flow_token``; ``context.id`` names the flow message;
- the ``flows`` field carries ``FLOW_STATUS_CHANGE`` and the health alerts
  ``ENDPOINT_ERROR_RATE`` / ``CLIENT_ERROR_RATE`` (5/10/50 %), ``ENDPOINT_LATENCY``
  (p90 over 1/5/7 s, in ms) and ``ENDPOINT_AVAILABILITY`` (below 90 %), each with
  ``flow_id``, ``event``, ``message``, ``threshold`` and ``alert_state``.

The alert messages are Meta's words for an ACTIVATED alert; Meta publishes no text for
a DEACTIVATED one, so that wording is ours.
"""

from __future__ import annotations

import base64
import json
import mimetypes
import time
import uuid
from collections.abc import Mapping
from typing import Any, Literal

from harness.health import RULES
from harness.webhooks._exceptions import WebhookPayloadError

__all__ = [
    "ALERT_EVENTS",
    "FLOW_STATUSES",
    "completion_notification",
    "flows_notification",
    "health_alert",
    "new_message_id",
    "response_from_completion",
    "status_change",
]

DEFAULT_WABA_ID = "102290129340398"
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
DEFAULT_DISPLAY_NUMBER = "15550783881"
DEFAULT_WA_ID = "16505551234"
FLOW_STATUSES = ("DRAFT", "PUBLISHED", "THROTTLED", "BLOCKED", "DEPRECATED")
AlertState = Literal["ACTIVATED", "DEACTIVATED"]

_RULES = {rule.event: rule for rule in RULES}  # thresholds and windows: harness.health

# event -> (thresholds, window in minutes, Meta's message with {threshold})
ALERT_EVENTS: dict[str, tuple[tuple[int, ...], int, str]] = {
    "ENDPOINT_ERROR_RATE": (
        _RULES["ENDPOINT_ERROR_RATE"].thresholds,
        _RULES["ENDPOINT_ERROR_RATE"].window_minutes,
        "The flow endpoint request error rate has reached the {threshold}% threshold in the "
        "last 30 minutes. A higher error rate will make it harder for users to complete the "
        "flow, resulting in drop-offs.",
    ),
    "CLIENT_ERROR_RATE": (
        _RULES["CLIENT_ERROR_RATE"].thresholds,
        _RULES["CLIENT_ERROR_RATE"].window_minutes,
        "The flow client request error rate has reached the {threshold}% threshold in the "
        "last 60 minutes. A higher error rate will make it harder for users to complete the "
        "flow, resulting in drop-offs.",
    ),
    "ENDPOINT_LATENCY": (
        _RULES["ENDPOINT_LATENCY"].thresholds,
        _RULES["ENDPOINT_LATENCY"].window_minutes,
        "Flow endpoint latency has reached the p90 threshold in the last 30 minutes. High "
        "latency will increase the loading time between screens in the flow, impacting user "
        "experience.",
    ),
    "ENDPOINT_AVAILABILITY": (
        _RULES["ENDPOINT_AVAILABILITY"].thresholds,
        _RULES["ENDPOINT_AVAILABILITY"].window_minutes,
        "The flow endpoint availability has breached the {threshold}% threshold in the last "
        "10 minutes. Users will be unable to open or use the flow.",
    ),
}
_RECOVERED = (
    "The {what} is back within the {threshold}{unit} threshold over the last {window} minutes."
)
_WHAT = {
    "ENDPOINT_ERROR_RATE": ("flow endpoint request error rate", "%"),
    "CLIENT_ERROR_RATE": ("flow client request error rate", "%"),
    "ENDPOINT_LATENCY": ("flow endpoint p90 latency", " ms"),
    "ENDPOINT_AVAILABILITY": ("flow endpoint availability", "%"),
}


def new_message_id() -> str:
    """A fresh ``wamid.`` id; a redelivery reuses the notification's, so dedup can work."""
    return "wamid." + base64.b64encode(b"flowharness" + uuid.uuid4().bytes).decode("ascii")


def _envelope(change: dict[str, Any], waba_id: str, *, with_time: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"id": waba_id}
    if with_time:
        entry["time"] = int(time.time())
    entry["changes"] = [change]
    return {"object": "whatsapp_business_account", "entry": [entry]}


def completion_notification(
    response: Mapping[str, Any],
    *,
    wa_id: str = DEFAULT_WA_ID,
    message_id: str | None = None,
    context_id: str = "wamid.flowharness-flow-message",
    profile_name: str = "Flow tester",
    phone_number_id: str = DEFAULT_PHONE_NUMBER_ID,
    display_phone_number: str = DEFAULT_DISPLAY_NUMBER,
    waba_id: str = DEFAULT_WABA_ID,
    timestamp: int | None = None,
) -> dict[str, Any]:
    """The ``messages`` webhook a completed flow produces (``nfm_reply``).

    ``response`` becomes ``response_json`` (a JSON string); it must carry ``flow_token``,
    as WhatsApp always adds it. ``wa_id`` is the person's number, digits only.
    """
    if not isinstance(response, Mapping):
        raise WebhookPayloadError("response_json must be a JSON object (the SUCCESS params)")
    if "flow_token" not in response:
        raise WebhookPayloadError(
            "response_json has no flow_token: WhatsApp always includes it (pass --flow-token)"
        )
    digits = wa_id.lstrip("+")
    if not digits.isdigit():
        raise WebhookPayloadError(f"the sender {wa_id!r} is not a phone number in digits")
    message = {
        "context": {"from": display_phone_number, "id": context_id},
        "from": digits,
        "id": message_id or new_message_id(),
        "timestamp": str(int(time.time()) if timestamp is None else timestamp),
        "type": "interactive",
        "interactive": {
            "type": "nfm_reply",
            "nfm_reply": {
                "name": "flow",
                "body": "Sent",
                "response_json": json.dumps(dict(response), ensure_ascii=False),
            },
        },
    }
    value = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": display_phone_number,
            "phone_number_id": phone_number_id,
        },
        "contacts": [{"profile": {"name": profile_name}, "wa_id": digits}],
        "messages": [message],
    }
    return _envelope({"value": value, "field": "messages"}, waba_id, with_time=False)


def flows_notification(
    value: Mapping[str, Any], *, waba_id: str = DEFAULT_WABA_ID
) -> dict[str, Any]:
    """A ``flows`` field notification around one value (status change or alert)."""
    return _envelope({"value": dict(value), "field": "flows"}, waba_id, with_time=True)


def status_change(
    flow_id: str,
    new_status: str,
    old_status: str | None = None,
    *,
    flow_name: str = "Flow",
) -> dict[str, Any]:
    """A ``FLOW_STATUS_CHANGE`` value; without ``old_status`` it is the creation notice."""
    for status in (new_status, old_status):
        if status is not None and status not in FLOW_STATUSES:
            raise WebhookPayloadError(
                f"unknown flow status {status!r}; Meta's are {', '.join(FLOW_STATUSES)}"
            )
    if old_status is None:
        message = f"Flow {flow_name} has been created with {new_status} status"
    else:
        message = f"Flow {flow_name} changed status from {old_status} to {new_status}"
    value: dict[str, Any] = {"event": "FLOW_STATUS_CHANGE", "message": message, "flow_id": flow_id}
    if old_status is not None:
        value["old_status"] = old_status
    value["new_status"] = new_status
    return value


def health_alert(
    event: str,
    flow_id: str,
    *,
    alert_state: AlertState = "ACTIVATED",
    threshold: int | None = None,
    **metrics: Any,
) -> dict[str, Any]:
    """A health alert value as Meta sends it; ``metrics`` default to Meta's examples.

    ``ENDPOINT_ERROR_RATE``/``CLIENT_ERROR_RATE``: ``error_rate``, ``errors`` (a list of
    ``{error_type, error_rate, error_count}``); ``ENDPOINT_LATENCY``: ``p90_latency``,
    ``p50_latency``, ``requests_count`` (ms); ``ENDPOINT_AVAILABILITY``: ``availability``.
    """
    event = event.upper()
    if event not in ALERT_EVENTS:
        raise WebhookPayloadError(f"unknown alert {event!r}; Meta's are {', '.join(ALERT_EVENTS)}")
    if alert_state not in ("ACTIVATED", "DEACTIVATED"):
        raise WebhookPayloadError("alert_state is ACTIVATED or DEACTIVATED")
    thresholds, window, text = ALERT_EVENTS[event]
    if threshold is None:
        threshold = thresholds[1] if len(thresholds) > 1 else thresholds[0]
    if threshold not in thresholds:
        raise WebhookPayloadError(
            f"{event} fires at {', '.join(map(str, thresholds))}, not at {threshold}"
        )
    if alert_state == "ACTIVATED":
        message = text.format(threshold=threshold)
    else:
        what, unit = _WHAT[event]
        message = _RECOVERED.format(what=what, threshold=threshold, unit=unit, window=window)
    value: dict[str, Any] = {"event": event, "message": message, "flow_id": flow_id}
    value.update(_metrics(event, threshold, alert_state, metrics))
    value["threshold"] = threshold
    value["alert_state"] = alert_state
    return value


def _metrics(event: str, threshold: int, state: str, given: Mapping[str, Any]) -> dict[str, Any]:
    breached = state == "ACTIVATED"
    if event in ("ENDPOINT_ERROR_RATE", "CLIENT_ERROR_RATE"):
        rate = given.get("error_rate", round(threshold * 1.43, 2) if breached else 1.5)
        errors = given.get("errors")
        if errors is None:
            kind = "TIMEOUT" if event == "ENDPOINT_ERROR_RATE" else "INVALID_SCREEN_TRANSITION"
            errors = [{"error_type": kind, "error_rate": 100.0, "error_count": 3}]
        return {"error_rate": rate, "errors": errors}
    if event == "ENDPOINT_LATENCY":
        p90 = given.get("p90_latency", threshold + 1000 if breached else threshold // 2)
        return {
            "p90_latency": p90,
            "p50_latency": given.get("p50_latency", 500),
            "requests_count": given.get("requests_count", 34),
        }
    return {"availability": given.get("availability", 75 if breached else 99)}


def response_from_completion(
    completion: Mapping[str, Any], *, flow_token: str | None, from_endpoint: bool
) -> dict[str, Any]:
    """``response_json`` for a walk's ending: SUCCESS params as the endpoint gave them, or
    the ``complete`` payload with picker values as WhatsApp reports media
    (``{file_name, mime_type, sha256, id}``); ``flow_token`` is always there."""
    response = dict(completion)
    if not from_endpoint:
        response = {key: _media(value) for key, value in response.items()}
    if "flow_token" not in response and flow_token is not None:
        response["flow_token"] = flow_token
    return response


def _media(value: Any) -> Any:
    if not (isinstance(value, list) and value and all(_is_upload(item) for item in value)):
        return value
    files = []
    for item in value:
        metadata = item.get("encryption_metadata") or {}
        name = str(item.get("file_name", ""))
        files.append(
            {
                "file_name": name,
                "mime_type": mimetypes.guess_type(name)[0] or "application/octet-stream",
                "sha256": metadata.get("plaintext_hash", ""),
                "id": str(item["media_id"]),
            }
        )
    return files


def _is_upload(item: Any) -> bool:
    return isinstance(item, Mapping) and "media_id" in item and "cdn_url" in item
