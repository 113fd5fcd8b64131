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
    SF_ACCESS_TOKEN,
    SF_CLIENT_ID,
    SF_CLIENT_SECRET,
    SF_PASSWORD,
    SF_USERNAME,
    Sessions,
)
from mocks.crm.salesforce._content import ContentVersions
from mocks.crm.salesforce._schema import CONTENT_VERSION_FIELDS, LEAD_FIELDS, canonical_field
from mocks.crm.salesforce._soql import Query, SoqlError, Table, parse

__all__ = ["QUERY_BATCH_SIZE", "Lead", "QueryPage", "SalesforceBackend", "sf_time"]

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
QUERY_BATCH_SIZE = 2000
"""Records per query answer, as Salesforce's default (``Sforce-Query-Options: batchSize=``
asks for 200 to 2000)."""


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
        first = lookup(self.fields, "FirstName", fold_case=True)
        last = lookup(self.fields, "LastName", fold_case=True)
        record: dict[str, Any] = {
            "Id": self.id,
            **self.fields,
            "Name": " ".join(str(v) for v in (first, last) if v) or None,
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


def _scalar_fields(fields: Any, external_ids: Iterable[str] = ()) -> dict[str, Any]:
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
    unknown = [n for n in fields if canonical_field(LEAD_FIELDS, n, external_ids) is None]
    if unknown:
        raise SalesforceApiError.one(
            400,
            "INVALID_FIELD",
            f"No such column '{unknown[0]}' on sobject of type Lead",
            [],
        )
    read_only = [name for name in fields if name.lower() in _READ_ONLY | {"name"}]
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
        access_tokens: Iterable[str] = (SF_ACCESS_TOKEN,),
        query_batch_size: int = QUERY_BATCH_SIZE,
        default_status: str = "Open - Not Contacted",
        rules: ValidationRules = SALESFORCE_RULES,
        seed: int | None = None,
    ) -> None:
        super().__init__(rules=rules, seed=seed)
        self.sessions = Sessions(
            clients=clients if clients is not None else {SF_CLIENT_ID: SF_CLIENT_SECRET},
            users=users if users is not None else {SF_USERNAME: SF_PASSWORD},
            lifetime=session_seconds,
            fixed_tokens=tuple(access_tokens),
        )
        self.instance_url = instance_url.rstrip("/") if instance_url else None
        self.last_instance_url = "http://salesforce.mock"
        self.external_id_fields = tuple(external_id_fields)
        self.default_status = default_status
        self.leads: dict[str, Lead] = {}
        self.api_calls = 0
        self.content = ContentVersions(lambda: self.ids, self._live_lead_id)
        self.query_batch_size = query_batch_size
        self.cursors: dict[str, tuple[str, list[dict[str, Any]], int]] = {}

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.leads.clear()
            self.cursors.clear()
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
        clean = _scalar_fields(fields, self.external_id_fields)
        with self.lock:
            record = _merge({"Status": self.default_status}, clean)
            self._validate(record, record.keys(), None, allow_save)
            now = datetime.now(UTC)
            lead = Lead(self._new_id(), record, now, now)
            self.leads[lead.id] = lead
            return lead

    def update(self, lead_id: str, fields: Any, *, allow_save: bool = False) -> Lead:
        clean = _scalar_fields(fields, self.external_id_fields)
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
        clean = _scalar_fields(fields, self.external_id_fields)
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

    def recent(self, count: int = 5) -> list[Lead]:
        """The live leads last changed, newest first (``recentItems``)."""
        live = [lead for lead in self.leads.values() if not lead.deleted]
        return sorted(live, key=lambda lead: lead.modified, reverse=True)[:count]

    def _content_version(self, version_id: str) -> Any:
        for item in self.content.versions.values():
            if item.id == version_id or item.id[:15] == version_id:
                return item
        raise SalesforceApiError.one(404, "NOT_FOUND", _NOT_FOUND)

    def content_version_json(self, version_id: str, version: str) -> dict[str, Any]:
        """``GET /sobjects/ContentVersion/{id}``: the record, ``VersionData`` as its URL."""
        with self.lock:
            item = self._content_version(version_id)
            url = f"/services/data/{version}/sobjects/ContentVersion/{item.id}"
            record = {**item.to_json(), "VersionData": f"{url}/VersionData"}
        return {"attributes": {"type": "ContentVersion", "url": url}, **record}

    def content_version_data(self, version_id: str) -> bytes:
        with self.lock:
            data: bytes = self._content_version(version_id).data
            return data

    # Queries -------------------------------------------------------------------------
    def _tables(self) -> dict[str, Table]:
        def lead_field(name: str) -> str:
            known = canonical_field(LEAD_FIELDS, name, self.external_id_fields)
            if known is None:
                raise SoqlError(
                    "INVALID_FIELD",
                    f"No such column '{name}' on entity 'Lead'. If you are attempting to use "
                    "a custom field, be sure to append the '__c' after the custom field name.",
                )
            return known

        def version_field(name: str) -> str:
            known = canonical_field(CONTENT_VERSION_FIELDS, name)
            if known is None or known.endswith("__c"):
                raise SoqlError(
                    "INVALID_FIELD", f"No such column '{name}' on entity 'ContentVersion'."
                )
            return known

        return {
            "lead": Table("Lead", lead_field),
            "contentversion": Table("ContentVersion", version_field),
        }

    def _rows(self, query: Query, version: str, include_deleted: bool) -> list[dict[str, Any]]:
        if query.object == "Lead":
            return [
                lead.to_json(version)
                for lead in self.leads.values()
                if include_deleted or not lead.deleted
            ]
        rows = []
        for item in self.content.versions.values():
            row = item.to_json()
            url = f"/services/data/{version}/sobjects/ContentVersion/{item.id}"
            row["VersionData"] = f"{url}/VersionData"
            rows.append({"attributes": {"type": "ContentVersion", "url": url}, **row})
        return rows

    def query(
        self, text: str, version: str, *, include_deleted: bool = False, batch: int | None = None
    ) -> QueryPage:
        """Run a SOQL query (see ``_soql``); the first page of its records."""
        try:
            query = parse(text, self._tables())
        except SoqlError as exc:
            raise SalesforceApiError.one(400, exc.code, exc.message) from exc
        with self.lock:
            found = query.run(self._rows(query, version, include_deleted))
            if query.count_only:
                return QueryPage(len(found), [], None)
            records = [
                {
                    "attributes": row["attributes"],
                    **{name: lookup(row, name, fold_case=True) for name in query.fields},
                }
                for row in found
            ]
            return self._page(version, records, len(records), batch)

    def _page(
        self, version: str, records: list[dict[str, Any]], total: int, batch: int | None
    ) -> QueryPage:
        size = self.query_batch_size if batch is None else max(200, min(batch, 2000))
        if len(records) <= size:
            return QueryPage(total, records, None)
        locator = self.ids.salesforce("01g")
        self.cursors[locator] = (version, records[size:], total)
        return QueryPage(total, records[:size], f"/services/data/{version}/query/{locator}-{size}")

    def query_more(self, locator: str, batch: int | None = None) -> QueryPage:
        """The next page of a query (``nextRecordsUrl``); 400 ``INVALID_QUERY_LOCATOR``."""
        key = locator.split("-")[0]
        with self.lock:
            cursor = self.cursors.pop(key, None)
            if cursor is None:
                raise SalesforceApiError.one(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            version, rest, total = cursor
            page = self._page(version, rest, total, batch)
        return page

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


@dataclass(frozen=True)
class QueryPage:
    """One answer of ``query``: ``totalSize`` (of this cursor), records, the next page's URL."""

    total: int
    records: list[dict[str, Any]]
    next_url: str | None

    def to_json(self) -> dict[str, Any]:
        answer: dict[str, Any] = {
            "totalSize": self.total,
            "done": self.next_url is None,
            "records": self.records,
        }
        if self.next_url is not None:
            answer["nextRecordsUrl"] = self.next_url
        return answer


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
