"""A follow-up photo end to end against the project's own mocks (no respx): a lead goes
through the Flow and the worker to the CRM mock; the person then sends a photo on
WhatsApp; the signed webhook queues it; the worker downloads it from the Cloud API
mock and attaches it to the same contact (HubSpot) or lead (Salesforce)."""

# Fixtures come in by import, so test arguments "redefine" them:
# ruff: noqa: F811
from __future__ import annotations

import hashlib
import json
from typing import Any

import httpx
import pytest

from harness import crypto
from mocks.cloud_api import CloudApiAdmin
from mocks.crm.hubspot import NOTE_TO_CONTACT, HubSpotAdmin
from mocks.crm.salesforce import SalesforceAdmin

from ._mock_wiring import (  # noqa: F401  (fixtures)
    _served_cloud_api,
    _served_hubspot,
    _served_salesforce,
    _served_slack,
    cloud_api,
    cloud_settings,
    hubspot,
    make_stack,
    salesforce,
    slack,
    wired_settings,
)
from .conftest import GOOD_FORM, PHONE
from .test_against_mocks import submit

pytestmark = pytest.mark.anyio
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 4  # a small "jpeg"


def _notification(message: dict[str, Any]) -> dict[str, Any]:
    value = {"messaging_product": "whatsapp", "messages": [message]}
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}],
    }


async def _deliver(app: Any, app_secret: str, message: dict[str, Any]) -> None:
    """POST one signed ``messages`` notification to the app's ``/webhook``."""
    raw = json.dumps(_notification(message)).encode()
    headers = {crypto.SIGNATURE_HEADER: crypto.sign_body(raw, app_secret)}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ref.test") as http:
        response = await http.post("/webhook", content=raw, headers=headers)
    assert response.status_code == 200, response.text


async def lead_then_photo(stack: Any, cloud_api: Any, app_secret: str, token: str) -> str:
    """Submit and sync the lead, tell the webhook the flow completed, then send a photo."""
    reference = await submit(stack.client, token, GOOD_FORM)
    assert (await stack.worker.run_once()).synced == 1
    wa_id = PHONE.lstrip("+")
    response_json = json.dumps({"flow_token": token, "lead_reference": reference})
    reply = {"name": "flow", "body": "Sent", "response_json": response_json}
    completion = {"from": wa_id, "id": "wamid.DONE", "type": "interactive",
                  "interactive": {"type": "nfm_reply", "nfm_reply": reply}}  # fmt: skip
    await _deliver(stack.app, app_secret, completion)

    media = CloudApiAdmin(cloud_api.admin).add_media(PHOTO, "image/jpeg")
    image = {"id": media["id"], "mime_type": "image/jpeg",
             "sha256": hashlib.sha256(PHOTO).hexdigest()}  # fmt: skip
    photo = {"from": wa_id, "id": "wamid.PHOTO", "type": "image", "image": image}
    await _deliver(stack.app, app_secret, photo)
    report = await stack.worker.run_once()
    assert (report.attached, report.attachments_failed) == (1, 0)
    return reference


async def test_photo_lands_on_the_hubspot_contact_as_a_file_and_a_note(
    queue_backend, cloud_settings, make_stack, hubspot, cloud_api, app_secret, token
):
    # the webhook queues the photo on the backend's queue (Redis Streams or SQS)
    stack = await make_stack(cloud_settings(**queue_backend.overrides))
    reference = await lead_then_photo(stack, cloud_api, app_secret, token)

    admin = HubSpotAdmin(hubspot.admin)
    (contact,) = admin.contacts()
    assert contact.properties["phone"] == PHONE
    (stored,) = admin.files()
    assert stored.size == len(PHOTO)
    assert stored.type == "IMG"
    assert stored.path.startswith("/whatsapp-flows/")
    (note,) = admin.notes(contact_id=contact.id)
    assert note.attachment_ids == [stored.id]
    assert reference in note.body
    assert note.properties["hs_timestamp"]
    (created,) = hubspot.admin.requests(method="POST", path="/crm/v3/objects/notes")
    association = created.body_json["associations"][0]
    assert association["types"][0]["associationTypeId"] == NOTE_TO_CONTACT
    # the media was looked up and downloaded with the Cloud API token, once each
    assert cloud_api.admin.count(method="GET", status=200) == 2


async def test_photo_lands_on_the_salesforce_lead_as_a_content_version(
    cloud_settings, make_stack, salesforce, cloud_api, app_secret, token
):
    stack = await make_stack(cloud_settings(crm="salesforce"))
    reference = await lead_then_photo(stack, cloud_api, app_secret, token)

    admin = SalesforceAdmin(salesforce.admin)
    (lead,) = admin.leads()
    (version,) = admin.content_versions(lead_id=lead.id)
    assert version.first_publish_location_id == lead.id
    assert version.content == PHOTO
    assert version.path_on_client.endswith(".jpg")
    assert reference in (version.description or "")
    assert salesforce.admin.count(path_glob="*/sobjects/Lead/WhatsApp_Phone__c/*", status=200) >= 1


async def test_a_photo_without_a_completed_flow_is_not_attached(
    cloud_settings, make_stack, hubspot, cloud_api, app_secret, token
):
    stack = await make_stack(cloud_settings())
    await submit(stack.client, token, GOOD_FORM)
    await stack.worker.run_once()
    media = CloudApiAdmin(cloud_api.admin).add_media(PHOTO, "image/jpeg")
    photo = {"from": PHONE.lstrip("+"), "id": "wamid.EARLY", "type": "image",
             "image": {"id": media["id"], "mime_type": "image/jpeg"}}  # fmt: skip
    await _deliver(stack.app, app_secret, photo)
    assert (await stack.worker.run_once()).attached == 0
    assert HubSpotAdmin(hubspot.admin).files() == []
    assert cloud_api.admin.count() == 0
