"""The flowharness pytest plugin (registered under ``pytest11``).

Kept small and lazy: nothing heavy is imported until a fixture is used or a
scenario file is collected.
"""

from __future__ import annotations

import os
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# --- mock services ------------------------------------------------------------------
# Each mock is built once per session and reset around every test. The handle
# (mocks._core.MockHandle) has .app, .url, .client (httpx, bound to .url),
# .admin (AdminClient), .backend and .reset(). To add a mock: one _mock_fixtures line.

IN_PROCESS = "mocks._core:MockHandle.in_process"


def _mock_fixtures(name: str, factory: str, doc: str, *, serve: str = IN_PROCESS) -> Any:
    """The fixture pair of one mock: ``_flowharness_mock_<name>`` (session) serves the
    service ``factory`` ("module:create_service") builds with ``serve`` (a context
    manager); ``mock_<name>`` hands it out, reset before and after every test."""
    session_name = f"_flowharness_mock_{name}"

    def served() -> Iterator[Any]:
        # Resolved here, not at import: keeps fastapi and the mocks out of plugin import.
        service = pkgutil.resolve_name(factory)()
        with pkgutil.resolve_name(serve)(service) as handle:
            yield handle

    def fresh(request: pytest.FixtureRequest) -> Iterator[Any]:
        handle = request.getfixturevalue(session_name)
        handle.reset()
        yield handle
        handle.reset()

    fresh.__doc__ = doc
    session = pytest.fixture(scope="session", name=session_name)(served)
    return session, pytest.fixture(name=f"mock_{name}")(fresh)


_flowharness_mock_slack, mock_slack = _mock_fixtures(
    "slack",
    "mocks.slack:create_service",
    "The Slack incoming-webhook mock, in-process; fresh (reset) for every test.",
)
_flowharness_mock_teams, mock_teams = _mock_fixtures(
    "teams",
    "mocks.teams:create_service",
    "The Microsoft Teams webhook mock, in-process; fresh (reset) for every test.",
)
_flowharness_mock_cloud_api, mock_cloud_api = _mock_fixtures(
    "cloud_api",
    "mocks.cloud_api:create_service",
    """The WhatsApp Cloud API mock, in-process; fresh (reset) for every test.

    Its access token is ``mocks.cloud_api.DEFAULT_TOKEN``.
    """,
)
_flowharness_mock_smtp, mock_smtp = _mock_fixtures(
    "smtp",
    "mocks.email:create_service",
    """A real SMTP server on a loopback port (one per session), fresh for every test.

    The handle (``mocks.email.MailServer``) has ``.host``, ``.port``,
    ``.admin`` (``AdminClient``), ``.admin_url`` and ``.messages(to=, subject=)``.
    """,
    serve="mocks.email:MailServer",
)
_flowharness_mock_hubspot, mock_hubspot = _mock_fixtures(
    "hubspot",
    "mocks.crm.hubspot:create_service",
    """The HubSpot CRM v3 contacts mock, in-process; fresh (reset) for every test.

    It accepts any ``Authorization: Bearer pat-...`` token
    (``mocks.crm.hubspot.HUBSPOT_TOKEN`` is one); read it with
    ``mocks.crm.HubSpotAdmin(mock_hubspot.admin)``.
    """,
)
_flowharness_mock_salesforce, mock_salesforce = _mock_fixtures(
    "salesforce",
    "mocks.crm.salesforce:create_service",
    """The Salesforce OAuth + Lead REST mock, in-process; fresh (reset) for every test.

    Log in with ``mocks.crm.salesforce.SF_CLIENT_ID``/``SF_CLIENT_SECRET``; read
    it with ``mocks.crm.SalesforceAdmin(mock_salesforce.admin)``.
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
