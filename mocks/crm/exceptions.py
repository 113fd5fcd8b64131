"""Errors of the CRM mocks: a refusal the mock answers in the real service's shape."""

from __future__ import annotations

from typing import Any

from mocks._core.exceptions import MockError

__all__ = [
    "CrmMockError",
    "HubSpotApiError",
    "HubSpotOAuthError",
    "SalesforceApiError",
    "SalesforceOAuthError",
]


class CrmMockError(MockError):
    """Base of the CRM mocks' refusals; ``status`` is the HTTP status they answer with."""

    status: int


class HubSpotApiError(CrmMockError):
    """HubSpot refuses a call: ``{"status": "error", "message", "category", ...}``.

    ``errors`` are the per-field entries (``message``, ``code``, ``context``);
    ``extra`` adds top-level keys (``context``, ``subCategory``).
    """

    def __init__(
        self,
        status: int,
        category: str,
        message: str,
        *,
        errors: list[dict[str, Any]] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.category = category
        self.message = message
        self.errors = errors
        self.extra = extra or {}
        super().__init__(
            f"HubSpot would answer {status} {category}: {message}; "
            "see the HubSpot section of mocks/README.md"
        )

    def body(self, correlation_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "status": "error",
            "message": self.message,
            "correlationId": correlation_id,
            "category": self.category,
        }
        if self.errors is not None:
            body["errors"] = self.errors
        return {**body, **self.extra}


class HubSpotOAuthError(CrmMockError):
    """HubSpot's OAuth endpoints refuse: ``{"status": "BAD_...", "message", "correlationId"}``."""

    def __init__(self, code: str, message: str, *, status: int = 400) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(
            f"HubSpot's token endpoint would answer {status} {code}: {message}; check the "
            "client id, secret and refresh token the mock was created with"
        )

    def body(self, correlation_id: str) -> dict[str, str]:
        return {"status": self.code, "message": self.message, "correlationId": correlation_id}


class SalesforceApiError(CrmMockError):
    """Salesforce refuses a call: a JSON array of ``{"message", "errorCode", "fields"}``."""

    def __init__(self, status: int, errors: list[dict[str, Any]]) -> None:
        self.status = status
        self.errors = errors
        codes = ", ".join(str(e.get("errorCode")) for e in errors)
        super().__init__(
            f"Salesforce would answer {status} [{codes}]; "
            "see the Salesforce section of mocks/README.md"
        )

    @classmethod
    def one(
        cls, status: int, code: str, message: str, fields: list[str] | None = None
    ) -> SalesforceApiError:
        error: dict[str, Any] = {"message": message, "errorCode": code}
        if fields is not None:
            error["fields"] = fields
        return cls(status, [error])


class SalesforceOAuthError(CrmMockError):
    """The token endpoint refuses: 400 ``{"error", "error_description"}`` (OAuth 2.0)."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        self.status = status
        self.error = error
        self.description = description
        super().__init__(
            f"Salesforce's token endpoint would answer {status} {error}: {description}; "
            "check the client id, secret and user the mock was created with"
        )

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}
