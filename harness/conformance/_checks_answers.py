"""How answers are sealed and labelled, error notifications, timing."""

from __future__ import annotations

import base64
import binascii
import json
import statistics
from collections.abc import Callable
from email.message import Message
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from harness import _meta_docs as meta
from harness import crypto
from harness.client import FlowResult, Outcome
from harness.conformance._judging import (
    ANSWER_SEALING,
    CheckSpec,
    Verdict,
    broken_answer,
    failed,
    passed,
    skipped,
    unreadable_answer,
    warned,
)
from harness.conformance._leaks import excerpt
from harness.conformance._probe import PLACEHOLDER_TOKEN, Probe

# -- how the answer is sealed ---------------------------------------------------------------


def sealing(body: bytes, keys: crypto.ExchangeKeys) -> str:
    """How an answer was sealed: flipped (right), unflipped, tag-first, plaintext, quoted,
    empty or garbage."""
    if not body.strip():
        return "empty"
    try:
        crypto.decrypt_response(body, keys)
    except crypto.CryptoError:
        pass
    else:
        return "flipped"
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        parsed = None
    if isinstance(parsed, str):
        return "quoted"
    if isinstance(parsed, dict | list):
        return "plaintext"
    try:
        crypto.decrypt_response(body, crypto.ExchangeKeys(keys.aes_key, crypto.flip_iv(keys.iv)))
    except crypto.CryptoError:
        pass
    else:
        return "unflipped"
    try:
        raw = base64.b64decode(body.strip(), validate=True)
        AESGCM(keys.aes_key).decrypt(keys.response_iv, raw[16:] + raw[:16], None)
    except (binascii.Error, ValueError, InvalidTag):
        return "garbage"
    return "tag-first"


_SEALING_PROBLEMS = {
    "empty": "the answer body is empty",
    "plaintext": "the answer is plaintext JSON",
    "quoted": "the answer is the Base64 text inside JSON quotes",
    "tag-first": "the GCM tag is put before the ciphertext instead of appended",
    "garbage": "the answer cannot be decrypted with the request's AES key",
}


def _ping_answer(probe: Probe) -> tuple[FlowResult, Verdict | None]:
    result = probe.ping()
    if result.status != 200 or result.exchange.keys is None:
        return result, skipped(f"the ping was answered {result.status}, not 200: see 'ping'")
    return result, None


def check_encrypted(probe: Probe) -> Verdict:
    result, skip = _ping_answer(probe)
    if skip is not None:
        return skip
    assert result.exchange.keys is not None
    body = result.exchange.response_body or b""
    how = sealing(body, result.exchange.keys)
    if how in ("flipped", "unflipped"):
        return passed("the answer is bare Base64 of AES-GCM with the request's key")
    return failed(f"{_SEALING_PROBLEMS[how]}: {excerpt(body)}", cause=ANSWER_SEALING)


def check_flipped_iv(probe: Probe) -> Verdict:
    result, skip = _ping_answer(probe)
    if skip is not None:
        return skip
    assert result.exchange.keys is not None
    how = sealing(result.exchange.response_body or b"", result.exchange.keys)
    if how == "flipped":
        return passed("decrypts with the request IV XOR 0xFF")
    if how == "unflipped":
        detail = "the answer was sealed with the request IV itself, not the flipped one"
        return failed(detail, cause=ANSWER_SEALING)
    return skipped(f"{_SEALING_PROBLEMS[how]}: see 'response.encrypted'")


def check_content_type(probe: Probe) -> Verdict:
    result, skip = _ping_answer(probe)
    if skip is not None:
        return skip
    assert result.exchange.keys is not None
    how = sealing(result.exchange.response_body or b"", result.exchange.keys)
    if how not in ("flipped", "unflipped"):
        return skipped(f"{_SEALING_PROBLEMS[how]}: see 'response.encrypted'")
    headers = {k.lower(): v for k, v in result.exchange.response_headers.items()}
    value = headers.get("content-type")
    if value is None:
        return warned("the answer has no Content-Type")
    parsed = Message()
    parsed["content-type"] = value
    if parsed.get_content_type() == "text/plain":
        return passed(value)
    return warned(f"Content-Type is {value!r}; the client does not insist, but expects text/plain")


# -- error notifications -------------------------------------------------------------------

ErrorKey = Literal["error", "error_key"]


