"""The health check, the signature (432), requests that cannot be decrypted (421)."""

from __future__ import annotations

import base64
import functools
import json
import os
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import rsa

from harness import _meta_docs as meta
from harness import crypto
from harness.conformance._judging import (
    ANSWER_SEALING,
    CheckSpec,
    Verdict,
    broken_answer,
    expect_status,
    failed,
    passed,
    unreadable_answer,
)
from harness.conformance._probe import Probe
from harness.conformance._report import Grade

# -- ping ------------------------------------------------------------------------------


def check_ping(probe: Probe) -> Verdict:
    result = probe.ping()
    broken = broken_answer(result) or unreadable_answer(result)
    if broken is not None:
        return broken
    if not result.ok:
        return failed(f"{result.status}, {result.outcome}: {result.error or result.explain()}")
    problem = health_answer_problem(result.payload)
    if problem is not None:
        return failed(f"answered {result.payload!r}: {problem}")
    return passed(f'{{"data": {{"status": "active"}}}} in {result.elapsed * 1000:.0f} ms')


def health_answer_problem(answer: object) -> str | None:
    """What WhatsApp reads in a health check answer: data.status == "active". Other keys
    (a "version" echoed back, as Meta's own example does) are ignored, like the client."""
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict):
        return 'no "data" object'
    if data.get("status") != "active":
        return 'data.status is not "active"'
    return None


# -- signature -------------------------------------------------------------------------


def _signature_check(header: Callable[[Probe], str]) -> Callable[[Probe], Verdict]:
    def run(probe: Probe) -> Verdict:
        result = probe.send({"version": "3.0", "action": "ping"}, signature=header(probe))
        verdict = expect_status(result, 432, other_4xx=Grade.WARN)
        if result.status == 200:
            return failed("answered 200: the request was accepted without a valid signature")
        if verdict.grade is Grade.WARN:
            return Verdict(
                Grade.WARN,
                verdict.detail,
                "Rejected, but WhatsApp expects 432 for a signature failure.",
            )
        return verdict

    return run


# -- decryption --------------------------------------------------------------------------


@functools.cache
def _stranger_key() -> rsa.RSAPublicKey:
    """A key the endpoint cannot hold: what a client with a stale public key uses."""
    return crypto.generate_private_key(2048).public_key()


def _flip_byte(index: int) -> Callable[[str], str]:
    def edit(value: str) -> str:
        raw = bytearray(base64.b64decode(value))
        raw[index] ^= 0x01
        return base64.b64encode(bytes(raw)).decode("ascii")

    return edit


def _first_bytes(count: int) -> Callable[[str], str]:
    def edit(value: str) -> str:
        return base64.b64encode(base64.b64decode(value)[:count]).decode("ascii")

    return edit


def _decrypt_check(**send_options: object) -> Callable[[Probe], Verdict]:
    def run(probe: Probe) -> Verdict:
        options = dict(send_options)
        if options.pop("stranger", False):
            options["public_key"] = _stranger_key()
        result = probe.send({"version": "3.0", "action": "ping"}, **options)
        if result.status == 200:
            return failed("answered 200 to a request it cannot have decrypted")
        return expect_status(result, 421, other_4xx=Grade.FAIL)

    return run


def _short_iv(probe: Probe) -> Verdict:
    """A request really sealed with a 12-byte IV. WhatsApp always sends 16 bytes, so an
    endpoint may decrypt it (it takes the IV as given) or refuse it with 421; a crash is
    the bug (Go's and .NET's 12-byte defaults break the other way round)."""
    public_key = probe.client.public_key
    assert public_key is not None
    keys = crypto.ExchangeKeys(os.urandom(16), os.urandom(12))
    envelope, _ = crypto.encrypt_request(
        {"version": "3.0", "action": "ping"}, public_key, keys=keys
    )
    result = probe.send(body=json.dumps(envelope).encode())
    broken = broken_answer(result)
    if broken is not None:
        return broken
    if result.status == 421:
        return passed("421: refused the 12-byte IV")
    if result.status == 200:
        try:
            crypto.decrypt_response(result.exchange.response_body or b"", keys)
        except crypto.CryptoError as exc:
            # every answer sealed wrongly is one cause; only this one is another
            sealing = ANSWER_SEALING if unreadable_answer(probe.ping()) is not None else None
            detail = f"answered 200 with an answer that cannot be decrypted: {exc}"
            return failed(detail, cause=sealing)
        return passed("200: decrypted it and answered with the flipped 12-byte IV")
    return failed(f"answered {result.status}, expected 421 or an encrypted 200")


