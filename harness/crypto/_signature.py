"""``X-Hub-Signature-256``: HMAC-SHA256 of the raw body with the app secret.

Meta: Implementing Endpoint for Flows, Request Signature Validation (endpoint requests);
Graph API Webhooks, Getting Started, Event Notifications (webhook deliveries).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable

SIGNATURE_HEADER = "X-Hub-Signature-256"
_PREFIX = "sha256="


def _secret_bytes(secret: str | bytes) -> bytes:
    return secret.encode() if isinstance(secret, str) else secret


def sign_body(body: bytes, app_secret: str | bytes) -> str:
    """The header value WhatsApp sends: ``sha256=<lowercase hex>``."""
    return _PREFIX + hmac.digest(_secret_bytes(app_secret), body, hashlib.sha256).hex()


def verify_signature(
    body: bytes, header: str | None, app_secrets: str | bytes | Iterable[str | bytes]
) -> int | None:
    """Index of the secret that signed ``body`` (several accepted during a rotation), else None.

    A missing header, a header without the ``sha256=`` prefix, or one of the wrong length
    all fail: the endpoint answers 432 to each.
    """
    if not header or not header.startswith(_PREFIX):
        return None
    # compared as bytes: compare_digest raises TypeError on non-ASCII str, and a hostile
    # header must end in a 432, not a crash
    given = header[len(_PREFIX) :].strip().lower().encode("utf-8", errors="replace")
    secrets = [app_secrets] if isinstance(app_secrets, str | bytes) else list(app_secrets)
    for index, secret in enumerate(secrets):
        expected = sign_body(body, secret)[len(_PREFIX) :].encode("ascii")
        if hmac.compare_digest(expected, given):
            return index
    return None
