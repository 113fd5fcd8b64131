"""Flows webhooks played to a team's receiver, signed and retried exactly as Meta does.

    from harness.webhooks import WebhookSender, completion_notification, completion_from_walk

    sender = WebhookSender("https://staging.example.com/webhook", app_secret, backoff=0.2)
    delivery = sender.deliver(completion_notification({"flow_token": token, "lead": "L1"}),
                              duplicates=1)
    delivery.delivered, delivery.statuses      # True, [500, 200, 200]
    sender.verify("my-verify-token").passed    # the subscription GET, and a wrong token refused

A completed walk gives the notification its ``response_json`` with
:func:`completion_from_walk` (SUCCESS params as the endpoint returned them, media ids
included). Status changes and health alerts go through :func:`flows_notification`.
"""

from __future__ import annotations

from typing import Any

from harness.webhooks._delivery import Attempt, Delivery, Verification, WebhookSender
from harness.webhooks._exceptions import WebhookError, WebhookPayloadError
from harness.webhooks._payloads import (
    ALERT_EVENTS,
    FLOW_STATUSES,
    completion_notification,
    flows_notification,
    health_alert,
    new_message_id,
    response_from_completion,
    status_change,
)

__all__ = [
    "ALERT_EVENTS",
    "FLOW_STATUSES",
    "Attempt",
    "Delivery",
    "Verification",
    "WebhookError",
    "WebhookPayloadError",
    "WebhookSender",
    "completion_from_walk",
    "completion_notification",
    "flows_notification",
    "health_alert",
    "new_message_id",
    "response_from_completion",
    "status_change",
]


def completion_from_walk(transcript: Any, **options: Any) -> dict[str, Any]:
    """The ``nfm_reply`` notification a completed walk (a walker Transcript) produces.

    ``options`` go to :func:`completion_notification` (``wa_id``, ``message_id``...).
    """
    if not transcript.completed or transcript.completion is None:
        raise WebhookPayloadError(
            f"the journey did not complete ({transcript.ending}): WhatsApp sends no "
            "completion webhook for it"
        )
    response = response_from_completion(
        transcript.completion,
        flow_token=transcript.flow_token,
        from_endpoint=transcript.ending == "success",
    )
    return completion_notification(response, **options)
