"""Follow-up photos: downloaded through the Cloud API, attached to the CRM record; on
every queue backend (Redis Streams on fakeredis and redis-server, SQS on moto)."""

from __future__ import annotations

import base64
import hashlib
import json

import httpx
import pytest
import respx

from reference_server.worker import Worker

from ._queue_backends import QueueBackend
from .conftest import PHONE

pytestmark = pytest.mark.anyio
PHOTO = b"\xff\xd8\xff\xe0 a tiny jpeg"
GRAPH = "https://graph.test/v21.0"
SF = "https://sf.test/services/data/v60.0"


async def no_sleep(_: float) -> None:
    return None


def cloud_api(respx_mock, *, sha256: str | None = None) -> respx.Route:
    digest = sha256 or hashlib.sha256(PHOTO).hexdigest()
    info = {"url": "https://cdn.test/m/MEDIA1?sig=x", "mime_type": "image/jpeg",
            "sha256": digest, "file_size": len(PHOTO), "id": "MEDIA1"}  # fmt: skip
    respx_mock.get(f"{GRAPH}/MEDIA1").respond(json=info)
    return respx_mock.get("https://cdn.test/m/MEDIA1").respond(
        content=PHOTO, headers={"Content-Type": "image/jpeg"}
    )


async def run_attachment(backend: QueueBackend, **settings) -> tuple[Worker, object, object]:
    queue = backend.queue
    await queue.add(
        queue.streams.attachments,
        {"phone": PHONE, "lead_reference": "L1", "wamid": "wamid.2", "media_id": "MEDIA1",
         "mime_type": "image/jpeg", "sha256": ""},
    )  # fmt: skip
    async with httpx.AsyncClient() as http:
        worker = backend.worker(backend.settings(**settings), http=http, sleep=no_sleep)
        report = await worker.run_once()
    failed = await backend.entries(queue.streams.attachments_failed)
    left = (await queue.sizes())["attachments"]
    return report, failed, left


@respx.mock
async def test_photo_goes_to_hubspot_files_and_a_note_on_the_contact(respx_mock, queue_backend):
    settings = {"cloud_api_url": "https://graph.test", "cloud_api_token": "cloud-1"}
    download = cloud_api(respx_mock)
    respx_mock.post("https://hubspot.test/crm/v3/objects/contacts/search").respond(
        json={"results": [{"id": "77"}]}
    )
    upload = respx_mock.post("https://hubspot.test/files/v3/files").respond(201, json={"id": "F5"})
    note = respx_mock.post("https://hubspot.test/crm/v3/objects/notes").respond(
        201, json={"id": "N1"}
    )
    report, failed, left = await run_attachment(queue_backend, **settings)
    assert (report.attached, failed, left) == (1, [], 0)
    assert download.calls.last.request.headers["Authorization"] == "Bearer cloud-1"
    sent = upload.calls.last.request
    assert sent.headers["Content-Type"].startswith("multipart/form-data")
    assert PHOTO in sent.content
    assert b'name="folderPath"' in sent.content
    body = json.loads(note.calls.last.request.content)
    assert body["properties"]["hs_attachment_ids"] == "F5"
    assert "L1" in body["properties"]["hs_note_body"]
    assert body["associations"][0]["to"] == {"id": "77"}
    assert body["associations"][0]["types"][0]["associationTypeId"] == 202


@respx.mock
async def test_photo_goes_to_a_salesforce_content_version_on_the_lead(respx_mock, queue_backend):
    settings = dict(
        crm="salesforce", salesforce_login_url="https://login.sf.test",
        salesforce_client_id="cid", salesforce_client_secret="cs",
        cloud_api_url="https://graph.test", cloud_api_token="cloud-1",
    )  # fmt: skip
    cloud_api(respx_mock, sha256=base64.b64encode(hashlib.sha256(PHOTO).digest()).decode())
    respx_mock.post("https://login.sf.test/services/oauth2/token").respond(
        json={"access_token": "tok", "instance_url": "https://sf.test"}
    )
    respx_mock.get(f"{SF}/sobjects/Lead/WhatsApp_Phone__c/%2B33612345678").respond(
        json={"Id": "00Q1", "attributes": {"type": "Lead"}}
    )
    version = respx_mock.post(f"{SF}/sobjects/ContentVersion").respond(
        201, json={"id": "068X", "success": True, "errors": []}
    )
    report, failed, _ = await run_attachment(queue_backend, **settings)
    assert (report.attached, failed) == (1, [])
    body = json.loads(version.calls.last.request.content)
    assert body["FirstPublishLocationId"] == "00Q1"
    assert base64.b64decode(body["VersionData"]) == PHOTO
    assert body["PathOnClient"].endswith(".jpg")


@respx.mock
async def test_tampered_media_is_not_attached(respx_mock, queue_backend):
    settings = {"cloud_api_url": "https://graph.test", "cloud_api_token": "cloud-1"}
    cloud_api(respx_mock, sha256="0" * 64)
    upload = respx_mock.post("https://hubspot.test/files/v3/files")
    report, failed, left = await run_attachment(queue_backend, **settings)
    assert (report.attachments_failed, left, upload.called) == (1, 0, False)
    (entry,) = failed
    assert (entry["reason"], entry["media_id"]) == ("media_error", "MEDIA1")
    assert "sha256" in entry["error"]


@respx.mock
async def test_photo_waits_for_the_contact_then_gives_up(respx_mock, queue_backend):
    settings = dict(
        cloud_api_url="https://graph.test", cloud_api_token="cloud-1", retry_max_attempts=3
    )
    cloud_api(respx_mock)
    search = respx_mock.post("https://hubspot.test/crm/v3/objects/contacts/search").respond(
        json={"results": []}
    )
    report, failed, _ = await run_attachment(queue_backend, **settings)
    assert (report.attachments_failed, search.call_count) == (1, 3)
    assert failed[0]["reason"] == "crm_transient"


@respx.mock
async def test_cloud_api_outage_is_retried(respx_mock, queue_backend):
    settings = {"cloud_api_url": "https://graph.test", "cloud_api_token": "cloud-1"}
    cloud_api(respx_mock)
    respx_mock.get(f"{GRAPH}/MEDIA1").mock(
        side_effect=[httpx.Response(503), httpx.ConnectError("reset"),
                     httpx.Response(200, json={"url": "https://cdn.test/m/MEDIA1"})]
    )  # fmt: skip
    respx_mock.post("https://hubspot.test/crm/v3/objects/contacts/search").respond(
        json={"results": [{"id": "77"}]}
    )
    respx_mock.post("https://hubspot.test/files/v3/files").respond(201, json={"id": "F5"})
    respx_mock.post("https://hubspot.test/crm/v3/objects/notes").respond(201, json={"id": "N1"})
    report, failed, _ = await run_attachment(queue_backend, **settings)
    assert (report.attached, failed) == (1, [])
