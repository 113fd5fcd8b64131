"""Typed Python clients for the admin API, sync and async.

Both take a base URL (a server in another thread or process) or an ASGI app
(in-process), so a test does the same thing in either mode::

    admin = AdminClient("http://127.0.0.1:8123")  # or AdminClient.for_app(service.app)
    # (".../__admin" works too: what ``flowharness mocks up --json`` prints as admin_url)
    admin.add_fault(StatusFault(status=503), path="/services/*", times=2)
    assert admin.count(method="POST", matched=True) == 1

Each admin operation is described once, as an :class:`_AdminCall` (what to
send, how to read the answer); the two clients only differ in how they send it.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import httpx
from starlette.types import ASGIApp

from mocks._core._faults import Fault, FaultRule
from mocks._core._journal import JournalEntry, RequestFilter
from mocks._core._lifecycle import Closing
from mocks._core._loopback import AsyncLoopbackTransport, LoopbackTransport
from mocks._core._middleware import ADMIN_PREFIX
from mocks._core._transport import AsyncASGITransport, SyncASGITransport
from mocks._core.exceptions import AdminError

__all__ = ["AdminClient", "AsyncAdminClient"]

_IN_PROCESS_URL = "http://mock.local"


def _base(url: str) -> str:
    """The mock's base URL, whether given as the base or as its ``/__admin`` URL."""
    base = url.rstrip("/")
    return base.removesuffix(ADMIN_PREFIX) if base.endswith(ADMIN_PREFIX) else base


def _same(payload: Any) -> Any:
    return payload


