"""One Flows exchange from the client side, without locust: seal, sign, open, contract-check.

:class:`FlowCodec` does what WhatsApp does for every request (fresh AES key and IV,
RSA-OAEP, AES-GCM, ``X-Hub-Signature-256`` over the exact bytes sent);
:class:`AnswerChecker` says what is wrong with a decrypted answer, as short texts
that become locust failure messages (no personal data in them).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.crypto import (
    SIGNATURE_HEADER,
    ExchangeKeys,
    decrypt_response,
    encrypt_request,
    load_public_key,
    sign_body,
)
from harness.flowjson import Flow, check_response, load_flow

__all__ = ["AnswerChecker", "FlowCodec", "SealedRequest", "load_contract_flow"]

_PING_ANSWER = {"data": {"status": "active"}}


@dataclass(frozen=True, slots=True)
class SealedRequest:
    body: bytes
    """The exact bytes to post: the signature covers them."""
    headers: dict[str, str]
    keys: ExchangeKeys = field(repr=False)


class FlowCodec:
    """Seals requests to one public key and signs them with one app secret."""

    def __init__(self, public_key: bytes | str | Any, app_secret: str):
        if not app_secret:
            raise ValueError("an app secret is needed to sign requests (X-Hub-Signature-256)")
        self._public_key = load_public_key(public_key)
        self._secret = app_secret

    def seal(self, payload: Mapping[str, Any]) -> SealedRequest:
        envelope, keys = encrypt_request(payload, self._public_key)
        body = json.dumps(envelope, separators=(",", ":")).encode("ascii")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign_body(body, self._secret),
        }
        return SealedRequest(body, headers, keys)

    def open(self, body: bytes | str, keys: ExchangeKeys) -> Any:
        """The decrypted answer; raises :class:`harness.crypto.CryptoError` if it is not one."""
        return decrypt_response(body, keys)


def load_contract_flow(path: str | Path | None) -> Flow | None:
    """The Flow JSON answers are checked against, or None to check only their shape."""
    return load_flow(Path(path)) if path else None


class AnswerChecker:
    """Problems with an endpoint's decrypted answer; an empty list means it is acceptable."""

    def __init__(self, flow: Flow | None = None):
        self._flow = flow

    def problems(
        self,
        action: str,
        screen: str | None,
        answer: Any,
        *,
        flow_token: str | None = None,
        expect_screen: str | None = None,
    ) -> list[str]:
        if action == "ping":
            return [] if answer == _PING_ANSWER else [f"ping answer is not {_PING_ANSWER}"]
        if not isinstance(answer, Mapping):
            return [f"the answer is a {type(answer).__name__}, not a JSON object"]
        target, data = answer.get("screen"), answer.get("data")
        if not isinstance(target, str) or not isinstance(data, Mapping):
            return ["the answer lacks a string 'screen' and an object 'data'"]
        found: list[str] = []
        if target == "SUCCESS":
            params = data.get("extension_message_response", {})
            params = params.get("params", {}) if isinstance(params, Mapping) else {}
            token = params.get("flow_token") if isinstance(params, Mapping) else None
            if not token:
                found.append("SUCCESS without extension_message_response.params.flow_token")
            elif flow_token is not None and token != flow_token:
                found.append("SUCCESS carries a flow_token other than the request's")
        elif self._flow is not None and action in ("INIT", "BACK", "data_exchange"):
            findings = check_response(
                self._flow,
                None if action == "INIT" else screen,
                answer,
                flow_token=flow_token,
                action=action,  # type: ignore[arg-type]
            )
            found += [f"{f.code} at {f.pointer or '/'}" for f in findings if f.severity == "error"]
        if expect_screen is not None and target != expect_screen:
            shown = data.get("error_message")
            why = f" (error_message: {shown})" if isinstance(shown, str) and shown else ""
            found.append(f"expected screen {expect_screen}, got {target}{why}")
        return found
