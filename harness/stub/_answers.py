"""What the stub answers, from the Flow JSON alone (no HTTP here).

Every answer passes :func:`harness.flowjson.check_response`: INIT opens the entry
screen, data_exchange moves along the first route ``routing_model`` allows (or closes
the flow with SUCCESS from a terminal screen or one without routes), BACK stays.
Screen data is each declaration's ``__example__`` (or the simplest value of its type).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.flowjson import Flow, Screen
from harness.stub._exceptions import StubError

STUB_FLOW_TOKEN = "flowharness-stub-token"  # when a request carries none (some iOS clients)
_EMPTY_BY_TYPE: dict[str, Any] = {
    "string": "",
    "number": 0,
    "integer": 0,
    "boolean": False,
    "array": [],
    "object": {},
}


def example_data(screen: Screen) -> dict[str, Any]:
    """A screen's declared data filled with examples: valid for the screen by construction."""
    return {name: _example(decl.schema, decl.example, decl.has_example)
            for name, decl in screen.data.items()}  # fmt: skip


def _example(schema: Mapping[str, Any], example: Any, has_example: bool) -> Any:
    if has_example:
        return example
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((item for item in kind if item != "null"), "string")
    return _EMPTY_BY_TYPE.get(str(kind), "")


class StubAnswers:
    """Computes the answer to a decrypted request for one flow."""

    def __init__(self, flow: Flow) -> None:
        entry = flow.entry_screen
        if entry is None:
            raise StubError(
                "the flow has no entry screen: every screen is a route target; "
                "fix routing_model (flowharness validate shows where)"
            )
        self.flow = flow
        self.entry = entry

    def __call__(self, request: Mapping[str, Any]) -> dict[str, Any]:
        action = request.get("action")
        data = request.get("data")
        if action == "ping":
            return {"data": {"status": "active"}}
        if isinstance(data, Mapping) and ("error" in data or "error_key" in data):
            return {"data": {"acknowledged": True}}
        if action == "INIT":
            return self.screen_answer(self.entry)
        screen_id = request.get("screen")
        if action not in ("data_exchange", "BACK"):
            return {"data": {"error": f"unknown action {action!r}: expected ping, INIT, "
                                      "BACK or data_exchange"}}  # fmt: skip
        if not isinstance(screen_id, str) or not self.flow.has_screen(screen_id):
            return {"data": {"error": f"unknown screen {screen_id!r}: the flow's screens are "
                                      f"{', '.join(self.flow.screen_ids)}"}}  # fmt: skip
        screen = self.flow.screen(screen_id)
        if action == "BACK":
            return self.screen_answer(screen)
        routes = [
            target for target in self.flow.routes_from(screen_id) if self.flow.has_screen(target)
        ]
        if screen.terminal or not routes:
            return self.success(request)
        return self.screen_answer(self.flow.screen(routes[0]))

    def screen_answer(self, screen: Screen) -> dict[str, Any]:
        return {"screen": screen.id, "data": example_data(screen)}

    def success(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Close the flow; the request's data become completion params, with its token."""
        data = request.get("data")
        params = dict(data) if isinstance(data, Mapping) else {}
        token = request.get("flow_token")
        params["flow_token"] = token if isinstance(token, str) and token else STUB_FLOW_TOKEN
        return {"screen": "SUCCESS", "data": {"extension_message_response": {"params": params}}}
