"""HubSpot authentication as state, no HTTP: private-app tokens and OAuth 2.0 tokens.

Apps call HubSpot with ``Authorization: Bearer <token>``, where the token is a
private app's (``pat-na1-...``) or an OAuth access token got from
``POST /oauth/v1/token`` (``authorization_code`` or ``refresh_token`` grant),
which lives 30 minutes. The answers follow HubSpot's:

- no token, or one HubSpot cannot read: 401 ``INVALID_AUTHENTICATION``
  "Authentication credentials not found. ..."
- an expired OAuth token: 401 ``EXPIRED_AUTHENTICATION`` "The OAuth token used
  to make this call expired N second(s) ago." with ``context: {"expire time": [...]}``
- token endpoint refusals: 400 ``{"status": "BAD_REFRESH_TOKEN" | "BAD_CLIENT_ID"
  | ..., "message", "correlationId"}``

Which strings count as OAuth access tokens when no ``tokens`` are configured
is a guess from the shape of HubSpot's published examples (base64url text
starting with ``C``); the mock cannot verify a real token's signature.
"""

from __future__ import annotations

import hmac
import re
import string
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mocks._core import IdGenerator
from mocks.crm.exceptions import HubSpotApiError, HubSpotOAuthError

__all__ = [
    "HUBSPOT_CLIENT_ID",
    "HUBSPOT_CLIENT_SECRET",
    "HUBSPOT_OAUTH_TOKEN",
    "HUBSPOT_REFRESH_TOKEN",
    "HUBSPOT_TOKEN",
    "OAUTH_TOKEN_SECONDS",
    "Authenticator",
]

HUBSPOT_TOKEN = "pat-na1-00000000-0000-4000-8000-000000000000"
"""A private-app token the mock accepts when no ``tokens`` are configured (any ``pat-`` is)."""
HUBSPOT_OAUTH_TOKEN = "CNfQ8uHEMhIHAAEAQAAAARiO1pMHIKT2lx0o4Lt7Mhmocked0flowharnessoauth0token"
"""An OAuth access token the mock always accepts (it never expires)."""
HUBSPOT_CLIENT_ID = "00000000-0000-4000-8000-0000000c1e47"
HUBSPOT_CLIENT_SECRET = "00000000-0000-4000-8000-00000000005e"
HUBSPOT_REFRESH_TOKEN = "na1-0000-0000-4000-8000-000000000000"
"""A refresh token the mock's token endpoint always takes (for the default client)."""
OAUTH_TOKEN_SECONDS = 1800
_OAUTH_SHAPE = re.compile(r"^C[A-Za-z0-9_-]{39,299}$")
_TOKEN_CHARS = string.ascii_letters + string.digits + "-_"
_NO_AUTH = (
    "Authentication credentials not found. This API supports OAuth 2.0 authentication and "
    "you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
)


@dataclass
class _Issued:
    expires_at: float  # time.time()
    scopes: tuple[str, ...]


class Authenticator:
    """Who may call: private-app tokens, OAuth clients and the tokens handed out."""

    def __init__(
        self,
        *,
        tokens: Iterable[str] | None,
        clients: Mapping[str, str] | None,
        token_seconds: float,
    ) -> None:
        self.tokens = None if tokens is None else frozenset(tokens)
        self.clients = dict(clients or {HUBSPOT_CLIENT_ID: HUBSPOT_CLIENT_SECRET})
        self.token_seconds = token_seconds
        self._access: dict[str, _Issued] = {}
        self._refresh: dict[str, str] = {}  # refresh token -> client id
        self.clear()

    def clear(self) -> None:
        self._access.clear()
        self._refresh = {HUBSPOT_REFRESH_TOKEN: HUBSPOT_CLIENT_ID}

    def authorize(self, authorization: str | None) -> None:
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise HubSpotApiError(401, "INVALID_AUTHENTICATION", _NO_AUTH)
        issued = self._access.get(token)
        if issued is not None:
            late = time.time() - issued.expires_at
            if late >= 0:
                expired = datetime.fromtimestamp(issued.expires_at, UTC)
                raise HubSpotApiError(
                    401,
                    "EXPIRED_AUTHENTICATION",
                    f"The OAuth token used to make this call expired {int(late)} second(s) ago.",
                    extra={"context": {"expire time": [_iso(expired)]}},
                )
            return
        if token == HUBSPOT_OAUTH_TOKEN or self._known(token):
            return
        raise HubSpotApiError(401, "INVALID_AUTHENTICATION", _NO_AUTH)

    def _known(self, token: str) -> bool:
        if self.tokens is not None:
            return token in self.tokens
        return token.startswith("pat-") or bool(_OAUTH_SHAPE.match(token))

    def grant(self, form: Mapping[str, str], ids: IdGenerator) -> dict[str, Any]:
        """``POST /oauth/v1/token``: new tokens for a grant, or :class:`HubSpotOAuthError`."""
        grant_type = form.get("grant_type", "")
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if client_id not in self.clients:
            raise HubSpotOAuthError("BAD_CLIENT_ID", "missing or unknown client id")
        if not hmac.compare_digest(self.clients[client_id], secret):
            raise HubSpotOAuthError("BAD_CLIENT_SECRET", "missing or invalid client secret")
        if grant_type == "refresh_token":
            refresh = form.get("refresh_token", "")
            if self._refresh.get(refresh) != client_id:
                raise HubSpotOAuthError("BAD_REFRESH_TOKEN", "missing or invalid refresh token")
        elif grant_type == "authorization_code":
            # The mock has no consent screen: any code a user could have brought back works.
            if not form.get("code"):
                raise HubSpotOAuthError("BAD_AUTH_CODE", "missing or unknown auth code")
            if not form.get("redirect_uri"):
                raise HubSpotOAuthError("BAD_REDIRECT_URI", "missing redirect uri")
            refresh = f"na1-{ids.uuid()[4:]}"
            self._refresh[refresh] = client_id
        else:
            raise HubSpotOAuthError(
                "BAD_GRANT_TYPE", "grant_type must be authorization_code or refresh_token"
            )
        access = "C" + ids.token(147, alphabet=_TOKEN_CHARS)
        self._access[access] = _Issued(time.time() + self.token_seconds, ("crm.objects.contacts",))
        return {
            "token_type": "bearer",
            "refresh_token": refresh,
            "access_token": access,
            "expires_in": int(self.token_seconds),
        }

    def info(self, token: str, portal_id: int) -> dict[str, Any]:
        """``GET /oauth/v1/access-tokens/{token}``: what the token is, or 404."""
        issued = self._access.get(token)
        fixed = token == HUBSPOT_OAUTH_TOKEN
        if issued is None and not fixed:
            raise HubSpotOAuthError("BAD_ACCESS_TOKEN", "access token not found", status=404)
        left = OAUTH_TOKEN_SECONDS if issued is None else issued.expires_at - time.time()
        return {
            "token": token,
            "user": "integration@example.com",
            "hub_domain": "mock.hubspot.com",
            "scopes": list(issued.scopes if issued else ("crm.objects.contacts",)),
            "hub_id": portal_id,
            "app_id": 1,
            "expires_in": max(int(left), 0),
            "user_id": 1,
            "token_type": "access",
        }

    def expire_all(self) -> int:
        """Expire every OAuth access token handed out; returns how many were live."""
        now = time.time()
        live = [issued for issued in self._access.values() if issued.expires_at > now]
        for issued in live:
            issued.expires_at = now
        return len(live)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