@dataclass(frozen=True)
class _AdminCall:
    """One admin request and the parser of its JSON answer (no I/O)."""

    method: str
    path: str
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    parse: Callable[[Any], Any] = _same

    def request(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        path = "/" + self.path.lstrip("/")
        return http.build_request(self.method, path, json=self.json, params=self.params)

    def result(self, response: httpx.Response) -> Any:
        if response.is_error:
            try:
                detail: object = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise AdminError(
                response.request.method, response.request.url.path, response.status_code, detail
            )
        return self.parse(response.json())


def _filter_json(flt: RequestFilter | None, criteria: dict[str, Any]) -> dict[str, Any]:
    if flt is not None and criteria:
        raise TypeError("pass either a RequestFilter or keyword criteria, not both")
    built = flt if flt is not None else RequestFilter(**criteria)
    return built.model_dump(mode="json", exclude_defaults=True)


def _entries(payload: dict[str, Any]) -> list[JournalEntry]:
    return [JournalEntry.model_validate(item) for item in payload["requests"]]


def _rule(item: dict[str, Any]) -> FaultRule:
    return FaultRule.model_validate({k: v for k, v in item.items() if k != "remaining"})


def _rules(payload: dict[str, Any]) -> list[FaultRule]:
    return [_rule(item) for item in payload["faults"]]


def _count(key: str) -> Callable[[Any], int]:
    return lambda payload: int(payload[key])


def _none(payload: Any) -> None:
    return None


class _Calls:
    """The admin API's operations, as :class:`_AdminCall` values."""

    @staticmethod
    def get(path: str, params: dict[str, Any]) -> _AdminCall:
        return _AdminCall("GET", path, params=params)

    @staticmethod
    def post(path: str, json: Any = None) -> _AdminCall:
        return _AdminCall("POST", path, json=json)

    @staticmethod
    def delete(path: str) -> _AdminCall:
        return _AdminCall("DELETE", path)

    reset = _AdminCall("POST", "reset", parse=_none)
    health = _AdminCall("GET", "health")
    state = _AdminCall("GET", "state")
    unmatched = _AdminCall("GET", "requests/unmatched", parse=_entries)
    clear_requests = _AdminCall("DELETE", "requests", parse=_none)
    faults = _AdminCall("GET", "faults", parse=_rules)
    clear_faults = _AdminCall("DELETE", "faults", parse=_count("removed"))

    @staticmethod
    def seed(value: int) -> _AdminCall:
        return _AdminCall("POST", "seed", json={"seed": value}, parse=_none)

    @staticmethod
    def requests(
        flt: RequestFilter | None, criteria: dict[str, Any], limit: int | None = None
    ) -> _AdminCall:
        params = {} if limit is None else {"limit": limit}
        body = _filter_json(flt, criteria)
        return _AdminCall("POST", "requests/find", body, params=params, parse=_entries)

    @staticmethod
    def count(flt: RequestFilter | None, criteria: dict[str, Any]) -> _AdminCall:
        body = _filter_json(flt, criteria)
        return _AdminCall("POST", "requests/count", body, parse=_count("count"))

    @staticmethod
    def add_fault(
        fault: Fault, method: str | None, path: str | None, times: int | None, probability: float
    ) -> _AdminCall:
        rule = FaultRule(
            fault=fault, method=method, path=path, times=times, probability=probability
        )
        body = rule.model_dump(mode="json", exclude={"id", "fired"})
        return _AdminCall("POST", "faults", body, parse=_rule)

    @staticmethod
    def remove_fault(rule_id: str) -> _AdminCall:
        return _AdminCall("DELETE", f"faults/{rule_id}", parse=_none)


class AdminClient(Closing):
    """Sync client of one mock's ``/__admin`` API.

    ``base_url`` is the mock's URL (its ``/__admin`` URL works too); for a mock
    served over TLS give ``ssl_context`` (e.g. ``ssl.create_default_context(
    cafile=ca_bundle)``). Its calls bypass httpx mocking (respx), so a test can
    mock other hosts with respx and still reach the mock.
    """

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.base_url = _base(base_url)
        self._http = httpx.Client(
            base_url=self.base_url + ADMIN_PREFIX,
            transport=transport or LoopbackTransport(ssl_context),
            timeout=timeout,
        )

    @classmethod
    def for_app(cls, app: ASGIApp, base_url: str = _IN_PROCESS_URL) -> Self:
        """A client calling ``app`` in-process, with no server."""
        return cls(base_url, transport=SyncASGITransport(app))

    def _run(self, call: _AdminCall) -> Any:
        return call.result(self._http.send(call.request(self._http)))

    # Generic calls, for the service-specific admin routes (e.g. "messages").
    def get(self, path: str, **params: Any) -> Any:
        return self._run(_Calls.get(path, params))

    def post(self, path: str, json: Any = None) -> Any:
        return self._run(_Calls.post(path, json))

    def delete(self, path: str) -> Any:
        return self._run(_Calls.delete(path))

    def reset(self) -> None:
        self._run(_Calls.reset)

    def health(self) -> dict[str, Any]:
        return self._run(_Calls.health)  # type: ignore[no-any-return]

    def state(self) -> dict[str, Any]:
        return self._run(_Calls.state)  # type: ignore[no-any-return]

    def seed(self, value: int) -> None:
        self._run(_Calls.seed(value))

    def requests(
        self, flt: RequestFilter | None = None, *, limit: int | None = None, **criteria: Any
    ) -> list[JournalEntry]:
        """Journal entries meeting ``flt`` or keyword criteria (``RequestFilter`` fields);
        with ``limit`` only the newest ``limit`` of them (still oldest first)."""
        return self._run(_Calls.requests(flt, criteria, limit))  # type: ignore[no-any-return]

    def count(self, flt: RequestFilter | None = None, **criteria: Any) -> int:
        return self._run(_Calls.count(flt, criteria))  # type: ignore[no-any-return]

    def unmatched(self) -> list[JournalEntry]:
        return self._run(_Calls.unmatched)  # type: ignore[no-any-return]

    def clear_requests(self) -> None:
        self._run(_Calls.clear_requests)

    def faults(self) -> list[FaultRule]:
        return self._run(_Calls.faults)  # type: ignore[no-any-return]

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
        call = _Calls.add_fault(fault, method, path, times, probability)
        return self._run(call)  # type: ignore[no-any-return]

    def remove_fault(self, rule_id: str) -> None:
        self._run(_Calls.remove_fault(rule_id))

    def clear_faults(self) -> int:
        return self._run(_Calls.clear_faults)  # type: ignore[no-any-return]

    def close(self) -> None:
        self._http.close()


class AsyncAdminClient:
    """Async client of one mock's ``/__admin`` API; same methods as :class:`AdminClient`."""

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.base_url = _base(base_url)
        self._http = httpx.AsyncClient(
            base_url=self.base_url + ADMIN_PREFIX,
            transport=transport or AsyncLoopbackTransport(ssl_context),
            timeout=timeout,
        )

    @classmethod
    def for_app(cls, app: ASGIApp, base_url: str = _IN_PROCESS_URL) -> Self:
        return cls(base_url, transport=AsyncASGITransport(app))

    async def _run(self, call: _AdminCall) -> Any:
        return call.result(await self._http.send(call.request(self._http)))

    async def get(self, path: str, **params: Any) -> Any:
        return await self._run(_Calls.get(path, params))

    async def post(self, path: str, json: Any = None) -> Any:
        return await self._run(_Calls.post(path, json))

    async def delete(self, path: str) -> Any:
        return await self._run(_Calls.delete(path))

    async def reset(self) -> None:
        await self._run(_Calls.reset)

    async def health(self) -> dict[str, Any]:
        return await self._run(_Calls.health)  # type: ignore[no-any-return]

    async def state(self) -> dict[str, Any]:
        return await self._run(_Calls.state)  # type: ignore[no-any-return]

    async def seed(self, value: int) -> None:
        await self._run(_Calls.seed(value))

    async def requests(
        self, flt: RequestFilter | None = None, *, limit: int | None = None, **criteria: Any
    ) -> list[JournalEntry]:
        return await self._run(_Calls.requests(flt, criteria, limit))  # type: ignore[no-any-return]

    async def count(self, flt: RequestFilter | None = None, **criteria: Any) -> int:
        return await self._run(_Calls.count(flt, criteria))  # type: ignore[no-any-return]

    async def unmatched(self) -> list[JournalEntry]:
        return await self._run(_Calls.unmatched)  # type: ignore[no-any-return]

    async def clear_requests(self) -> None:
        await self._run(_Calls.clear_requests)

    async def faults(self) -> list[FaultRule]:
        return await self._run(_Calls.faults)  # type: ignore[no-any-return]

    async def add_fault(
        self,
        fault: Fault,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = None,
        probability: float = 1.0,
    ) -> FaultRule:
        call = _Calls.add_fault(fault, method, path, times, probability)
        return await self._run(call)  # type: ignore[no-any-return]

    async def remove_fault(self, rule_id: str) -> None:
        await self._run(_Calls.remove_fault(rule_id))

    async def clear_faults(self) -> int:
        return await self._run(_Calls.clear_faults)  # type: ignore[no-any-return]

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
