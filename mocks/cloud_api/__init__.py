"""A mock of the WhatsApp Cloud API (``https://graph.facebook.com``): messages, keys, media.

``create_service()`` builds it on the mock core; ``CloudApiAdmin`` reads what
was "sent" through the admin API, in-process or over a server::

    with MockHandle.in_process(create_service()) as cloud:
        cloud.client.post(
            "/v21.0/1234/messages",
            headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"},
            json={"messaging_product": "whatsapp", "to": "15551234567",
                  "type": "text", "text": {"body": "hi"}},
        )
        assert CloudApiAdmin(cloud.admin).messages()[0].wa_id == "15551234567"
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from mocks._core import FaultRule, MockService, ServiceAdmin
from mocks.cloud_api._backend import (
    DEFAULT_PHONE_NUMBER_ID,
    DEFAULT_TOKEN,
    CloudApiBackend,
    FlowMessage,
    Media,
    SentMessage,
)
from mocks.cloud_api._limits import (
    RATE_LIMITS,
    RateLimitKind,
    graph_rate_limit,
    rate_limit_body,
    rate_limit_fault,
)
from mocks.cloud_api._routes import cloud_api_admin_routes, cloud_api_routes, graph_unmatched
from mocks.cloud_api._validation import MESSAGE_TYPES, ValidMessage, validate_message
from mocks.cloud_api.exceptions import GraphApiError

__all__ = [
    "DEFAULT_PHONE_NUMBER_ID",
    "DEFAULT_TOKEN",
    "MESSAGE_TYPES",
    "RATE_LIMITS",
    "CloudApiAdmin",
    "CloudApiBackend",
    "FlowMessage",
    "GraphApiError",
    "Media",
    "MediaInfo",
    "RateLimitKind",
    "SentMessage",
    "ValidMessage",
    "create_service",
    "rate_limit_body",
    "rate_limit_fault",
    "validate_message",
]

MediaInfo = dict[str, Any]
"""``{"id", "mime_type", "filename", "sha256", "file_size", "phone_number_id"}``."""


def create_service(
    *,
    tokens: Iterable[str] = (DEFAULT_TOKEN,),
    phone_number_ids: Iterable[str] | None = None,
    templates: Mapping[str, Iterable[str]] | None = None,
    allowed_recipients: Iterable[str] | None = None,
    seed: int | None = None,
) -> MockService[CloudApiBackend]:
    """The Cloud API mock; see :class:`CloudApiBackend` for what each option narrows."""
    backend = CloudApiBackend(
        tokens=tokens,
        phone_number_ids=phone_number_ids,
        templates=templates,
        allowed_recipients=allowed_recipients,
        seed=seed,
    )
    return MockService(
        "cloud_api",
        backend,
        cloud_api_routes,
        admin_routes=cloud_api_admin_routes,
        rate_limit_response=graph_rate_limit,
        unmatched=graph_unmatched(backend),
        base_url="http://graph.facebook.mock",
    )


class CloudApiAdmin(ServiceAdmin):
    """Typed access to the Cloud API mock's own admin routes, over any :class:`AdminClient`."""

    def messages(
        self,
        *,
        to: str | None = None,
        type: str | None = None,
        phone_number_id: str | None = None,
    ) -> list[SentMessage]:
        return self._list(
            SentMessage, "messages", "messages", to=to, type=type, phone_number_id=phone_number_id
        )

    def flow_messages(
        self, *, to: str | None = None, flow_token: str | None = None
    ) -> list[FlowMessage]:
        return self._list(FlowMessage, "flow_messages", "messages", to=to, flow_token=flow_token)

    def public_key(self, phone_number_id: str | None = None) -> str | None:
        """The PEM last uploaded (for ``phone_number_id``, or for any number)."""
        params = {} if phone_number_id is None else {"phone_number_id": phone_number_id}
        payload = self.admin.get("public_key", **params)
        key = payload["business_public_key"]
        return str(key) if key is not None else None

    def set_public_key(self, phone_number_id: str, pem: str) -> None:
        self.admin.post(
            "public_key", {"phone_number_id": phone_number_id, "business_public_key": pem}
        )

    def add_media(
        self,
        content: bytes,
        mime_type: str = "image/jpeg",
        *,
        filename: str | None = None,
        phone_number_id: str | None = None,
    ) -> MediaInfo:
        """Store a file as if a user had sent it; returns its info with the new ``id``."""
        spec = {
            "content_base64": base64.b64encode(content).decode(),
            "mime_type": mime_type,
            "filename": filename,
            "phone_number_id": phone_number_id,
        }
        return dict(self.admin.post("media", spec))

    def media(self) -> list[MediaInfo]:
        return list(self.admin.get("media")["media"])

    def throttle(
        self,
        kind: RateLimitKind = "throughput",
        *,
        retry_after: int = 1,
        times: int | None = None,
        path: str | None = "/*/*/messages",
    ) -> FaultRule:
        """Answer sends with the Cloud API's rate-limit error.

        ``kind``: ``throughput`` (130429), ``account`` (80007) or ``pair`` (131056).
        """
        return self.admin.add_fault(
            rate_limit_fault(kind, retry_after=retry_after), path=path, times=times
        )
