"""Another team's lead integration, written against the official SDKs as in production.

A new lead becomes a HubSpot contact and a Salesforce lead; sales hear of it on
Slack, Teams and by email; the person gets a WhatsApp reply. Nothing here knows
about flowharness: every endpoint, token and CA file comes from ``Settings``.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage

import httpx
import pymsteams
import requests
from hubspot import HubSpot
from hubspot.crm.contacts import SimplePublicObjectInput, SimplePublicObjectInputForCreate
from hubspot.crm.contacts.exceptions import ApiException
from pywa import WhatsApp
from simple_salesforce import Salesforce
from slack_sdk.webhook import WebhookClient


@dataclass(frozen=True)
class Settings:
    hubspot_url: str
    hubspot_token: str
    salesforce_url: str
    salesforce_session_id: str
    slack_webhook_url: str
    teams_webhook_url: str
    smtp_host: str
    smtp_port: int
    graph_url: str
    whatsapp_token: str
    whatsapp_phone_id: str
    ca_bundle: str | None = None  # production: None (the system's CAs)
    sales_inbox: str = "sales@example.com"


@dataclass(frozen=True)
class Lead:
    first_name: str
    last_name: str
    email: str
    phone: str
    company: str = "[not provided]"


@dataclass(frozen=True)
class Captured:
    hubspot_id: str
    salesforce_created: bool


def _ssl(settings: Settings) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=settings.ca_bundle)


def hubspot_contact(settings: Settings, lead: Lead) -> str:
    """Create the contact, or update the one with this email (HubSpot answers 409)."""
    api = HubSpot(
        access_token=settings.hubspot_token, host=settings.hubspot_url,
        ssl_ca_cert=settings.ca_bundle,
    )  # fmt: skip
    properties = {"email": lead.email, "firstname": lead.first_name,
                  "lastname": lead.last_name, "phone": lead.phone}  # fmt: skip
    try:
        body = SimplePublicObjectInputForCreate(properties=properties)
        return str(api.crm.contacts.basic_api.create(simple_public_object_input_for_create=body).id)
    except ApiException as exc:
        if exc.status != 409:
            raise
    existing = api.crm.contacts.basic_api.get_by_id(lead.email, id_property="email")
    api.crm.contacts.basic_api.update(
        existing.id, simple_public_object_input=SimplePublicObjectInput(properties=properties)
    )
    return str(existing.id)


def salesforce_lead(settings: Settings, lead: Lead) -> bool:
    """Upsert the lead on its phone (an external id field); True when it was created."""
    session = requests.Session()
    if settings.ca_bundle:
        session.verify = settings.ca_bundle
        session.trust_env = False  # else REQUESTS_CA_BUNDLE would win over verify
    sf = Salesforce(
        instance_url=settings.salesforce_url,
        session_id=settings.salesforce_session_id,
        session=session,
    )
    status = sf.Lead.upsert(
        f"WhatsApp_Phone__c/{lead.phone}",
        {"FirstName": lead.first_name, "LastName": lead.last_name,
         "Email": lead.email, "Company": lead.company},
    )  # fmt: skip
    return status == 201


def tell_sales(settings: Settings, lead: Lead, hubspot_id: str) -> None:
    text = f"New lead: {lead.first_name} {lead.last_name} ({lead.email}), HubSpot {hubspot_id}"
    slack = WebhookClient(settings.slack_webhook_url, ssl=_ssl(settings), timeout=10)
    answer = slack.send(text=text)
    if answer.status_code != 200:
        raise RuntimeError(f"Slack refused the alert: {answer.status_code} {answer.body}")
    card = pymsteams.connectorcard(
        settings.teams_webhook_url, http_timeout=10, verify=settings.ca_bundle or True
    )
    card.title("New lead")
    card.text(text)
    card.send()
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "leads@example.com", settings.sales_inbox, text
    mail.set_content(text)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=10) as smtp:
        smtp.send_message(mail)


def reply_on_whatsapp(settings: Settings, lead: Lead) -> str:
    session = httpx.Client(verify=_ssl(settings), timeout=10)
    wa = WhatsApp(
        phone_id=settings.whatsapp_phone_id, token=settings.whatsapp_token, session=session
    )
    session.base_url = settings.graph_url + session.base_url.path  # production: Graph's URL
    return wa.send_message(to=lead.phone, text=f"Thanks {lead.first_name}, we'll call you.").id


def capture(settings: Settings, lead: Lead) -> Captured:
    hubspot_id = hubspot_contact(settings, lead)
    created = salesforce_lead(settings, lead)
    tell_sales(settings, lead, hubspot_id)
    reply_on_whatsapp(settings, lead)
    return Captured(hubspot_id, created)
