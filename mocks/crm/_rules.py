"""Validation rules both CRM mocks apply to a record before saving it, with no HTTP in them.

A rule set says which fields are required, which must hold an email address,
how long a value may be and which fields must be unique across records. Each
CRM turns a :class:`Violation` into its own error shape (HubSpot
``INVALID_EMAIL``, Salesforce ``INVALID_EMAIL_ADDRESS``, and so on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "HUBSPOT_RULES",
    "SALESFORCE_RULES",
    "ValidationRules",
    "Violation",
    "ViolationKind",
    "check",
    "is_email",
    "lookup",
]

ViolationKind = Literal["required", "email", "max_length"]


class ValidationRules(BaseModel):
    """What a CRM checks on every create and update; empty lists check nothing.

    ``unique`` fields refuse a value another record already holds (HubSpot:
    409 ``CONFLICT``; Salesforce: a duplicate rule, 400 ``DUPLICATES_DETECTED``).
    Email values compare case-insensitively.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    required: tuple[str, ...] = ()
    email_fields: tuple[str, ...] = ()
    max_lengths: dict[str, int] = Field(default_factory=dict)
    unique: tuple[str, ...] = ()

    def updated(self, changes: Mapping[str, Any]) -> ValidationRules:
        """A copy with the given fields replaced (validated like the constructor)."""
        return ValidationRules.model_validate({**self.model_dump(), **changes})


HUBSPOT_RULES = ValidationRules(email_fields=("email",), unique=("email",))
"""HubSpot's defaults: ``email`` must be an address and is unique; nothing is required."""

SALESFORCE_RULES = ValidationRules(
    required=("LastName", "Company"),
    email_fields=("Email",),
    max_lengths={
        "FirstName": 40,
        "LastName": 80,
        "Company": 255,
        "Email": 80,
        "Phone": 40,
        "MobilePhone": 40,
        "Title": 128,
        "City": 40,
        "PostalCode": 20,
        "LeadSource": 255,
        "Status": 255,
    },
    unique=("Email",),
)
"""The standard Lead object: LastName and Company required, its field lengths, and a
duplicate rule matching on Email."""


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: ``field`` as the rules name it, ``value`` as sent (as text)."""

    kind: ViolationKind
    field: str
    value: str = ""
    limit: int = 0


def is_email(value: str) -> bool:
    """True for a syntactically valid address (no DNS lookup; ``.test`` domains allowed)."""
    try:
        validate_email(value, check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        return False
    return True


def lookup(record: Mapping[str, Any], name: str, *, fold_case: bool = False) -> Any:
    """``record[name]``, matching the key case-insensitively when ``fold_case``."""
    if name in record or not fold_case:
        return record.get(name)
    lowered = name.lower()
    for key, value in record.items():
        if key.lower() == lowered:
            return value
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check(
    rules: ValidationRules,
    record: Mapping[str, Any],
    *,
    changed: Iterable[str] | None = None,
    fold_case: bool = False,
) -> list[Violation]:
    """The rules ``record`` breaks; formats and lengths only for ``changed`` fields if given.

    ``record`` is the whole record after the change (so a required field the
    change leaves alone still counts). Uniqueness needs the other records:
    each CRM backend checks ``rules.unique`` itself.
    """
    touched = None if changed is None else {c.lower() if fold_case else c for c in changed}

    def in_scope(name: str) -> bool:
        return touched is None or (name.lower() if fold_case else name) in touched

    found: list[Violation] = [
        Violation("required", name)
        for name in rules.required
        if _blank(lookup(record, name, fold_case=fold_case))
    ]
    for name in rules.email_fields:
        value = lookup(record, name, fold_case=fold_case)
        if in_scope(name) and not _blank(value) and not is_email(str(value)):
            found.append(Violation("email", name, str(value)))
    for name, limit in rules.max_lengths.items():
        value = lookup(record, name, fold_case=fold_case)
        if in_scope(name) and value is not None and len(str(value)) > limit:
            found.append(Violation("max_length", name, str(value), limit))
    return found
