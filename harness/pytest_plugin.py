"""The flowharness pytest plugin (registered under ``pytest11``).

Kept small and lazy: nothing heavy is imported until a fixture is used or a
scenario file is collected.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# --- mock services ------------------------------------------------------------------
# Each mock is served on a loopback port once per session (mocks.pool.MockPool) and
# reset for every test, so any client (requests, urllib3, official SDKs, other
# languages) reaches its ``url``. ``@pytest.mark.flowharness_mocks(in_process=True)``
# runs them in-process instead (httpx clients with the handle's transport only);
# ``tls=True`` serves HTTPS (``ca_bundle`` on the handle). A mock is a
# mocks._core.MockHandle (email: mocks.email.MailServer): .url, .admin, .credentials,
# .ca_bundle, .client, .reset(), and .host/.port of a server.

MARKER = "flowharness_mocks"
MODE_INI = "flowharness_mock_mode"
TLS_INI = "flowharness_mock_tls"


def _mock_options(request: pytest.FixtureRequest) -> Any:
    from mocks.pool import MockOptions

    config = request.config
    in_process = config.getini(MODE_INI) == "in_process"
    tls = {"on": True, "off": False}.get(config.getini(TLS_INI))
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args or set(marker.kwargs) - {"in_process", "tls"}:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} takes in_process= and tls= only, got "
                f"{marker.args!r} {marker.kwargs!r}"
            )
        in_process = bool(marker.kwargs.get("in_process", in_process))
        tls = marker.kwargs.get("tls", tls)
    return MockOptions(in_process=in_process, tls=tls)


@pytest.fixture(scope="session")
def _flowharness_mock_pool() -> Iterator[Any]:
    from mocks.pool import MockPool  # lazy: keeps fastapi and the mocks out of plugin import

    with MockPool() as pool:
        yield pool


@pytest.fixture
def mock_services(request: pytest.FixtureRequest, _flowharness_mock_pool: Any) -> Iterator[Any]:
    """Several mocks at once (a :class:`mocks.pool.MockSet`): ``mock_services.hubspot``,
    ``mock_services["smtp"]``...; each served once per session, fresh in every test.
    ``mock_services.config()`` is their ``flowharness mocks up --json`` description."""
    from mocks.pool import MockSet

    with MockSet(_flowharness_mock_pool, _mock_options(request)) as mocks:
        yield mocks


def _mock_fixture(name: str, doc: str) -> Any:
    def fixture(mock_services: Any) -> Any:
        return mock_services.get(name)

    fixture.__doc__ = doc
    return pytest.fixture(name=f"mock_{name}")(fixture)


mock_slack = _mock_fixture(
    "slack",
    """The Slack mock (incoming webhooks and the Web API), served; fresh per test.

    Webhook URL: ``url + credentials["webhook_path"]``; slack_sdk's ``WebClient``:
    ``base_url=url + credentials["api_path"]``, ``token=credentials["bot_token"]``; read
    it with ``mocks.slack.SlackAdmin(mock_slack.admin)``.
    """,
)
mock_teams = _mock_fixture("teams", "The Microsoft Teams webhook mock, served; fresh per test.")
mock_cloud_api = _mock_fixture(
    "cloud_api",
    """The WhatsApp Cloud API mock, served; fresh per test.

    ``credentials["access_token"]`` is its token; its ``url`` replaces
    ``https://graph.facebook.com`` (pywa: see the mocks README).
    """,
)
mock_smtp = _mock_fixture(
    "smtp",
    """A real SMTP server on a loopback port (one per session), fresh for every test.

    The handle (``mocks.email.MailServer``) has ``.host``, ``.port`` (SMTP),
    ``.admin`` (``AdminClient``), ``.url`` (the admin API) and ``.messages(to=, subject=)``.
    """,
)
mock_hubspot = _mock_fixture(
    "hubspot",
    """The HubSpot CRM mock, served; fresh per test.

    It takes private-app (``pat-...``) and OAuth access tokens
    (``credentials["access_token"]``, ``credentials["oauth_access_token"]``); read
    it with ``mocks.crm.HubSpotAdmin(mock_hubspot.admin)``.
    """,
)
mock_salesforce = _mock_fixture(
    "salesforce",
    """The Salesforce OAuth + REST mock, served over HTTPS (``ca_bundle``); fresh per test.

    ``credentials["access_token"]`` is a live session (simple-salesforce's
    ``session_id``), or log in with ``client_id``/``client_secret``; read it with
    ``mocks.crm.SalesforceAdmin(mock_salesforce.admin)``.
    """,
)

mock_wasender = _mock_fixture(
    "wasender",
    """The WASenderApi mock, served; fresh per test.

    An SDK's base URL is ``url + credentials["api_path"]`` (``/api``), its API key
    ``credentials["api_key"]``; read it with ``mocks.wasender.WasenderAdmin(mock_wasender.admin)``.
    """,
)


@pytest.fixture
def mock_crm(request: pytest.FixtureRequest) -> Any:
    """The CRM mock: HubSpot, or Salesforce with
    ``@pytest.mark.parametrize("mock_crm", ["salesforce"], indirect=True)``."""
    crm = getattr(request, "param", "hubspot")
    if crm not in ("hubspot", "salesforce"):
        raise ValueError(f"mock_crm is 'hubspot' or 'salesforce', got {crm!r}")
    return request.getfixturevalue(f"mock_{crm}")


# --- scenario files -----------------------------------------------------------------
# Opt-in: ``pytest --scenarios scenarios/`` or ``flowharness_scenarios = scenarios/`` in
# the ini file; otherwise YAML files are never collected. Each file is one test item.

SCENARIO_SUFFIXES = (".yaml", ".yml")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        MODE_INI,
        default="server",
        help="How the mock fixtures run: server (default: real loopback sockets) or "
        "in_process (httpx clients only; faster).",
    )
    parser.addini(
        TLS_INI,
        default="auto",
        help="HTTPS for the mock fixtures: auto (default: only where the SDK insists, "
        "Salesforce), on, or off.",
    )
    group = parser.getgroup("flowharness", "flowharness scenarios")
    group.addoption(
        "--scenarios",
        action="store_true",
        default=False,
        help="Collect scenario files (*.yaml, *.yml) among the paths given to pytest; "
        "with the flowharness_scenarios ini option, only those under its paths.",
    )
    group.addoption(
        "--scenario-target",
        choices=("embedded", "remote"),
        default="embedded",
        help="embedded (default): the reference endpoint, worker and mocks in-process; "
        "remote: an endpoint on the network (needs --scenario-endpoint, "
        "--scenario-public-key, --scenario-app-secret).",
    )
    group.addoption("--scenario-endpoint", metavar="URL", help="Remote: the endpoint's URL.")
    group.addoption(
        "--scenario-public-key", metavar="PEM", help="Remote: the endpoint's public key file."
    )
    group.addoption(
        "--scenario-app-secret",
        metavar="SECRET",
        default=os.environ.get("FLOWHARNESS_APP_SECRET"),
        help="Remote: the app secret requests are signed with (or FLOWHARNESS_APP_SECRET).",
    )
    group.addoption(
        "--scenario-mocks-config",
        metavar="JSON",
        help="Remote: the mocks' URLs, as printed by `flowharness mocks up --json`.",
    )
    group.addoption(
        "--scenario-mock",
        action="append",
        metavar="NAME=URL",
        help="Remote: one mock's URL (repeatable).",
    )
    group.addoption("--scenario-crm", metavar="NAME", help="Remote: the CRM the endpoint uses.")
    group.addoption(
        "--scenario-flow-token-secret",
        metavar="SECRET",
        default=os.environ.get("FLOWHARNESS_FLOW_TOKEN_SECRET"),
        help="Remote: mint flow tokens in the reference server's format with this secret.",
    )
    group.addoption("--scenario-webhook-url", metavar="URL", help="Remote: webhook steps' URL.")
    group.addoption(
        "--scenario-sql-url",
        metavar="URL",
        help="Remote: the SQL CRM's database, read only by `sql` and `contacts` checks.",
    )
    group.addoption(
        "--scenario-sql-record-url",
        metavar="TEMPLATE",
        help="Remote: how the endpoint links a SQL CRM row (https://.../leads/{id}).",
    )
    group.addoption(
        "--scenario-budget",
        type=float,
        default=3.0,
        metavar="SECONDS",
        help="Answers slower than this are over budget (default 3).",
    )
    parser.addini(
        "flowharness_scenarios",
        type="paths",
        default=[],
        help="Directories or files whose YAML files are collected as scenarios.",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(in_process=False, tls=None): how this test's mock fixtures run: "
        "in-process instead of on loopback sockets, HTTPS or not (None: per mock).",
    )
    for name, allowed in ((MODE_INI, ("server", "in_process")), (TLS_INI, ("auto", "on", "off"))):
        if config.getini(name) not in allowed:
            raise pytest.UsageError(f"{name} must be one of {', '.join(allowed)}")
    if config.getoption("scenario_target") == "remote":
        missing = [
            "--" + name.replace("_", "-")
            for name in ("scenario_endpoint", "scenario_public_key", "scenario_app_secret")
            if not config.getoption(name)
        ]
        if missing:
            raise pytest.UsageError("--scenario-target remote needs " + ", ".join(missing))


def _scenario_roots(config: pytest.Config) -> list[Path] | None:
    """Where scenario files are collected from: None for nowhere, [] for anywhere."""
    roots: list[Path] = [Path(p).resolve() for p in config.getini("flowharness_scenarios")]
    if roots:
        return roots
    return [] if config.getoption("scenarios") else None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in SCENARIO_SUFFIXES:
        return None
    roots = _scenario_roots(parent.config)
    if roots is None:
        return None
    resolved = file_path.resolve()
    if roots and not any(resolved == root or root in resolved.parents for root in roots):
        return None
    from harness.scenarios._pytest import ScenarioFile  # lazy: the runner pulls in httpx

    file: pytest.Collector = ScenarioFile.from_parent(parent, path=file_path)
    return file


@pytest.fixture
def scenario_runner(request: pytest.FixtureRequest) -> Any:
    """A :class:`harness.scenarios.ScenarioRunner` on the ``--scenario-target`` (embedded
    by default): ``scenario_runner.run("path.yaml")`` or ``.run_text(yaml_text)`` gives a
    :class:`~harness.scenarios.ScenarioResult`; ``arun``/``arun_text`` in async tests."""
    from harness.scenarios import ScenarioRunner
    from harness.scenarios._pytest import target_from_config

    return ScenarioRunner(target_from_config(request.config))
