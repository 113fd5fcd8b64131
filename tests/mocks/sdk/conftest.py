"""The official-SDK suite: each SDK, unmodified but for its base URL/host and CA bundle,
against the mocks reached three ways (the ``sdk_mocks`` fixture's parameters):

- ``fixtures``: the pytest plugin's fixtures as a user gets them (loopback servers;
  Salesforce over HTTPS, the others plain HTTP)
- ``fixtures-tls``: the same with ``@pytest.mark.flowharness_mocks(tls=True)``
- ``mocks-up``: ``flowharness mocks up --tls --json`` run as a separate process

At the end of the run a table shows, per SDK and way, the tests that passed.
"""

from __future__ import annotations

import gc
import ssl
import warnings
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

import pytest

from mocks import AdminClient

from .._mocks_up import mocks_up

WAYS = ["fixtures", "fixtures-tls", "mocks-up"]
_RESULTS: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])


class ServedMock:
    """One mock of a ``mocks up`` process, with the fixture handle's surface."""

    def __init__(self, described: dict[str, Any], ca_bundle: str | None) -> None:
        self.url: str = described["url"]
        self.credentials: dict[str, str] = described["credentials"]
        self.ca_bundle = ca_bundle if self.url.startswith("https://") else None
        context = ssl.create_default_context(cafile=ca_bundle) if self.ca_bundle else None
        self.admin = AdminClient(described["admin_url"], ssl_context=context)
        self.host: str = described.get("smtp_host", "")
        self.port: int = described.get("smtp_port", 0)

    def ssl_context(self) -> ssl.SSLContext | None:
        return ssl.create_default_context(cafile=self.ca_bundle) if self.ca_bundle else None

    def messages(self, **criteria: Any) -> Any:
        from mocks.email import EmailAdmin

        return EmailAdmin(self.admin).messages(**criteria)


class MocksUp:
    """A ``flowharness mocks up --tls --json`` process; each mock reset on first use."""

    def __init__(self, line: dict[str, Any]) -> None:
        self._mocks = {
            name: ServedMock(described, line.get("ca_bundle"))
            for name, described in line["mocks"].items()
        }
        self._used: set[str] = set()

    def get(self, name: str) -> ServedMock:
        name = {"smtp": "email"}.get(name, name)
        mock = self._mocks[name]
        if name not in self._used:
            mock.admin.reset()
            self._used.add(name)
        return mock

    def fresh(self) -> MocksUp:
        self._used.clear()
        return self

    def close(self) -> None:
        for mock in self._mocks.values():
            mock.admin.close()


@pytest.fixture(autouse=True)
def _sdk_pools_collected() -> Iterator[None]:
    """The SDKs keep idle keep-alive sockets in pools no test closes (hubspot-api-client
    builds one per API object); collect them here rather than in a later test."""
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


@pytest.fixture(scope="session")
def mocks_up_process() -> Iterator[MocksUp]:
    """``flowharness mocks up --tls`` in its own process, as a user starts it."""
    with mocks_up("--tls", "--base-port", "0") as run:
        mocks = MocksUp(run.line)
        yield mocks
        mocks.close()
    assert run.process.returncode == 0, run.output


@pytest.fixture(
    params=[
        "fixtures",
        pytest.param("fixtures-tls", marks=pytest.mark.flowharness_mocks(tls=True)),
        "mocks-up",
    ]
)
def sdk_mocks(request: pytest.FixtureRequest) -> Any:
    """The mocks, reached one of the three ways: ``sdk_mocks.get("hubspot")``."""
    if request.param == "mocks-up":
        return request.getfixturevalue("mocks_up_process").fresh()
    return request.getfixturevalue("mock_services")


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" or "/sdk/" not in report.nodeid.replace("\\", "/"):
        return
    sdk = report.nodeid.split("test_sdk_")[-1].split(".py")[0]
    way = _way(report.nodeid)
    counts = _RESULTS[sdk, way]
    counts[1] += 1
    counts[0] += int(report.passed)


def _way(nodeid: str) -> str:
    """The way a test reached the mocks, from its id (``[fixtures-tls]``, or with other
    parameters: ``[fixtures-tls-bot_token-...]``); longest names first, as they share
    prefixes."""
    params = nodeid.rpartition("[")[2].rstrip("]")
    for way in sorted(WAYS, key=len, reverse=True):
        if params == way or params.startswith(way + "-") or params.endswith("-" + way):
            return way
    return "other"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _RESULTS:
        return
    sdks = sorted({sdk for sdk, _ in _RESULTS})
    terminalreporter.section("official SDKs against the mocks: calls (tests) passed")
    terminalreporter.write_line(f"{'SDK':<12}" + "".join(f"{w:>16}" for w in WAYS))
    for sdk in sdks:
        cells = []
        for way in WAYS:
            passed, total = _RESULTS.get((sdk, way), [0, 0])
            cells.append(f"{passed}/{total}" if total else "-")
        terminalreporter.write_line(f"{sdk:<12}" + "".join(f"{c:>16}" for c in cells))
