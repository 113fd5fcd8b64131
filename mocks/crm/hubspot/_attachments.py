"""HubSpot files (Files API v3) and notes on contacts, as state and rules, no HTTP.

A follow-up photo reaches a contact in two calls: ``POST /files/v3/files``
(multipart) stores the file, then ``POST /crm/v3/objects/notes`` creates a note
whose ``hs_attachment_ids`` names it, associated with the contact (type 202).
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any

from mocks._core import FileUpload, IdGenerator
from mocks.crm.exceptions import HubSpotApiError

__all__ = ["ACCESS_LEVELS", "NOTE_TO_CONTACT", "Attachments", "HubSpotFile", "Note"]

ACCESS_LEVELS = frozenset(
    {
        "PUBLIC_INDEXABLE",
        "PUBLIC_NOT_INDEXABLE",
        "HIDDEN_INDEXABLE",
        "HIDDEN_NOT_INDEXABLE",
        "HIDDEN_PRIVATE",
        "PRIVATE",
        "HIDDEN_SENSITIVE",
        "SENSITIVE",
    }
)
"""The ``options.access`` values the Files API takes."""
NOTE_TO_CONTACT = 202
"""HubSpot-defined association type id of note -> contact."""


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _file_type(mime_type: str) -> str:
    kind = mime_type.split("/")[0]
    if kind == "image":
        return "IMG"
    if kind in ("audio", "video"):
        return "AUDIO" if kind == "audio" else "MOVIE"
    if kind == "text" or mime_type == "application/pdf":
        return "DOCUMENT"
    return "OTHER"


@dataclass
class HubSpotFile:
    id: str
    name: str
    extension: str
    path: str
    parent_folder_id: str
    access: str
    content: bytes
    mime_type: str
    url: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The Files API's file object."""
        return {
            "id": self.id,
            "createdAt": _iso(self.created_at),
            "updatedAt": _iso(self.created_at),
            "archived": False,
            "parentFolderId": self.parent_folder_id,
            "name": self.name,
            "path": self.path,
            "size": len(self.content),
            "type": _file_type(self.mime_type),
            "extension": self.extension,
            "access": self.access,
            "isUsableInContent": True,
            "url": self.url,
        }


@dataclass
class Note:
    id: str
    properties: dict[str, str]
    contact_ids: list[str]
    created_at: datetime
    updated_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.updated_at = self.created_at

    def to_json(self) -> dict[str, Any]:
        """The CRM object the API answers (associations are not echoed)."""
        return {
            "id": self.id,
            "properties": dict(self.properties),
            "createdAt": _iso(self.created_at),
            "updatedAt": _iso(self.updated_at),
            "archived": False,
        }

    @property
    def attachment_ids(self) -> list[str]:
        raw = self.properties.get("hs_attachment_ids") or ""
        return [part for part in raw.split(";") if part]


def _invalid(message: str) -> HubSpotApiError:
    return HubSpotApiError(400, "VALIDATION_ERROR", message)


