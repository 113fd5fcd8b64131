"""Typed Python clients for the admin API, sync and async.

Both take a base URL (a server in another thread or process) or an ASGI app
(in-process), so a test does the same thing in either mode::

    admin = AdminClient("http://127.0.0.1:8123")  # or AdminClient.for_app(service.app)
    admin.add_fault(StatusFault(status=503), path="/services/*", times=2)
    assert admin.count(method="POST", matched=True) == 1
"""

from __future__ import annotations

from types import TracebackType
from typing import Any, Self

import httpx
from starlette.types import ASGIApp

from mocks._core._faults import Fault, FaultRule
from mocks._core._journal import JournalEntry, RequestFilter
from mocks._core._middleware import ADMIN_PREFIX
from mocks._core._transport import SyncASGITransport
from mocks._core.exceptions import AdminError

__all__ = ["AdminClient", "AsyncAdminClient"]

_IN_PROCESS_URL = "http://mock.local"


def _filter_json(flt: RequestFilter | None, criteria: dict[str, Any]) -> dict[str, Any]:
    if flt is not None and criteria:
        raise TypeError("pass either a RequestFilter or keyword criteria, not both")
    built = flt if flt is not None else RequestFilter(**criteria)
    return built.model_dump(mode="json", exclude_defaults=True)


def _rule_json(
    fault: Fault,
    method: str | None,
    path: str | None,
    times: int | None,
    probability: float,
) -> dict[str, Any]:
    rule = FaultRule(fault=fault, method=method, path=path, times=times, probability=probability)
    return rule.model_dump(mode="json", exclude={"id", "fired"})


def _checked(response: httpx.Response) -> Any:
    if response.is_error:
        try:
            detail: object = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        raise AdminError(
            response.request.method, response.request.url.path, response.status_code, detail
        )
    return response.json()


def _entries(payload: dict[str, Any]) -> list[JournalEntry]:
    return [JournalEntry.model_validate(item) for item in payload["requests"]]


def _rules(payload: dict[str, Any]) -> list[FaultRule]:
    return [FaultRule.model_validate(_without_remaining(item)) for item in payload["faults"]]


def _without_remaining(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k != "remaining"}


class AdminClient:
    """Sync client of one mock's ``/__admin`` API."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.base_url + ADMIN_PREFIX, transport=transport, timeout=timeout
        )

    @classmethod
    def for_app(cls, app: ASGIApp, base_url: str = _IN_PROCESS_URL) -> Self:
        """A client calling ``app`` in-process, with no server."""
        return cls(base_url, transport=SyncASGITransport(app))

    # Generic calls, for the service-specific admin routes (e.g. "messages").
    def get(self, path: str, **params: Any) -> Any:
        return _checked(self._http.get("/" + path.lstrip("/"), params=params))

    def post(self, path: str, json: Any = None) -> Any:
        return _checked(self._http.post("/" + path.lstrip("/"), json=json))

    def delete(self, path: str) -> Any:
        return _checked(self._http.delete("/" + path.lstrip("/")))

    def reset(self) -> None:
        self.post("reset")

    def health(self) -> dict[str, Any]:
        return self.get("health")  # type: ignore[no-any-return]

    def state(self) -> dict[str, Any]:
        return self.get("state")  # type: ignore[no-any-return]

    def seed(self, value: int) -> None:
        self.post("seed", {"seed": value})

    def requests(self, flt: RequestFilter | None = None, **criteria: Any) -> list[JournalEntry]:
        """Journal entries meeting ``flt`` or keyword criteria (``RequestFilter`` fields)."""
        return _entries(self.post("requests/find", _filter_json(flt, criteria)))

    def count(self, flt: RequestFilter | None = None, **criteria: Any) -> int:
        return int(self.post("requests/count", _filter_json(flt, criteria))["count"])

    def unmatched(self) -> list[JournalEntry]:
        return _entries(self.get("requests/unmatched"))

    def clear_requests(self) -> None:
        self.delete("requests")

    def faults(self) -> list[FaultRule]:
        return _rules(self.get("faults"))

    def add_fault(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = None,
        probability: float = 1.0,
    ) -> FaultRule:
        """Attach ``fault`` to ``method`` + ``path`` glob (``None``: any); see ``FaultRule``."""
        payload = self.post("faults", _rule_json(fault, method, path, times, probability))
        return FaultRule.model_validate(_without_remaining(payload))

    def remove_fault(self, rule_id: str) -> None:
        self.delete(f"faults/{rule_id}")

    def clear_faults(self) -> int:
        return int(self.delete("faults")["removed"])

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class AsyncAdminClient:
    """Async client of one mock's ``/__admin`` API; same methods as :class:`AdminClient`."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(
            base_url=self.base_url + ADMIN_PREFIX, transport=transport, timeout=timeout
        )

    @classmethod
    def for_app(cls, app: ASGIApp, base_url: str = _IN_PROCESS_URL) -> Self:
        return cls(base_url, transport=httpx.ASGITransport(app=app))

    async def get(self, path: str, **params: Any) -> Any:
        return _checked(await self._http.get("/" + path.lstrip("/"), params=params))

    async def post(self, path: str, json: Any = None) -> Any:
        return _checked(await self._http.post("/" + path.lstrip("/"), json=json))

    async def delete(self, path: str) -> Any:
        return _checked(await self._http.delete("/" + path.lstrip("/")))

    async def reset(self) -> None:
        await self.post("reset")

    async def health(self) -> dict[str, Any]:
        return await self.get("health")  # type: ignore[no-any-return]

    async def state(self) -> dict[str, Any]:
        return await self.get("state")  # type: ignore[no-any-return]

    async def seed(self, value: int) -> None:
        await self.post("seed", {"seed": value})

    async def requests(
        self, flt: RequestFilter | None = None, **criteria: Any
    ) -> list[JournalEntry]:
        return _entries(await self.post("requests/find", _filter_json(flt, criteria)))

    async def count(self, flt: RequestFilter | None = None, **criteria: Any) -> int:
        return int((await self.post("requests/count", _filter_json(flt, criteria)))["count"])

    async def unmatched(self) -> list[JournalEntry]:
        return _entries(await self.get("requests/unmatched"))

    async def clear_requests(self) -> None:
        await self.delete("requests")

    async def faults(self) -> list[FaultRule]:
        return _rules(await self.get("faults"))

    async def add_fault(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = None,
        probability: float = 1.0,
    ) -> FaultRule:
        payload = await self.post("faults", _rule_json(fault, method, path, times, probability))
        return FaultRule.model_validate(_without_remaining(payload))

    async def remove_fault(self, rule_id: str) -> None:
        await self.delete(f"faults/{rule_id}")

    async def clear_faults(self) -> int:
        return int((await self.delete("faults"))["removed"])

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
