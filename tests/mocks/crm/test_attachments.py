"""Files on CRM records: HubSpot's Files API + notes, Salesforce's ContentVersion, both modes."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from mocks._core import MockHandle
from mocks.crm.hubspot import FILES, NOTE_TO_CONTACT, NOTES, HubSpotAdmin
from mocks.crm.salesforce import SalesforceAdmin

PHOTO = b"\xff\xd8\xff\xe0 a tiny jpeg"
VERSIONS = "/services/data/v60.0/sobjects/ContentVersion"
LEADS = "/services/data/v60.0/sobjects/Lead"


def upload(hubspot: MockHandle[Any], **fields: str) -> Any:
    data = {"folderPath": "/whatsapp-flows", "options": json.dumps({"access": "PRIVATE"})}
    data.update(fields)
    files = {"file": ("photo.jpg", PHOTO, "image/jpeg")}
    return hubspot.client.post(FILES, files=files, data=data)


def note_body(contact_id: str, file_id: str, type_id: int = NOTE_TO_CONTACT) -> dict[str, Any]:
    types = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]
    return {
        "properties": {
            "hs_timestamp": "2026-01-01T10:00:00Z",
            "hs_note_body": "Photo sent on WhatsApp",
            "hs_attachment_ids": file_id,
        },
        "associations": [{"to": {"id": contact_id}, "types": types}],
    }


def new_contact(hubspot: MockHandle[Any]) -> str:
    created = hubspot.client.post(
        "/crm/v3/objects/contacts", json={"properties": {"email": "ada@example.com"}}
    )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_hubspot_file_upload_then_note_on_the_contact(hubspot: MockHandle[Any]) -> None:
    contact_id = new_contact(hubspot)
    uploaded = upload(hubspot)
    assert uploaded.status_code == 201, uploaded.text
    stored = uploaded.json()
    assert (stored["name"], stored["extension"], stored["access"]) == ("photo", "jpg", "PRIVATE")
    assert stored["path"] == "/whatsapp-flows/photo.jpg"
    assert stored["size"] == len(PHOTO)
    assert stored["type"] == "IMG"
    assert stored["url"].endswith("/whatsapp-flows/photo.jpg")

    note = hubspot.client.post(NOTES, json=note_body(contact_id, stored["id"]))
    assert note.status_code == 201, note.text
    assert note.json()["properties"]["hs_attachment_ids"] == stored["id"]

    admin = HubSpotAdmin(hubspot.admin)
    (listed,) = admin.files()
    assert listed.id == stored["id"]
    assert listed.parent_folder_id == stored["parentFolderId"]
    (seen,) = admin.notes(contact_id=contact_id)
    assert seen.id == note.json()["id"]
    assert (seen.contact_ids, seen.attachment_ids) == ([contact_id], [stored["id"]])
    assert seen.body == "Photo sent on WhatsApp"
    assert admin.notes(contact_id="999") == []
    assert len(admin.notes()) == 1


@pytest.mark.parametrize(
    ("fields", "fragment"),
    [
        ({"options": "{not json"}, "options is not valid JSON"),
        ({"options": json.dumps({"access": "OPEN"})}, "options.access must be one of"),
        ({"folderId": "12"}, "either folderId or folderPath"),
    ],
)
def test_hubspot_upload_refuses_bad_fields(
    hubspot: MockHandle[Any], fields: dict[str, str], fragment: str
) -> None:
    refused = upload(hubspot, **fields)
    assert refused.status_code == 400
    assert refused.json()["category"] == "VALIDATION_ERROR"
    assert fragment in refused.json()["message"]
    assert HubSpotAdmin(hubspot.admin).files() == []


def test_hubspot_upload_needs_a_file_multipart_and_a_token(hubspot: MockHandle[Any]) -> None:
    no_file = hubspot.client.post(FILES, files={"folderPath": (None, "/x")})
    assert no_file.status_code == 400
    assert "file is required" in no_file.json()["message"]
    as_json = hubspot.client.post(FILES, json={"file": "x"})
    assert as_json.status_code == 415
    hubspot.client.headers.pop("Authorization")
    anonymous = upload(hubspot)
    assert anonymous.status_code == 401
    assert anonymous.json()["category"] == "INVALID_AUTHENTICATION"


def test_hubspot_note_refusals(hubspot: MockHandle[Any]) -> None:
    contact_id = new_contact(hubspot)
    file_id = upload(hubspot).json()["id"]
    unknown_contact = hubspot.client.post(NOTES, json=note_body("404404", file_id))
    assert unknown_contact.status_code == 404
    assert unknown_contact.json()["category"] == "OBJECT_NOT_FOUND"
    wrong_type = hubspot.client.post(NOTES, json=note_body(contact_id, file_id, type_id=1))
    assert wrong_type.status_code == 400
    unknown_file = hubspot.client.post(NOTES, json=note_body(contact_id, "123"))
    assert unknown_file.status_code == 400
    assert "123" in unknown_file.json()["message"]
    untimed = note_body(contact_id, file_id)
    del untimed["properties"]["hs_timestamp"]
    missing = hubspot.client.post(NOTES, json=untimed)
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["code"] == "MISSING_REQUIRED_PROPERTY"
    assert HubSpotAdmin(hubspot.admin).notes() == []


def test_reset_forgets_files_and_notes(hubspot: MockHandle[Any]) -> None:
    contact_id = new_contact(hubspot)
    hubspot.client.post(NOTES, json=note_body(contact_id, upload(hubspot).json()["id"]))
    hubspot.reset()
    assert (HubSpotAdmin(hubspot.admin).files(), HubSpotAdmin(hubspot.admin).notes()) == ([], [])


def new_lead(sf: MockHandle[Any]) -> str:
    lead = {"LastName": "Lovelace", "Company": "Analytical", "WhatsApp_Phone__c": "+33612345678"}
    created = sf.client.post(LEADS, json=lead)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def version(lead_id: str, data: bytes = PHOTO) -> dict[str, Any]:
    return {
        "Title": "photo.jpg",
        "PathOnClient": "photo.jpg",
        "VersionData": base64.b64encode(data).decode(),
        "FirstPublishLocationId": lead_id,
        "Description": "sent on WhatsApp",
    }


def test_salesforce_lead_by_external_id_then_a_content_version(sf: MockHandle[Any]) -> None:
    lead_id = new_lead(sf)
    found = sf.client.get(f"{LEADS}/WhatsApp_Phone__c/+33612345678", params={"fields": "Id"})
    assert found.status_code == 200, found.text
    assert found.json()["Id"] == lead_id
    created = sf.client.post(VERSIONS, json=version(lead_id))
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["success"], body["errors"]) == (True, [])
    assert body["id"].startswith("068")
    assert len(body["id"]) == 18

    (stored,) = SalesforceAdmin(sf.admin).content_versions(lead_id=lead_id)
    assert stored.id == body["id"]
    assert (stored.first_publish_location_id, stored.content) == (lead_id, PHOTO)
    assert (stored.title, stored.path_on_client, stored.size) == (
        "photo.jpg",
        "photo.jpg",
        len(PHOTO),
    )
    assert stored.content_document_id.startswith("069")
    assert SalesforceAdmin(sf.admin).content_versions(lead_id="00Q000000000000AAA") == []


def test_salesforce_content_version_refusals(sf: MockHandle[Any]) -> None:
    lead_id = new_lead(sf)
    unknown_lead = sf.client.post(VERSIONS, json=version("00Q000000000000AAA"))
    assert unknown_lead.status_code == 400
    assert unknown_lead.json()[0]["errorCode"] == "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY"
    missing = sf.client.post(VERSIONS, json={"Title": "x", "FirstPublishLocationId": lead_id})
    assert missing.status_code == 400
    assert missing.json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert missing.json()[0]["fields"] == ["PathOnClient", "VersionData"]
    bad_data = sf.client.post(VERSIONS, json={**version(lead_id), "VersionData": "@@@"})
    assert bad_data.status_code == 400
    assert bad_data.json()[0]["errorCode"] == "INVALID_FIELD"
    unknown_field = sf.client.post(VERSIONS, json={**version(lead_id), "Colour": "red"})
    assert unknown_field.status_code == 400
    unknown_phone = sf.client.get(f"{LEADS}/WhatsApp_Phone__c/+15550000000")
    assert unknown_phone.status_code == 404
    assert unknown_phone.json()[0]["errorCode"] == "NOT_FOUND"
    assert SalesforceAdmin(sf.admin).content_versions() == []


def test_salesforce_content_version_needs_a_session(salesforce: MockHandle[Any]) -> None:
    refused = salesforce.client.post(VERSIONS, json=version("00Q000000000000AAA"))
    assert refused.status_code == 401
    assert refused.json()[0]["errorCode"] == "INVALID_SESSION_ID"
