"""The journal records every service call, and its filters find them, in both modes."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mocks._core import AdminError, MockHandle, RequestFilter, json_contains

from ._toy import ToyBackend


def test_success_path_is_journaled_with_route_and_response(toy: MockHandle[ToyBackend]) -> None:
    response = toy.client.post("/items?source=test", json={"name": "Ada"})
    assert response.status_code == 201
    (entry,) = toy.admin.requests()
    assert (entry.method, entry.path, entry.route, entry.matched) == (
        "POST",
        "/items",
        "/items",
        True,
    )
    assert entry.query == {"source": ["test"]}
    assert entry.header("Content-Type") == "application/json"
    assert entry.body_json == {"name": "Ada"}
    assert entry.status == 201
    assert entry.response_body == response.content
    assert entry.duration is not None
    assert entry.duration >= 0


def test_unmatched_and_malformed_requests_are_journaled(toy: MockHandle[ToyBackend]) -> None:
    assert toy.client.get("/nowhere").status_code == 404
    assert toy.client.delete("/items").status_code == 405
    bad = toy.client.post("/items", content=b"\xff{not json", headers={"content-type": "text/x"})
    assert bad.status_code == 400
    entries = toy.admin.requests()
    assert [(e.method, e.path, e.matched, e.status) for e in entries] == [
        ("GET", "/nowhere", False, 404),
        ("DELETE", "/items", False, 405),
        ("POST", "/items", True, 400),
    ]
    malformed = entries[2]
    assert malformed.body == b"\xff{not json"
    assert malformed.body_text is None
    assert malformed.body_json is None
    assert [e.path for e in toy.admin.unmatched()] == ["/nowhere", "/items"]
    assert "no route for GET /nowhere" in toy.client.get("/nowhere").json()["message"]


def test_form_bodies_are_decoded(toy: MockHandle[ToyBackend]) -> None:
    toy.client.post("/items", data={"a": "1", "b": "two"})
    (entry,) = toy.admin.requests()
    assert entry.form == {"a": ["1"], "b": ["two"]}


def test_admin_calls_are_not_journaled(toy: MockHandle[ToyBackend]) -> None:
    toy.admin.health()
    toy.admin.requests()
    toy.admin.get("items")
    assert toy.admin.count() == 0


def _seed_traffic(toy: MockHandle[ToyBackend]) -> None:
    toy.client.post("/items", json={"name": "Ada", "tags": ["x", "y"]}, headers={"X-Trace": "a"})
    toy.client.post("/items", json={"name": "Bob"}, headers={"X-Trace": "b"})
    toy.client.get("/items/abc?full=1")
    toy.client.get("/missing/route")


@pytest.mark.parametrize(
    ("criteria", "paths"),
    [
        ({"method": "get"}, ["/items/abc", "/missing/route"]),
        ({"path": "/items"}, ["/items", "/items"]),
        ({"path_glob": "/items/*"}, ["/items/abc"]),
        ({"path_regex": r"/(items|missing)/\w+"}, ["/items/abc", "/missing/route"]),
        ({"headers": {"x-trace": "b"}}, ["/items"]),
        ({"query": {"full": "1"}}, ["/items/abc"]),
        ({"body_contains": "Ada"}, ["/items"]),
        ({"body_json": {"tags": ["x", "y"]}}, ["/items"]),
        ({"body_json": {"name": "Bob"}, "method": "POST"}, ["/items"]),
        ({"matched": False}, ["/missing/route"]),
        ({"matched": True, "method": "GET"}, ["/items/abc"]),
    ],
)
def test_filters(toy: MockHandle[ToyBackend], criteria: dict, paths: list[str]) -> None:
    _seed_traffic(toy)
    assert [e.path for e in toy.admin.requests(**criteria)] == paths
    assert toy.admin.count(RequestFilter(**criteria)) == len(paths)


def test_get_query_filters_match_find(toy: MockHandle[ToyBackend]) -> None:
    _seed_traffic(toy)
    found = toy.admin.get(
        "requests", method="POST", header="X-Trace:a", body_json='{"name": "Ada"}'
    )
    assert [r["path"] for r in found["requests"]] == ["/items"]
    assert found["requests"][0]["headers"]["x-trace"] == "a"
    assert toy.admin.get("requests/count", path_glob="/items*")["count"] == 3


def test_limit_keeps_the_newest_entries(toy: MockHandle[ToyBackend]) -> None:
    for name in ("a", "b", "c", "d"):
        toy.client.post("/items", json={"name": name})
    toy.client.get("/nowhere")
    newest = toy.admin.requests(limit=2, method="POST")
    assert [e.body_json["name"] for e in newest] == ["c", "d"]  # still oldest first
    assert toy.admin.requests(limit=0) == []
    listing = toy.admin.get("requests", limit=3)
    assert [e["path"] for e in listing["requests"]] == ["/items", "/items", "/nowhere"]
    assert (listing["count"], listing["total"]) == (3, 5)
    assert "total" not in toy.admin.get("requests")
    with pytest.raises(AdminError) as negative:
        toy.admin.get("requests", limit=-1)
    assert negative.value.status == 422


def test_since_filter(toy: MockHandle[ToyBackend]) -> None:
    toy.client.get("/items/old")
    toy.client.get("/items/new")
    old, new = toy.admin.requests()
    assert new.time > old.time
    # since keeps entries at or after it: the journal's own timestamps, no wall-clock race.
    assert [e.path for e in toy.admin.requests(since=new.time)] == ["/items/new"]
    assert [e.path for e in toy.admin.requests(since=old.time)] == ["/items/old", "/items/new"]
    assert toy.admin.count(since=old.time - timedelta(hours=1)) == 2


def test_bad_filters_are_refused_with_a_clear_error(toy: MockHandle[ToyBackend]) -> None:
    with pytest.raises(AdminError, match="path_regex does not compile"):
        toy.admin.get("requests", path_regex="(")
    with pytest.raises(AdminError, match=r"name:value"):
        toy.admin.get("requests", header="no-separator")
    with pytest.raises(ValueError, match="path_regex"):
        RequestFilter(path_regex="[")


def test_reset_isolates_state_journal_and_faults(toy: MockHandle[ToyBackend]) -> None:
    from mocks._core import StatusFault

    toy.client.post("/items", json={"n": 1})
    toy.admin.add_fault(StatusFault(status=500), path="/never")
    toy.reset()
    assert toy.admin.count() == 0
    assert toy.admin.faults() == []
    assert toy.admin.state() == {"items": []}


def test_clear_requests_keeps_state(toy: MockHandle[ToyBackend]) -> None:
    toy.client.post("/items", json={"n": 1})
    toy.admin.clear_requests()
    assert toy.admin.count() == 0
    assert len(toy.admin.state()["items"]) == 1


@pytest.mark.parametrize(
    ("actual", "expected", "result"),
    [
        ({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 2}}, True),
        ({"a": 1}, {"a": 2}, False),
        ({"a": 1}, {"b": 1}, False),
        ([1, {"x": 1, "y": 2}], [1, {"x": 1}], True),
        ([1, 2], [1], False),
        ({"flag": 1}, {"flag": True}, False),
        ({"n": 1.0}, {"n": 1}, True),
        ("text", {"a": 1}, False),
    ],
)
def test_json_contains(actual: object, expected: object, result: bool) -> None:
    assert json_contains(actual, expected) is result
