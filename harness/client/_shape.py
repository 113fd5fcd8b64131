"""Answer shapes WhatsApp rejects whatever the flow: read from the request and the answer.

The flow-specific contract (routing, declared data) needs the Flow JSON and lives in
:func:`harness.flowjson.check_response`; these are the checks every answer must pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_SCREEN_ACTIONS = frozenset({"INIT", "BACK", "data_exchange", "navigate"})


def answer_problems(request: Any, answer: Any) -> tuple[str, ...]:
    """Why WhatsApp would reject ``answer`` to ``request`` (empty when it would not)."""
    if not isinstance(request, Mapping) or not isinstance(answer, Mapping):
        return ()
    action = request.get("action")
    data = answer.get("data")
    if action == "ping":
        if not isinstance(data, Mapping) or data.get("status") != "active":
            return ('a health check answer needs {"data": {"status": "active"}}',)
        return ()
    if isinstance(request.get("data"), Mapping) and (
        "error" in request["data"] or "error_key" in request["data"]
    ):
        return ()  # an error notification: WhatsApp does not read the acknowledgement
    if action not in _SCREEN_ACTIONS:
        return ()
    return _screen_answer_problems(answer.get("screen"), data)


def _screen_answer_problems(screen: Any, data: Any) -> tuple[str, ...]:
    if not isinstance(screen, str) or not screen:
        return ('the answer has no "screen": WhatsApp cannot tell which screen to show',)
    if data is not None and not isinstance(data, Mapping):
        return ('"data" is not a JSON object',)
    data = data or {}
    problems = []
    if "error_message" in data and not isinstance(data["error_message"], str):
        problems.append("data.error_message is not a string")
    if screen == "SUCCESS":
        response = data.get("extension_message_response")
        params = response.get("params") if isinstance(response, Mapping) else None
        token = params.get("flow_token") if isinstance(params, Mapping) else None
        if not isinstance(token, str) or not token:
            problems.append(
                "SUCCESS without data.extension_message_response.params.flow_token: WhatsApp "
                "cannot close the flow"
            )
    return tuple(problems)