def _notification_check(key: ErrorKey) -> Callable[[Probe], Verdict]:
    def run(probe: Probe) -> Verdict:
        token = probe.token_or_placeholder()
        result = probe.client.error_notification(
            token,
            "response-decryption-error",
            "flowharness conformance check: please ignore",
            key=key,
        )
        broken = broken_answer(result) or unreadable_answer(result)
        if broken is not None:
            return broken
        if result.status == 427 and token == PLACEHOLDER_TOKEN:
            return warned(
                "answered 427 to a notification with a made-up flow token",
                "Give the check a valid token (--flow-token or --token-command) to test "
                "notifications properly.",
            )
        if not result.ok:
            return failed(f"answered {result.status}, {result.outcome}: {result.error}")
        data = result.payload.get("data") if isinstance(result.payload, dict) else None
        if not isinstance(data, dict) or data.get("acknowledged") is not True:
            expected = '{"data": {"acknowledged": true}}'
            return warned(f"answered {result.payload!r}, without {expected}")
        return passed("acknowledged")

    return run


# -- timing ------------------------------------------------------------------------------


def check_latency(probe: Probe) -> Verdict:
    """The slowest of the health check, an INIT and the sample request (if given)."""
    timed: list[tuple[str, FlowResult]] = [("ping", probe.ping())]
    for label, fetch in (("INIT", probe.init), (probe.sample_description(), probe.sample)):
        if any(r.status is None or r.elapsed > probe.budget for _, r in timed):
            break  # already over budget: more slow requests only make the run slower
        result = fetch()
        if result is not None:
            timed.append((label, result))
    timed_out = [label for label, r in timed if r.outcome is Outcome.TIMEOUT_ERROR]
    if timed_out:
        return failed(f"no answer within {probe.timeout} s to: {', '.join(timed_out)}")
    unanswered = [label for label, r in timed if r.status is None]
    if unanswered:
        return skipped(f"no HTTP answer to {', '.join(unanswered)}: nothing to time")
    label, slowest = max(timed, key=lambda item: item[1].elapsed)
    median_ms = statistics.median(r.elapsed for _, r in timed) * 1000
    detail = (
        f"slowest {slowest.elapsed * 1000:.0f} ms ({label}), median {median_ms:.0f} ms "
        f"over {len(timed)} requests"
    )
    if slowest.elapsed > probe.budget:
        return failed(f"{detail}: over the {probe.budget:g} s budget")
    if slowest.elapsed > probe.target_latency:
        return warned(f"{detail}: over Meta's {probe.target_latency:g} s target")
    return passed(detail)


CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "response.encrypted",
        "Answer is encrypted Base64",
        meta.DECRYPTION,
        "Send base64(AES-128-GCM(request key, flipped IV, JSON) + tag) as the bare body: no "
        "JSON wrapper, no quotes, tag appended.",
        check_encrypted,
    ),
    CheckSpec(
        "response.flipped-iv",
        "Answer sealed with the flipped IV",
        meta.DECRYPTION,
        "The response IV is the request IV with every byte XOR 0xFF; reusing the request IV "
        "makes WhatsApp report response-decryption-error.",
        check_flipped_iv,
    ),
    CheckSpec(
        "response.content-type",
        "Answer labelled text/plain",
        meta.DECRYPTION,
        "Answer with Content-Type: text/plain; the Base64 body is not JSON or HTML.",
        check_content_type,
    ),
    CheckSpec(
        "error-notification.error",
        "Error notification ('error') acknowledged",
        meta.ERROR_NOTIFICATION,
        'Recognise data.error, log it, and answer {"data": {"acknowledged": true}}.',
        _notification_check("error"),
    ),
    CheckSpec(
        "error-notification.error-key",
        "Error notification ('error_key') acknowledged",
        meta.ERROR_NOTIFICATION,
        "Meta documents both data.error and data.error_key: accept both and answer "
        '{"data": {"acknowledged": true}}.',
        _notification_check("error_key"),
    ),
)

LATENCY = CheckSpec(
    "timing.latency",
    "Answers within 1 s (Meta) and the 3 s budget",
    meta.LATENCY_ALERT,
    "Answer first, do slow work (CRM calls, e-mail) in a background queue; WhatsApp flags "
    "endpoints whose p90 latency is over 1 s.",
    check_latency,
)
