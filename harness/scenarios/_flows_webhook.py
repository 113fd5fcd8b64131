"""The ``flows_webhook`` step: what WhatsApp posts to the endpoint's webhook, as Meta does.

A completed flow's ``nfm_reply`` (``response_json`` from a walk's captured completion,
``${params}``), a ``FLOW_STATUS_CHANGE``, a health alert, or the verification GET;
signed with the target's app secret, retried on anything but 200 with the same bytes,
optionally redelivered after a 200 so the receiver's deduplication is tested.
"""

from __future__ import annotations

import json
from typing import Any

from harness.scenarios._environment import Environment
from harness.scenarios._results import Exchange, StepResult
from harness.scenarios.exceptions import ScenarioRuntimeError
from harness.webhooks import (
    Delivery,
    WebhookError,
    WebhookSender,
    completion_notification,
    flows_notification,
    health_alert,
    status_change,
)

__all__ = ["run_flows_webhook"]

_FLOW_ID = "1234567890"


async def run_flows_webhook(
    spec: dict[str, Any], env: Environment, record: StepResult
) -> dict[str, Any]:
    """Send it; return what ``expect`` and ``capture`` see of the delivery."""
    url, transport = env.webhook_endpoint()
    try:
        sender = WebhookSender(
            url,
            env.app_secret(),
            retries=int(spec.get("retries", 3)),
            backoff=float(spec.get("backoff", 0.05)),
            signature=spec.get("signature", "valid"),
            transport=transport,
        )
        if "verify" in spec:
            return await _verify(sender, spec["verify"], record)
        notification = _notification(spec)
        delivery = await sender.adeliver(notification, duplicates=int(spec.get("duplicates", 0)))
    except WebhookError as exc:
        raise ScenarioRuntimeError(f"flows_webhook: {exc}") from exc
    _record(delivery, record)
    last = delivery.attempts[-1] if delivery.attempts else None
    return {
        "delivered": delivery.delivered,
        "status": last.status if last else None,
        "statuses": delivery.statuses,
        "attempts": len([a for a in delivery.attempts if not a.duplicate]),
        "text": last.body if last else "",
        "payload": delivery.payload,
    }


def _notification(spec: dict[str, Any]) -> dict[str, Any]:
    if "completion" in spec:
        completion = spec["completion"]
        response = completion["response_json"]
        if isinstance(response, str):
            try:
                response = json.loads(response)
            except json.JSONDecodeError as exc:
                raise ScenarioRuntimeError(f"completion.response_json is not JSON: {exc}") from exc
        options = {
            key: completion[name]
            for name, key in (("from", "wa_id"), ("message_id", "message_id"))
            if completion.get(name) is not None
        }
        if completion.get("context_id"):
            options["context_id"] = completion["context_id"]
        return completion_notification(response, **options)
    if "status_change" in spec:
        change = spec["status_change"]
        value = status_change(
            change.get("flow_id", _FLOW_ID), change["new_status"], change.get("old_status")
        )
    else:
        alert = spec["alert"]
        value = health_alert(
            alert["event"],
            alert.get("flow_id", _FLOW_ID),
            alert_state=alert.get("alert_state", "ACTIVATED"),
            threshold=alert.get("threshold"),
        )
    return flows_notification(value)


def _record(delivery: Delivery, record: StepResult) -> None:
    for attempt in delivery.attempts:
        record.exchanges.append(
            Exchange(
                action="redelivery" if attempt.duplicate else "webhook",
                status=attempt.status,
                outcome="ok" if attempt.status == 200 else (attempt.error or "not 200"),
                elapsed_ms=round(attempt.elapsed * 1000, 1),
                within_budget=True,
            )
        )
    chain = " -> ".join(str(status) for status in delivery.statuses)
    verdict = "delivered" if delivery.delivered else "NOT delivered"
    record.detail = f"webhook {verdict}: {chain or 'no attempt'}"


async def _verify(
    sender: WebhookSender, spec: dict[str, Any], record: StepResult
) -> dict[str, Any]:
    result = await sender.averify(spec["verify_token"], challenge=spec.get("challenge"))
    record.detail = (
        f"verification GET: {result.attempt.status} (echoed: {result.echoed}); "
        f"wrong token: {result.wrong_token.status}"
    )
    return {
        "delivered": result.passed,
        "passed": result.passed,
        "echoed": result.echoed,
        "status": result.attempt.status,
        "text": result.attempt.body,
        "wrong_token_status": result.wrong_token.status,
    }
