"""Salesforce Leads, upserted on an external-id field holding the phone number (REST API).

A duplicate rule (``DUPLICATES_DETECTED``, e.g. the standard rule matching e-mail) or a
unique field (``DUPLICATE_VALUE``) refusing the lead means another record holds its
details: a :class:`CrmConflictError` naming that record, for a person to resolve. The
duplicate rule is never bypassed (no ``allowSave``).
"""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import quote

import httpx

from reference_server._crm import CrmResult, Media, json_or_none, permanent, request
from reference_server._mapping import CrmMapping
from reference_server.exceptions import (
    CrmConflictError,
    CrmPermanentError,
    CrmTransientError,
    CrmValidationError,
)

_DUPLICATE_CODES = ("DUPLICATES_DETECTED", "DUPLICATE_VALUE")
_RECORD_ID = re.compile(r"record with id: (\w+)")


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    body = json_or_none(response)
    items = body if isinstance(body, list) else [body] if isinstance(body, dict) else []
    return [
        {
            "code": str(e.get("errorCode", "")),
            "message": str(e.get("message", "")),
            "fields": list(e.get("fields") or []),
        }
        for e in items
        if isinstance(e, dict)
    ]


def _duplicate_of(response: httpx.Response) -> str | None:
    """The record a duplicate refusal names ("" if it names none); None: no such refusal."""
    body = json_or_none(response)
    for error in body if isinstance(body, list) else []:
        if not isinstance(error, dict) or error.get("errorCode") not in _DUPLICATE_CODES:
            continue
        try:
            match = error["duplicateResult"]["matchResults"][0]["matchRecords"][0]
            return str(match["record"]["Id"])
        except (KeyError, IndexError, TypeError):
            found = _RECORD_ID.search(str(error.get("message", "")))
            return found.group(1) if found else ""
    return None


class SalesforceAdapter:
    """OAuth2 (client credentials, or password flow when a username is set), then
    ``PATCH /services/data/<version>/sobjects/Lead/<external id field>/<phone>``.
    An expired session (401 ``INVALID_SESSION_ID``) refreshes the token once."""

    name = "salesforce"

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        login_url: str,
        client_id: str,
        client_secret: str,
        mapping: CrmMapping,
        username: str | None = None,
        password: str | None = None,
        api_version: str = "v60.0",
        external_id_field: str = "WhatsApp_Phone__c",
        instance_url: str | None = None,
        timeout: float = 10.0,
    ):
        self._http = http
        self._login_url = login_url.rstrip("/")
        self._client = (client_id, client_secret)
        self._user = (username, password)
        self._mapping = mapping
        self._version = api_version if api_version.startswith("v") else f"v{api_version}"
        self._field = external_id_field
        self._instance_override = instance_url
        self._timeout = timeout
        self._session: tuple[str, str] | None = None  # (access token, instance url)

    async def _login(self) -> tuple[str, str]:
        client_id, client_secret = self._client
        username, password = self._user
        form = {"client_id": client_id, "client_secret": client_secret}
        if username and password:
            form |= {"grant_type": "password", "username": username, "password": password}
        else:
            form["grant_type"] = "client_credentials"
        response = await request(
            self._http,
            "Salesforce",
            "POST",
            f"{self._login_url}/services/oauth2/token",
            data=form,
            timeout=self._timeout,
        )
        body = json_or_none(response) or {}
        if response.status_code != 200 or "access_token" not in body:
            raise CrmPermanentError(
                f"Salesforce login failed ({response.status_code}, "
                f"{body.get('error', 'no access_token')}): check the client id, secret and user"
            )
        instance = self._instance_override or body.get("instance_url") or self._login_url
        self._session = (str(body["access_token"]), str(instance).rstrip("/"))
        return self._session

    async def _authorized(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[httpx.Response, str]:
        """``(response, instance url)`` for ``/services/data/<version>/<path>``.

        An expired session (401) logs in again, once."""
        for attempt in (1, 2):
            token, instance = self._session or await self._login()
            response = await request(
                self._http,
                "Salesforce",
                method,
                f"{instance}/services/data/{self._version}/{path}",
                headers={"Authorization": f"Bearer {token}"},
                timeout=self._timeout,
                **kwargs,
            )
            if response.status_code == 401 and attempt == 1:
                self._session = None
                continue
            return response, instance
        raise AssertionError("unreachable")

    def _lead_path(self, phone: str) -> str:
        return f"sobjects/Lead/{self._field}/{quote(phone, safe='')}"

    async def upsert(self, lead: dict[str, Any]) -> CrmResult:
        record = self._mapping.apply(lead)
        record.pop(self._field, None)  # the key travels in the URL, not the body
        response, instance = await self._authorized(
            "PATCH", self._lead_path(lead["phone"]), json=record
        )
        return self._result(response, instance)

    async def attach(self, phone: str, media: Media, note: str) -> str:
        """A ``ContentVersion`` first published on the lead (so it shows in its Files)."""
        response, _ = await self._authorized("GET", self._lead_path(phone), params={"fields": "Id"})
        if response.status_code == 404:
            raise CrmTransientError("Salesforce has no lead with this phone number yet")
        if response.status_code != 200:
            raise permanent(response, "Salesforce", "find the lead")
        lead_id = str((json_or_none(response) or {}).get("Id", ""))
        version = {
            "Title": media.file_name,
            "PathOnClient": media.file_name,
            "Description": note,
            "VersionData": base64.b64encode(media.content).decode("ascii"),
            "FirstPublishLocationId": lead_id,
        }
        response, _ = await self._authorized("POST", "sobjects/ContentVersion", json=version)
        if response.status_code == 400:
            errors = _errors(response)
            raise CrmValidationError("Salesforce refused the file", errors)
        if response.status_code not in (200, 201):
            raise permanent(response, "Salesforce", "store the file")
        return str((json_or_none(response) or {}).get("id", ""))

    async def probe(self) -> str | None:
        """Why the worker cannot use Salesforce, or None (a login at start-up)."""
        try:
            await self._login()
        except CrmTransientError as exc:
            return f"the Salesforce login at {self._login_url} cannot be reached ({exc})"
        except CrmPermanentError as exc:
            return str(exc)
        return None

    def _result(self, response: httpx.Response, instance: str) -> CrmResult:
        if response.status_code == 400:
            duplicate = _duplicate_of(response)
            if duplicate is not None:
                url = f"{instance}/lightning/r/Lead/{duplicate}/view" if duplicate else ""
                raise CrmConflictError(
                    "Salesforce refused the lead as a duplicate of another record",
                    duplicate or "unknown",
                    url,
                )
            errors = _errors(response)
            summary = "; ".join(f"{e['code']}: {e['message']}" for e in errors) or response.text
            raise CrmValidationError(f"Salesforce rejected the lead: {summary[:300]}", errors)
        if response.status_code == 204:
            return CrmResult("", created=False)
        if response.status_code not in (200, 201):
            raise permanent(response, "Salesforce", "upsert the lead")
        body = json_or_none(response) or {}
        record_id = str(body.get("id", ""))
        url = f"{instance}/lightning/r/Lead/{record_id}/view" if record_id else ""
        return CrmResult(record_id, created=response.status_code == 201, record_url=url)
