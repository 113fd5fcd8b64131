"""Running one step: send, repeat, walk, fault, wait_for, check, webhook, flows_webhook, sleep."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from harness.client import OMIT, FlowResult
from harness.crypto import sign_body
from harness.scenarios._checks import evaluate_check
from harness.scenarios._context import Variables, lookup
from harness.scenarios._environment import Environment
from harness.scenarios._matchers import mismatches
from harness.scenarios._model import Step
from harness.scenarios._results import Exchange, StepResult
from harness.scenarios.exceptions import ScenarioRuntimeError

__all__ = ["DEFAULT_WALK_EXPECT", "build_payload", "run_step", "walk_view"]

_NEEDS_TOKEN = ("INIT", "BACK", "data_exchange", "error_notification")


def build_payload(spec: dict[str, Any], variables: Variables) -> dict[str, Any] | bytes:
    """The decrypted request a ``send`` spec describes."""
    action = spec["action"]
    version = spec.get("version", "3.0")
    if action == "raw":
        raw = spec.get("payload", {})
        return raw.encode() if isinstance(raw, str) else dict(raw)
    payload: dict[str, Any] = {"version": version, "action": action}
    if action in _NEEDS_TOKEN:
        if "flow_token" in spec:
            if spec["flow_token"] is not None:  # null: the request carries no token (iOS)
                payload["flow_token"] = spec["flow_token"]
        elif "token" in variables:
            payload["flow_token"] = variables["token"]
    if action == "error_notification":
        payload["action"] = "data_exchange"
        key = spec.get("error_key", "error")
        payload["data"] = {key: spec.get("error", "invalid-screen-transition")}
        payload["data"]["error_message"] = spec.get("error_message", "")
        if "screen" in spec:
            payload["screen"] = spec["screen"]
    else:
        if "screen" in spec:
            payload["screen"] = spec["screen"]
        if "data" in spec:
            payload["data"] = spec["data"]
        elif action == "data_exchange":
            payload["data"] = {}
    extra = spec.get("payload")
    if isinstance(extra, dict):
        payload.update(extra)
    return payload


def result_view(result: FlowResult) -> dict[str, Any]:
    """What ``expect`` and ``capture`` see of a client result."""
    payload = result.payload if isinstance(result.payload, dict) else {}
    return {
        "status": result.status,
        "statuses": [e.status for e in result.exchanges],
        "outcome": str(result.outcome),
        "payload": result.payload,
        "screen": payload.get("screen"),
        "data": payload.get("data"),
        "error_msg": result.error_msg,
        "elapsed": result.elapsed,
        "within_budget": result.within_budget,
        "retried": result.retried,
    }


def check_expect(expect: dict[str, Any], view: dict[str, Any]) -> list[str]:
    failures: list[str] = []
    for name, wanted in expect.items():
        if name == "max_elapsed":
            if view["elapsed"] > wanted:
                failures.append(f"took {view['elapsed']:.2f} s, expected at most {wanted} s")
        elif name == "error_message":
            data = view.get("data") if isinstance(view.get("data"), dict) else {}
            failures += mismatches(wanted, (data or {}).get("error_message"), "data.error_message")
        elif name == "status":
            failures += [p + _why(view) for p in mismatches(wanted, view.get("status"), "status")]
        else:
            failures += mismatches(wanted, view.get(name), name)
    return failures


def _why(view: dict[str, Any]) -> str:
    return f" (outcome {view.get('outcome')})" if view.get("outcome") else ""


async def _send(env: Environment, spec: dict[str, Any], variables: Variables) -> FlowResult:
    client = env.client(
        key=spec.get("key", "current"),
        key_refresh=bool(spec.get("key_refresh", False)),
        app_secret=spec.get("app_secret", "current"),
    )
    envelope = {k: (OMIT if v is None else v) for k, v in (spec.get("envelope") or {}).items()}
    body = spec["body"].encode() if "body" in spec else None
    return await client.send(
        build_payload(spec, variables) if body is None else None,
        signature=spec.get("signature", "valid"),
        envelope=envelope or None,
        body=body,
    )


def _exchange(spec: dict[str, Any], result: FlowResult) -> Exchange:
    payload = result.payload if isinstance(result.payload, dict) else {}
    return Exchange(
        action=str(spec.get("action")),
        status=result.status,
        outcome=str(result.outcome),
        elapsed_ms=round(result.elapsed * 1000, 1),
        within_budget=result.within_budget,
        retried=result.retried,
        screen=payload.get("screen"),
        as_whatsapp=_as_whatsapp(spec),
    )


def _as_whatsapp(spec: dict[str, Any]) -> bool:
    """Sent with the options WhatsApp's own requests always have: nothing broken on purpose."""
    if spec.get("envelope") or "body" in spec:
        return False
    return (
        spec.get("signature", "valid") == "valid"
        and spec.get("key", "current") == "current"
        and spec.get("app_secret", "current") == "current"
    )


