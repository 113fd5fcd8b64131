"""The fields the Salesforce mock knows: the standard Lead and ContentVersion, no HTTP.

Used by ``describe``, by SOQL (which columns exist) and by writes (which
fields may be set). Custom fields (``*__c``) are the org's own: the mock
cannot know them, so any ``__c`` name is taken as an existing text field.
Field lengths follow the standard Lead object; the list is a subset of
Salesforce's (the fields a lead-capture integration touches).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mocks.crm._rules import ValidationRules

__all__ = ["CONTENT_VERSION_FIELDS", "LEAD_FIELDS", "SField", "canonical_field", "describe_lead"]


@dataclass(frozen=True)
class SField:
    """One field: its API name, type, length and what a client may do with it."""

    name: str
    type: str = "string"
    length: int = 0
    createable: bool = True
    updateable: bool = True
    label: str = ""

    def describe(
        self, *, required: bool, unique: bool, external_id: bool, length: int | None
    ) -> dict[str, Any]:
        size = self.length if length is None else length
        return {
            "name": self.name,
            "label": self.label or _label(self.name),
            "type": self.type,
            "length": size if self.type in ("string", "email", "phone", "url", "textarea") else 0,
            "nillable": not required and self.createable and self.name != "Id",
            "createable": self.createable,
            "updateable": self.updateable,
            "unique": unique,
            "externalId": external_id,
            "idLookup": self.name in ("Id", "Email") or external_id,
            "custom": self.name.endswith("__c"),
            "defaultedOnCreate": self.name in ("Status", "OwnerId", "IsDeleted", "IsConverted"),
            "filterable": self.type != "textarea",
            "sortable": self.type != "textarea",
        }


def _label(name: str) -> str:
    words: list[str] = []
    for part in name.removesuffix("__c").split("_"):
        word = ""
        for char in part:
            if char.isupper() and word and not word[-1].isupper():
                words.append(word)
                word = ""
            word += char
        words.append(word)
    return " ".join(w for w in words if w)


def _system(name: str, type_: str = "string", length: int = 0, label: str = "") -> SField:
    """A field Salesforce sets itself: neither createable nor updateable."""
    return SField(name, type_, length, createable=False, updateable=False, label=label)


LEAD_FIELDS: tuple[SField, ...] = (
    _system("Id", "id", 18, label="Lead ID"),
    _system("IsDeleted", "boolean", label="Deleted"),
    SField("LastName", length=80),
    SField("FirstName", length=40),
    SField("Salutation", "picklist", 40),
    _system("Name", length=121, label="Full Name"),
    SField("Title", length=128),
    SField("Company", length=255),
    SField("Street", "textarea", 255),
    SField("City", length=40),
    SField("State", length=80, label="State/Province"),
    SField("PostalCode", length=20, label="Zip/Postal Code"),
    SField("Country", length=80),
    SField("Phone", "phone", 40),
    SField("MobilePhone", "phone", 40),
    SField("Email", "email", 80),
    SField("Website", "url", 255),
    SField("Description", "textarea", 32000),
    SField("LeadSource", "picklist", 255),
    SField("Status", "picklist", 255),
    SField("Industry", "picklist", 255),
    SField("Rating", "picklist", 255),
    SField("NumberOfEmployees", "int", label="Employees"),
    SField("HasOptedOutOfEmail", "boolean", label="Email Opt Out"),
    SField("DoNotCall", "boolean"),
    SField("OwnerId", "reference", 18, label="Owner ID"),
    SField("IsConverted", "boolean", updateable=False, label="Converted"),
    _system("CreatedDate", "datetime"),
    _system("CreatedById", "reference", 18, label="Created By ID"),
    _system("LastModifiedDate", "datetime"),
    _system("LastModifiedById", "reference", 18, label="Last Modified By ID"),
    _system("SystemModstamp", "datetime"),
)

CONTENT_VERSION_FIELDS: tuple[SField, ...] = (
    _system("Id", "id", 18, label="ContentVersion ID"),
    _system("ContentDocumentId", "reference", 18),
    SField("Title", length=255),
    SField("PathOnClient", length=500),
    SField("Description", "textarea", 1000),
    SField("FirstPublishLocationId", "reference", 18, updateable=False),
    SField("VersionData", "base64"),
    _system("FileExtension", length=40),
    _system("ContentSize", "int", label="Size"),
    _system("CreatedDate", "datetime"),
)


def canonical_field(fields: Iterable[SField], name: str, extra: Iterable[str] = ()) -> str | None:
    """The API spelling of ``name`` (any case) among ``fields`` and ``extra``; a custom
    ``__c`` name as given; None when no such field exists."""
    lowered = name.lower()
    for known in [*(f.name for f in fields), *extra]:
        if known.lower() == lowered:
            return known
    return name if lowered.endswith("__c") else None


def describe_lead(
    rules: ValidationRules, external_ids: Iterable[str], version: str
) -> dict[str, Any]:
    """``GET /sobjects/Lead/describe``: the object's flags and its fields (a subset)."""
    external = list(external_ids)
    fields = [*LEAD_FIELDS, *(SField(name, length=40) for name in external)]
    required = {name.lower() for name in rules.required}
    lowered_external = {name.lower() for name in external}
    base = f"/services/data/{version}/sobjects/Lead"
    return {
        "name": "Lead",
        "label": "Lead",
        "labelPlural": "Leads",
        "keyPrefix": "00Q",
        "custom": False,
        "createable": True,
        "updateable": True,
        "deletable": True,
        "queryable": True,
        "searchable": True,
        "retrieveable": True,
        "fields": [
            f.describe(
                required=f.name.lower() in required,
                unique=f.name.lower() in lowered_external,
                external_id=f.name.lower() in lowered_external,
                length=rules.max_lengths.get(f.name),
            )
            for f in fields
        ],
        "urls": {
            "sobject": base,
            "describe": f"{base}/describe",
            "rowTemplate": f"{base}/{{ID}}",
        },
    }
