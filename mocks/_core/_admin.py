"""The admin API every mock serves under ``/__admin`` (WireMock-style).

Routes (JSON in, JSON out):

- ``POST /reset``: forget state, journal and faults; the RNG restarts from its seed
- ``GET /requests`` (filters as query params), ``POST /requests/find`` (a
  :class:`RequestFilter` body): ``{"requests": [...], "count": n}``; ``?limit=N``
  keeps the newest N (and adds ``"total"``, how many matched)
- ``GET|POST /requests/count``: ``{"count": n}``; ``GET /requests/unmatched``
- ``DELETE /requests``: clear the journal only
- ``GET /faults``, ``POST /faults`` (a :class:`FaultRule`, answers 201 with its
  ``id``), ``DELETE /faults``, ``DELETE /faults/{id}``
- ``POST /seed`` ``{"seed": n}``, ``GET /health``, ``GET /state``

Query parameters of ``GET /requests`` and ``GET /requests/count``: ``method``,
``path``, ``path_glob``, ``path_regex``, ``header=Name:value`` and
``query=name=value`` (repeatable), ``body_contains``, ``body_json`` (a JSON
document), ``matched``, ``status`` (repeatable: any of them), ``since`` (ISO 8601).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query
from pydantic import BaseModel, ValidationError

from mocks._core._backend import MockBackend
from mocks._core._faults import FaultBook, FaultRule
from mocks._core._journal import Journal, RequestFilter

__all__ = ["SeedRequest"]  # build_admin_router is internal to MockService


class SeedRequest(BaseModel):
    seed: int


def build_admin_router(
    *,
    name: str,
    backend: MockBackend,
    journal: Journal,
    faults: FaultBook,
    reset: Callable[[], None],
) -> APIRouter:
    """The core admin routes, relative to the admin prefix."""
    router = APIRouter(tags=["admin"])

    @router.post("/reset")
    def reset_all() -> dict[str, str]:
        reset()
        return {"status": "reset"}

    @router.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", "service": name, "requests": len(journal)}

    @router.get("/state")
    def state() -> dict[str, Any]:
        with backend.lock:
            return backend.state()

    @router.post("/seed")
    def seed(body: SeedRequest) -> dict[str, int]:
        backend.seed(body.seed)
        return {"seed": body.seed}

    @router.get("/requests")
    def list_requests(
        flt: Annotated[RequestFilter, _query_filter], limit: _Limit = None
    ) -> dict[str, Any]:
        return _listing(journal, flt, limit)

    @router.post("/requests/find")
    def find_requests(
        flt: Annotated[RequestFilter | None, Body()] = None, limit: _Limit = None
    ) -> dict[str, Any]:
        return _listing(journal, flt, limit)

    @router.get("/requests/count")
    def count_get(flt: Annotated[RequestFilter, _query_filter]) -> dict[str, int]:
        return {"count": journal.count(flt)}

    @router.post("/requests/count")
    def count_post(flt: Annotated[RequestFilter | None, Body()] = None) -> dict[str, int]:
        return {"count": journal.count(flt)}

    @router.get("/requests/unmatched")
    def unmatched() -> dict[str, Any]:
        return _listing(journal, RequestFilter(matched=False))

    @router.delete("/requests")
    def clear_requests() -> dict[str, str]:
        journal.clear()
        return {"status": "cleared"}

    @router.get("/faults")
    def list_faults() -> dict[str, Any]:
        return {"faults": [_rule_json(rule) for rule in faults.rules()]}

    @router.post("/faults", status_code=201)
    def add_fault(rule: FaultRule) -> dict[str, Any]:
        return _rule_json(faults.add(rule))

    @router.delete("/faults")
    def clear_faults() -> dict[str, Any]:
        return {"status": "cleared", "removed": faults.clear()}

    @router.delete("/faults/{rule_id}")
    def remove_fault(rule_id: str) -> dict[str, Any]:
        rule = faults.remove(rule_id)
        if rule is None:
            raise HTTPException(
                404, f"no fault with id {rule_id!r}; list them at GET /__admin/faults"
            )
        return _rule_json(rule)

    return router


_Limit = Annotated[
    int | None, Query(ge=0, description="only the newest N matching entries (still oldest first)")
]


def _listing(
    journal: Journal, flt: RequestFilter | None, limit: int | None = None
) -> dict[str, Any]:
    entries = journal.entries(flt, limit)
    listing: dict[str, Any] = {
        "requests": [e.model_dump(mode="json") for e in entries],
        "count": len(entries),
    }
    if limit is not None:
        listing["total"] = journal.count(flt)
    return listing


def _rule_json(rule: FaultRule) -> dict[str, Any]:
    return {**rule.model_dump(mode="json"), "remaining": rule.remaining}


def _filter_from_query(
    method: str | None = None,
    path: str | None = None,
    path_glob: str | None = None,
    path_regex: str | None = None,
    header: Annotated[list[str] | None, Query(description="Name:value")] = None,
    query: Annotated[list[str] | None, Query(description="name=value")] = None,
    body_contains: str | None = None,
    body_json: Annotated[str | None, Query(description="a JSON document")] = None,
    matched: bool | None = None,
    status: Annotated[list[int] | None, Query(description="response status (repeatable)")] = None,
    since: datetime | None = None,
) -> RequestFilter:
    try:
        return RequestFilter(
            method=method,
            path=path,
            path_glob=path_glob,
            path_regex=path_regex,
            headers=_pairs(header, ":", "header"),
            query=_pairs(query, "=", "query"),
            body_contains=body_contains,
            body_json=json.loads(body_json) if body_json is not None else None,
            matched=matched,
            status=status,
            since=since,
        )
    except (ValidationError, ValueError) as exc:
        raise HTTPException(422, f"bad request filter: {exc}") from exc


def _pairs(items: list[str] | None, sep: str, what: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items or []:
        key, found, value = item.partition(sep)
        if not found or not key:
            raise ValueError(f"{what} filter must look like 'name{sep}value', got {item!r}")
        pairs[key.strip()] = value.strip()
    return pairs


_query_filter = Depends(_filter_from_query)