def _signature_truncated(probe: Probe) -> Verdict:
    """A valid signature of the request cut short must be refused."""
    result = probe.send({"version": "3.0", "action": "ping"}, signature="valid")
    # sign again, then resend the same bytes with the header truncated
    exchange = result.exchange
    header = exchange.request_headers.get(crypto.SIGNATURE_HEADER, "")
    resent = probe.send(body=exchange.request_body, signature=header[:-16] or "sha256=")
    if resent.status == 200:
        return failed("answered 200: a truncated signature was accepted")
    verdict = expect_status(resent, 432, other_4xx=Grade.WARN)
    if verdict.grade is Grade.WARN:
        return Verdict(Grade.WARN, verdict.detail, "WhatsApp expects 432 for a bad signature.")
    return verdict


DECRYPTION_FAILURE = "requests that cannot be decrypted or opened"
"""A wrong key, a tampered ciphertext, tag, IV or wrapped key all end in the same failed
decryption; answered the same wrong way, they are one cause and one finding."""

_DECRYPT_HINT = (
    "Answer 421 whenever the request cannot be decrypted (RSA unwrap or GCM tag failure, bad "
    "IV): WhatsApp then refetches the public key and retries once. Catch the decryption "
    "error instead of letting it become a 500, and accept 16-byte IVs."
)

CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "ping",
        "Health check answered",
        meta.HEALTH_CHECK,
        'Answer {"action": "ping"} with the encrypted {"data": {"status": "active"}}; '
        "WhatsApp will not publish a flow whose endpoint fails it.",
        check_ping,
    ),
    CheckSpec(
        "signature.missing",
        "No signature -> 432",
        meta.SIGNATURE,
        "Check X-Hub-Signature-256 on every request, before parsing, and answer 432 when absent.",
        _signature_check(lambda probe: "missing"),
    ),
    CheckSpec(
        "signature.wrong",
        "Wrong signature -> 432",
        meta.SIGNATURE,
        "Compute HMAC-SHA256(app secret, raw body bytes) and compare it in constant time "
        "(hmac.compare_digest); answer 432 on a mismatch.",
        _signature_check(lambda probe: "bad"),
    ),
    CheckSpec(
        "signature.truncated",
        "Truncated signature -> 432",
        meta.SIGNATURE,
        "Compare the whole digest, not a prefix: a shortened header must get 432.",
        _signature_truncated,
    ),
    CheckSpec(
        "decrypt.wrong-key",
        "Request for another key -> 421",
        meta.ENDPOINT_STATUS_CODES,
        _DECRYPT_HINT,
        _decrypt_check(stranger=True),
        group=DECRYPTION_FAILURE,
    ),
    CheckSpec(
        "decrypt.tampered-ciphertext",
        "Tampered ciphertext -> 421",
        meta.ENDPOINT_STATUS_CODES,
        _DECRYPT_HINT,
        _decrypt_check(envelope={"encrypted_flow_data": _flip_byte(0)}),
        group=DECRYPTION_FAILURE,
    ),
    CheckSpec(
        "decrypt.tampered-tag",
        "Tampered GCM tag -> 421",
        meta.ENDPOINT_STATUS_CODES,
        _DECRYPT_HINT,
        _decrypt_check(envelope={"encrypted_flow_data": _flip_byte(-1)}),
        group=DECRYPTION_FAILURE,
    ),
    CheckSpec(
        "decrypt.tampered-iv",
        "Tampered IV -> 421",
        meta.ENDPOINT_STATUS_CODES,
        _DECRYPT_HINT,
        _decrypt_check(envelope={"initial_vector": _flip_byte(0)}),
        group=DECRYPTION_FAILURE,
    ),
    CheckSpec(
        "decrypt.tampered-key",
        "Tampered wrapped AES key -> 421",
        meta.ENDPOINT_STATUS_CODES,
        _DECRYPT_HINT,
        _decrypt_check(envelope={"encrypted_aes_key": _flip_byte(100)}),
        group=DECRYPTION_FAILURE,
    ),
    CheckSpec(
        "decrypt.truncated-iv",
        "IV cut to 12 bytes -> 421",
        meta.ENDPOINT_STATUS_CODES,
        _DECRYPT_HINT,
        _decrypt_check(envelope={"initial_vector": _first_bytes(12)}),
        group=DECRYPTION_FAILURE,
    ),
    CheckSpec(
        "decrypt.short-iv",
        "Sealed with a 12-byte IV -> 421 or 200, never a crash",
        meta.DECRYPTION,
        "Take the IV from the request as it is (WhatsApp sends 16 bytes; Go's and .NET's "
        "GCM defaults assume 12) and answer 421 when decryption fails, never a 5xx.",
        _short_iv,
    ),
)
