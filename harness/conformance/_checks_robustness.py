"""Hostile and odd requests: nonsense gets a 4xx, repeats are harmless, and an invalid flow
token gets 427."""

from __future__ import annotations

import base64
import json
from typing import Any

from harness import _meta_docs as meta
from harness import crypto
from harness.client import OMIT, FlowResult
from harness.conformance._checks_wire import DECRYPTION_FAILURE
from harness.conformance._judging import (
    CheckSpec,
    Verdict,
    broken_answer,
    combine,
    expect_status,
    failed,
    passed,
    rejected_cleanly,
    skipped,
    warned,
)
from harness.conformance._leaks import excerpt
from harness.conformance._probe import Probe
from harness.conformance._report import Grade


def _judge_all(cases: list[tuple[str, FlowResult]]) -> Verdict:
    return combine([(label, rejected_cleanly(result)) for label, result in cases])


def check_unknown_action(probe: Probe) -> Verdict:
    token = probe.token_or_placeholder()
    cases = []
    for action in ("navigate", "FLOWHARNESS_BOGUS_ACTION"):
        payload: dict[str, Any] = {"version": "3.0", "action": action, "screen": "START"}
        payload.update(data={}, flow_token=token)
        cases.append((f"action {action!r}", probe.send(payload)))
    return _judge_all(cases)


_BAD_PLAINTEXTS: tuple[tuple[str, bytes], ...] = (
    ("truncated JSON", b'{"version": "3.0", "action": '),
    ("not JSON", b"hello, endpoint"),
    ("not UTF-8", b'{"version": "3.0", "action": "\xff\xfe"}'),
    ("a JSON array", b'[{"version": "3.0", "action": "ping"}]'),
    ("NaN in JSON", b'{"version": "3.0", "action": "ping", "data": {"n": NaN}}'),
)


def check_malformed_json(probe: Probe) -> Verdict:
    return _judge_all([(label, probe.send(plaintext)) for label, plaintext in _BAD_PLAINTEXTS])


def check_missing_fields(probe: Probe) -> Verdict:
    token = probe.token_or_placeholder()
    payloads: list[tuple[str, dict[str, Any]]] = [
        ("an empty object", {}),
        ("no action", {"version": "3.0", "flow_token": token}),
        ("no version", {"action": "INIT", "flow_token": token}),
        ("data_exchange without screen or data", {"version": "3.0", "action": "data_exchange",
                                                   "flow_token": token}),
        ("data that is a string", {"version": "3.0", "action": "data_exchange", "screen": "START",
                                   "data": "not an object", "flow_token": token}),
        ("no flow_token (some iOS clients)", {"version": "3.0", "action": "INIT"}),
    ]  # fmt: skip
    return _judge_all([(label, probe.send(payload)) for label, payload in payloads])


def _ping_envelope(probe: Probe) -> dict[str, str]:
    public_key = probe.client.public_key
    assert public_key is not None
    envelope, _ = crypto.encrypt_request({"version": "3.0", "action": "ping"}, public_key)
    return envelope


def check_malformed_envelope(probe: Probe) -> Verdict:
    envelope = _ping_envelope(probe)
    raw_cases: list[tuple[str, bytes]] = [
        ("an empty body", b""),
        ("a body that is not JSON", b"encrypted_flow_data=abc"),
        ("a JSON array", b"[]"),
        ("fields that are numbers", json.dumps(dict.fromkeys(envelope, 1)).encode()),
        ("a null initial_vector", json.dumps({**envelope, "initial_vector": None}).encode()),
    ]
    cases = [(label, probe.send(body=body)) for label, body in raw_cases]
    ping = {"version": "3.0", "action": "ping"}
    edits: list[tuple[str, dict[str, Any]]] = [
        ("missing encrypted_aes_key", {"encrypted_aes_key": OMIT}),
        ("invalid Base64 data", {"encrypted_flow_data": "!!not base64!!"}),
        ("data shorter than a tag", {"encrypted_flow_data": base64.b64encode(b"tiny").decode()}),
        ("an empty IV", {"initial_vector": ""}),
    ]
    cases += [(label, probe.send(ping, envelope=edit)) for label, edit in edits]
    return _judge_all(cases)