async def run_step(step: Step, env: Environment, variables: Variables, record: StepResult) -> None:
    """Run ``step``, filling ``record``; failed expectations go to ``record.failures``."""
    spec = variables.fill(step.spec)
    expect = variables.fill(step.expect)
    kind = step.kind
    if kind == "send":
        result = await _send(env, spec, variables)
        view = result_view(result)
        record.exchanges.append(_exchange(spec, result))
        record.detail = _describe(view)
        record.failures += check_expect(expect, view)
        if not record.failures:
            _capture(step, variables, view)
        elif result.error:
            record.failures.append(f"client says: {result.explain()}")
    elif kind == "repeat":
        await _repeat(spec, expect, env, variables, record)
    elif kind == "fault":
        await _fault(spec, env, record)
    elif kind == "admin":
        answer = await _admin(spec, env, record)
        for name, path in step.capture.items():
            variables[name] = lookup(answer, path, "captured value")
    elif kind in ("check", "wait_for"):
        await _checks(step, spec, env, variables, record)
    elif kind == "webhook":
        await _webhook(spec, expect, env, record)
    elif kind == "walk":
        await _walk(spec, expect, env, variables, record, step)
    elif kind == "flows_webhook":
        from harness.scenarios._flows_webhook import run_flows_webhook

        view = await run_flows_webhook(spec, env, record)
        record.failures += check_expect(expect or {"delivered": True}, view)
        if not record.failures:
            _capture(step, variables, view)
    elif kind == "sleep":
        await asyncio.sleep(float(spec))
        record.detail = f"slept {spec} s"
    else:  # pragma: no cover - the schema allows no other kind
        raise ScenarioRuntimeError(f"unknown step kind {kind!r}")


def _describe(view: dict[str, Any]) -> str:
    screen = f", screen {view['screen']}" if view.get("screen") else ""
    chain = " -> ".join(str(code) for code in view.get("statuses") or [])
    retry = f", retried ({chain})" if view.get("retried") else ""
    return (
        f"HTTP {view['status']}, {view['outcome']}{screen}{retry}, {view['elapsed'] * 1000:.0f} ms"
    )


def _capture(step: Step, variables: Variables, view: dict[str, Any]) -> None:
    for name, path in step.capture.items():
        variables[name] = lookup(view, path, "captured value")


async def _repeat(
    spec: dict[str, Any],
    expect: dict[str, Any],
    env: Environment,
    variables: Variables,
    record: StepResult,
) -> None:
    send, times = spec["send"], spec["times"]
    if spec.get("concurrent"):
        results = await asyncio.gather(*(_send(env, send, variables) for _ in range(times)))
    else:
        results = [await _send(env, send, variables) for _ in range(times)]
    statuses: dict[str, int] = {}
    for number, result in enumerate(results, 1):
        view = result_view(result)
        record.exchanges.append(_exchange(send, result))
        key = f"{view['status']} {view['screen'] or view['outcome']}"
        statuses[key] = statuses.get(key, 0) + 1
        record.failures += [f"request {number} of {times}: {p}" for p in check_expect(expect, view)]
    how = "at once" if spec.get("concurrent") else "one after another"
    slowest = max(r.elapsed for r in results) * 1000
    summary = ", ".join(f"{n} x {k}" for k, n in statuses.items())
    record.detail = f"{times} requests {how}: {summary}; slowest {slowest:.0f} ms"


async def _fault(spec: dict[str, Any], env: Environment, record: StepResult) -> None:
    admin = env.mock(spec["mock"])
    if spec.get("clear"):
        removed = await admin.clear_faults()
        record.detail = f"cleared {removed} fault(s) on {spec['mock']}"
        return
    if "fault" not in spec:
        raise ScenarioRuntimeError("a fault step needs either clear: true or a fault")
    await admin.post("faults", fault_rule(spec))
    record.detail = f"{spec['mock']}: {json.dumps(spec['fault'])}" + (
        f" on {spec.get('method', '*')} {spec['path']}" if spec.get("path") else ""
    )


async def _admin(spec: dict[str, Any], env: Environment, record: StepResult) -> Any:
    """Call a mock's admin API (seeding state a test needs, e.g. a media file)."""
    admin = env.mock(spec["mock"])
    if "post" in spec:
        answer = await admin.post(spec["post"], spec.get("body", {}))
        record.detail = f"{spec['mock']}: POST /__admin/{spec['post']}"
    else:
        answer = await admin.get(spec["get"])
        record.detail = f"{spec['mock']}: GET /__admin/{spec['get']}"
    return answer


def fault_rule(spec: dict[str, Any]) -> dict[str, Any]:
    """A mock admin fault rule from a scenario's ``fault`` mapping."""
    rule: dict[str, Any] = {"fault": spec["fault"], "probability": spec.get("probability", 1.0)}
    for name in ("method", "path", "times"):
        if spec.get(name) is not None:
            rule[name] = spec[name]
    return rule


