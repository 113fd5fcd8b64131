"""hubspot-api-client, unmodified but for ``host`` and ``ssl_ca_cert``, against the HubSpot mock."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputUpsert,
    Filter,
    FilterGroup,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.contacts.exceptions import ApiException, NotFoundException, UnauthorizedException

from mocks.crm import HubSpotAdmin


def client(mock: Any, token: str | None = None) -> HubSpot:
    """What a team writes, plus the mock's URL and CA file."""
    return HubSpot(
        access_token=token or mock.credentials["access_token"],
        host=mock.url,
        ssl_ca_cert=mock.ca_bundle,
    )


def create(api: HubSpot, **properties: str) -> Any:
    body = SimplePublicObjectInputForCreate(properties=properties)
    return api.crm.contacts.basic_api.create(simple_public_object_input_for_create=body)


def search(api: HubSpot, *filters: Filter, **options: Any) -> Any:
    request = PublicObjectSearchRequest(
        filter_groups=[FilterGroup(filters=list(filters))], **options
    )
    return api.crm.contacts.search_api.do_search(public_object_search_request=request)


def test_create_read_update_archive(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("hubspot")
    api = client(mock)
    created = create(api, email="Ada@Example.com", firstname="Ada")
    assert created.properties["email"] == "ada@example.com"
    read = api.crm.contacts.basic_api.get_by_id(created.id, properties=["email", "firstname"])
    assert (read.id, read.properties["firstname"]) == (created.id, "Ada")
    by_email = api.crm.contacts.basic_api.get_by_id("ada@example.com", id_property="email")
    assert by_email.id == created.id
    patch = SimplePublicObjectInput(properties={"lastname": "Lovelace"})
    api.crm.contacts.basic_api.update(created.id, simple_public_object_input=patch)
    assert HubSpotAdmin(mock.admin).contact(created.id).properties["lastname"] == "Lovelace"
    api.crm.contacts.basic_api.archive(created.id)
    with pytest.raises(NotFoundException) as missing:
        api.crm.contacts.basic_api.get_by_id(created.id)
    body = json.loads(missing.value.body)
    assert (body["category"], body["context"]) == ("OBJECT_NOT_FOUND", {"id": [created.id]})


def test_search_with_the_operators_the_sdk_sends(sdk_mocks: Any) -> None:
    api = client(sdk_mocks.get("hubspot"))
    ada = create(api, email="ada@example.com", firstname="Ada", lastname="Lovelace")
    grace = create(api, email="grace@example.org", firstname="Grace")
    first = min(ada.id, grace.id, key=int)
    cases = [
        (Filter(property_name="email", operator="EQ", value="ADA@example.com"), [ada.id]),
        (Filter(property_name="firstname", operator="NEQ", value="Grace"), [ada.id]),
        (Filter(property_name="email", operator="IN", values=["ada@example.com"]), [ada.id]),
        (Filter(property_name="email", operator="CONTAINS_TOKEN", value="*@example.com"), [ada.id]),
        (Filter(property_name="lastname", operator="HAS_PROPERTY"), [ada.id]),
        (Filter(property_name="hs_object_id", operator="LTE", value=first), [first]),
    ]
    for flt, expected in cases:
        found = search(api, flt, properties=["email"], limit=10)
        assert [r.id for r in found.results] == expected, flt.operator
        assert found.total == len(expected)
    both = search(
        api,
        Filter(property_name="email", operator="NOT_HAS_PROPERTY"),
        sorts=["-createdate"],
    )
    assert both.total == 0


def test_batch_upsert_creates_then_updates(sdk_mocks: Any) -> None:
    api = client(sdk_mocks.get("hubspot"))

    def upsert(**properties: str) -> Any:
        item = SimplePublicObjectBatchInputUpsert(
            id="ada@example.com", id_property="email", properties=properties
        )
        batch = BatchInputSimplePublicObjectBatchInputUpsert(inputs=[item])
        return api.crm.contacts.batch_api.upsert(
            batch_input_simple_public_object_batch_input_upsert=batch
        )

    first = upsert(firstname="Ada")
    second = upsert(lastname="Lovelace")
    assert (first.status, first.results[0].new, second.results[0].new) == ("COMPLETE", True, False)
    assert second.results[0].id == first.results[0].id


def test_errors_raise_the_sdks_exceptions(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("hubspot")
    api = client(mock)
    create(api, email="ada@example.com")
    with pytest.raises(ApiException) as duplicate:
        create(api, email="ada@example.com")
    assert duplicate.value.status == 409
    assert json.loads(duplicate.value.body)["category"] == "CONFLICT"
    with pytest.raises(ApiException) as invalid:
        create(api, email="not-an-email")
    body = json.loads(invalid.value.body)
    assert (invalid.value.status, body["category"]) == (400, "VALIDATION_ERROR")
    assert body["errors"][0]["code"] == "INVALID_EMAIL"
    assert body["errors"][0]["context"] == {"propertyName": ["email"]}
    HubSpotAdmin(mock.admin).set_rules(required=["lastname"])
    with pytest.raises(ApiException) as missing:
        create(api, email="grace@example.com")
    assert json.loads(missing.value.body)["errors"][0]["code"] == "MISSING_REQUIRED_PROPERTY"
    with pytest.raises(UnauthorizedException) as bad_token:
        client(mock, token="not-a-token").crm.contacts.basic_api.get_page()
    assert json.loads(bad_token.value.body)["category"] == "INVALID_AUTHENTICATION"


def test_oauth_tokens_from_the_sdks_oauth_api(sdk_mocks: Any) -> None:
    mock = sdk_mocks.get("hubspot")
    anonymous = HubSpot(host=mock.url, ssl_ca_cert=mock.ca_bundle)
    tokens = anonymous.oauth.tokens_api.create(
        grant_type="refresh_token",
        client_id=mock.credentials["client_id"],
        client_secret=mock.credentials["client_secret"],
        refresh_token=mock.credentials["refresh_token"],
    )
    assert tokens.expires_in == 1800
    api = client(mock, token=tokens.access_token)
    assert create(api, email="oauth@example.com").id
    info = anonymous.oauth.access_tokens_api.get(tokens.access_token)
    assert info.hub_id == int(mock.credentials["portal_id"])
    assert client(
        mock, token=mock.credentials["oauth_access_token"]
    ).crm.contacts.basic_api.get_page()
    HubSpotAdmin(mock.admin).expire_oauth_tokens()
    with pytest.raises(UnauthorizedException) as expired:
        api.crm.contacts.basic_api.get_page()
    body = json.loads(expired.value.body)
    assert body["category"] == "EXPIRED_AUTHENTICATION"
    assert list(body["context"]) == ["expire time"]
