"""HubSpot CRM v3 contacts, keyed by phone number, with a private-app bearer token.

HubSpot keeps e-mail addresses unique: a create or update that would give a contact an
address another contact holds gets 409 ``CONFLICT`` naming that contact. If that
contact has this lead's phone number it is this person's (created by another worker
since the search, or by an earlier try whose answer was lost) and is updated; any other
contact is someone else, and the lead is a :class:`CrmConflictError` for a person to
resolve: one person's contact is never overwritten with another's details.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx

from reference_server._crm import CrmResult, Media, json_or_none, permanent, request
from reference_server._mapping import CrmMapping
from reference_server._queue import now_iso
from reference_server.exceptions import CrmConflictError, CrmTransientError, CrmValidationError

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


def _existing_id(response: httpx.Response) -> str:
    """The contact a 409 names ("Contact already exists. Existing ID: 123"), or ""."""
    match = _EXISTING_ID.search(str((json_or_none(response) or {}).get("message", "")))
    return match.group(1) if match else ""


def _conflict(response: httpx.Response, existing: str) -> CrmConflictError:
    message = str((json_or_none(response) or {}).get("message") or "409 CONFLICT")
    return CrmConflictError(f"HubSpot: {message}", existing or "unknown")


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
        phone = lead["phone"]
        if self._id_property:
            return await self._batch_upsert(phone, properties)
        found = await self._search_by_phone(phone)
        if found:
            return await self._update(found, properties)
        response = await self._call("POST", _CONTACTS, {"properties": properties})
        if response.status_code == 409:
            existing = _existing_id(response)
            if existing and await self._phone_of(existing) == phone:
                return await self._update(existing, properties)
            raise _conflict(response, existing)
        body = self._check(response, "create the contact")
        return CrmResult(str(body.get("id", "")), created=True)

    async def probe(self) -> str | None:
        """Why the worker cannot use HubSpot, or None (one cheap read at start-up)."""
        try:
            response = await self._http.get(
                self._base + _CONTACTS, params={"limit": 1}, headers=self._headers, timeout=5.0
            )
        except httpx.HTTPError as exc:
            return f"the HubSpot API at {self._base} cannot be reached ({type(exc).__name__})"
        if response.status_code in (401, 403):
            return (
                f"HubSpot refused the token ({response.status_code}): "
                "check FLOWHARNESS_HUBSPOT_TOKEN"
            )
        return None

    async def _phone_of(self, contact_id: str) -> str | None:
        response = await self._call_get(f"{_CONTACTS}/{contact_id}", {"properties": "phone"})
        if response.status_code != 200:
            return None
        return ((json_or_none(response) or {}).get("properties") or {}).get("phone")

    async def _call_get(self, path: str, params: dict[str, str]) -> httpx.Response:
        return await request(
            self._http,
            "HubSpot",
            "GET",
            self._base + path,
            params=params,
            headers=self._headers,
            timeout=self._timeout,
        )

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
        if response.status_code == 409:  # the new e-mail is another contact's
            raise _conflict(response, _existing_id(response))
        body = self._check(response, "update the contact")
        return CrmResult(str(body.get("id", contact_id)), created=False)

    async def _batch_upsert(self, phone: str, properties: dict[str, str]) -> CrmResult:
        assert self._id_property is not None
        item = {"idProperty": self._id_property, "id": phone, "properties": properties}
        response = await self._call("POST", f"{_CONTACTS}/batch/upsert", {"inputs": [item]})
        if response.status_code == 409:
            raise _conflict(response, _existing_id(response))
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
