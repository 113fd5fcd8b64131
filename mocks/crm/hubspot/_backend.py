"""HubSpot CRM v3 contacts as state and rules, no HTTP: create, read, update, upsert, archive.

Every refusal is a :class:`HubSpotApiError` carrying HubSpot's status,
category and message; the HTTP layer only serialises it.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from mocks.crm._common import CrmBackend
from mocks.crm._rules import HUBSPOT_RULES, ValidationRules, Violation, check
from mocks.crm.exceptions import HubSpotApiError
from mocks.crm.hubspot._attachments import Attachments, Note
from mocks.crm.hubspot._oauth import HUBSPOT_TOKEN, OAUTH_TOKEN_SECONDS, Authenticator

__all__ = [
    "DEFAULT_PORTAL_ID",
    "DEFAULT_PROPERTIES",
    "HUBSPOT_TOKEN",
    "Contact",
    "HubSpotBackend",
    "RateLimits",
    "iso",
    "note_json",
]

DEFAULT_PORTAL_ID = 12345678
DEFAULT_PROPERTIES = (
    "createdate",
    "email",
    "firstname",
    "hs_object_id",
    "lastmodifieddate",
    "lastname",
)
"""What HubSpot returns for a contact when the call names no ``properties``."""
_READ_ONLY = ("hs_object_id", "lastmodifieddate")


def iso(moment: datetime) -> str:
    """HubSpot's timestamps: UTC, milliseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Contact:
    id: str
    properties: dict[str, str]
    created_at: datetime
    updated_at: datetime
    archived: bool = False

    def to_json(self, names: Iterable[str] | None = None) -> dict[str, Any]:
        """The API's view; ``names`` picks properties (unset ones come back ``null``)."""
        props: dict[str, str | None] = (
            dict(self.properties)
            if names is None
            else {name: self.properties.get(name) for name in names}
        )
        return {
            "id": self.id,
            "properties": props,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "archived": self.archived,
        }


