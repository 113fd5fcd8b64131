"""Two phones, one e-mail: the CRM's conflict is for a person to resolve, never a merge.

Contacts are keyed by the WhatsApp phone number. When the CRM refuses a lead because
another record already holds its e-mail (HubSpot 409, Salesforce duplicate rules), the
lead is parked and operations are told which two records collide, masked; nothing is
updated. The same phone colliding with itself (a concurrent create) is simply updated.
"""

# Fixtures come in by import, so test arguments "redefine" them:
# ruff: noqa: F811
from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import respx

from mocks.crm.hubspot import HubSpotAdmin
from mocks.crm.salesforce import SalesforceAdmin
from mocks.slack import SlackAdmin
from reference_server import FlowTokens, HubSpotAdapter, StreamNames, load_mapping

from ._mock_wiring import (  # noqa: F401  (fixtures)
    OPS_INBOX,
    OPS_TEAM,
    SALES_TEAM,
    _served_hubspot,
    _served_salesforce,
    _served_slack,
    hubspot,
    make_stack,
    salesforce,
    slack,
    wired_settings,
)
from .conftest import FLOW_ID, GOOD_FORM, TOKEN_SECRET
from .test_against_mocks import submit

pytestmark = pytest.mark.anyio
STREAMS = StreamNames.for_prefix("leads")
ANA, BEN = "+33612345678", "+33698765432"
SHARED = {**GOOD_FORM, "email": "shared@example.com"}


def token_for(phone: str) -> str:
    return FlowTokens([TOKEN_SECRET]).issue(phone, FLOW_ID)


async def two_people_one_email(stack: Any) -> tuple[str, str]:
    ana = await submit(stack.client, token_for(ANA), {**SHARED, "first_name": "Ana"})
    assert (await stack.worker.run_once()).synced == 1
    ben = await submit(stack.client, token_for(BEN), {**SHARED, "first_name": "Ben"})
    report = await stack.worker.run_once()
    assert (report.synced, report.parked) == (0, 1)
    return ana, ben


def assert_alert_names_both(texts: list[str], existing_id: str, ben: str) -> None:
    for text in texts:
        assert ben in text  # the parked lead
        assert existing_id in text  # the record it collides with
        assert "conflict" in text.lower()
        assert "shared@example.com" not in text
        assert "698765432" not in text
        assert "612345678" not in text


async def test_hubspot_email_conflict_parks_the_lead_and_updates_nobody(
    wired_settings, make_stack, hubspot, slack, mock_smtp
):
    stack = await make_stack(wired_settings())
    ana, ben = await two_people_one_email(stack)

    (contact,) = HubSpotAdmin(hubspot.admin).contacts()
    assert contact.properties["phone"] == ANA
    assert contact.properties["firstname"] == "Ana"
    assert contact.properties["flow_lead_reference"] == ana
    assert hubspot.admin.requests(method="PATCH") == []

    ((_, parked),) = await stack.app.state.redis.xrange(STREAMS.parked)
    assert (parked["lead_id"], parked["reason"]) == (ben, "crm_conflict")
    assert json.loads(parked["lead"])["phone"] == BEN

    (alert,) = SlackAdmin(slack.admin).messages(team=OPS_TEAM)
    (mail,) = mock_smtp.messages(to=OPS_INBOX)
    assert_alert_names_both([alert.text or "", mail.text or ""], contact.id, ben)
    assert len(SlackAdmin(slack.admin).messages(team=SALES_TEAM)) == 1  # Ana's notice only


async def test_salesforce_duplicate_rule_parks_the_lead_and_updates_nobody(
    wired_settings, make_stack, salesforce, slack, mock_smtp
):
    stack = await make_stack(wired_settings(crm="salesforce"))
    ana, ben = await two_people_one_email(stack)

    (record,) = SalesforceAdmin(salesforce.admin).leads()
    assert record.fields["WhatsApp_Phone__c"] == ANA
    assert record.fields["FirstName"] == "Ana"
    assert record.fields["Flow_Lead_Reference__c"] == ana

    ((_, parked),) = await stack.app.state.redis.xrange(STREAMS.parked)
    assert (parked["lead_id"], parked["reason"]) == (ben, "crm_conflict")
    (alert,) = SlackAdmin(slack.admin).messages(team=OPS_TEAM)
    (mail,) = mock_smtp.messages(to=OPS_INBOX)
    assert_alert_names_both([alert.text or "", mail.text or ""], record.id, ben)


LEAD = {"lead_id": "L1", "phone": ANA, "first_name": "Ana", "last_name": "Lima",
        "email": "ana@example.com"}  # fmt: skip
CONTACTS = "https://hubspot.test/crm/v3/objects/contacts"


def adapter(http: httpx.AsyncClient) -> HubSpotAdapter:
    return HubSpotAdapter(
        http, base_url="https://hubspot.test", token="t", mapping=load_mapping("hubspot")
    )


@respx.mock
async def test_a_409_on_a_contact_with_the_same_phone_updates_it():
    # another worker created this person's contact between our search and our create
    respx.post(f"{CONTACTS}/search").respond(json={"results": []})
    respx.post(CONTACTS).respond(409, json={"message": "Contact already exists. Existing ID: 7"})
    respx.get(f"{CONTACTS}/7").respond(json={"id": "7", "properties": {"phone": ANA}})
    update = respx.patch(f"{CONTACTS}/7").respond(json={"id": "7", "properties": {}})
    async with httpx.AsyncClient() as http:
        result = await adapter(http).upsert(LEAD)
    assert (result.record_id, result.created) == ("7", False)
    assert update.called


@respx.mock
async def test_a_409_on_another_phones_contact_is_a_conflict_naming_it():
    from reference_server.exceptions import CrmConflictError

    respx.post(f"{CONTACTS}/search").respond(json={"results": []})
    respx.post(CONTACTS).respond(409, json={"message": "Contact already exists. Existing ID: 7"})
    respx.get(f"{CONTACTS}/7").respond(json={"id": "7", "properties": {"phone": BEN}})
    update = respx.patch(f"{CONTACTS}/7")
    async with httpx.AsyncClient() as http:
        with pytest.raises(CrmConflictError) as caught:
            await adapter(http).upsert(LEAD)
    assert caught.value.existing_id == "7"
    assert not update.called


@respx.mock
async def test_an_update_refused_for_another_contacts_email_is_a_conflict():
    from reference_server.exceptions import CrmConflictError

    # the person's own contact exists; the new e-mail belongs to someone else
    respx.post(f"{CONTACTS}/search").respond(json={"results": [{"id": "3"}]})
    respx.patch(f"{CONTACTS}/3").respond(
        409, json={"message": "Contact already exists. Existing ID: 9"}
    )
    respx.get(f"{CONTACTS}/9").respond(json={"id": "9", "properties": {"phone": BEN}})
    async with httpx.AsyncClient() as http:
        with pytest.raises(CrmConflictError) as caught:
            await adapter(http).upsert(LEAD)
    assert caught.value.existing_id == "9"
