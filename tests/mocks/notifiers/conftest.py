"""The notifier mocks under test in both modes: in-process ASGI and a real loopback server.

Each handle is built once per session and reset before every test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mocks._core import MockHandle
from mocks.cloud_api import create_service as create_cloud_api
from mocks.email import MailServer
from mocks.email import create_service as create_email
from mocks.teams import create_service as create_teams

MODES = ["asgi", "server"]
SEED = 5


@pytest.fixture(scope="session")
def _teams_asgi() -> Iterator[MockHandle[Any]]:
    with MockHandle(create_teams(), mode="asgi") as handle:
        yield handle


@pytest.fixture(scope="session")
def _teams_server() -> Iterator[MockHandle[Any]]:
    with MockHandle(create_teams(), mode="server") as handle:
        yield handle


@pytest.fixture(params=MODES)
def teams(request: pytest.FixtureRequest) -> MockHandle[Any]:
    handle: MockHandle[Any] = request.getfixturevalue(f"_teams_{request.param}")
    handle.reset()
    return handle


@pytest.fixture(scope="session")
def _cloud_api_asgi() -> Iterator[MockHandle[Any]]:
    with MockHandle(create_cloud_api(seed=SEED), mode="asgi") as handle:
        yield handle


@pytest.fixture(scope="session")
def _cloud_api_server() -> Iterator[MockHandle[Any]]:
    with MockHandle(create_cloud_api(seed=SEED), mode="server") as handle:
        yield handle


@pytest.fixture(params=MODES)
def cloud(request: pytest.FixtureRequest) -> MockHandle[Any]:
    handle: MockHandle[Any] = request.getfixturevalue(f"_cloud_api_{request.param}")
    handle.reset()
    return handle


@pytest.fixture(scope="session")
def _mail_server() -> Iterator[MailServer]:
    with MailServer(create_email()) as server:
        yield server


@pytest.fixture
def mail(_mail_server: MailServer) -> MailServer:
    _mail_server.reset()
    return _mail_server
