"""Declarative mapping of lead fields to CRM field ids: one JSON file per CRM in ``mappings/``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from reference_server.exceptions import ConfigurationError

MAPPINGS = ("hubspot", "salesforce", "sql")


@dataclass(frozen=True, slots=True)
class CrmMapping:
    crm: str
    fields: dict[str, str]
    """Lead field -> CRM field id."""
    defaults: dict[str, Any] = field(default_factory=dict)
    """CRM field id -> value used when the lead leaves it empty."""

    def apply(self, lead: dict[str, Any]) -> dict[str, Any]:
        """The CRM record for ``lead``: mapped fields with a value, then defaults for the rest."""
        record: dict[str, Any] = {}
        for lead_field, crm_field in self.fields.items():
            value = lead.get(lead_field)
            if value not in (None, ""):
                record[crm_field] = value
        for crm_field, value in self.defaults.items():
            record.setdefault(crm_field, value)
        return record


def load_mapping(crm: str, path: Path | None = None) -> CrmMapping:
    """The bundled mapping of ``crm`` (one of :data:`MAPPINGS`), or the file at ``path``."""
    if path is None and crm not in MAPPINGS:
        raise ConfigurationError(f"no mapping for CRM {crm!r}; choose one of {MAPPINGS}")
    try:
        if path is not None:
            text = path.read_text(encoding="utf-8")
        else:
            text = (resources.files("reference_server") / "mappings" / f"{crm}.json").read_text(
                encoding="utf-8"
            )
        raw = json.loads(text)
        return CrmMapping(
            crm=raw["crm"], fields=dict(raw["fields"]), defaults=raw.get("defaults", {})
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigurationError(
            f"the {crm} field mapping cannot be read ({exc}); it must be a JSON object with "
            "'crm' and 'fields'"
        ) from exc
