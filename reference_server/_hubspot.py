"""HubSpot CRM v3 contacts, keyed by phone number, with a private-app bearer token."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from reference_server._crm import CrmResult, Media, json_or_none, permanent, request
from reference_server._mapping import CrmMapping
from reference_server._queue import now_iso
from reference_server.exceptions import CrmTransientError, CrmValidationError

_EXISTING_ID = re.compile(r"Existing ID:\s*(\d+)")
_CONTACTS = "/crm/v3/objects/contacts"
_NOTE_TO_CONTACT = 202  # HubSpot-defined association type id
_FILES_FOLDER = "/whatsapp-flows"


def _strings(properties: dict[str, Any]) -> dict[str, str]:
    """HubSpot takes every property value as a string ("true"/"false" for booleans)."""
    return {
        k: ("true" if v else "false") if isinstance(v, bool) else str(v)
        for k, v in properties.items()
    }


def _validation_error(response: httpx.Response) -> CrmValidationError:
    body = json_or_none(response) or {}
    errors = [
        {
            "code": e.get("code", ""),
            "message": e.get("message", ""),
            "fields": list((e.get("context") or {}).get("propertyName", [])),
        }
        for e in body.get("errors", [])
        if isinstance(e, dict)
    ]
    message = str(body.get("message") or f"HubSpot rejected the contact ({response.status_code})")
    return CrmValidationError(message, errors or [{"code": "", "message": message, "fields": []}])


class HubSpotAdapter:
    """Upsert: ``batch/upsert`` with ``idProperty`` when a unique property is configured,
    else search by ``phone`` and update the match or create the contact."""

    name = "hubspot"

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        base_url: str,
        token: str,
        mapping: CrmMapping,
        id_property: str | None = None,
        timeout: float = 10.0,
    ):
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._mapping = mapping
        self._id_property = id_property
        self._timeout = timeout

    async def _call(self, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
        return await request(
            self._http,
            "HubSpot",
            method,
            self._base + path,
            json=body,
            headers=self._headers,
            timeout=self._timeout,
        )

    def _check(self, response: httpx.Response, what: str) -> Any:
        if response.status_code == 400:
            raise _validation_error(response)
        if response.status_code >= 300:
            raise permanent(response, "HubSpot", what)
        return json_or_none(response) or {}

    async def upsert(self, lead: dict[str, Any]) -> CrmResult:
        properties = _strings(self._mapping.apply(lead))
        if self._id_property:
            return await self._batch_upsert(lead["phone"], properties)
        found = await self._search_by_phone(lead["phone"])
        if found:
            return await self._update(found, properties)
        response = await self._call("POST", _CONTACTS, {"properties": properties})
        if response.status_code == 409:
            # the email already belongs to a contact: update that one
            match = _EXISTING_ID.search(str((json_or_none(response) or {}).get("message", "")))
            if match:
                return await self._update(match.group(1), properties)
        body = self._check(response, "create the contact")
        return CrmResult(str(body.get("id", "")), created=True)

    async def _search_by_phone(self, phone: str) -> str | None:
        query = {
            "filterGroups": [
                {"filters": [{"propertyName": "phone", "operator": "EQ", "value": phone}]}
            ],
            "properties": ["phone"],
            "limit": 1,
        }
        body = self._check(await self._call("POST", f"{_CONTACTS}/search", query), "search")
        results = body.get("results") or []
        return str(results[0]["id"]) if results else None

    async def _update(self, contact_id: str, properties: dict[str, str]) -> CrmResult:
        response = await self._call(
            "PATCH", f"{_CONTACTS}/{contact_id}", {"properties": properties}
        )
        body = self._check(response, "update the contact")
        return CrmResult(str(body.get("id", contact_id)), created=False)

    async def _batch_upsert(self, phone: str, properties: dict[str, str]) -> CrmResult:
        assert self._id_property is not None
        item = {"idProperty": self._id_property, "id": phone, "properties": properties}
        response = await self._call("POST", f"{_CONTACTS}/batch/upsert", {"inputs": [item]})
        body = self._check(response, "upsert the contact")
        results = body.get("results") or []
        if not results:
            # 207 multi-status: the one input failed
            raise _validation_error(response)
        first = results[0]
        return CrmResult(str(first.get("id", "")), created=bool(first.get("new", False)))

    async def attach(self, phone: str, media: Media, note: str) -> str:
        """Upload with the Files API, then a note on the contact that carries the file."""
        contact_id = await self._search_by_phone(phone)
        if contact_id is None:
            raise CrmTransientError("HubSpot has no contact with this phone number yet")
        options = {"access": "PRIVATE", "overwrite": False}
        response = await request(
            self._http,
            "HubSpot",
            "POST",
            self._base + "/files/v3/files",
            files={"file": (media.file_name, media.content, media.mime_type)},
            data={"folderPath": _FILES_FOLDER, "options": json.dumps(options)},
            headers=self._headers,
            timeout=self._timeout,
        )
        file_id = str(self._check(response, "upload the file").get("id", ""))
        association = {
            "to": {"id": contact_id},
            "types": [
                {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": _NOTE_TO_CONTACT}
            ],
        }
        properties = {"hs_timestamp": now_iso(), "hs_note_body": note, "hs_attachment_ids": file_id}
        body = {"properties": properties, "associations": [association]}
        response = await self._call("POST", "/crm/v3/objects/notes", body)
        return str(self._check(response, "add the note").get("id", ""))
