"""The notifier mocks under test in both modes: in-process ASGI and a real loopback server.

Each handle is built once per session and reset before every test (``both_modes``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mocks.cloud_api import create_service as create_cloud_api
from mocks.email import MailServer
from mocks.email import create_service as create_email
from mocks.teams import create_service as create_teams
from mocks.wasender import create_service as create_wasender

from .._modes import both_modes

SEED = 5

teams = both_modes("teams", create_teams)
cloud = both_modes("cloud", lambda: create_cloud_api(seed=SEED))
wasender = both_modes("wasender", lambda: create_wasender(seed=SEED))


@pytest.fixture(scope="session")
def _mail_server() -> Iterator[MailServer]:
    with MailServer(create_email()) as server:
        yield server


@pytest.fixture
def mail(_mail_server: MailServer) -> MailServer:
    _mail_server.reset()
    return _mail_server
