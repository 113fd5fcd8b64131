"""A toy service on the mock core, to test the core without any real service's rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from mocks._core import MockBackend, MockService, RateLimitFault


class ToyBackend(MockBackend):
    def __init__(self, *, seed: int | None = None) -> None:
        super().__init__(seed=seed)
        self.items: dict[str, dict[str, Any]] = {}

    def reset(self) -> None:
        super().reset()
        self.items.clear()

    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            item = {"id": self.ids.uuid(), "number": self.ids.numeric(digits=6), **data}
            self.items[item["id"]] = item
            return item

    def state(self) -> dict[str, Any]:
        return {"items": list(self.items.values())}


def toy_routes(backend: ToyBackend) -> APIRouter:
    router = APIRouter()

    @router.post("/items")
    async def create(request: Request) -> JSONResponse:
        try:
            data = await request.json()
        except ValueError:
            return JSONResponse({"error": "invalid json"}, status_code=400)
        return JSONResponse(backend.create(data), status_code=201)

    @router.get("/items/{item_id}")
    def read(item_id: str) -> JSONResponse:
        item = backend.items.get(item_id)
        if item is None:
            return JSONResponse({"error": "not found"}, status_code=404)
        return JSONResponse(item)

    return router


def toy_admin_routes(backend: ToyBackend) -> APIRouter:
    router = APIRouter()

    @router.get("/items")
    def items() -> dict[str, Any]:
        return {"items": list(backend.items.values())}

    return router


def toy_rate_limit_headers(fault: RateLimitFault) -> Mapping[str, str]:
    return {"X-Toy-RateLimit-Remaining": "0", "X-Toy-RateLimit-Reset": str(fault.retry_after)}


def create_toy(*, seed: int | None = None) -> MockService[ToyBackend]:
    return MockService(
        "toy",
        ToyBackend(seed=seed),
        toy_routes,
        admin_routes=toy_admin_routes,
        rate_limit_headers=toy_rate_limit_headers,
    )
