"""End to end against the project's own mocks (no respx): Flow client -> endpoint ->
worker -> HubSpot/Salesforce mock, then Slack and SMTP mocks, all checked through
the mocks' admin APIs."""

# Fixtures come in by import, so test arguments "redefine" them:
# ruff: noqa: F811
from __future__ import annotations

from typing import Any

import pytest

from harness.client import Outcome
from mocks._core import StatusFault
from mocks.crm.hubspot import HubSpotAdmin
from mocks.crm.salesforce import SalesforceAdmin
from mocks.slack import SlackAdmin
from reference_server import StreamNames

from ._mock_wiring import (  # noqa: F401  (fixtures)
    OPS_INBOX,
    OPS_TEAM,
    SALES_INBOX,
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
from .conftest import FLOW_ID, GOOD_FORM, PHONE

pytestmark = pytest.mark.anyio
STREAMS = StreamNames.for_prefix("leads")


async def submit(client: Any, token: str, form: dict[str, Any]) -> str:
    """LEAD -> CONFIRM -> SUCCESS through the Flow; the lead reference the person sees."""
    lead = await client.data_exchange("LEAD", form, token)
    assert lead.payload["screen"] == "CONFIRM", lead.payload
    cleaned = {
        k: v for k, v in lead.payload["data"].items() if k not in ("summary", "error_message")
    }
    done = await client.data_exchange("CONFIRM", {**cleaned, "confirmed": True}, token)
    assert done.outcome is Outcome.OK
    assert done.payload["screen"] == "SUCCESS", done.payload
    return str(done.payload["data"]["extension_message_response"]["params"]["lead_reference"])


async def test_hubspot_gets_one_cleaned_contact_and_a_resubmission_updates_it(
    wired_settings, make_stack, hubspot, token
):
    stack = await make_stack(wired_settings())
    admin = HubSpotAdmin(hubspot.admin)
    first = await submit(stack.client, token, GOOD_FORM)
    assert admin.contacts() == []  # nothing reaches the CRM before the worker runs
    assert (await stack.worker.run_once()).synced == 1

    (contact,) = admin.contacts()
    props = contact.properties
    assert props["phone"] == PHONE
    assert props["email"] == "jean.pierre@example.com"
    assert (props["firstname"], props["lastname"]) == ("Jean-Pierre", "De la Fontaine")
    assert props["company"] == "Acme SAS"
    assert (props["flow_source"], props["flow_campaign"]) == ("ads", "spring")
    assert (props["flow_id"], props["flow_lead_reference"]) == (FLOW_ID, first)
    assert props["flow_interest"] == "demo"
    assert props["flow_marketing_consent"] == "true"

    changed = {**GOOD_FORM, "email": "JP@Globex.example", "company": "Globex", "first_name": "jp"}
    second = await submit(stack.client, token, changed)
    report = await stack.worker.run_once()
    assert report.synced == 1
    assert stack.worker.results[second].created is False

    (updated,) = admin.contacts()
    assert updated.id == contact.id
    assert updated.properties["email"] == "jp@globex.example"
    assert updated.properties["company"] == "Globex"
    assert updated.properties["firstname"] == "Jp"
    assert updated.properties["flow_lead_reference"] == second
    assert updated.properties["phone"] == PHONE


async def test_salesforce_gets_one_lead_with_the_mapped_fields(
    wired_settings, make_stack, salesforce, token
):
    stack = await make_stack(wired_settings(crm="salesforce"))
    reference = await submit(stack.client, token, GOOD_FORM)
    assert (await stack.worker.run_once()).synced == 1

    admin = SalesforceAdmin(salesforce.admin)
    (lead,) = admin.leads()
    fields = lead.fields
    assert fields["WhatsApp_Phone__c"] == PHONE
    assert fields["MobilePhone"] == PHONE
    assert fields["Email"] == "jean.pierre@example.com"
    assert (fields["FirstName"], fields["LastName"]) == ("Jean-Pierre", "De la Fontaine")
    assert fields["Company"] == "Acme SAS"
    assert (fields["LeadSource"], fields["Campaign__c"]) == ("ads", "spring")
    assert fields["Flow_Lead_Reference__c"] == reference
    assert stack.worker.results[reference].record_url == admin.record_url(lead.id)


async def test_staff_are_told_on_slack_and_by_email_with_the_record_link(
    wired_settings, make_stack, hubspot, slack, mock_smtp, token
):
    stack = await make_stack(wired_settings())
    reference = await submit(stack.client, token, GOOD_FORM)
    report = await stack.worker.run_once()
    assert (report.synced, report.notifications_sent) == (1, 2)

    (contact,) = HubSpotAdmin(hubspot.admin).contacts()
    link = HubSpotAdmin(hubspot.admin).record_url(contact.id)
    (posted,) = SlackAdmin(slack.admin).messages(team=SALES_TEAM)
    (mail,) = mock_smtp.messages(to=SALES_INBOX)
    for text in (posted.text or "", mail.text or ""):
        assert link in text
        assert reference in text
        assert "jean.pierre@example.com" not in text
        assert "612345678" not in text
    assert SlackAdmin(slack.admin).messages(team=OPS_TEAM) == []  # no operations alert
    assert mock_smtp.messages(to=OPS_INBOX) == []


async def test_rejected_lead_is_parked_and_operations_are_alerted_masked(
    wired_settings, make_stack, hubspot, slack, mock_smtp, token
):
    # the phone must hold an email address: HubSpot rejects the contact, quoting the phone
    HubSpotAdmin(hubspot.admin).set_rules(email_fields=["email", "phone"])
    stack = await make_stack(wired_settings())
    reference = await submit(stack.client, token, GOOD_FORM)
    report = await stack.worker.run_once()
    assert (report.synced, report.parked, report.notifications_sent) == (0, 1, 0)

    assert HubSpotAdmin(hubspot.admin).contacts() == []
    ((_, parked),) = await stack.app.state.redis.xrange(STREAMS.parked)
    assert parked["lead_id"] == reference
    assert "INVALID_EMAIL" in parked["errors"]
    assert await stack.app.state.redis.xlen(STREAMS.incoming) == 0

    (alert,) = SlackAdmin(slack.admin).messages(team=OPS_TEAM)
    (mail,) = mock_smtp.messages(to=OPS_INBOX)
    for text in (alert.text or "", mail.text or ""):
        assert reference in text
        assert "phone" in text  # which property was refused...
        assert "612345678" not in text  # ...without the number itself
        assert "jean.pierre@example.com" not in text
    assert SlackAdmin(slack.admin).messages(team=SALES_TEAM) == []  # no "new lead" notice
    assert mock_smtp.messages(to=SALES_INBOX) == []


async def test_crm_down_twice_then_back_ends_with_one_contact(
    wired_settings, make_stack, hubspot, token
):
    hubspot.admin.add_fault(StatusFault(status=503), path="/crm/*", times=2)
    stack = await make_stack(wired_settings(retry_max_attempts=4))
    reference = await submit(stack.client, token, GOOD_FORM)
    report = await stack.worker.run_once()
    assert (report.synced, report.dead_lettered) == (1, 0)

    statuses = [entry.status for entry in hubspot.admin.requests(path_glob="/crm/*")]
    assert statuses[:2] == [503, 503]  # the same call tried again, then through
    assert all(status is not None and status < 300 for status in statuses[2:])
    (contact,) = HubSpotAdmin(hubspot.admin).contacts()
    assert contact.properties["phone"] == PHONE
    assert contact.properties["flow_lead_reference"] == reference
    assert stack.worker.results[reference].record_id == contact.id
    assert await stack.app.state.redis.xlen(STREAMS.dead) == 0
