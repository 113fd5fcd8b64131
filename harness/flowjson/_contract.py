"""The endpoint's side of the contract: is a decrypted answer one WhatsApp would accept?

Findings carry WhatsApp's own error names where it has one
(``invalid-screen-transition``, ``payload-schema-error``); pointers point into the answer.

Transitions, by the request's ``action``:

- ``INIT`` (the flow opens): the answer must name an entry screen, one that no
  route leads to. Answering a later screen would skip the screens before it.
- ``data_exchange``: the same screen (to show ``error_message`` or refresh data)
  or a screen the routing model (navigate actions without one) allows from it.
- ``BACK`` (back pressed on a ``refresh_on_back`` screen): the same screen or
  any screen with a route leading to it.

``SUCCESS`` closes the flow from any screen and must carry
``extension_message_response.params.flow_token``.

Data: a field the target screen does not declare, or one of the wrong type (null
included), is a ``payload-schema-error``; a declared field left out is only a warning:
Meta's Flow JSON reference (Dynamic properties) names omitting a property as a way to
send "no value".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from harness.flowjson._findings import Finding, error, warning
from harness.flowjson._model import Flow, escape

RequestAction = Literal["INIT", "BACK", "data_exchange"]
_TOKEN_POINTER = "/data/extension_message_response/params/flow_token"


def check_response(
    flow: Flow,
    from_screen: str | None,
    answer: Any,
    *,
    flow_token: str | None = None,
    action: RequestAction | None = None,
) -> list[Finding]:
    """Check an endpoint's decrypted answer to a request sent from ``from_screen``.

    ``action`` defaults to ``INIT`` when ``from_screen`` is None, else ``data_exchange``.
    ``flow_token``, when given, is the token of the request: a SUCCESS answer
    carrying another one gets a warning.
    """
    action = action or ("INIT" if from_screen is None else "data_exchange")
    if action != "INIT" and (from_screen is None or not flow.has_screen(from_screen)):
        raise ValueError(f"from_screen must be one of {', '.join(flow.screen_ids)} for {action}")
    if not isinstance(answer, Mapping):
        return [_schema_error("", f"the answer is {type(answer).__name__}, not a JSON object")]
    target = answer.get("screen")
    data = answer.get("data", {})
    if not isinstance(target, str):
        return [_schema_error("/screen", "the answer has no string 'screen'")]
    if not isinstance(data, Mapping):
        return [_schema_error("/data", "'data' is not a JSON object")]
    if target == "SUCCESS":
        return _success_findings(data, flow_token)
    if not flow.has_screen(target):
        return [_transition_error(f"screen {target} does not exist in the flow")]
    findings = _transition_findings(flow, action, from_screen, target)
    findings += _data_findings(flow, target, data)
    return findings


def _schema_error(pointer: str, message: str) -> Finding:
    return error(
        "payload-schema-error",
        pointer,
        message,
        "data must match the target screen's declared data: same fields, same types",
    )


def _transition_error(message: str) -> Finding:
    return error(
        "invalid-screen-transition",
        "/screen",
        message,
        "answer the same screen, or one routing_model allows from it",
    )


def _success_findings(data: Mapping[str, Any], flow_token: str | None) -> list[Finding]:
    params = data.get("extension_message_response", {})
    params = params.get("params", {}) if isinstance(params, Mapping) else {}
    token = params.get("flow_token") if isinstance(params, Mapping) else None
    if not isinstance(token, str) or not token:
        return [
            error(
                "missing-flow-token",
                _TOKEN_POINTER,
                "SUCCESS without extension_message_response.params.flow_token",
                'answer {"screen": "SUCCESS", "data": {"extension_message_response": '
                '{"params": {"flow_token": "<the request\'s flow_token>", ...}}}}',
            )
        ]
    if flow_token is not None and token != flow_token:
        return [
            warning(
                "flow-token-mismatch",
                _TOKEN_POINTER,
                "SUCCESS carries a flow_token other than the request's",
                "echo the request's flow_token: the completion webhook is matched by it",
            )
        ]
    return []


def _ancestors(flow: Flow, screen_id: str) -> set[str]:
    routes = flow.routes()
    found: set[str] = set()
    frontier = {screen_id}
    while frontier:
        frontier = {
            source
            for source, targets in routes.items()
            if source not in found and frontier & set(targets)
        }
        found |= frontier
    return found


def _transition_findings(
    flow: Flow, action: RequestAction, from_screen: str | None, target: str
) -> list[Finding]:
    if action == "INIT":
        entries = [screen.id for screen in flow.entry_screens()]
        if target in entries:
            return []
        return [
            _transition_error(f"INIT answered {target}; the flow opens on {', '.join(entries)}")
        ]
    assert from_screen is not None
    if target == from_screen:
        return []
    if action == "BACK":
        if target in _ancestors(flow, from_screen):
            return []
        return [
            _transition_error(f"BACK from {from_screen} answered {target}, which is not before it")
        ]
    allowed = flow.routes_from(from_screen)
    if target in allowed:
        return []
    return [
        _transition_error(
            f"{from_screen} cannot move to {target}; allowed: "
            f"{', '.join(allowed) or 'only ' + from_screen}"
        )
    ]


def _data_findings(flow: Flow, target: str, data: Mapping[str, Any]) -> list[Finding]:
    declarations = flow.screen(target).data
    findings = []
    message = data.get("error_message")
    undeclared = "error_message" not in declarations
    if undeclared and "error_message" in data and not isinstance(message, str):
        findings.append(
            error(
                "invalid-error-message",
                "/data/error_message",
                f"error_message is {type(message).__name__}, not a string",
                "send the message text as a string",
            )
        )
    for name in declarations:
        if name not in data:  # Meta: omitting a property is how data says "no value"
            findings.append(
                warning(
                    "data-field-absent",
                    f"/data/{escape(name)}",
                    f"{target} declares {name!r}, which the answer leaves out: what is bound "
                    "to it shows no value",
                    f"send {name!r} when the screen needs it; omitting it is allowed",
                )
            )
    for name, value in data.items():
        pointer = f"/data/{escape(name)}"
        if name not in declarations:
            if name != "error_message":
                findings.append(_schema_error(pointer, f"{target} declares no {name!r}"))
            continue
        for problem in declarations[name].validator.iter_errors(value):
            where = pointer + "".join(f"/{escape(str(part))}" for part in problem.absolute_path)
            findings.append(_schema_error(where, f"{name}: {problem.message}"))
    return findings
