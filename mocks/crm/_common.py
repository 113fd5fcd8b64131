"""What the HubSpot and Salesforce mocks share: rule handling, JSON parsing, admin routes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import ValidationError

from mocks._core import MockBackend, ServiceAdmin
from mocks.crm._rules import ValidationRules

__all__ = ["CrmAdmin", "CrmBackend", "add_rules_routes", "loads", "media_type"]


class CrmBackend(MockBackend):
    """A CRM's state base: the rules given at construction come back on every reset."""

    def __init__(self, *, rules: ValidationRules, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self._initial_rules = rules
        self.rules = rules

    def reset(self) -> None:
        with self.lock:
            super().reset()
            self.rules = self._initial_rules

    def set_rules(self, changes: Mapping[str, Any]) -> ValidationRules:
        """Replace the named rule fields (``required``, ``email_fields``...) until reset."""
        with self.lock:
            self.rules = self.rules.updated(changes)
            return self.rules


def media_type(headers: Mapping[str, str]) -> str:
    """The bare, lower-case media type of a request (``""`` when none was sent)."""
    return headers.get("content-type", "").split(";")[0].strip().lower()


def loads(body: bytes) -> Any:
    """Parse a JSON body; raises :class:`json.JSONDecodeError` (a ``ValueError``)."""
    return json.loads(body.decode("utf-8", errors="replace"))


def add_rules_routes(router: APIRouter, backend: CrmBackend) -> None:
    """``GET /__admin/rules`` and ``POST /__admin/rules`` (a partial update) on ``router``."""

    @router.get("/rules")
    def rules() -> dict[str, Any]:
        return backend.rules.model_dump(mode="json")

    @router.post("/rules")
    def set_rules(changes: dict[str, Any]) -> dict[str, Any]:
        try:
            return backend.set_rules(changes).model_dump(mode="json")
        except ValidationError as exc:
            raise HTTPException(
                422, f"bad rules {changes!r}: {exc.errors(include_url=False)}"
            ) from exc


class CrmAdmin(ServiceAdmin):
    """Typed access to a CRM mock's admin routes; the rules part both CRMs share."""

    def rules(self) -> ValidationRules:
        return ValidationRules.model_validate(self.admin.get("rules"))

    def set_rules(self, **changes: Any) -> ValidationRules:
        """Change some rules until the next reset, e.g. ``set_rules(unique=["email"])``."""
        return ValidationRules.model_validate(self.admin.post("rules", changes))
