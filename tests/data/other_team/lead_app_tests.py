"""Another team's tests of ``lead_app``: its SDKs unmodified, against flowharness's fixtures.

Copy this file as ``test_lead_app.py`` next to ``lead_app.py`` and run ``pytest``
where flowharness and the SDKs are installed; the fixtures come from the
flowharness plugin. Every mock serves HTTPS here, as the real services do.
"""

from __future__ import annotations

import pytest
from hubspot.crm.contacts.exceptions import ApiException
from lead_app import Lead, Settings, capture

from mocks import StatusFault
from mocks.cloud_api import CloudApiAdmin
from mocks.crm import HubSpotAdmin, SalesforceAdmin
from mocks.email import EmailAdmin
from mocks.slack import SlackAdmin
from mocks.teams import TeamsAdmin

pytestmark = pytest.mark.flowharness_mocks(tls=True)

ADA = Lead("Ada", "Lovelace", "ada@example.com", "+447700900123", "Analytical Engines")


@pytest.fixture
def settings(mock_services) -> Settings:
    hubspot, salesforce = mock_services.hubspot, mock_services.salesforce
    slack, teams = mock_services.slack, mock_services.teams
    smtp, cloud = mock_services.smtp, mock_services.cloud_api
    return Settings(
        hubspot_url=hubspot.url,
        hubspot_token=hubspot.credentials["access_token"],
        salesforce_url=salesforce.url,
        salesforce_session_id=salesforce.credentials["access_token"],
        slack_webhook_url=slack.url + slack.credentials["webhook_path"],
        teams_webhook_url=teams.url + teams.credentials["webhook_path"],
        smtp_host=smtp.host,
        smtp_port=smtp.port,
        graph_url=cloud.url,
        whatsapp_token=cloud.credentials["access_token"],
        whatsapp_phone_id=cloud.credentials["phone_number_id"],
        ca_bundle=hubspot.ca_bundle,
    )


def test_a_new_lead_reaches_every_system(settings, mock_services):
    captured = capture(settings, ADA)
    assert captured.salesforce_created
    contact = HubSpotAdmin(mock_services.hubspot.admin).contact(captured.hubspot_id)
    assert contact.properties["email"] == "ada@example.com"
    lead = SalesforceAdmin(mock_services.salesforce.admin).lead_by("WhatsApp_Phone__c", ADA.phone)
    assert lead is not None
    assert lead.fields["Company"] == "Analytical Engines"
    assert "Ada Lovelace" in SlackAdmin(mock_services.slack.admin).messages()[0].text
    assert TeamsAdmin(mock_services.teams.admin).messages()[0].title == "New lead"
    (mail,) = EmailAdmin(mock_services.smtp.admin).messages(to="sales@example.com")
    assert captured.hubspot_id in mail.subject
    (reply,) = CloudApiAdmin(mock_services.cloud_api.admin).messages()
    assert reply.wa_id == "447700900123"


def test_a_returning_lead_is_updated_not_duplicated(settings, mock_services):
    first = capture(settings, ADA)
    second = capture(settings, Lead("Ada", "King", ADA.email, ADA.phone))
    assert (second.hubspot_id, second.salesforce_created) == (first.hubspot_id, False)
    (contact,) = HubSpotAdmin(mock_services.hubspot.admin).contacts()
    assert contact.properties["lastname"] == "King"
    assert len(SalesforceAdmin(mock_services.salesforce.admin).leads()) == 1


def test_hubspot_down_stops_before_anyone_is_told(settings, mock_services):
    mock_services.hubspot.admin.add_fault(StatusFault(status=503, body={"status": "error"}))
    with pytest.raises(ApiException) as down:
        capture(settings, ADA)
    assert down.value.status == 503
    assert SlackAdmin(mock_services.slack.admin).messages() == []
    assert CloudApiAdmin(mock_services.cloud_api.admin).messages() == []
