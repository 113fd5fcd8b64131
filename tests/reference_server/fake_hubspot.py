"""A tiny HubSpot contacts API for worker tests: real HTTP, controllable failures.

Used until ``mocks.crm.hubspot`` lands: served over loopback with uvicorn (a worker in
another process can reach it) or in-process through ``httpx.ASGITransport``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse


@dataclass
class FakeHubSpot:
    """Contacts keyed by id; ``create_delay`` slows creates, ``is_down()`` answers 503."""

    create_delay: float = 0.0
    hang_creates: int = 0
    """The first N creates hang until the client goes away, and write nothing."""
    is_down: Callable[[], bool] = lambda: False
    contacts: dict[str, dict[str, str]] = field(default_factory=dict)
    create_calls: int = 0
    unavailable_answers: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.middleware("http")
        async def outage(request: Request, call_next: Any) -> Any:
            if self.is_down():
                self.unavailable_answers += 1
                return JSONResponse({"message": "down"}, status_code=503)
            return await call_next(request)

        @app.post("/crm/v3/objects/contacts/search")
        async def search(body: dict[str, Any]) -> dict[str, Any]:
            wanted = body["filterGroups"][0]["filters"][0]["value"]
            found = [
                {"id": cid, "properties": props}
                for cid, props in self.contacts.items()
                if props.get("phone") == wanted
            ]
            return {"total": len(found), "results": found[:1]}

        @app.post("/crm/v3/objects/contacts", status_code=201)
        async def create(request: Request, body: dict[str, Any]) -> Any:
            self.create_calls += 1
            if self.create_calls <= self.hang_creates:
                # like a CRM that never commits: hang until the caller goes away
                while not await request.is_disconnected():
                    await asyncio.sleep(0.05)
                return JSONResponse({"message": "client gone"}, status_code=499)
            if self.create_delay:
                await asyncio.sleep(self.create_delay)
            contact_id = str(len(self.contacts) + 1)
            self.contacts[contact_id] = dict(body["properties"])
            return {"id": contact_id, "properties": body["properties"]}

        @app.patch("/crm/v3/objects/contacts/{contact_id}")
        async def update(contact_id: str, body: dict[str, Any]) -> Any:
            if contact_id not in self.contacts:
                return JSONResponse({"message": "not found"}, status_code=404)
            self.contacts[contact_id].update(body["properties"])
            return {"id": contact_id, "properties": self.contacts[contact_id]}

        return app

    def references(self) -> list[str]:
        """``flow_lead_reference`` of every contact, in creation order."""
        return [c.get("flow_lead_reference", "") for c in self.contacts.values()]
