"""Salesforce files: ``ContentVersion`` records, as state and rules, no HTTP.

``POST /services/data/vXX.X/sobjects/ContentVersion`` with ``Title``,
``PathOnClient``, ``VersionData`` (base64) and ``FirstPublishLocationId`` (the
record whose Files list shows it) creates a version and its ``ContentDocument``.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any

from mocks._core import IdGenerator
from mocks.crm._rules import lookup
from mocks.crm.exceptions import SalesforceApiError

__all__ = ["ContentVersion", "ContentVersions"]

_WRITABLE = ("Title", "PathOnClient", "VersionData", "FirstPublishLocationId", "Description")


@dataclass
class ContentVersion:
    id: str
    content_document_id: str
    title: str
    path_on_client: str
    description: str | None
    first_publish_location_id: str | None
    data: bytes
    created: datetime

    def to_json(self) -> dict[str, Any]:
        """The admin view (the bytes as base64, as the API's ``VersionData`` takes them)."""
        return {
            "Id": self.id,
            "ContentDocumentId": self.content_document_id,
            "Title": self.title,
            "PathOnClient": self.path_on_client,
            "Description": self.description,
            "FirstPublishLocationId": self.first_publish_location_id,
            "FileExtension": PurePosixPath(self.path_on_client).suffix.lstrip(".").lower(),
            "ContentSize": len(self.data),
            "VersionData": base64.b64encode(self.data).decode("ascii"),
            "CreatedDate": self.created.isoformat(),
        }


def _required(missing: list[str]) -> SalesforceApiError:
    return SalesforceApiError.one(
        400,
        "REQUIRED_FIELD_MISSING",
        f"Required fields are missing: [{', '.join(missing)}]",
        missing,
    )


class ContentVersions:
    """The org's content versions; ``lead_exists`` resolves ``FirstPublishLocationId``."""

    def __init__(
        self, ids: Callable[[], IdGenerator], lead_id: Callable[[str], str | None]
    ) -> None:
        self._ids = ids
        self._lead_id = lead_id
        self.versions: dict[str, ContentVersion] = {}

    def clear(self) -> None:
        self.versions.clear()

    def create(self, fields: Any, now: datetime) -> ContentVersion:
        if not isinstance(fields, dict):
            raise SalesforceApiError.one(
                400, "JSON_PARSER_ERROR", "Expected a JSON object for a ContentVersion"
            )
        unknown = [k for k in fields if k.lower() not in {w.lower() for w in _WRITABLE}]
        if unknown:
            raise SalesforceApiError.one(
                400,
                "INVALID_FIELD",
                f"No such column '{unknown[0]}' on sobject of type ContentVersion",
                [],
            )
        values = {w: lookup(fields, w, fold_case=True) for w in _WRITABLE}
        missing = [name for name in ("PathOnClient", "VersionData") if not values[name]]
        if missing:
            raise _required(missing)
        try:
            data = base64.b64decode(str(values["VersionData"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise SalesforceApiError.one(
                400, "INVALID_FIELD", "VersionData: the value is not valid base64", ["VersionData"]
            ) from exc
        location = values["FirstPublishLocationId"]
        resolved = self._lead_id(str(location)) if location else None
        if location and resolved is None:
            raise SalesforceApiError.one(
                400,
                "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY",
                f"insufficient access rights on cross-reference id: {location}",
                ["FirstPublishLocationId"],
            )
        path = str(values["PathOnClient"])
        version = ContentVersion(
            id=self._new_id("068"),
            content_document_id=self._ids().salesforce("069"),
            title=str(values["Title"] or PurePosixPath(path).stem),
            path_on_client=path,
            description=None if values["Description"] is None else str(values["Description"]),
            first_publish_location_id=resolved,
            data=data,
            created=now,
        )
        self.versions[version.id] = version
        return version

    def _new_id(self, prefix: str) -> str:
        while True:
            candidate = self._ids().salesforce(prefix)
            if candidate not in self.versions:
                return candidate

    def of(self, lead_id: str | None) -> list[ContentVersion]:
        """Versions first published on ``lead_id`` (its 15- or 18-char form), or all."""
        return [
            v
            for v in self.versions.values()
            if lead_id is None or (v.first_publish_location_id or "")[:15] == lead_id[:15]
        ]
