"""Errors of the WhatsApp Cloud API mock."""

from __future__ import annotations

from typing import Any

from mocks._core.exceptions import MockError

__all__ = ["GraphApiError"]


class GraphApiError(MockError):
    """The Graph API would refuse the call: ``status`` plus its ``{"error": {...}}`` body.

    ``message`` is what Graph puts in ``error.message`` (``"(#100) ..."``);
    ``details`` goes to ``error.error_data.details`` when set.
    """

    def __init__(
        self,
        status: int,
        code: int,
        message: str,
        *,
        details: str | None = None,
        subcode: int | None = None,
        error_type: str = "OAuthException",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.subcode = subcode
        self.error_type = error_type
        super().__init__(
            f"the Cloud API would answer {status} with code {code}: {message}"
            + (f" ({details})" if details else "")
            + "; fix the request (see the Cloud API section of mocks/README.md)"
        )

    def body(self, fbtrace_id: str) -> dict[str, Any]:
        """The JSON body Graph sends, with ``fbtrace_id`` filled in."""
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.error_type,
            "code": self.code,
        }
        if self.details is not None:
            error["error_data"] = {"messaging_product": "whatsapp", "details": self.details}
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        error["fbtrace_id"] = fbtrace_id
        return {"error": error}
