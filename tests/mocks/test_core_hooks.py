"""The service hooks of the core: unmatched answers, rate-limit answers, the status filter."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

from mocks._core import (
    MockHandle,
    MockService,
    RateLimitAnswer,
    RateLimitFault,
    RequestFilter,
    StatusFault,
)
from mocks.cloud_api import create_service as create_cloud_api
from mocks.crm.hubspot import HUBSPOT_TOKEN, HubSpotAdmin
from mocks.crm.hubspot import create_service as create_hubspot
from mocks.crm.salesforce import create_service as create_salesforce

from ._toy import ToyBackend, toy_routes


def teapot(scope: Scope) -> Response:
    return PlainTextResponse(f"no {scope['path']} here", status_code=418)


def quota(fault: RateLimitFault) -> RateLimitAnswer:
    return RateLimitAnswer(headers={"X-Quota": "0"}, body={"error": "slow down"})


@pytest.fixture(params=["asgi", "server"])
def shaped(request: pytest.FixtureRequest) -> Any:
    service = MockService(
        "shaped", ToyBackend(), toy_routes, unmatched=teapot, rate_limit_response=quota
    )
    with MockHandle(service, mode=request.param) as handle:
        yield handle


def test_unmatched_hook_answers_and_the_journal_still_says_unmatched(shaped: Any) -> None:
    answer = shaped.client.get("/nowhere")
    assert (answer.status_code, answer.text) == (418, "no /nowhere here")
    (entry,) = shaped.admin.unmatched()
    assert (entry.path, entry.matched, entry.status) == ("/nowhere", False, 418)
    assert shaped.client.post("/items", json={}).status_code == 201  # routes unaffected


def test_unknown_admin_paths_keep_the_core_404(shaped: Any) -> None:
    answer = shaped.client.get("/__admin/nowhere")
    assert answer.status_code == 404
    assert answer.json()["error"] == "unmatched"
    assert shaped.admin.count() == 0  # admin calls are never journaled


def test_rate_limit_hook_gives_headers_and_a_default_body(shaped: Any) -> None:
    shaped.admin.add_fault(RateLimitFault(retry_after=3), times=1)
    limited = shaped.client.post("/items", json={})
    assert limited.status_code == 429
    assert (limited.headers["Retry-After"], limited.headers["X-Quota"]) == ("3", "0")
    assert limited.json() == {"error": "slow down"}


def test_a_fault_body_and_headers_win_over_the_hook(shaped: Any) -> None:
    fault = RateLimitFault(body="try later", headers={"X-Quota": "7"})
    shaped.admin.add_fault(fault, times=1)
    limited = shaped.client.post("/items", json={})
    assert (limited.text, limited.headers["X-Quota"]) == ("try later", "7")
    assert limited.headers["content-type"].startswith("text/plain")


def test_both_rate_limit_hooks_at_once_is_refused() -> None:
    with pytest.raises(TypeError, match="not both"):
        MockService(
            "x",
            ToyBackend(),
            toy_routes,
            rate_limit_response=quota,
            rate_limit_headers=lambda fault: {},
        )


def test_status_filter_takes_one_code_or_a_list(toy: Any) -> None:
    toy.admin.add_fault(StatusFault(status=503), times=2)
    for _ in range(3):
        toy.client.post("/items", json={})
    toy.client.get("/items/missing")
    assert [e.status for e in toy.admin.requests(status=503)] == [503, 503]
    assert toy.admin.count(status=201) == 1
    assert toy.admin.count(status=[201, 404]) == 2
    assert toy.admin.count(RequestFilter(status=[500])) == 0
    listed = toy.client.get("/__admin/requests", params=[("status", "503"), ("status", "404")])
    assert listed.json()["count"] == 3


@pytest.mark.parametrize(
    ("factory", "body_key"),
    [(create_hubspot, "errorType"), (create_salesforce, 0), (create_cloud_api, "error")],
)
def test_real_services_shape_a_bare_rate_limit_fault(factory: Any, body_key: Any) -> None:
    with MockHandle(factory()) as handle:
        handle.admin.add_fault(RateLimitFault(), times=1)
        limited = handle.client.get("/anything")
        assert limited.status_code == 429
        assert limited.json()[body_key]
        assert handle.client.get("/__admin/nowhere").json()["error"] == "unmatched"


def test_hubspot_rate_limit_helper_keeps_its_policy() -> None:
    with MockHandle(create_hubspot()) as hubspot:
        HubSpotAdmin(hubspot.admin).rate_limit(policy="DAILY", retry_after=5)
        limited = hubspot.client.get(
            "/crm/v3/objects/contacts", headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"}
        )
        assert limited.status_code == 429
        assert limited.json()["policyName"] == "DAILY"
        assert limited.headers["X-HubSpot-RateLimit-Remaining"] == "0"
        assert limited.headers["Retry-After"] == "5"
