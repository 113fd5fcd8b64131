"""Wiring the reference endpoint to the project's own mocks, served on loopback ports.

The HTTP mocks (HubSpot, Salesforce, Slack; the Cloud API with ``cloud_settings``) run as
real servers for the module and are reset around every test; mail goes to the plugin's
``mock_smtp`` (real SMTP). Settings point every outbound URL of the endpoint and the
worker at them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from harness.client import AsyncFlowClient
from mocks._core import MockHandle
from mocks.cloud_api import DEFAULT_TOKEN as CLOUD_API_TOKEN
from mocks.cloud_api import create_service as cloud_api_service
from mocks.crm.hubspot import DEFAULT_PORTAL_ID, HUBSPOT_TOKEN
from mocks.crm.hubspot import create_service as hubspot_service
from mocks.crm.salesforce import SF_CLIENT_ID, SF_CLIENT_SECRET
from mocks.crm.salesforce import create_service as salesforce_service
from mocks.email import MailServer
from mocks.slack import create_service as slack_service
from reference_server import Settings, Worker, create_app
from reference_server._backends import close_queue

SALES_TEAM, OPS_TEAM = "TSALES", "TOPS"
SALES_INBOX, OPS_INBOX = "sales@example.com", "ops@example.com"


async def no_sleep(_: float) -> None:
    return None


def _served(factory: Callable[[], Any]) -> Iterator[MockHandle[Any]]:
    with MockHandle.served(factory()) as handle:
        yield handle


def _fresh(handle: MockHandle[Any]) -> Iterator[MockHandle[Any]]:
    handle.reset()
    yield handle
    handle.reset()


@pytest.fixture(scope="module")
def _served_hubspot() -> Iterator[MockHandle[Any]]:
    yield from _served(hubspot_service)


@pytest.fixture(scope="module")
def _served_salesforce() -> Iterator[MockHandle[Any]]:
    yield from _served(salesforce_service)


@pytest.fixture(scope="module")
def _served_slack() -> Iterator[MockHandle[Any]]:
    yield from _served(slack_service)


@pytest.fixture(scope="module")
def _served_cloud_api() -> Iterator[MockHandle[Any]]:
    yield from _served(cloud_api_service)


@pytest.fixture
def cloud_api(_served_cloud_api: MockHandle[Any]) -> Iterator[MockHandle[Any]]:
    yield from _fresh(_served_cloud_api)


@pytest.fixture
def cloud_settings(
    wired_settings: Callable[..., Settings], cloud_api: MockHandle[Any]
) -> Callable[..., Settings]:
    """``wired_settings`` plus the Cloud API mock (media lookups and downloads)."""

    def make(**overrides: Any) -> Settings:
        values = {"cloud_api_url": cloud_api.url, "cloud_api_token": CLOUD_API_TOKEN}
        return wired_settings(**(values | overrides))

    return make


@pytest.fixture
def hubspot(_served_hubspot: MockHandle[Any]) -> Iterator[MockHandle[Any]]:
    yield from _fresh(_served_hubspot)


@pytest.fixture
def salesforce(_served_salesforce: MockHandle[Any]) -> Iterator[MockHandle[Any]]:
    yield from _fresh(_served_salesforce)


@pytest.fixture
def slack(_served_slack: MockHandle[Any]) -> Iterator[MockHandle[Any]]:
    yield from _fresh(_served_slack)


@pytest.fixture
def wired_settings(
    make_settings: Callable[..., Settings],
    hubspot: MockHandle[Any],
    salesforce: MockHandle[Any],
    slack: MockHandle[Any],
    mock_smtp: MailServer,
) -> Callable[..., Settings]:
    """Settings whose CRM, Slack and SMTP endpoints are the mocks (fakeredis for storage)."""

    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "redis_url": None,
            "hubspot_base_url": hubspot.url,
            "hubspot_token": HUBSPOT_TOKEN,
            "hubspot_portal_id": str(DEFAULT_PORTAL_ID),
            "salesforce_login_url": salesforce.url,
            "salesforce_client_id": SF_CLIENT_ID,
            "salesforce_client_secret": SF_CLIENT_SECRET,
            "slack_webhook_url": f"{slack.url}/services/{OPS_TEAM}/B0PS/ops-secret",
            "notify_slack_webhook_url": f"{slack.url}/services/{SALES_TEAM}/B5A1/sales-secret",
            "smtp_host": mock_smtp.smtp_host,
            "smtp_port": mock_smtp.smtp_port,
            "alert_email_to": [OPS_INBOX],
            "notify_email_to": [SALES_INBOX],
        }
        values.update(overrides)
        return make_settings(**values)

    return make


@dataclass
class Stack:
    """The endpoint app, a Flow client on it, and a worker sharing its Redis."""

    app: Any
    client: AsyncFlowClient
    worker: Worker


@pytest.fixture
async def make_stack(public_pem: Any, app_secret: str) -> AsyncIterator[Callable[[Settings], Any]]:
    """``await make_stack(settings)``: everything is closed at the end of the test."""
    opened: list[Stack] = []
    https: list[httpx.AsyncClient] = []

    async def make(settings: Settings) -> Stack:
        app = create_app(settings)
        client = AsyncFlowClient(app, public_key=public_pem, app_secret=app_secret)
        await client.__aenter__()
        http = httpx.AsyncClient()
        https.append(http)
        # the app's queue: its Redis (or SQS) client, whatever the backend
        worker = Worker(settings, app.state.redis, http=http, sleep=no_sleep, queue=app.state.queue)
        stack = Stack(app, client, worker)
        opened.append(stack)
        return stack

    yield make
    for stack in opened:
        await stack.client.__aexit__(None, None, None)
        await stack.app.state.alerter.drain()
        await stack.app.state.http.aclose()
        await stack.app.state.redis.aclose()
        await close_queue(stack.app.state.queue)
    for http in https:
        await http.aclose()