async def _checks(
    step: Step, spec: Any, env: Environment, variables: Variables, record: StepResult
) -> None:
    waiting = step.kind == "wait_for"
    checks = spec["check"] if waiting else spec
    checks = checks if isinstance(checks, list) else [checks]
    timeout = float(spec.get("timeout", 10.0)) if waiting else 0.0
    deadline = time.monotonic() + timeout
    polls = 0
    while True:
        polls += 1
        outcomes = [await evaluate_check(env, check) for check in checks]
        failures = [f for outcome in outcomes for f in outcome.failures]
        if not failures or time.monotonic() >= deadline:
            break
        await env.idle()
    sizes = ", ".join(f"{o.what}: {o.size}" for o in outcomes)
    record.detail = sizes + (f" (after {polls} polls)" if waiting else "")
    if failures and waiting:
        failures = [f"still failing after {timeout:g} s: {f}" for f in failures]
    record.failures += failures
    if not failures:
        for outcome in outcomes:
            for name, path in step.capture.items():
                if outcome.matched is not None:
                    try:
                        variables[name] = lookup(outcome.matched, path, "captured field")
                    except ScenarioRuntimeError:
                        continue
        missing = [n for n in step.capture if n not in variables]
        if missing:
            record.failures.append(f"nothing to capture {', '.join(missing)} from")


async def _webhook(
    spec: dict[str, Any], expect: dict[str, Any], env: Environment, record: StepResult
) -> None:
    notification = {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "0",
                "changes": [
                    {
                        "field": "messages",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {"phone_number_id": "106540352242922"},
                            "messages": [spec["message"]],
                        },
                    }
                ],
            }
        ],
    }
    body = json.dumps(notification, ensure_ascii=False).encode()
    mode = spec.get("signature", "valid")
    signature = {
        "valid": sign_body(body, env.app_secret()),
        "bad": sign_body(body, "not-the-app-secret"),
        "missing": None,
    }.get(mode, mode)
    started = time.perf_counter()
    status, text = await env.post_webhook(body, signature)
    elapsed = time.perf_counter() - started
    record.exchanges.append(Exchange("webhook", status, "ok", round(elapsed * 1000, 1), True))
    record.detail = f"webhook answered {status} {text[:60]!r}"
    record.failures += check_expect(expect or {"status": 200}, {"status": status, "text": text})


async def _walk(
    spec: dict[str, Any],
    expect: dict[str, Any],
    env: Environment,
    variables: Variables,
    record: StepResult,
    step: Step,
) -> None:
    from harness.walker import DEFAULT_FLOW_TOKEN, WalkerError, awalk

    if env.flow_path is None:
        raise ScenarioRuntimeError("the walk step needs setup.flow (the Flow JSON to walk)")
    if "flow_token" in spec:
        token = spec["flow_token"]
    else:
        token = variables.get("token", DEFAULT_FLOW_TOKEN)
    inputs = spec.get("inputs")
    if isinstance(inputs, str):  # a captured or setup variable holding the mapping
        raise ScenarioRuntimeError("walk inputs must be a mapping {SCREEN: {field: value}}")
    try:
        transcript = await awalk(
            env.flow_path, env.client(), flow_token=token, inputs=inputs, seed=spec.get("seed")
        )
    except WalkerError as exc:
        raise ScenarioRuntimeError(f"the walk could not start: {exc}") from exc
    view = walk_view(transcript)
    record.screens_html = _journey_html(env.flow_path, transcript)
    for move in transcript.steps:
        if move.status is not None or move.outcome:
            record.exchanges.append(
                Exchange(
                    action=move.kind,
                    status=move.status,
                    outcome=str(move.outcome),
                    elapsed_ms=round((move.elapsed or 0.0) * 1000, 1),
                    within_budget=move.within_budget is not False,
                    screen=move.next_screen,
                )
            )
    record.detail = (
        f"{transcript.ending}: {' -> '.join(view['screens']) or 'no screen'}, "
        f"{len(transcript.steps)} moves, {len(view['findings'])} finding(s)"
    )
    record.failures += check_expect(expect or DEFAULT_WALK_EXPECT, view)
    if record.failures:
        record.failures.append("the journey:\n" + _indent(transcript.format()))
    else:
        _capture(step, variables, view)


def _journey_html(flow_path: Any, transcript: Any) -> str:
    """The walk's screens for the HTML report; a report never fails the step."""
    from harness.flowjson import FlowJSONError, load_flow
    from harness.preview import journey_html

    try:
        return journey_html(load_flow(flow_path), transcript)
    except (FlowJSONError, KeyError, ValueError):
        return ""


DEFAULT_WALK_EXPECT: dict[str, Any] = {"completed": True, "errors": {"len": 0}}
"""A walk with no ``expect``: it completes and the checker finds no error."""


def walk_view(transcript: Any) -> dict[str, Any]:
    """What ``expect`` and ``capture`` see of a walk (a :class:`harness.walker.Transcript`)."""
    findings = [item.to_dict() for item in transcript.findings]
    return {
        "completed": transcript.completed,
        "ending": transcript.ending,
        "reason": transcript.reason,
        "screens": transcript.screens,
        "findings": findings,
        "errors": [item.to_dict() for item in transcript.errors],
        "completion": transcript.completion,
        "elapsed": sum(move.elapsed or 0.0 for move in transcript.steps),
    }


def _indent(text: str, prefix: str = "            ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())
