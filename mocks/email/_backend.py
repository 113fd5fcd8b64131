"""Email state, no SMTP: every message the server accepted, parsed for tests to read.

The SMTP side (``_smtp``) hands each accepted message over as raw bytes plus
its envelope; this module parses it with the standard library's ``email``
package (headers, text and HTML bodies, attachment names).
"""

from __future__ import annotations

import email
import email.policy
from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from pydantic import BaseModel, Field

from mocks._core import MockBackend

__all__ = ["Attachment", "CapturedEmail", "EmailBackend"]


class Attachment(BaseModel):
    filename: str | None
    content_type: str
    size: int


class CapturedEmail(BaseModel):
    """One accepted message: its SMTP envelope, headers, bodies and attachments."""

    id: int
    mail_from: str
    rcpt_tos: list[str]
    subject: str | None = None
    from_: str | None = Field(None, alias="from")
    to: list[str] = []
    cc: list[str] = []
    message_id: str | None = None
    headers: list[tuple[str, str]] = []
    text: str | None = None
    html: str | None = None
    attachments: list[Attachment] = []
    raw: str
    peer: str | None = None
    auth_user: str | None = None
    received_at: datetime

    model_config = {"populate_by_name": True}

    def header(self, name: str) -> str | None:
        """The first header called ``name`` (case-insensitive)."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


class EmailBackend(MockBackend):
    """``credentials`` (user -> password) turn on SMTP AUTH (PLAIN, LOGIN); kept across resets."""

    def __init__(
        self, *, credentials: Mapping[str, str] | None = None, seed: int | None = None
    ) -> None:
        super().__init__(seed=seed)
        self.credentials = dict(credentials or {})
        self.messages: list[CapturedEmail] = []

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.messages.clear()

    def capture(
        self,
        raw: bytes,
        *,
        mail_from: str,
        rcpt_tos: list[str],
        peer: str | None = None,
        auth_user: str | None = None,
    ) -> CapturedEmail:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)  # guaranteed by policy=default
        with self.lock:
            captured = CapturedEmail(
                id=len(self.messages) + 1,
                mail_from=mail_from,
                rcpt_tos=list(rcpt_tos),
                subject=_header(parsed, "subject"),
                **{"from": _header(parsed, "from")},
                to=_addresses(parsed, "to"),
                cc=_addresses(parsed, "cc"),
                message_id=_header(parsed, "message-id"),
                headers=[(key, str(value)) for key, value in parsed.items()],
                text=_body(parsed, "plain"),
                html=_body(parsed, "html"),
                attachments=_attachments(parsed),
                raw=raw.decode("utf-8", errors="replace"),
                peer=peer,
                auth_user=auth_user,
                received_at=datetime.now(UTC),
            )
            self.messages.append(captured)
            return captured

    def messages_for(
        self, *, to: str | None = None, subject: str | None = None
    ) -> list[CapturedEmail]:
        """Messages for envelope recipient ``to`` (any case) whose subject contains ``subject``."""
        with self.lock:
            found = list(self.messages)
        if to is not None:
            found = [m for m in found if to.lower() in (r.lower() for r in m.rcpt_tos)]
        if subject is not None:
            found = [m for m in found if m.subject is not None and subject in m.subject]
        return found

    def state(self) -> dict[str, Any]:
        return {
            "auth_required": bool(self.credentials),
            "messages": [m.model_dump(mode="json", by_alias=True) for m in self.messages],
        }


def _header(message: EmailMessage, name: str) -> str | None:
    value = message.get(name)
    return str(value) if value is not None else None


def _addresses(message: EmailMessage, name: str) -> list[str]:
    header = message.get(name)
    addresses = getattr(header, "addresses", ())
    return [address.addr_spec for address in addresses]


def _body(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    content = part.get_content()
    # SMTP carries CRLF line ends; readers compare with ordinary "\n" text.
    return content.replace("\r\n", "\n") if isinstance(content, str) else None


def _attachments(message: EmailMessage) -> list[Attachment]:
    found = []
    for part in message.walk():
        if part.is_multipart() or not (part.is_attachment() or part.get_filename()):
            continue
        payload = part.get_payload(decode=True)
        found.append(
            Attachment(
                filename=part.get_filename(),
                content_type=part.get_content_type(),
                size=len(payload) if isinstance(payload, bytes) else 0,
            )
        )
    return found