@dataclass
class RateLimits:
    """The quota HubSpot reports in ``X-HubSpot-RateLimit-*`` headers (private app, Pro)."""

    daily: int = 650_000
    interval_max: int = 190
    interval_ms: int = 10_000
    secondly: int = 19
    _calls: deque[float] = field(default_factory=deque, repr=False)
    _daily_used: int = 0

    def count_call(self) -> None:
        self._daily_used += 1
        self._calls.append(time.monotonic())

    def headers(self, *, exhausted: bool = False) -> dict[str, str]:
        now = time.monotonic()
        while self._calls and now - self._calls[0] > self.interval_ms / 1000:
            self._calls.popleft()
        recent = sum(1 for t in self._calls if now - t <= 1.0)
        return {
            "X-HubSpot-RateLimit-Daily": str(self.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(self.daily - self._daily_used, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(self.interval_ms),
            "X-HubSpot-RateLimit-Max": str(self.interval_max),
            "X-HubSpot-RateLimit-Remaining": "0"
            if exhausted
            else str(max(self.interval_max - len(self._calls), 0)),
            "X-HubSpot-RateLimit-Secondly": str(self.secondly),
            "X-HubSpot-RateLimit-Secondly-Remaining": "0"
            if exhausted
            else str(max(self.secondly - recent, 0)),
        }

    def reset(self) -> None:
        self._calls.clear()
        self._daily_used = 0


def _validation(errors: list[dict[str, Any]], details: list[dict[str, Any]]) -> HubSpotApiError:
    # HubSpot puts the property results, JSON-encoded, in the message; the errors array
    # is the v3 error schema's per-field form of the same thing.
    message = "Property values were not valid: " + json.dumps(details, separators=(",", ":"))
    return HubSpotApiError(400, "VALIDATION_ERROR", message, errors=errors)


def _property_error(name: str, code: str, message: str) -> tuple[dict[str, Any], dict[str, Any]]:
    error = {"message": message, "code": code, "context": {"propertyName": [name]}}
    detail = {"isValid": False, "message": message, "error": code, "name": name}
    return error, detail


def _violation_error(v: Violation) -> tuple[dict[str, Any], dict[str, Any]]:
    if v.kind == "email":
        return _property_error(v.field, "INVALID_EMAIL", f"Email address {v.value} is invalid")
    if v.kind == "max_length":
        return _property_error(
            v.field,
            "MAX_LENGTH_EXCEEDED",
            f'Property "{v.field}" is {len(v.value)} characters long; the limit is {v.limit}',
        )
    return _property_error(
        v.field, "MISSING_REQUIRED_PROPERTY", f'Property "{v.field}" is required'
    )


def _as_text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise HubSpotApiError(
        400,
        "VALIDATION_ERROR",
        f"Invalid input JSON: Cannot deserialize value of type `java.lang.String` from "
        f"{type(value).__name__} value (property {name!r})",
    )


def clean_properties(properties: Any) -> dict[str, str]:
    """A ``properties`` object as HubSpot stores it: every value a string."""
    if not isinstance(properties, Mapping):
        raise HubSpotApiError(
            400,
            "VALIDATION_ERROR",
            "Invalid input JSON: 'properties' must be an object of property names to values",
        )
    cleaned = {str(name): _as_text(str(name), value) for name, value in properties.items()}
    pairs = [
        _property_error(
            name, "READ_ONLY_VALUE", f'"{name}" is a read only property; its value cannot be set.'
        )
        for name in cleaned
        if name in _READ_ONLY
    ]
    if pairs:
        raise _validation([e for e, _ in pairs], [d for _, d in pairs])
    if "email" in cleaned:
        cleaned["email"] = cleaned["email"].strip().lower()  # HubSpot keeps emails lower-case
    return cleaned


class HubSpotBackend(CrmBackend):
    """Contacts of one portal. ``tokens=None`` accepts any ``pat-`` private-app token and
    OAuth access tokens (see ``_oauth``); ``oauth_clients`` may get tokens."""

    def __init__(
        self,
        *,
        tokens: Iterable[str] | None = None,
        oauth_clients: Mapping[str, str] | None = None,
        oauth_token_seconds: float = OAUTH_TOKEN_SECONDS,
        portal_id: int = DEFAULT_PORTAL_ID,
        app_url: str = "https://app.hubspot.com",
        rules: ValidationRules = HUBSPOT_RULES,
        seed: int | None = None,
    ) -> None:
        super().__init__(rules=rules, seed=seed)
        self.auth = Authenticator(
            tokens=tokens, clients=oauth_clients, token_seconds=oauth_token_seconds
        )
        self.portal_id = portal_id
        self.app_url = app_url.rstrip("/")
        self.contacts: dict[str, Contact] = {}
        self.limits = RateLimits()
        self.attachments = Attachments(lambda: self.ids, portal_id, self._is_live)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.contacts.clear()
            self.limits.reset()
            self.attachments.clear()
            self.auth.clear()

    def _is_live(self, contact_id: str) -> bool:
        contact = self.contacts.get(contact_id)
        return contact is not None and not contact.archived

    # Auth ----------------------------------------------------------------------------
    def authorize(self, authorization: str | None) -> None:
        with self.lock:
            self.auth.authorize(authorization)

    # Lookups -------------------------------------------------------------------------
    def record_url(self, contact_id: str) -> str:
        return f"{self.app_url}/contacts/{self.portal_id}/record/0-1/{contact_id}"

    def live(self) -> list[Contact]:
        with self.lock:
            return [c for c in self.contacts.values() if not c.archived]

    def find(self, name: str, value: str) -> Contact | None:
        """The live contact whose ``name`` equals ``value`` (emails case-insensitively)."""
        wanted = value.strip().lower() if name == "email" else value
        for contact in self.live():
            have = contact.properties.get(name)
            if have is not None and have != "" and have == wanted:
                return contact
        return None

    def _check_id_property(self, id_property: str) -> None:
        if id_property != "hs_object_id" and id_property not in self.rules.unique:
            raise HubSpotApiError(
                400,
                "VALIDATION_ERROR",
                f"{id_property} is not a unique identifier property for CONTACT; "
                f"use one of {['hs_object_id', *self.rules.unique]}",
            )

    def get(self, key: str, id_property: str | None = None) -> Contact:
        """A live contact by id, or by a unique property's value; 404 otherwise."""
        with self.lock:
            if id_property in (None, "hs_object_id"):
                contact = self.contacts.get(key)
                found = contact if contact is not None and not contact.archived else None
            else:
                self._check_id_property(id_property)
                found = self.find(id_property, key)
        if found is None:
            if id_property in (None, "hs_object_id"):
                # HubSpot's answer to an unknown record id, with the id as context
                raise HubSpotApiError(
                    404,
                    "OBJECT_NOT_FOUND",
                    "Object not found.  objectId are usually numeric.",
                    extra={"context": {"id": [key]}},
                )
            raise HubSpotApiError(404, "OBJECT_NOT_FOUND", "resource not found")
        return found

    # Writes --------------------------------------------------------------------------
    def _validate(
        self, record: Mapping[str, str], changed: Iterable[str], exclude: str | None
    ) -> None:
        pairs = [_violation_error(v) for v in check(self.rules, record, changed=changed)]
        if pairs:
            raise _validation([e for e, _ in pairs], [d for _, d in pairs])
        for name in self.rules.unique:
            value = record.get(name)
            if not value or name not in changed:
                continue
            other = self.find(name, value)
            if other is not None and other.id != exclude:
                raise HubSpotApiError(
                    409, "CONFLICT", f"Contact already exists. Existing ID: {other.id}"
                )

    def _new_id(self) -> str:
        while True:
            candidate = str(self.ids.numeric(digits=11))
            if candidate not in self.contacts:
                return candidate

    def create(self, properties: Any) -> Contact:
        cleaned = clean_properties(properties)
        with self.lock:
            self._validate(cleaned, cleaned.keys(), exclude=None)
            now = datetime.now(UTC)
            contact_id = self._new_id()
            stored = {
                **cleaned,
                "createdate": cleaned.get("createdate") or iso(now),
                "lastmodifieddate": iso(now),
                "hs_object_id": contact_id,
            }
            contact = Contact(contact_id, stored, now, now)
            self.contacts[contact_id] = contact
            return contact

    def update(self, key: str, properties: Any, id_property: str | None = None) -> Contact:
        cleaned = clean_properties(properties)
        with self.lock:
            contact = self.get(key, id_property)
            merged = {**contact.properties, **cleaned}
            self._validate(merged, cleaned.keys(), exclude=contact.id)
            now = datetime.now(UTC)
            contact.properties = {**merged, "lastmodifieddate": iso(now)}
            contact.updated_at = now
            return contact

    def archive(self, contact_id: str) -> None:
        with self.lock:
            contact = self.get(contact_id)
            contact.archived = True
            contact.updated_at = datetime.now(UTC)

    def upsert(self, inputs: list[dict[str, Any]]) -> list[tuple[Contact, bool]]:
        """``batch/upsert``: every input updates the contact its id names or creates one.

        All or nothing, like HubSpot's batch validation: a bad input fails the batch.
        """
        keys = [(str(i.get("idProperty") or "hs_object_id"), str(i.get("id", ""))) for i in inputs]
        duplicates = sorted({k[1] for k in keys if keys.count(k) > 1})
        if duplicates:
            raise HubSpotApiError(
                400, "VALIDATION_ERROR", f"Duplicate IDs found in batch input: {duplicates}"
            )
        with self.lock:
            snapshot = {cid: _copy(c) for cid, c in self.contacts.items()}
            try:
                return [
                    self._upsert_one(name, key, item)
                    for (name, key), item in zip(keys, inputs, strict=True)
                ]
            except HubSpotApiError:
                self.contacts = snapshot
                raise

    def _upsert_one(self, id_property: str, key: str, item: dict[str, Any]) -> tuple[Contact, bool]:
        if not key:
            raise HubSpotApiError(400, "VALIDATION_ERROR", "Every input needs a non-empty 'id'")
        self._check_id_property(id_property)
        properties = item.get("properties", {})
        existing = (
            self.contacts.get(key) if id_property == "hs_object_id" else self.find(id_property, key)
        )
        if existing is not None and not existing.archived:
            return self.update(existing.id, properties), False
        if id_property == "hs_object_id":
            raise HubSpotApiError(404, "OBJECT_NOT_FOUND", f"No CONTACT with id {key} exists")
        return self.create({**clean_properties(properties), id_property: key}), True

    def state(self) -> dict[str, Any]:
        return {
            "portalId": self.portal_id,
            "contacts": [
                {**c.to_json(), "url": self.record_url(c.id)} for c in self.contacts.values()
            ],
            "rules": self.rules.model_dump(mode="json"),
            "files": [f.to_json() for f in self.attachments.files.values()],
            "notes": [note_json(n) for n in self.attachments.notes.values()],
        }


def note_json(note: Note) -> dict[str, Any]:
    """A note as the admin API shows it: with its contact ids and attachment ids."""
    return {**note.to_json(), "contactIds": note.contact_ids, "attachmentIds": note.attachment_ids}


def _copy(contact: Contact) -> Contact:
    return Contact(
        contact.id,
        dict(contact.properties),
        contact.created_at,
        contact.updated_at,
        contact.archived,
    )
