"""Salesforce Leads as state and rules, no HTTP: create, read, update, upsert by external id.

Field names are case-insensitive, as in Salesforce: a record keeps the
spelling a field was first written with. Every refusal is a
:class:`SalesforceApiError` holding Salesforce's error array.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from mocks.crm._common import CrmBackend
from mocks.crm._rules import SALESFORCE_RULES, ValidationRules, Violation, check, lookup
from mocks.crm.exceptions import SalesforceApiError
from mocks.crm.salesforce._auth import (
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    SF_PASSWORD,
    SF_USERNAME,
    Sessions,
)
from mocks.crm.salesforce._content import ContentVersions

__all__ = ["Lead", "SalesforceBackend", "sf_time"]

_READ_ONLY = frozenset(
    n.lower()
    for n in (
        "Id",
        "IsDeleted",
        "CreatedDate",
        "CreatedById",
        "LastModifiedDate",
        "LastModifiedById",
        "SystemModstamp",
    )
)
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")
_NOT_FOUND = "The requested resource does not exist"
DAILY_API_LIMIT = 15_000


def sf_time(moment: datetime) -> str:
    """Salesforce's timestamps: ``2024-05-01T10:00:00.000+0000``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{moment.microsecond // 1000:03d}+0000"
    )


def _label(field: str) -> str:
    """``LastName`` -> ``Last Name``, ``WhatsApp_Phone__c`` -> ``WhatsApp Phone``."""
    base = field.removesuffix("__c").replace("_", " ")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", " ", base)


@dataclass
class Lead:
    id: str
    fields: dict[str, Any]
    created: datetime
    modified: datetime
    deleted: bool = False

    def to_json(self, version: str, names: Iterable[str] | None = None) -> dict[str, Any]:
        """The REST view: ``attributes``, ``Id``, the fields and the system fields."""
        record: dict[str, Any] = {
            "Id": self.id,
            **self.fields,
            "IsDeleted": self.deleted,
            "CreatedDate": sf_time(self.created),
            "LastModifiedDate": sf_time(self.modified),
            "SystemModstamp": sf_time(self.modified),
        }
        if names is not None:
            record = {name: lookup(record, name, fold_case=True) for name in ["Id", *names]}
        url = f"/services/data/{version}/sobjects/Lead/{self.id}"
        return {"attributes": {"type": "Lead", "url": url}, **record}


def _errors_for(violations: list[Violation]) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    missing = [v.field for v in violations if v.kind == "required"]
    if missing:
        errors.append(
            {
                "message": f"Required fields are missing: [{', '.join(missing)}]",
                "errorCode": "REQUIRED_FIELD_MISSING",
                "fields": missing,
            }
        )
    for v in violations:
        if v.kind == "email":
            message = f"{_label(v.field)}: invalid email address: {v.value}"
            errors.append(
                {"message": message, "errorCode": "INVALID_EMAIL_ADDRESS", "fields": [v.field]}
            )
        elif v.kind == "max_length":
            message = f"{_label(v.field)}: data value too large: {v.value} (max length={v.limit})"
            errors.append({"message": message, "errorCode": "STRING_TOO_LONG", "fields": [v.field]})
    return errors


def _scalar_fields(fields: Any) -> dict[str, Any]:
    if not isinstance(fields, Mapping):
        kind = "START_ARRAY" if isinstance(fields, list) else "VALUE_STRING"
        raise SalesforceApiError.one(
            400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of Lead from {kind} value"
        )
    for name, value in fields.items():
        if isinstance(value, dict | list):
            raise SalesforceApiError.one(
                400,
                "JSON_PARSER_ERROR",
                f"Cannot deserialize instance of string from "
                f"{'START_OBJECT' if isinstance(value, dict) else 'START_ARRAY'} value "
                f"for field {name}",
            )
    read_only = [name for name in fields if name.lower() in _READ_ONLY]
    if read_only:
        raise SalesforceApiError.one(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(read_only)}. Please check the security "
            "settings of this field and verify that it is read/write for your profile or "
            "permission set.",
            read_only,
        )
    return dict(fields)


