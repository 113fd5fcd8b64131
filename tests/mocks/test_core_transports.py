"""How clients reach a mock: timeouts in-process, TLS, and respx leaving the mocks alone."""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable

import httpx
import pytest
import respx

from mocks._core import (
    AdminClient,
    LatencyFault,
    LoopbackTLS,
    MockHandle,
    MockService,
    ThreadedServer,
)

from ._toy import create_toy

pytestmark = pytest.mark.anyio

DELAY = 2.0  # the fault's delay; the clients give up after TIMEOUT
TIMEOUT = 0.3


def _eventually(check: Callable[[], bool], deadline: float = 15.0) -> None:
    end = time.monotonic() + deadline
    while not check():
        assert time.monotonic() < end, "condition not met before the deadline"
        time.sleep(0.05)


def _slow(service: MockService) -> None:  # type: ignore[type-arg]
    service.admin().add_fault(LatencyFault(seconds=DELAY), method="POST", times=1)


def test_in_process_sync_client_times_out_and_the_call_goes_on() -> None:
    with create_toy() as service:
        _slow(service)
        client = service.client(timeout=TIMEOUT)
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout, match="read timeout"):
            client.post("/items", json={"name": "slow"})
        assert time.monotonic() - started < DELAY
        # as on a server, the mock finishes the call the client gave up on
        admin = service.admin()
        _eventually(lambda: admin.count(method="POST", status=201) == 1)


async def test_in_process_async_client_times_out() -> None:
    with create_toy() as service:
        _slow(service)
        async with service.async_client(timeout=TIMEOUT) as client:
            started = time.monotonic()
            with pytest.raises(httpx.ReadTimeout):
                await client.post("/items", json={"name": "slow"})
            assert time.monotonic() - started < DELAY
            assert (await client.get("/items/none")).status_code == 404


def test_respx_routed_calls_time_out() -> None:
    with create_toy() as service, respx.mock(assert_all_called=False) as router:
        _slow(service)
        service.respx_route(router, "https://api.toy.example")
        with (
            httpx.Client(base_url="https://api.toy.example", timeout=TIMEOUT) as http,
            pytest.raises(httpx.ReadTimeout),
        ):
            http.post("/items", json={"name": "slow"})


def test_no_timeout_waits_for_the_answer() -> None:
    with create_toy() as service:
        service.admin().add_fault(LatencyFault(seconds=0.2), times=1)
        client = service.client(timeout=None)
        assert client.post("/items", json={"name": "patient"}).status_code == 201


def test_tls_server_needs_its_ca() -> None:
    tls = LoopbackTLS.create()
    try:
        with ThreadedServer(create_toy().app, tls=tls) as server:
            assert server.url.startswith("https://127.0.0.1:")
            trusted = httpx.get(server.url + "/items/x", verify=tls.ssl_context())
            assert trusted.status_code == 404
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                httpx.get(server.url + "/items/x", verify=ssl.create_default_context())
            localhost = server.url.replace("127.0.0.1", "localhost")
            assert httpx.get(localhost + "/items/x", verify=tls.ssl_context()).status_code == 404
            with AdminClient(server.url + "/__admin", ssl_context=tls.ssl_context()) as admin:
                assert admin.count() == 2  # the refused handshake never reached the app
    finally:
        tls.cleanup()
    assert not tls.directory.exists()


def test_tls_needs_a_server() -> None:
    with pytest.raises(ValueError, match="TLS needs a server"):
        MockHandle(create_toy(), mode="asgi", tls=LoopbackTLS.create())


def test_served_handle_and_admin_ignore_respx() -> None:
    with MockHandle.served(create_toy()) as toy, respx.mock(assert_all_mocked=True) as router:
        router.get("https://elsewhere.example/").respond(204)
        assert toy.client.post("/items", json={"name": "direct"}).status_code == 201
        assert toy.admin.count() == 1
        toy.reset()
        assert httpx.get("https://elsewhere.example/").status_code == 204
        # the app's own httpx calls to the mock: the one line that lets them through
        router.route(host="127.0.0.1").pass_through()
        assert httpx.post(toy.url + "/items", json={"name": "app"}).status_code == 201


def test_respx_mock_fixture_beside_each_flowharness_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx
        import pytest

        NAMES = ["slack", "teams", "cloud_api", "hubspot", "salesforce", "smtp"]

        @pytest.mark.parametrize("name", NAMES)
        def test_beside(request, respx_mock, name):
            mock = request.getfixturevalue(f"mock_{name}")  # set-up resets it: no respx error
            respx_mock.get("https://partner.example/ping").respond(200, json={"ok": True})
            assert httpx.get("https://partner.example/ping").json() == {"ok": True}
            assert mock.admin.count() == 0
            if name != "smtp":
                respx_mock.route(host="127.0.0.1").pass_through()
                answer = httpx.get(mock.url + "/__admin/health", verify=mock.ssl_context() or True)
                assert answer.json()["status"] == "ok"
        """
    )
    pytester.runpytest().assert_outcomes(passed=6)
