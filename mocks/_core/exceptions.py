"""Errors raised by the mock core; each one says what to do next."""

from __future__ import annotations

import httpx

__all__ = [
    "AdminError",
    "InjectedConnectionReset",
    "MockError",
    "ServerStartError",
]


class MockError(Exception):
    """Base class of every error the mock core raises on purpose."""


class AdminError(MockError):
    """An admin API call was refused; ``status`` and ``detail`` come from the mock's answer."""

    def __init__(self, method: str, path: str, status: int, detail: object) -> None:
        self.status = status
        self.detail = detail
        super().__init__(
            f"admin call {method} {path} answered {status}: {detail!r}; "
            "check the filter or fault you sent against the admin API in mocks/README.md"
        )


class ServerStartError(MockError):
    """The background uvicorn server did not come up in time."""


class InjectedConnectionReset(httpx.ReadError, MockError):
    """A ``connection_reset`` fault fired for an in-process (ASGI) call.

    It subclasses :class:`httpx.ReadError` so code under test sees the same
    transport error it would get from a real peer resetting the connection.
    """