def check_oversized_body(probe: Probe) -> Verdict:
    # Base64 grows by 4/3: this padding puts the body past the size asked for
    padding = "x" * (probe.large_body_bytes * 3 // 4 + 1024)
    payload = {"version": "3.0", "action": "ping", "data": {"padding": padding}}
    result = probe.send(payload)
    size_mb = len(result.exchange.request_body) / 1e6
    verdict = rejected_cleanly(result)
    return Verdict(verdict.grade, f"{size_mb:.1f} MB body -> {verdict.detail}", verdict.hint)


def check_replay(probe: Probe) -> Verdict:
    first = probe.sample()
    what = probe.sample_description()
    broken = broken_answer(first)
    if broken is not None:
        return Verdict(broken.grade, f"the {what}: {broken.detail}", broken.hint)
    if first.status != 200 or first.exchange.keys is None:
        return skipped(f"the {what} was answered {first.status}, so there is nothing to replay")
    if not first.ok:
        return skipped(f"the answer to the {what} cannot be read: see 'response.encrypted'")
    exchange, keys = first.exchange, first.exchange.keys
    again = probe.send(
        body=exchange.request_body,
        signature=exchange.request_headers.get(crypto.SIGNATURE_HEADER, "missing"),
    )
    broken = broken_answer(again)
    if broken is not None:
        return Verdict(broken.grade, f"the replayed {what}: {broken.detail}", broken.hint)
    if again.status != 200:
        body = excerpt(again.exchange.response_body)
        return warned(f"the replayed {what} was answered {again.status}: {body}")
    try:
        replayed = crypto.decrypt_response(again.exchange.response_body or b"", keys)
    except crypto.CryptoError as exc:
        return failed(f"the answer to the replayed {what} cannot be decrypted: {exc}")
    if replayed != first.payload:
        return warned(
            f"the replayed {what} got another answer: {_short(first.payload)} then "
            f"{_short(replayed)}; the side effect (e.g. a CRM write) probably ran twice"
        )
    return passed(f"the replayed {what} got the same answer")


def _short(value: Any, limit: int = 120) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "..."


def check_invalid_token(probe: Probe) -> Verdict:
    token = probe.token()
    if token is None:
        return skipped(
            "no valid flow token to compare with: pass --flow-token or --token-command "
            "(flow_token= in Python) to check that invalid tokens get 427"
        )
    valid = probe.init()
    assert valid is not None
    broken = broken_answer(valid)
    if broken is not None:
        return Verdict(broken.grade, f"INIT with the valid token: {broken.detail}", broken.hint)
    if valid.status != 200:
        return failed(
            f"INIT with the valid token was answered {valid.status} ({valid.outcome})",
            "Check the token given to the conformance check is valid for this endpoint.",
        )
    middle = len(token) // 2
    forged = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    cases = []
    for label, bad in (("a forged token", forged), ("a random token", "not-a-flow-token-0000")):
        result = probe.client.init(bad)
        if result.status == 200:
            cases.append((label, failed("answered 200: the invalid token was accepted")))
            continue
        verdict = expect_status(result, 427, other_4xx=Grade.WARN)
        if result.status == 427 and result.error:
            verdict = warned(f"427, but {result.error}")
        cases.append((label, verdict))
    return combine(cases)


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "robust.unknown-action",
        "Unknown action -> clear error",
        meta.DATA_EXCHANGE,
        "Answer an unknown action (e.g. the undocumented 'navigate') with a 4xx or an "
        "encrypted error, never a crash.",
        check_unknown_action,
    ),
    CheckSpec(
        "robust.malformed-json",
        "Malformed plaintext -> 4xx",
        meta.DATA_EXCHANGE,
        "Parse the decrypted bytes as UTF-8 JSON inside a try block and answer 400 when they "
        "are not a JSON object.",
        check_malformed_json,
    ),
    CheckSpec(
        "robust.missing-fields",
        "Missing or mistyped fields -> 4xx",
        meta.DATA_EXCHANGE,
        "Validate version, action, screen, data and flow_token before using them; answer a "
        "4xx or an encrypted error_msg.",
        check_missing_fields,
    ),
    CheckSpec(
        "robust.malformed-envelope",
        "Malformed envelope -> 4xx",
        meta.ENVELOPE,
        "Validate the envelope (a JSON object with three Base64 strings) and answer 400 (or "
        "421 when it cannot be decrypted), never a 5xx.",
        check_malformed_envelope,
        group=DECRYPTION_FAILURE,
    ),
    CheckSpec(
        "robust.oversized-body",
        "Oversized body -> 4xx",
        meta.ERROR_TYPES,
        "Limit the request size (Meta's data channel carries about 1 MB) and answer 413.",
        check_oversized_body,
    ),
    CheckSpec(
        "idempotency.replay",
        "Replayed request is harmless",
        meta.ENDPOINT_STATUS_CODES,
        "WhatsApp retries: key side effects by the request (phone/token and payload) and "
        "answer a repeat with the first answer.",
        check_replay,
    ),
    CheckSpec(
        "flow-token.invalid",
        "Invalid flow token -> 427",
        meta.ENDPOINT_STATUS_CODES,
        'Verify the flow token and answer 427 with the encrypted {"error_msg": "..."} (or an '
        "empty body) when it is not valid.",
        check_invalid_token,
    ),
)
