"""The HubSpot contacts mock answers like HubSpot's CRM v3 API, in both modes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mocks._core import MockHandle
from mocks.crm.hubspot import HUBSPOT_TOKEN, HubSpotAdmin, create_service

CONTACTS = "/crm/v3/objects/contacts"


def _create(hubspot: MockHandle[Any], **properties: Any) -> dict[str, Any]:
    response = hubspot.client.post(CONTACTS, json={"properties": properties})
    assert response.status_code == 201, response.text
    return dict(response.json())


def _error(response: Any, status: int, category: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = dict(response.json())
    assert body["status"] == "error"
    assert body["category"] == category
    assert body["correlationId"]
    return body


def test_create_returns_the_record_shape(hubspot: MockHandle[Any]) -> None:
    contact = _create(hubspot, email="Ada@Example.com", firstname="Ada", age=36, vip=True)
    props = contact["properties"]
    assert contact["id"].isdigit()
    assert contact["archived"] is False
    assert props["email"] == "ada@example.com"
    assert (props["age"], props["vip"]) == ("36", "true")
    assert props["hs_object_id"] == contact["id"]
    assert props["createdate"] == contact["createdAt"]
    assert props["lastmodifieddate"] == contact["updatedAt"]
    assert contact["createdAt"].endswith("Z")


def test_read_by_id_and_by_email(hubspot: MockHandle[Any]) -> None:
    contact = _create(hubspot, email="ada@example.com", firstname="Ada", company="AE")
    by_id = hubspot.client.get(f"{CONTACTS}/{contact['id']}").json()
    assert by_id["properties"]["firstname"] == "Ada"
    assert by_id["properties"]["lastname"] is None  # default properties, unset ones null
    assert "company" not in by_id["properties"]
    by_email = hubspot.client.get(
        f"{CONTACTS}/ADA@example.com", params={"idProperty": "email", "properties": "company"}
    ).json()
    assert by_email["id"] == contact["id"]
    assert by_email["properties"] == {"company": "AE"}


def test_update_changes_properties(hubspot: MockHandle[Any]) -> None:
    contact = _create(hubspot, email="ada@example.com")
    response = hubspot.client.patch(
        f"{CONTACTS}/{contact['id']}", json={"properties": {"lastname": "Lovelace"}}
    )
    assert response.status_code == 200
    assert response.json()["properties"]["lastname"] == "Lovelace"
    stored = HubSpotAdmin(hubspot.admin).contact(contact["id"])
    assert stored.properties["lastname"] == "Lovelace"
    assert stored.updated_at >= stored.created_at


def test_search_filters_and_pages(hubspot: MockHandle[Any]) -> None:
    for name in ("ada", "bob", "cy"):
        _create(hubspot, email=f"{name}@example.com", firstname=name.title(), phone=f"+1555{name}")
    _create(hubspot, email="dee@other.org", firstname="Dee")

    def search(body: dict[str, Any]) -> dict[str, Any]:
        response = hubspot.client.post(f"{CONTACTS}/search", json=body)
        assert response.status_code == 200, response.text
        return dict(response.json())

    eq = {"propertyName": "email", "operator": "EQ", "value": "BOB@example.com"}
    found = search({"filterGroups": [{"filters": [eq]}], "properties": ["phone"]})
    assert found["total"] == 1
    assert found["results"][0]["properties"]["phone"] == "+1555bob"
    assert "paging" not in found
    token = {"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@example.com"}
    neq = {"propertyName": "firstname", "operator": "NEQ", "value": "ada"}
    found = search({"filterGroups": [{"filters": [token, neq]}], "limit": 1})
    assert found["total"] == 2
    assert found["paging"] == {"next": {"after": "1"}}
    rest = search({"filterGroups": [{"filters": [token, neq]}], "limit": 1, "after": "1"})
    names = {
        found["results"][0]["properties"]["firstname"],
        rest["results"][0]["properties"]["firstname"],
    }
    assert names == {"Bob", "Cy"}
    either = {
        "filterGroups": [
            {"filters": [eq]},
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "dee"}]},
        ]
    }
    assert search(either)["total"] == 2
    assert (
        search(
            {
                "filterGroups": [
                    {"filters": [{"propertyName": "phone", "operator": "NOT_HAS_PROPERTY"}]}
                ]
            }
        )["total"]
        == 1
    )


def test_batch_upsert_creates_and_updates(hubspot: MockHandle[Any]) -> None:
    existing = _create(hubspot, email="ada@example.com", whatsapp_phone="+15550001")
    body = {
        "inputs": [
            {"idProperty": "whatsapp_phone", "id": "+15550001", "properties": {"firstname": "Ada"}},
            {"idProperty": "whatsapp_phone", "id": "+15550002", "properties": {"firstname": "Bob"}},
        ]
    }
    response = hubspot.client.post(f"{CONTACTS}/batch/upsert", json=body)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["status"] == "COMPLETE"
    first, second = answer["results"]
    assert (first["id"], first["new"]) == (existing["id"], False)
    assert second["new"] is True
    assert second["properties"]["whatsapp_phone"] == "+15550002"
    admin = HubSpotAdmin(hubspot.admin)
    assert admin.contact_by("whatsapp_phone", "+15550001").properties["firstname"] == "Ada"  # type: ignore[union-attr]
    assert len(admin.contacts()) == 2


def test_batch_read_reports_missing_ids(hubspot: MockHandle[Any]) -> None:
    contact = _create(hubspot, email="ada@example.com")
    body = {"inputs": [{"id": contact["id"]}, {"id": "999"}], "properties": ["email"]}
    response = hubspot.client.post(f"{CONTACTS}/batch/read", json=body)
    assert response.status_code == 207
    answer = response.json()
    assert [r["properties"]["email"] for r in answer["results"]] == ["ada@example.com"]
    assert answer["errors"][0]["context"]["ids"] == ["999"]


@pytest.mark.parametrize(
    ("properties", "code", "field"),
    [
        ({"email": "not-an-email"}, "INVALID_EMAIL", "email"),
        ({"hs_object_id": "1"}, "READ_ONLY_VALUE", "hs_object_id"),
    ],
)
def test_validation_error_shape(
    hubspot: MockHandle[Any], properties: dict[str, str], code: str, field: str
) -> None:
    body = _error(
        hubspot.client.post(CONTACTS, json={"properties": properties}), 400, "VALIDATION_ERROR"
    )
    assert body["message"].startswith("Property values were not valid: ")
    details = json.loads(body["message"].removeprefix("Property values were not valid: "))
    assert details[0]["error"] == code
    (error,) = body["errors"]
    assert error["code"] == code
    assert error["context"] == {"propertyName": [field]}
    assert HubSpotAdmin(hubspot.admin).contacts() == []


def test_conflict_on_unique_properties(hubspot: MockHandle[Any]) -> None:
    first = _create(hubspot, email="ada@example.com", whatsapp_phone="+15550001")
    for duplicate in ({"email": "ADA@example.com"}, {"whatsapp_phone": "+15550001"}):
        body = _error(
            hubspot.client.post(CONTACTS, json={"properties": duplicate}), 409, "CONFLICT"
        )
        assert body["message"] == f"Contact already exists. Existing ID: {first['id']}"
    other = _create(hubspot, email="bob@example.com")
    patch = hubspot.client.patch(
        f"{CONTACTS}/{other['id']}", json={"properties": {"email": "ada@example.com"}}
    )
    _error(patch, 409, "CONFLICT")


def test_rules_change_through_admin_until_reset(hubspot: MockHandle[Any]) -> None:
    admin = HubSpotAdmin(hubspot.admin)
    admin.set_rules(required=["lastname"], max_lengths={"firstname": 3})
    body = _error(
        hubspot.client.post(CONTACTS, json={"properties": {"firstname": "Adalind"}}),
        400,
        "VALIDATION_ERROR",
    )
    assert {e["code"] for e in body["errors"]} == {
        "MISSING_REQUIRED_PROPERTY",
        "MAX_LENGTH_EXCEEDED",
    }
    hubspot.reset()
    assert admin.rules().required == ()
    assert admin.rules().unique == ("email", "whatsapp_phone")
    _create(hubspot, firstname="Adalind")


def test_not_found(hubspot: MockHandle[Any]) -> None:
    _error(hubspot.client.get(f"{CONTACTS}/123"), 404, "OBJECT_NOT_FOUND")
    _error(
        hubspot.client.patch(f"{CONTACTS}/123", json={"properties": {}}), 404, "OBJECT_NOT_FOUND"
    )
    _error(
        hubspot.client.get(f"{CONTACTS}/x@y.com", params={"idProperty": "email"}),
        404,
        "OBJECT_NOT_FOUND",
    )


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic abc", "Bearer"])
def test_auth_failures(hubspot: MockHandle[Any], authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    with hubspot.new_client(headers=headers) as anonymous:
        response = anonymous.post(CONTACTS, json={"properties": {"email": "a@b.com"}})
    body = _error(response, 401, "INVALID_AUTHENTICATION")
    assert set(body) >= {"status", "message", "correlationId", "category"}
    assert HubSpotAdmin(hubspot.admin).contacts() == []


def test_configured_tokens_only() -> None:
    with MockHandle.in_process(create_service(tokens=["pat-eu1-good"])) as hubspot:
        good = hubspot.client.get(CONTACTS, headers={"Authorization": "Bearer pat-eu1-good"})
        bad = hubspot.client.get(CONTACTS, headers={"Authorization": f"Bearer {HUBSPOT_TOKEN}"})
    assert (good.status_code, bad.status_code) == (200, 401)


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"properties": ', "application/json", 400),
        (b"", "application/json", 400),
        (b'{"properties": "x"}', "application/json", 400),
        (b'{"properties": {"email": {"a": 1}}}', "application/json", 400),
        (b"email=a@b.com", "application/x-www-form-urlencoded", 415),
    ],
)
def test_bad_input(
    hubspot: MockHandle[Any], content: bytes, content_type: str, status: int
) -> None:
    response = hubspot.client.post(
        CONTACTS, content=content, headers={"content-type": content_type}
    )
    _error(response, status, "VALIDATION_ERROR")
    (entry,) = hubspot.admin.requests()
    assert (entry.matched, entry.status, entry.body) == (True, status, content)


def test_unknown_route_is_a_hubspot_404_and_journaled_unmatched(hubspot: MockHandle[Any]) -> None:
    _error(hubspot.client.get("/crm/v3/objects/widgets"), 404, "OBJECT_NOT_FOUND")
    assert [e.path for e in hubspot.admin.unmatched()] == ["/crm/v3/objects/widgets"]


def test_record_urls_and_state(hubspot: MockHandle[Any]) -> None:
    contact = _create(hubspot, email="ada@example.com")
    url = HubSpotAdmin(hubspot.admin).record_url(contact["id"])
    assert url == f"https://app.hubspot.com/contacts/12345678/record/0-1/{contact['id']}"
    state = hubspot.admin.state()
    assert state["portalId"] == 12345678
    assert [(c["id"], c["url"]) for c in state["contacts"]] == [(contact["id"], url)]


def test_portal_id_is_configurable() -> None:
    with MockHandle.in_process(
        create_service(portal_id=999, app_url="https://app-eu1.hubspot.com")
    ) as hs:
        hs.client.headers["Authorization"] = f"Bearer {HUBSPOT_TOKEN}"
        contact = hs.client.post(CONTACTS, json={"properties": {"email": "a@b.com"}}).json()
        url = HubSpotAdmin(hs.admin).record_url(contact["id"])
    assert url == f"https://app-eu1.hubspot.com/contacts/999/record/0-1/{contact['id']}"


def test_every_answer_reports_the_quota(hubspot: MockHandle[Any]) -> None:
    first = hubspot.client.get(CONTACTS)
    second = hubspot.client.get(CONTACTS)
    daily = [int(r.headers["X-HubSpot-RateLimit-Daily-Remaining"]) for r in (first, second)]
    assert daily[0] - daily[1] == 1
    assert int(first.headers["X-HubSpot-RateLimit-Remaining"]) < int(
        first.headers["X-HubSpot-RateLimit-Max"]
    )


def test_archive_hides_the_contact(hubspot: MockHandle[Any]) -> None:
    contact = _create(hubspot, email="ada@example.com")
    assert hubspot.client.delete(f"{CONTACTS}/{contact['id']}").status_code == 204
    assert hubspot.client.get(f"{CONTACTS}/{contact['id']}").status_code == 404
    assert HubSpotAdmin(hubspot.admin).contacts()[0].archived is True
    _create(hubspot, email="ada@example.com")  # the email is free again


def test_bad_rules_are_refused(hubspot: MockHandle[Any]) -> None:
    from mocks._core import AdminError

    with pytest.raises(AdminError) as info:
        HubSpotAdmin(hubspot.admin).set_rules(max_lengths={"email": "long"})
    assert info.value.status == 422
    assert HubSpotAdmin(hubspot.admin).rules().max_lengths == {}


def _token(hubspot: MockHandle[Any], **form: str) -> Any:
    return hubspot.client.post("/oauth/v1/token", data=form, headers={"Authorization": ""})


def test_oauth_tokens_from_the_token_endpoint(hubspot: MockHandle[Any]) -> None:
    from mocks.crm.hubspot import HUBSPOT_CLIENT_ID, HUBSPOT_CLIENT_SECRET, HUBSPOT_REFRESH_TOKEN

    client = {"client_id": HUBSPOT_CLIENT_ID, "client_secret": HUBSPOT_CLIENT_SECRET}
    code = _token(hubspot, grant_type="authorization_code", code="abc",
                  redirect_uri="https://app.example/cb", **client).json()  # fmt: skip
    assert (code["token_type"], code["expires_in"]) == ("bearer", 1800)
    refreshed = _token(hubspot, grant_type="refresh_token", refresh_token=code["refresh_token"],
                       **client).json()  # fmt: skip
    auth = {"Authorization": f"Bearer {refreshed['access_token']}"}
    assert hubspot.client.get(CONTACTS, headers=auth).status_code == 200
    info = hubspot.client.get(f"/oauth/v1/access-tokens/{refreshed['access_token']}").json()
    assert (info["token_type"], info["hub_id"]) == ("access", 12345678)
    fixed = _token(hubspot, grant_type="refresh_token", refresh_token=HUBSPOT_REFRESH_TOKEN,
                   **client)  # fmt: skip
    assert fixed.status_code == 200
    for form, code_name in [
        ({**client, "client_id": "nope", "grant_type": "refresh_token"}, "BAD_CLIENT_ID"),
        ({**client, "client_secret": "nope", "grant_type": "refresh_token"}, "BAD_CLIENT_SECRET"),
        ({**client, "grant_type": "refresh_token", "refresh_token": "nope"}, "BAD_REFRESH_TOKEN"),
        ({**client, "grant_type": "authorization_code"}, "BAD_AUTH_CODE"),
        ({**client, "grant_type": "password"}, "BAD_GRANT_TYPE"),
    ]:
        refused = _token(hubspot, **form)
        assert refused.status_code == 400
        assert refused.json()["status"] == code_name
        assert refused.json()["correlationId"]
    assert HubSpotAdmin(hubspot.admin).expire_oauth_tokens() == 3  # one per grant above
    expired = _error(hubspot.client.get(CONTACTS, headers=auth), 401, "EXPIRED_AUTHENTICATION")
    assert expired["message"].startswith("The OAuth token used to make this call expired")
    assert list(expired["context"]) == ["expire time"]
    assert (
        expired["correlationId"]
        == hubspot.admin.requests()[-1].response_headers["x-hubspot-correlation-id"]
    )


@pytest.mark.parametrize(
    ("token", "accepted"),
    [
        ("pat-eu1-anything", True),
        ("CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4", True),
        ("not-a-token", False),
        ("Cshort", False),
    ],
)
def test_private_app_and_oauth_shaped_tokens(
    hubspot: MockHandle[Any], token: str, accepted: bool
) -> None:
    answer = hubspot.client.get(CONTACTS, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == (200 if accepted else 401)