def _merge(record: dict[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """``record`` with ``changes`` applied, keeping each field's first spelling."""
    merged = dict(record)
    spelling = {name.lower(): name for name in merged}
    for name, value in changes.items():
        merged[spelling.get(name.lower(), name)] = value
    return merged


def _same(a: Any, b: Any, field: str) -> bool:
    if a is None or b is None or a == "" or b == "":
        return False
    if "email" in field.lower():
        return str(a).strip().lower() == str(b).strip().lower()
    return str(a) == str(b)


class SalesforceBackend(CrmBackend):
    """Leads of one org plus its OAuth sessions (see :class:`Sessions`)."""

    def __init__(
        self,
        *,
        clients: Mapping[str, str] | None = None,
        users: Mapping[str, str] | None = None,
        session_seconds: float | None = 7200.0,
        instance_url: str | None = None,
        external_id_fields: Iterable[str] = ("WhatsApp_Phone__c",),
        default_status: str = "Open - Not Contacted",
        rules: ValidationRules = SALESFORCE_RULES,
        seed: int | None = None,
    ) -> None:
        super().__init__(rules=rules, seed=seed)
        self.sessions = Sessions(
            clients=clients if clients is not None else {SF_CLIENT_ID: SF_CLIENT_SECRET},
            users=users if users is not None else {SF_USERNAME: SF_PASSWORD},
            lifetime=session_seconds,
        )
        self.instance_url = instance_url.rstrip("/") if instance_url else None
        self.last_instance_url = "http://salesforce.mock"
        self.external_id_fields = tuple(external_id_fields)
        self.default_status = default_status
        self.leads: dict[str, Lead] = {}
        self.api_calls = 0
        self.content = ContentVersions(lambda: self.ids, self._live_lead_id)

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.leads.clear()
            self.content.clear()
            self.sessions.clear()
            self.api_calls = 0

    def limit_info(self) -> str:
        """The ``Sforce-Limit-Info`` header: API calls used today / allowed."""
        return f"api-usage={self.api_calls}/{DAILY_API_LIMIT}"

    def record_url(self, lead_id: str, base: str | None = None) -> str:
        root = self.instance_url or base or self.last_instance_url
        return f"{root.rstrip('/')}/lightning/r/Lead/{lead_id}/view"

    # Lookups -------------------------------------------------------------------------
    def get(self, lead_id: str) -> Lead:
        if not _ID.match(lead_id):
            # Salesforce reads a non-id here as an external id field name
            raise SalesforceApiError.one(
                404,
                "NOT_FOUND",
                f"Provided external ID field does not exist or is not accessible: {lead_id}",
            )
        with self.lock:
            for lead in self.leads.values():
                if not lead.deleted and (lead.id == lead_id or lead.id[:15] == lead_id):
                    return lead
        raise SalesforceApiError.one(404, "NOT_FOUND", _NOT_FOUND)

    def _live_lead_id(self, lead_id: str) -> str | None:
        """The 18-char id of the live lead ``lead_id`` names, or None."""
        try:
            return self.get(lead_id).id
        except SalesforceApiError:
            return None

    def _external_field(self, field: str) -> str:
        for name in self.external_id_fields:
            if name.lower() == field.lower():
                return name
        raise SalesforceApiError.one(
            404,
            "NOT_FOUND",
            f"Provided external ID field does not exist or is not accessible: {field}",
        )

    def find(self, field: str, value: Any) -> Lead | None:
        with self.lock:
            for lead in self.leads.values():
                if not lead.deleted and _same(
                    lookup(lead.fields, field, fold_case=True), value, field
                ):
                    return lead
        return None

    def get_by(self, field: str, value: str) -> Lead:
        lead = self.find(self._external_field(field), value)
        if lead is None:
            raise SalesforceApiError.one(404, "NOT_FOUND", _NOT_FOUND)
        return lead

    # Writes --------------------------------------------------------------------------
    def _validate(
        self, record: dict[str, Any], changed: Iterable[str], exclude: str | None, allow_save: bool
    ) -> None:
        changed = list(changed)
        errors = _errors_for(check(self.rules, record, changed=changed, fold_case=True))
        if errors:
            raise SalesforceApiError(400, errors)
        lowered = {c.lower() for c in changed}
        for field in self.external_id_fields:
            value = lookup(record, field, fold_case=True)
            other = self.find(field, value) if field.lower() in lowered else None
            if other is not None and other.id != exclude:
                raise SalesforceApiError.one(
                    400,
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {field} duplicates value on record with id: "
                    f"{other.id}",
                    [],
                )
        if allow_save:
            return
        for field in self.rules.unique:
            value = lookup(record, field, fold_case=True)
            other = self.find(field, value) if field.lower() in lowered else None
            if other is not None and other.id != exclude:
                raise SalesforceApiError(400, [_duplicates_detected(other.id)])

    def _new_id(self) -> str:
        while True:
            candidate = self.ids.salesforce("00Q")
            if candidate not in self.leads:
                return candidate

    def create_content_version(self, fields: Any) -> str:
        """Store a ``ContentVersion`` (a file on a lead); its id."""
        with self.lock:
            return self.content.create(fields, datetime.now(UTC)).id

    def create(self, fields: Any, *, allow_save: bool = False) -> Lead:
        clean = _scalar_fields(fields)
        with self.lock:
            record = _merge({"Status": self.default_status}, clean)
            self._validate(record, record.keys(), None, allow_save)
            now = datetime.now(UTC)
            lead = Lead(self._new_id(), record, now, now)
            self.leads[lead.id] = lead
            return lead

    def update(self, lead_id: str, fields: Any, *, allow_save: bool = False) -> Lead:
        clean = _scalar_fields(fields)
        with self.lock:
            lead = self.get(lead_id)
            record = _merge(lead.fields, clean)
            self._validate(record, clean.keys(), lead.id, allow_save)
            lead.fields = record
            lead.modified = datetime.now(UTC)
            return lead

    def upsert(
        self, field: str, value: str, fields: Any, *, allow_save: bool = False
    ) -> tuple[Lead, bool]:
        """Update the lead whose external id ``field`` is ``value``, or create it."""
        name = self._external_field(field)
        clean = _scalar_fields(fields)
        with self.lock:
            existing = self.find(name, value)
            if existing is not None:
                return self.update(existing.id, clean, allow_save=allow_save), False
            return self.create(_merge(clean, {name: value}), allow_save=allow_save), True

    def delete(self, lead_id: str) -> None:
        with self.lock:
            lead = self.get(lead_id)
            lead.deleted = True
            lead.modified = datetime.now(UTC)

    def state(self) -> dict[str, Any]:
        return {
            "leads": [self.lead_json(lead) for lead in self.leads.values()],
            "sessions": self.sessions.live_count(),
            "content_versions": [v.to_json() for v in self.content.versions.values()],
            "rules": self.rules.model_dump(mode="json"),
        }

    def lead_json(self, lead: Lead, base: str | None = None) -> dict[str, Any]:
        record = lead.to_json("v60.0")
        record.pop("attributes")
        return {"id": lead.id, "url": self.record_url(lead.id, base), "fields": record}


def _duplicates_detected(match_id: str) -> dict[str, Any]:
    return {
        "duplicateResult": {
            "allowSave": False,
            "duplicateRule": "Standard_Lead_Duplicate_Rule",
            "duplicateRuleEntityType": "Lead",
            "errorMessage": "You're creating a duplicate record. We recommend you use an "
            "existing record instead.",
            "matchResults": [
                {
                    "entityType": "Lead",
                    "errors": [],
                    "matchEngine": "ExactMatchEngine",
                    "matchRecords": [
                        {
                            "additionalInformation": [],
                            "fieldDiffs": [],
                            "matchConfidence": 100.0,
                            "record": {
                                "attributes": {
                                    "type": "Lead",
                                    "url": f"/services/data/v60.0/sobjects/Lead/{match_id}",
                                },
                                "Id": match_id,
                            },
                        }
                    ],
                    "rule": "Standard_Lead_Match_Rule_v1_0",
                    "size": 1,
                    "success": True,
                }
            ],
        },
        "errorCode": "DUPLICATES_DETECTED",
        "message": "You're creating a duplicate record. We recommend you use an existing "
        "record instead.",
        "fields": [],
    }
