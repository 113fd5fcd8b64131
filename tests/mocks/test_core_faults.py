"""Each fault kind, its scope (route pattern or whole service) and its schedule, in both modes."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from mocks._core import (
    AdminError,
    ConnectionResetFault,
    EmptyResponseFault,
    FaultRule,
    LatencyFault,
    MalformedBodyFault,
    MockHandle,
    RateLimitFault,
    StatusFault,
    _middleware,  # its sleep is swapped for one the test can end
)

from ._toy import ToyBackend

EPSILON = 0.02


def test_next_two_calls_fail_with_503(toy: MockHandle[ToyBackend]) -> None:
    rule = toy.admin.add_fault(StatusFault(status=503, body={"error": "down"}), times=2)
    statuses = [toy.client.post("/items", json={"n": i}).status_code for i in range(4)]
    assert statuses == [503, 503, 201, 201]
    (stored,) = toy.admin.faults()
    assert (stored.id, stored.fired, stored.remaining) == (rule.id, 2, 0)
    # Faulted calls never reach the service, but they are journaled with the fault.
    assert len(toy.admin.state()["items"]) == 2
    assert [e.faults for e in toy.admin.requests()] == [["status"], ["status"], [], []]


def test_status_fault_body_and_headers(toy: MockHandle[ToyBackend]) -> None:
    toy.admin.add_fault(StatusFault(status=502, body="bad gateway", headers={"X-Why": "fault"}))
    response = toy.client.get("/items/x")
    assert (response.status_code, response.text, response.headers["x-why"]) == (
        502,
        "bad gateway",
        "fault",
    )


def test_fault_scoped_to_a_route_pattern(toy: MockHandle[ToyBackend]) -> None:
    toy.admin.add_fault(StatusFault(status=500), method="GET", path="/items/*")
    assert toy.client.get("/items/abc").status_code == 500
    assert toy.client.post("/items", json={}).status_code == 201
    assert toy.client.get("/other").status_code == 404


def test_faults_apply_to_unmatched_routes_too(toy: MockHandle[ToyBackend]) -> None:
    toy.admin.add_fault(StatusFault(status=418))
    assert toy.client.get("/nowhere").status_code == 418
    (entry,) = toy.admin.unmatched()
    assert entry.status == 418


@pytest.mark.parametrize(("probability", "expected"), [(0.0, 201), (1.0, 503)])
def test_probability_zero_and_one(
    toy: MockHandle[ToyBackend], probability: float, expected: int
) -> None:
    toy.admin.add_fault(StatusFault(status=503), probability=probability)
    assert {toy.client.post("/items", json={}).status_code for _ in range(10)} == {expected}


def test_probability_draws_replay_with_the_seed(toy: MockHandle[ToyBackend]) -> None:
    def run() -> list[int]:
        toy.reset()
        toy.admin.seed(1234)
        toy.admin.add_fault(StatusFault(status=503), probability=0.5)
        return [toy.client.get("/items/x").status_code for _ in range(20)]

    first = run()
    assert set(first) == {404, 503}  # both outcomes: the draw is real
    assert run() == first


def test_remove_fault_by_id_and_clear(toy: MockHandle[ToyBackend]) -> None:
    keep = toy.admin.add_fault(StatusFault(status=500), path="/a")
    gone = toy.admin.add_fault(StatusFault(status=501), path="/b")
    toy.admin.remove_fault(gone.id or "")
    assert [rule.id for rule in toy.admin.faults()] == [keep.id]
    with pytest.raises(AdminError, match="no fault with id") as info:
        toy.admin.remove_fault("fault-999")
    assert info.value.status == 404
    assert toy.admin.clear_faults() == 1
    assert toy.admin.faults() == []


def test_latency_fixed(toy: MockHandle[ToyBackend]) -> None:
    toy.admin.add_fault(LatencyFault(seconds=0.15), times=1)
    started = time.perf_counter()
    assert toy.client.post("/items", json={}).status_code == 201  # delayed, not replaced
    assert time.perf_counter() - started >= 0.15 - EPSILON
    assert toy.admin.requests()[0].faults == ["latency"]


def test_latency_random_range_then_status(toy: MockHandle[ToyBackend]) -> None:
    toy.admin.add_fault(LatencyFault(min_seconds=0.05, max_seconds=0.1))
    toy.admin.add_fault(StatusFault(status=504))
    started = time.perf_counter()
    assert toy.client.get("/items/x").status_code == 504
    assert time.perf_counter() - started >= 0.05 - EPSILON
    assert toy.admin.requests()[0].faults == ["latency", "status"]


def test_connection_reset_is_a_transport_error(toy: MockHandle[ToyBackend]) -> None:
    toy.admin.add_fault(ConnectionResetFault(), times=1)
    with pytest.raises(httpx.TransportError):
        toy.client.post("/items", json={})
    (entry,) = toy.admin.requests()
    assert entry.status is None
    assert entry.faults == ["connection_reset"]
    assert toy.client.post("/items", json={}).status_code == 201  # the mock lives on


def test_empty_response(toy: MockHandle[ToyBackend]) -> None:
    toy.admin.add_fault(EmptyResponseFault())
    response = toy.client.post("/items", json={})
    assert (response.status_code, response.content) == (200, b"")


def test_malformed_body(toy: MockHandle[ToyBackend]) -> None:
    toy.admin.add_fault(MalformedBodyFault())
    response = toy.client.post("/items", json={})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_rate_limit_with_service_headers(toy: MockHandle[ToyBackend]) -> None:
    toy.admin.add_fault(RateLimitFault(retry_after=7, body={"message": "slow down"}))
    response = toy.client.get("/items/x")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "7"
    assert response.headers["x-toy-ratelimit-remaining"] == "0"
    assert response.headers["x-toy-ratelimit-reset"] == "7"
    assert response.json() == {"message": "slow down"}


def test_bad_fault_specs_are_refused(toy: MockHandle[ToyBackend]) -> None:
    with pytest.raises(AdminError) as info:
        toy.admin.post("faults", {"fault": {"kind": "explode"}})
    assert info.value.status == 422
    with pytest.raises(AdminError):
        toy.admin.post("faults", {"fault": {"kind": "status", "status": 200}, "probability": 2})


@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "latency"},
        {"kind": "latency", "seconds": 1, "min_seconds": 0, "max_seconds": 2},
        {"kind": "latency", "min_seconds": 2, "max_seconds": 1},
        {"kind": "latency", "min_seconds": 1},
        {"kind": "status", "status": 99},
        {"kind": "rate_limit", "retry_after": -1},
        {"kind": "status", "status": 500, "unknown": 1},
    ],
)
def test_fault_models_validate(spec: dict) -> None:
    with pytest.raises(ValidationError):
        FaultRule.model_validate({"fault": spec})


class _ReleasableAsyncio:
    """Stands in for ``asyncio`` in the fault middleware: a latency sleep the test can end.

    The served mock runs in a thread of this process, so this works in both modes.
    """

    def __init__(self) -> None:
        self.released = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(asyncio, name)

    async def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while not self.released.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0)


def test_latency_does_not_block_other_calls(
    toy: MockHandle[ToyBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    releasable = _ReleasableAsyncio()
    monkeypatch.setattr(_middleware, "asyncio", releasable)
    toy.admin.add_fault(LatencyFault(seconds=60), path="/items/slow")
    with toy.new_client() as other:
        worker = threading.Thread(target=other.get, args=("/items/slow",))
        worker.start()
        try:
            deadline = time.monotonic() + 10
            while toy.admin.count(path="/items/slow") == 0:
                assert time.monotonic() < deadline, "the delayed call never reached the mock"
                time.sleep(0.01)
            # The delayed call is recorded and still waiting, yet the mock answers this one.
            assert toy.client.post("/items", json={}).status_code == 201
            assert worker.is_alive()
        finally:
            releasable.released.set()
            worker.join(timeout=10)
        assert not worker.is_alive()
