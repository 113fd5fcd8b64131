"""Running modes: in-process clients, ThreadedServer, respx, async admin, exports."""

from __future__ import annotations

from types import ModuleType

import httpx
import pytest
import respx
from fastapi import APIRouter

import mocks._core as core
from mocks._core import (
    AdminClient,
    AsyncAdminClient,
    MockBackend,
    MockHandle,
    MockService,
    StatusFault,
    ThreadedServer,
)

from ._toy import ToyBackend, create_toy

pytestmark = pytest.mark.anyio


def test_exports_are_what_they_claim() -> None:
    assert all(hasattr(core, name) for name in core.__all__)
    assert sorted(core.__all__) == core.__all__
    # The flat namespace re-exports every public name of the private modules.
    modules = [m for n, m in vars(core).items() if isinstance(m, ModuleType) and n != "exceptions"]
    for module in [*modules, core.exceptions]:
        missing = set(getattr(module, "__all__", [])) - set(core.__all__)
        assert not missing, f"{module.__name__} exports {missing} not in mocks._core.__all__"


def test_service_context_manager_and_clients() -> None:
    with create_toy() as service:
        client = service.client()
        assert client.post("/items", json={"a": 1}).status_code == 201
        assert service.admin().count(method="POST") == 1
        server = service.serve()
        assert httpx.get(server.url + "/items/missing").status_code == 404
        assert service.admin().count() == 2  # both paths share one journal
    assert not server.running
    assert client.is_closed


def test_threaded_server_start_stop() -> None:
    service = create_toy()
    with ThreadedServer(service.app) as server:
        assert server.url.startswith("http://127.0.0.1:")
        with AdminClient(server.url) as admin:
            assert admin.health() == {"status": "ok", "service": "toy", "requests": 0}
    assert not server.running
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


def test_respx_routes_sync_client_through_the_app() -> None:
    service = create_toy()
    with respx.mock(assert_all_called=False) as router:
        route = service.respx_route(router, "https://api.toy.example")
        with httpx.Client(base_url="https://api.toy.example") as http:
            created = http.post("/items", json={"name": "via respx"})
            assert created.status_code == 201
            assert http.get(f"/items/{created.json()['id']}").json()["name"] == "via respx"
    assert route.call_count == 2
    assert [e.path for e in service.journal.entries()] == [
        "/items",
        f"/items/{created.json()['id']}",
    ]


async def test_respx_routes_async_client_with_faults() -> None:
    service = create_toy()
    service.admin().add_fault(StatusFault(status=503), times=1)
    with respx.mock(assert_all_called=False) as router:
        service.respx_route(router, "https://api.toy.example")
        async with httpx.AsyncClient(base_url="https://api.toy.example") as http:
            assert (await http.post("/items", json={})).status_code == 503
            assert (await http.post("/items", json={})).status_code == 201
    assert service.journal.count() == 2


async def test_respx_connection_reset_is_a_transport_error() -> None:
    service = create_toy()
    service.admin().add_fault(core.ConnectionResetFault())
    with respx.mock(assert_all_called=False) as router:
        service.respx_route(router)
        async with httpx.AsyncClient(base_url=service.base_url) as http:
            with pytest.raises(httpx.TransportError):
                await http.get("/items/x")


@pytest.mark.parametrize("mode", ["asgi", "server"])
async def test_async_admin_client(mode: str) -> None:
    with MockHandle(create_toy(), mode=mode) as toy:  # type: ignore[arg-type]
        async with toy.async_client() as http, toy.async_admin() as admin:
            assert (await http.post("/items", json={"n": 1})).status_code == 201
            assert await admin.count(method="POST") == 1
            rule = await admin.add_fault(StatusFault(status=500), times=1)
            assert [r.id for r in await admin.faults()] == [rule.id]
            assert (await http.get("/nope")).status_code == 500
            assert [e.path for e in await admin.unmatched()] == ["/nope"]
            assert (await admin.requests(method="POST"))[0].body_json == {"n": 1}
            await admin.seed(3)
            assert (await admin.health())["requests"] == 2
            assert len((await admin.state())["items"]) == 1
            await admin.clear_requests()
            assert await admin.clear_faults() == 1
            await admin.reset()
            assert await admin.count() == 0


def test_admin_client_refuses_mixed_filters(toy: MockHandle[ToyBackend]) -> None:
    with pytest.raises(TypeError, match="either"):
        toy.admin.requests(core.RequestFilter(method="GET"), path="/x")


def test_handle_rejects_unknown_mode() -> None:
    with pytest.raises(ValueError, match="mode"):
        MockHandle(create_toy(), mode="carrier-pigeon")  # type: ignore[arg-type]


def test_service_names_and_nested_routers_are_checked() -> None:
    def nested(backend: MockBackend) -> APIRouter:
        outer, inner = APIRouter(), APIRouter()
        inner.add_api_route("/x", lambda: {})
        outer.include_router(inner)
        return outer

    with pytest.raises(ValueError, match="flat APIRouter"):
        MockService("nested", MockBackend(), nested)
    with pytest.raises(ValueError, match="lower-case"):
        MockService("Bad Name", ToyBackend(), lambda backend: APIRouter())


def test_async_admin_for_app_type() -> None:
    assert isinstance(create_toy().async_admin(), AsyncAdminClient)
