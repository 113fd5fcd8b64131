"""WhatsApp Cloud API state and rules, no HTTP: sent messages, public keys, media.

Open by default: any phone number id is a sending number and any recipient
is reachable. Access tokens are always checked (``tokens``); ``phone_number_ids``,
``templates`` and ``allowed_recipients`` narrow what is accepted when given.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import BaseModel

from mocks._core import MockBackend
from mocks.cloud_api._validation import invalid, validate_message
from mocks.cloud_api.exceptions import GraphApiError

__all__ = [
    "DEFAULT_PHONE_NUMBER_ID",
    "DEFAULT_TOKEN",
    "CloudApiBackend",
    "FlowMessage",
    "Media",
    "SentMessage",
]

DEFAULT_TOKEN = "mock-cloud-api-token"
"""The access token the mock accepts unless told otherwise."""
DEFAULT_PHONE_NUMBER_ID = "106540352242922"
"""A phone number id to send from (any works unless ``phone_number_ids`` narrows them)."""

_INVALID_TOKEN = "Invalid OAuth access token - Cannot parse access token"


class SentMessage(BaseModel):
    """A message the Cloud API accepted for delivery."""

    id: str
    phone_number_id: str
    to: str
    wa_id: str
    type: str
    payload: dict[str, Any]
    received_at: datetime


class FlowMessage(BaseModel):
    """An interactive flow message, its ``action.parameters`` flattened (Meta: Sending a Flow)."""

    id: str
    phone_number_id: str
    to: str
    wa_id: str
    body_text: str
    flow_id: str | None = None
    flow_name: str | None = None
    flow_cta: str
    flow_token: str | None = None
    flow_action: str = "navigate"
    flow_action_payload: dict[str, Any] | None = None
    flow_message_version: str
    mode: str = "published"

    @classmethod
    def from_sent(cls, message: SentMessage) -> FlowMessage:
        interactive = message.payload["interactive"]
        params = interactive["action"]["parameters"]
        return cls(
            id=message.id,
            phone_number_id=message.phone_number_id,
            to=message.to,
            wa_id=message.wa_id,
            body_text=interactive["body"]["text"],
            flow_id=params.get("flow_id"),
            flow_name=params.get("flow_name"),
            flow_cta=params["flow_cta"],
            flow_token=params.get("flow_token"),
            flow_action=params.get("flow_action", "navigate"),
            flow_action_payload=params.get("flow_action_payload"),
            flow_message_version=str(params["flow_message_version"]),
            mode=params.get("mode", "published"),
        )


class Media(BaseModel):
    """An uploaded (or user-sent) media file."""

    id: str
    phone_number_id: str | None
    mime_type: str
    filename: str | None
    sha256: str
    file_size: int
    content: bytes
    token: str  # the download URL's hash parameter

    def info(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "mime_type": self.mime_type,
            "filename": self.filename,
            "sha256": self.sha256,
            "file_size": self.file_size,
            "phone_number_id": self.phone_number_id,
        }


class CloudApiBackend(MockBackend):
    """Configuration given here comes back on every :meth:`reset`."""

    def __init__(
        self,
        *,
        tokens: Iterable[str] = (DEFAULT_TOKEN,),
        phone_number_ids: Iterable[str] | None = None,
        templates: Mapping[str, Iterable[str]] | None = None,
        allowed_recipients: Iterable[str] | None = None,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        self.tokens = frozenset(tokens)
        if not self.tokens:
            raise ValueError("the Cloud API mock needs at least one access token")
        self.phone_number_ids = None if phone_number_ids is None else frozenset(phone_number_ids)
        self.templates = (
            None
            if templates is None
            else {name: frozenset(langs) for name, langs in templates.items()}
        )
        self.allowed_recipients = (
            None if allowed_recipients is None else frozenset(allowed_recipients)
        )
        self.messages: list[SentMessage] = []
        self.public_keys: dict[str, str] = {}
        self.media: dict[str, Media] = {}

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.messages.clear()
            self.public_keys.clear()
            self.media.clear()

    def fbtrace_id(self) -> str:
        return "A" + self.ids.token(22)

    # -- checks ----------------------------------------------------------------------
    def authenticate(self, token: str | None) -> None:
        if not token or token not in self.tokens:
            raise GraphApiError(401, 190, _INVALID_TOKEN)

    def check_object(self, object_id: str, method: str) -> None:
        """Graph's answer to an id it does not know (error code 100, subcode 33)."""
        if self.phone_number_ids is not None and object_id not in self.phone_number_ids:
            raise unknown_object(object_id, method)

    # -- messages --------------------------------------------------------------------
    def send(self, phone_number_id: str, payload: dict[str, Any]) -> SentMessage:
        valid = validate_message(
            payload, templates=self.templates, allowed_recipients=self.allowed_recipients
        )
        with self.lock:
            message = SentMessage(
                id=self.ids.wamid(valid.wa_id),
                phone_number_id=phone_number_id,
                to=valid.to,
                wa_id=valid.wa_id,
                type=valid.type,
                payload=payload,
                received_at=datetime.now(UTC),
            )
            self.messages.append(message)
            return message

    def messages_for(
        self,
        *,
        to: str | None = None,
        type: str | None = None,
        phone_number_id: str | None = None,
    ) -> list[SentMessage]:
        with self.lock:
            return [
                m
                for m in self.messages
                if (to is None or to in (m.to, m.wa_id))
                and (type is None or m.type == type)
                and (phone_number_id is None or m.phone_number_id == phone_number_id)
            ]

    # -- business public key -----------------------------------------------------------
    def set_public_key(self, phone_number_id: str, pem: str | None) -> None:
        if not pem:
            raise GraphApiError(
                400,
                100,
                "(#100) The parameter business_public_key is required.",
                details="The parameter business_public_key is required.",
            )
        try:
            key = serialization.load_pem_public_key(pem.strip().encode())
        except ValueError as exc:
            raise invalid("business_public_key is not a PEM-encoded public key") from exc
        if not isinstance(key, rsa.RSAPublicKey):
            raise invalid("business_public_key must be an RSA public key")
        with self.lock:
            self.public_keys[phone_number_id] = pem.strip()

    def public_key(self, phone_number_id: str | None = None) -> str | None:
        """The key last uploaded for ``phone_number_id`` (or for any number if ``None``)."""
        with self.lock:
            if phone_number_id is not None:
                return self.public_keys.get(phone_number_id)
            return next(reversed(self.public_keys.values()), None)

    # -- media -----------------------------------------------------------------------
    def add_media(
        self,
        content: bytes,
        mime_type: str,
        *,
        filename: str | None = None,
        phone_number_id: str | None = None,
    ) -> Media:
        if not mime_type or "/" not in mime_type:
            raise invalid(f"type must be a MIME type such as image/jpeg, got {mime_type!r}")
        with self.lock:
            media = Media(
                id=str(self.ids.numeric(digits=16)),
                phone_number_id=phone_number_id,
                mime_type=mime_type,
                filename=filename,
                sha256=hashlib.sha256(content).hexdigest(),
                file_size=len(content),
                content=content,
                token=self.ids.token(32),
            )
            self.media[media.id] = media
            return media

    def get_media(self, media_id: str, method: str = "get") -> Media:
        with self.lock:
            media = self.media.get(media_id)
        if media is None:
            raise unknown_object(media_id, method)
        return media

    def delete_media(self, media_id: str) -> None:
        self.get_media(media_id, "delete")
        with self.lock:
            del self.media[media_id]

    def state(self) -> dict[str, Any]:
        return {
            "messages": [m.model_dump(mode="json") for m in self.messages],
            "public_keys": dict(self.public_keys),
            "media": [m.info() for m in self.media.values()],
        }


def unknown_object(object_id: str, method: str) -> GraphApiError:
    return GraphApiError(
        400,
        100,
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation. "
        "Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        subcode=33,
        error_type="GraphMethodException",
    )
