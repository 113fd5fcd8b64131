"""Follow-up photos: download the media from the Cloud API, attach it to the CRM record.

The webhook queues a photo sent after a completed flow in ``<prefix>:attachments``;
the worker fetches ``GET /{version}/{media_id}`` (a short-lived URL, the MIME type,
hash and size), downloads that URL with the same bearer token, and hands the bytes to
the CRM adapter's ``attach`` for the contact or lead of the same phone number.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import mimetypes
from collections.abc import Callable
from typing import Any

import httpx
from tenacity import AsyncRetrying

from reference_server._crm import CrmAdapter, Media
from reference_server._logging import log_fields, mask
from reference_server._queue import LeadQueue, carried_replays
from reference_server._settings import Settings
from reference_server.exceptions import CrmError, MediaError, MediaTransientError

log = logging.getLogger("reference_server.attachments")


def _hash_matches(content: bytes, expected: str) -> bool:
    """Meta documents a SHA-256 without saying hex or Base64: accept either."""
    digest = hashlib.sha256(content).digest()
    return expected.lower() == digest.hex() or expected == base64.b64encode(digest).decode()


async def _get(http: httpx.AsyncClient, url: str, token: str, what: str) -> httpx.Response:
    try:
        response = await http.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30.0)
    except httpx.TransportError as exc:
        raise MediaTransientError(f"{what}: {type(exc).__name__}") from exc
    if response.status_code == 429 or response.status_code >= 500:
        raise MediaTransientError(f"{what}: the Cloud API answered {response.status_code}")
    if response.status_code != 200:
        raise MediaError(f"{what}: the Cloud API refused ({response.status_code})")
    return response


async def download_media(http: httpx.AsyncClient, settings: Settings, media_id: str) -> Media:
    """The media's bytes, checked against the hash and size the Cloud API announced."""
    if not settings.cloud_api_token:
        raise MediaError("downloading media needs FLOWHARNESS_CLOUD_API_TOKEN")
    if not media_id:
        raise MediaError("the attachment entry has no media id")
    token = settings.cloud_api_token.get_secret_value()
    base = f"{settings.cloud_api_url.rstrip('/')}/{settings.cloud_api_version}"
    info_response = await _get(http, f"{base}/{media_id}", token, "media lookup")
    try:
        info: dict[str, Any] = info_response.json()
        url = str(info["url"])
    except (ValueError, KeyError, TypeError) as exc:
        raise MediaError("the Cloud API's media lookup has no url") from exc
    size = int(info.get("file_size") or 0)
    if size > settings.media_max_bytes:
        raise MediaError(f"the media is {size} bytes, over FLOWHARNESS_MEDIA_MAX_BYTES")
    content = (await _get(http, url, token, "media download")).content
    if len(content) > settings.media_max_bytes:
        raise MediaError(f"the media is {len(content)} bytes, over FLOWHARNESS_MEDIA_MAX_BYTES")
    expected = str(info.get("sha256") or "")
    if expected and not _hash_matches(content, expected):
        raise MediaError("the downloaded media does not match the Cloud API's sha256")
    mime_type = str(info.get("mime_type") or "application/octet-stream").split(";")[0]
    extension = mimetypes.guess_extension(mime_type) or ".bin"
    return Media(content, mime_type, f"whatsapp-{media_id}{extension}")


class AttachmentJobs:
    """Handles one ``<prefix>:attachments`` entry: download, attach, or record the failure."""

    def __init__(
        self,
        settings: Settings,
        http: httpx.AsyncClient,
        crm: CrmAdapter,
        queue: LeadQueue,
        retrying: Callable[[], AsyncRetrying],
    ):
        self._settings = settings
        self._http = http
        self._crm = crm
        self._queue = queue
        self._retrying = retrying

    async def handle(self, fields: dict[str, str]) -> str:
        """``"attached"`` or ``"failed"`` (then in ``<prefix>:attachments:failed``)."""
        reference = fields.get("lead_reference", "")
        note = f"Photo sent on WhatsApp after the flow (lead reference {reference})."
        try:
            if not fields.get("phone"):
                raise MediaError("the attachment entry has no phone number")
            async for attempt in self._retrying():
                with attempt:
                    media = await download_media(
                        self._http, self._settings, fields.get("media_id", "")
                    )
                    await self._crm.attach(fields["phone"], media, note)
        except (CrmError, MediaError) as exc:
            failure = {
                k: fields.get(k, "") for k in ("phone", "lead_reference", "media_id", "wamid")
            }
            failure |= {"reason": exc.reason, "error": mask(str(exc))} | carried_replays(fields)
            await self._queue.add(self._queue.streams.attachments_failed, failure)
            log.error("follow-up photo not attached", extra=log_fields(lead_id=reference))
            return "failed"
        log.info("follow-up photo attached", extra=log_fields(lead_id=reference))
        return "attached"