def _access(options: Any) -> str:
    try:
        parsed = json.loads(options) if isinstance(options, str) else None
    except ValueError as exc:
        raise _invalid(f"options is not valid JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise _invalid("options is required: a JSON object with 'access', e.g. PRIVATE")
    access = parsed.get("access")
    if access not in ACCESS_LEVELS:
        raise _invalid(f"options.access must be one of {sorted(ACCESS_LEVELS)}, got {access!r}")
    return str(access)


def _folder_path(fields: Mapping[str, Any]) -> str:
    folder_id, folder_path = fields.get("folderId"), fields.get("folderPath")
    if (folder_id is None) == (folder_path is None):
        raise _invalid("give either folderId or folderPath (not both)")
    if folder_path is None:
        return f"/folder-{folder_id}"
    return "/" + str(folder_path).strip("/")


class Attachments:
    """The portal's files and notes; ``contact_exists`` checks note associations."""

    def __init__(
        self, ids: Callable[[], IdGenerator], portal_id: int, contact_exists: Callable[[str], bool]
    ) -> None:
        self._ids = ids
        self._portal_id = portal_id
        self._contact_exists = contact_exists
        self.files: dict[str, HubSpotFile] = {}
        self.notes: dict[str, Note] = {}
        self._folders: dict[str, str] = {}

    def clear(self) -> None:
        self.files.clear()
        self.notes.clear()
        self._folders.clear()

    def _new_id(self, taken: Mapping[str, Any], digits: int) -> str:
        while True:
            candidate = str(self._ids().numeric(digits=digits))
            if candidate not in taken:
                return candidate

    def upload(self, fields: Mapping[str, Any]) -> HubSpotFile:
        """Store the ``file`` part of a Files API upload; 400 for missing or bad fields."""
        upload = fields.get("file")
        if not isinstance(upload, FileUpload):
            raise _invalid("file is required: send it as a multipart part with a file name")
        access = _access(fields.get("options"))
        folder = _folder_path(fields)
        given = str(fields.get("fileName") or upload.filename or "file")
        stem, suffix = PurePosixPath(given).stem, PurePosixPath(given).suffix
        extension = suffix.lstrip(".") or (mimetypes.guess_extension(upload.content_type) or "")
        extension = extension.lstrip(".")
        folder_id = self._folders.setdefault(folder, self._new_id(self._folders, 11))
        file_id = self._new_id(self.files, 12)
        path = f"{folder.rstrip('/')}/{stem}" + (f".{extension}" if extension else "")
        stored = HubSpotFile(
            id=file_id,
            name=stem,
            extension=extension,
            path=path,
            parent_folder_id=folder_id,
            access=access,
            content=upload.content,
            mime_type=upload.content_type,
            url=f"https://{self._portal_id}.fs1.hubspotusercontent-na1.net/hubfs/"
            f"{self._portal_id}{path}",
            created_at=datetime.now(UTC),
        )
        self.files[file_id] = stored
        return stored

    def create_note(self, body: Any) -> Note:
        """A note from ``{"properties", "associations"}``; 400 for what HubSpot refuses."""
        properties = body.get("properties") if isinstance(body, dict) else None
        if not isinstance(properties, dict):
            raise _invalid("Invalid input JSON: 'properties' must be an object")
        cleaned = {str(k): "" if v is None else str(v) for k, v in properties.items()}
        if not cleaned.get("hs_timestamp"):
            raise HubSpotApiError(
                400,
                "VALIDATION_ERROR",
                "Property values were not valid: hs_timestamp is required for a note",
                errors=[
                    {
                        "message": "hs_timestamp is required",
                        "code": "MISSING_REQUIRED_PROPERTY",
                        "context": {"propertyName": ["hs_timestamp"]},
                    }
                ],
            )
        note = Note("", cleaned, self._contacts(body.get("associations")), datetime.now(UTC))
        unknown = [f for f in note.attachment_ids if f not in self.files]
        if unknown:
            raise _invalid(f"hs_attachment_ids names files that do not exist: {unknown}")
        note.id = self._new_id(self.notes, 11)
        note.properties |= {
            "hs_object_id": note.id,
            "hs_createdate": _iso(note.created_at),
            "hs_lastmodifieddate": _iso(note.created_at),
        }
        self.notes[note.id] = note
        return note

    def _contacts(self, associations: Any) -> list[str]:
        if associations is None:
            return []
        if not isinstance(associations, list):
            raise _invalid("Invalid input JSON: 'associations' must be a list")
        contact_ids = []
        for item in associations:
            target = item.get("to") if isinstance(item, dict) else None
            types = item.get("types") if isinstance(item, dict) else None
            target_id = str(target.get("id", "")) if isinstance(target, dict) else ""
            type_ids = [t.get("associationTypeId") for t in types or [] if isinstance(t, dict)]
            if not target_id or not type_ids:
                raise _invalid("each association needs 'to.id' and 'types'")
            if any(type_id != NOTE_TO_CONTACT for type_id in type_ids):
                raise _invalid(
                    f"association types {type_ids} are not valid from NOTE to CONTACT "
                    f"(the mock models note -> contact, type {NOTE_TO_CONTACT})"
                )
            if not self._contact_exists(target_id):
                raise HubSpotApiError(
                    404,
                    "OBJECT_NOT_FOUND",
                    f"Could not find CONTACT with id {target_id} to associate the note with",
                )
            contact_ids.append(target_id)
        return contact_ids

    def notes_of(self, contact_id: str | None) -> list[Note]:
        return [n for n in self.notes.values() if contact_id is None or contact_id in n.contact_ids]
