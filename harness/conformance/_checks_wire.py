"""Sections 1, 3 and 5: the health check, the signature (432), undecryptable requests (421)."""

from __future__ import annotations

import base64
import functools
from collections.abc import Callable

from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from harness.conformance._judging import (
    CheckSpec,
    Verdict,
    broken_answer,
    expect_status,
    failed,
    passed,
)
from harness.conformance._probe import Probe
from harness.conformance._report import Grade

# -- ping ------------------------------------------------------------------------------


def check_ping(probe: Probe) -> Verdict:
    result = probe.ping()
    broken = broken_answer(result)
    if broken is not None:
        return broken
    if not result.ok:
        return failed(f"{result.status}, {result.outcome}: {result.error or result.explain()}")
    if result.payload != {"data": {"status": "active"}}:
        return failed(f"answered {result.payload!r}, not the health check's answer")
    return passed(f'{{"data": {{"status": "active"}}}} in {result.elapsed * 1000:.0f} ms')


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


_DECRYPT_HINT = (
    "Answer 421 whenever the request cannot be decrypted (RSA unwrap or GCM tag failure, bad "
    "IV): WhatsApp then refetches the public key and retries once. Catch the decryption "
    "error instead of letting it become a 500, and accept 16-byte IVs."
)

CHECKS: tuple[CheckSpec, ...] = (
    CheckSpec(
        "ping",
        "Health check answered",
        "3",
        'Answer {"action": "ping"} with the encrypted {"data": {"status": "active"}}; '
        "WhatsApp will not publish a flow whose endpoint fails it.",
        check_ping,
    ),
    CheckSpec(
        "signature.missing",
        "No signature -> 432",
        "1",
        "Check X-Hub-Signature-256 on every request, before parsing, and answer 432 when absent.",
        _signature_check(lambda probe: "missing"),
    ),
    CheckSpec(
        "signature.wrong",
        "Wrong signature -> 432",
        "1",
        "Compute HMAC-SHA256(app secret, raw body bytes) and compare it in constant time "
        "(hmac.compare_digest); answer 432 on a mismatch.",
        _signature_check(lambda probe: "bad"),
    ),
    CheckSpec(
        "signature.truncated",
        "Truncated signature -> 432",
        "1",
        "Compare the whole digest, not a prefix: a shortened header must get 432.",
        _signature_truncated,
    ),
    CheckSpec(
        "decrypt.wrong-key",
        "Request for another key -> 421",
        "5",
        _DECRYPT_HINT,
        _decrypt_check(stranger=True),
    ),
    CheckSpec(
        "decrypt.tampered-ciphertext",
        "Tampered ciphertext -> 421",
        "5",
        _DECRYPT_HINT,
        _decrypt_check(envelope={"encrypted_flow_data": _flip_byte(0)}),
    ),
    CheckSpec(
        "decrypt.tampered-tag",
        "Tampered GCM tag -> 421",
        "5",
        _DECRYPT_HINT,
        _decrypt_check(envelope={"encrypted_flow_data": _flip_byte(-1)}),
    ),
    CheckSpec(
        "decrypt.tampered-iv",
        "Tampered IV -> 421",
        "5",
        _DECRYPT_HINT,
        _decrypt_check(envelope={"initial_vector": _flip_byte(0)}),
    ),
    CheckSpec(
        "decrypt.tampered-key",
        "Tampered wrapped AES key -> 421",
        "5",
        _DECRYPT_HINT,
        _decrypt_check(envelope={"encrypted_aes_key": _flip_byte(100)}),
    ),
    CheckSpec(
        "decrypt.short-iv",
        "12-byte IV -> 421",
        "1",
        _DECRYPT_HINT,
        _decrypt_check(envelope={"initial_vector": _first_bytes(12)}),
    ),
)
