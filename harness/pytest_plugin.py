"""The flowharness pytest plugin (registered under ``pytest11``).

Kept small and lazy: nothing heavy is imported until a fixture is used.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Any

import pytest

# --- mock services ------------------------------------------------------------------
# Each mock is built once per session and reset around every test. The handle
# (mocks._core.MockHandle) has .app, .url, .client (httpx, bound to .url),
# .admin (AdminClient), .backend and .reset(). To add a mock: a session fixture
# calling _mock_handle("package.module:create_service") and a function fixture
# calling _fresh() on it.


def _mock_handle(factory: str) -> Iterator[Any]:
    from mocks._core import MockHandle  # lazy: keeps fastapi out of plugin import

    module_name, _, attribute = factory.partition(":")
    create_service = getattr(importlib.import_module(module_name), attribute)
    with MockHandle.in_process(create_service()) as handle:
        yield handle


def _fresh(handle: Any) -> Iterator[Any]:
    handle.reset()
    yield handle
    handle.reset()


@pytest.fixture(scope="session")
def _flowharness_mock_slack() -> Iterator[Any]:
    yield from _mock_handle("mocks.slack:create_service")


@pytest.fixture
def mock_slack(_flowharness_mock_slack: Any) -> Iterator[Any]:
    """The Slack incoming-webhook mock, in-process; fresh (reset) for every test."""
    yield from _fresh(_flowharness_mock_slack)


@pytest.fixture(scope="session")
def _flowharness_mock_teams() -> Iterator[Any]:
    yield from _mock_handle("mocks.teams:create_service")


@pytest.fixture
def mock_teams(_flowharness_mock_teams: Any) -> Iterator[Any]:
    """The Microsoft Teams webhook mock, in-process; fresh (reset) for every test."""
    yield from _fresh(_flowharness_mock_teams)


@pytest.fixture(scope="session")
def _flowharness_mock_cloud_api() -> Iterator[Any]:
    yield from _mock_handle("mocks.cloud_api:create_service")


@pytest.fixture
def mock_cloud_api(_flowharness_mock_cloud_api: Any) -> Iterator[Any]:
    """The WhatsApp Cloud API mock, in-process; fresh (reset) for every test.

    Its access token is ``mocks.cloud_api.DEFAULT_TOKEN``.
    """
    yield from _fresh(_flowharness_mock_cloud_api)


@pytest.fixture(scope="session")
def _flowharness_mock_smtp() -> Iterator[Any]:
    from mocks.email import MailServer, create_service  # lazy: aiosmtpd, fastapi

    with MailServer(create_service()) as server:
        yield server


@pytest.fixture
def mock_smtp(_flowharness_mock_smtp: Any) -> Iterator[Any]:
    """A real SMTP server on a loopback port (one per session), fresh for every test.

    The handle (``mocks.email.MailServer``) has ``.host``, ``.port``,
    ``.admin`` (``AdminClient``), ``.admin_url`` and ``.messages(to=, subject=)``.
    """
    yield from _fresh(_flowharness_mock_smtp)


@pytest.fixture(scope="session")
def _flowharness_mock_hubspot() -> Iterator[Any]:
    yield from _mock_handle("mocks.crm.hubspot:create_service")


@pytest.fixture
def mock_hubspot(_flowharness_mock_hubspot: Any) -> Iterator[Any]:
    """The HubSpot CRM v3 contacts mock, in-process; fresh (reset) for every test.

    It accepts any ``Authorization: Bearer pat-...`` token
    (``mocks.crm.hubspot.HUBSPOT_TOKEN`` is one); read it with
    ``mocks.crm.HubSpotAdmin(mock_hubspot.admin)``.
    """
    yield from _fresh(_flowharness_mock_hubspot)


@pytest.fixture(scope="session")
def _flowharness_mock_salesforce() -> Iterator[Any]:
    yield from _mock_handle("mocks.crm.salesforce:create_service")


@pytest.fixture
def mock_salesforce(_flowharness_mock_salesforce: Any) -> Iterator[Any]:
    """The Salesforce OAuth + Lead REST mock, in-process; fresh (reset) for every test.

    Log in with ``mocks.crm.salesforce.SF_CLIENT_ID``/``SF_CLIENT_SECRET``; read
    it with ``mocks.crm.SalesforceAdmin(mock_salesforce.admin)``.
    """
    yield from _fresh(_flowharness_mock_salesforce)


@pytest.fixture
def mock_crm(request: pytest.FixtureRequest) -> Any:
    """The CRM mock: HubSpot, or Salesforce with
    ``@pytest.mark.parametrize("mock_crm", ["salesforce"], indirect=True)``."""
    crm = getattr(request, "param", "hubspot")
    if crm not in ("hubspot", "salesforce"):
        raise ValueError(f"mock_crm is 'hubspot' or 'salesforce', got {crm!r}")
    return request.getfixturevalue(f"mock_{crm}")
