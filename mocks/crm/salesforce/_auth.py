"""Salesforce OAuth 2.0 as state: connected-app clients, users and the sessions they get.

``POST /services/oauth2/token`` with the client-credentials or the password
grant issues an access token; API calls carry it as ``Authorization: Bearer``
(or ``OAuth``). A session dies after ``lifetime`` seconds or when an admin
expires them all; then every call answers 401 ``INVALID_SESSION_ID``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import string
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mocks._core import IdGenerator, salesforce_checksum
from mocks.crm.exceptions import SalesforceApiError, SalesforceOAuthError

__all__ = [
    "ORG_ID",
    "SF_ACCESS_TOKEN",
    "SF_CLIENT_ID",
    "SF_CLIENT_SECRET",
    "SF_PASSWORD",
    "SF_USERNAME",
    "USER_ID",
    "Sessions",
]

SF_CLIENT_ID = "3MVG9mock.connected.app.client.id"
SF_CLIENT_SECRET = "mock-client-secret"
SF_USERNAME = "integration@example.com"
SF_PASSWORD = "mock-password"
ORG_ID = "00D000000000001" + salesforce_checksum("00D000000000001")
USER_ID = "005000000000001" + salesforce_checksum("005000000000001")
_TOKEN_CHARS = string.ascii_letters + string.digits + "._"
SF_ACCESS_TOKEN = f"{ORG_ID[:15]}!AQ0AQMockSession.flowharness.fixed.session.token"
"""A session id the mock accepts from the start and after every reset (until sessions
are expired): simple-salesforce's ``session_id`` with ``instance_url`` the mock's URL."""


@dataclass
class _Session:
    issued_at: float  # time.monotonic()
    alive: bool = True
    fixed: bool = False  # a configured token: no time limit


class Sessions:
    """Who may log in, and the access tokens handed out; ``lifetime=None`` never expires."""

    def __init__(
        self,
        *,
        clients: Mapping[str, str],
        users: Mapping[str, str],
        lifetime: float | None,
        fixed_tokens: tuple[str, ...] = (),
    ) -> None:
        self.clients = dict(clients)
        self.users = dict(users)
        self.lifetime = lifetime
        self.fixed_tokens = fixed_tokens
        self._tokens: dict[str, _Session] = {}
        self.clear()

    def issue(self, form: Mapping[str, str], instance_url: str, ids: IdGenerator) -> dict[str, Any]:
        """A token response for a grant, or :class:`SalesforceOAuthError`."""
        grant = form.get("grant_type", "")
        if grant not in ("client_credentials", "password"):
            raise SalesforceOAuthError("unsupported_grant_type", "grant type not supported")
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if client_id not in self.clients:
            raise SalesforceOAuthError("invalid_client_id", "client identifier invalid")
        if not hmac.compare_digest(self.clients[client_id], secret):
            raise SalesforceOAuthError("invalid_client", "invalid client credentials")
        if grant == "password":
            username, password = form.get("username", ""), form.get("password", "")
            expected = self.users.get(username)
            if expected is None or not hmac.compare_digest(expected, password):
                raise SalesforceOAuthError("invalid_grant", "authentication failure")
        token = f"{ORG_ID[:15]}!{ids.token(96, alphabet=_TOKEN_CHARS)}"
        self._tokens[token] = _Session(issued_at=time.monotonic())
        issued_at = str(int(time.time() * 1000))
        identity = f"{instance_url}/id/{ORG_ID}/{USER_ID}"
        # Salesforce signs id + issued_at with the client secret (HMAC-SHA256, base64).
        digest = hmac.new(secret.encode(), (identity + issued_at).encode(), hashlib.sha256)
        answer = {
            "access_token": token,
            "instance_url": instance_url,
            "id": identity,
            "token_type": "Bearer",
            "issued_at": issued_at,
            "signature": base64.b64encode(digest.digest()).decode(),
        }
        if grant == "client_credentials":
            answer["scope"] = "api"
        return answer

    def check(self, authorization: str | None) -> None:
        """Pass a live session's header; anything else is 401 ``INVALID_SESSION_ID``."""
        scheme, _, token = (authorization or "").partition(" ")
        session = self._tokens.get(token.strip()) if scheme.lower() in ("bearer", "oauth") else None
        if session is None or not self._alive(session):
            raise SalesforceApiError.one(401, "INVALID_SESSION_ID", "Session expired or invalid")

    def _alive(self, session: _Session) -> bool:
        if session.alive and self.lifetime is not None and not session.fixed:
            session.alive = time.monotonic() - session.issued_at <= self.lifetime
        return session.alive

    def expire_all(self) -> int:
        """Kill every live session, fixed tokens too (as an admin revoking them, or a
        timeout); returns how many issued sessions died."""
        live = [s for s in self._tokens.values() if self._alive(s)]
        for session in live:
            session.alive = False
        return sum(1 for s in live if not s.fixed)

    def live_count(self) -> int:
        """Live sessions issued by the token endpoint (fixed tokens not counted)."""
        return sum(1 for s in self._tokens.values() if not s.fixed and self._alive(s))

    def clear(self) -> None:
        """Forget issued sessions; the fixed tokens are live again."""
        self._tokens = {
            token: _Session(issued_at=time.monotonic(), fixed=True) for token in self.fixed_tokens
        }
