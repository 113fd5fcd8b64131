"""Flow tokens: the only link between a Flows request and a person (docs/protocol.md).

A token is ``<base64url JSON claims>.<base64url HMAC-SHA256>``: compact, URL-safe,
and it binds the phone number, the flow id, the campaign and source, and an expiry.
The first secret signs; every secret verifies, so a secret can be rotated.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import phonenumbers

from reference_server.exceptions import FlowTokenError


@dataclass(frozen=True, slots=True)
class FlowTokenClaims:
    phone: str
    """E.164, e.g. ``+33612345678``."""
    flow_id: str
    campaign: str = ""
    source: str = ""
    expires_at: int = 0
    """Unix time in seconds."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, body: str) -> bytes:
    return hmac.digest(secret.encode(), body.encode("ascii"), hashlib.sha256)


def to_e164(phone: str, default_region: str | None = None) -> str:
    """``phone`` in E.164; raises ``ValueError`` with a readable message if it is not a number."""
    try:
        number = phonenumbers.parse(phone, default_region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"{phone!r} is not a phone number: {exc}") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"{phone!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class FlowTokens:
    """Issues and checks flow tokens with a ring of secrets."""

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        ttl_seconds: int = 7 * 24 * 3600,
        clock: Callable[[], float] = time.time,
    ):
        if not secrets or not all(secrets):
            raise FlowTokenError("flow tokens need at least one non-empty secret")
        self._secrets = list(secrets)
        self._ttl = ttl_seconds
        self._clock = clock

    def issue(
        self,
        phone: str,
        flow_id: str,
        *,
        campaign: str = "",
        source: str = "",
        ttl_seconds: int | None = None,
    ) -> str:
        """A signed token; ``phone`` must be E.164 (``+`` and country code)."""
        e164 = to_e164(phone)
        if not flow_id:
            raise FlowTokenError("a flow token needs the flow id it was sent with")
        expires = int(self._clock()) + (self._ttl if ttl_seconds is None else ttl_seconds)
        claims = {"p": e164, "f": flow_id, "c": campaign, "s": source, "e": expires}
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{body}.{_b64(_mac(self._secrets[0], body))}"

    def verify(self, token: str | None, *, check_expiry: bool = True) -> FlowTokenClaims:
        """The token's claims; :class:`FlowTokenError` if it is missing, forged or expired."""
        if not token:
            raise FlowTokenError("the request has no flow_token; open the flow again")
        if not isinstance(token, str):
            raise FlowTokenError("this flow link is not valid; ask us for a new one")
        body, dot, signature = token.partition(".")
        if not dot or not token.isascii():
            raise FlowTokenError("this flow link is not valid; ask us for a new one")
        try:
            given = _unb64(signature)
        except ValueError as exc:
            raise FlowTokenError("this flow link is not valid; ask us for a new one") from exc
        if not any(hmac.compare_digest(_mac(s, body), given) for s in self._secrets):
            raise FlowTokenError("this flow link is not valid; ask us for a new one")
        try:
            raw = json.loads(_unb64(body))
            claims = FlowTokenClaims(
                phone=str(raw["p"]),
                flow_id=str(raw["f"]),
                campaign=str(raw.get("c", "")),
                source=str(raw.get("s", "")),
                expires_at=int(raw["e"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise FlowTokenError("this flow link is not valid; ask us for a new one") from exc
        if check_expiry and claims.expires_at <= self._clock():
            raise FlowTokenError("this flow link has expired; ask us for a new one")
        return claims
