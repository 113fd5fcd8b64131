"""The embedded target: the reference endpoint, its worker and every mock in one process.

No ports, no Redis server: each scenario gets a fresh app on an embedded fakeredis,
fresh mocks, and an httpx transport that sends the endpoint's outbound calls to
the mocks' ASGI apps by host name. A worker task drives the lead queue the whole
time, as ``flowharness serve --with-worker`` would.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import inspect
import json
import shutil
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

from harness.client import AsyncFlowClient
from harness.scenarios._environment import (
    ALERTS_PATH,
    NOTIFY_PATH,
    ClientParts,
    Environment,
    MockAdmin,
)
from harness.scenarios._keys import KeySet
from harness.scenarios._model import Scenario
from harness.scenarios.exceptions import ScenarioRuntimeError

__all__ = [
    "MOCK_FACTORIES",
    "EmbeddedEnvironment",
    "EmbeddedTarget",
    "MockNetwork",
    "reference_flow",
]

TOKEN_SECRET = "flowharness-scenario-token-secret"
FORGED_SECRET = "not-the-endpoint-token-secret"
FLOW_ID = "lead-capture-flow"
STAFF_WHATSAPP = "+14155550100"
HUBSPOT_TOKEN = "pat-flowharness-scenarios"
TEAMS_PATH = "/webhookb2/flowharness/IncomingWebhook/notify/owner"
SQL_RECORD_URL_TEMPLATE = "https://crm.example.com/leads/{id}"
"""How the embedded endpoint links a SQL CRM row (a target's settings may change it)."""
MOCK_FACTORIES: dict[str, str] = {
    "hubspot": "mocks.crm.hubspot:create_service",
    "salesforce": "mocks.crm.salesforce:create_service",
    "slack": "mocks.slack:create_service",
    "teams": "mocks.teams:create_service",
    "cloud_api": "mocks.cloud_api:create_service",
    "email": "mocks.email:create_service",
    "wasender": "mocks.wasender:create_service",
}
AppFactory = Callable[..., Any]
"""``settings -> ASGI app`` (with an optional ``http=`` keyword: the httpx client for the
app's outbound calls); default ``reference_server.create_app``."""


def _accepts_http(factory: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(factory).parameters
    except (TypeError, ValueError):  # builtins and some callables have no signature
        return False
    return "http" in parameters


class MockNetwork(httpx.AsyncBaseTransport):
    """Sends each request to the ASGI app registered for its host; unknown hosts fail loudly."""

    def __init__(self) -> None:
        self._apps: dict[str, httpx.AsyncBaseTransport] = {}

    def add(self, host: str, app: Any) -> str:
        # the mocks' transport applies the caller's timeout, as a socket would
        from mocks._core import AsyncASGITransport

        self._apps[host] = AsyncASGITransport(app)
        return f"http://{host}"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        transport = self._apps.get(request.url.host)
        if transport is None:
            raise httpx.ConnectError(
                f"no mock serves {request.url.host}; the scenario's setup.mocks lacks it",
                request=request,
            )
        return await transport.handle_async_request(request)


def reference_flow() -> Path:
    """The reference endpoint's Flow JSON, from the installed ``reference_server`` package."""
    resource = resources.files("reference_server").joinpath("flows", "lead_capture.json")
    if not isinstance(resource, Path) or not resource.is_file():  # a zipped or partial install
        raise ScenarioRuntimeError(
            f"the reference flow is not on disk ({resource}); reinstall flowharness "
            "unzipped, or name the Flow JSON in setup.flow"
        )
    return resource


def _factory(name: str) -> Callable[..., Any]:
    module_name, _, attribute = MOCK_FACTORIES[name].partition(":")
    try:
        return getattr(importlib.import_module(module_name), attribute)  # type: ignore[no-any-return]
    except (ImportError, AttributeError) as exc:
        raise ScenarioRuntimeError(
            f"the {name} mock is not available ({exc}); remove it from setup or install it"
        ) from exc


class EmbeddedTarget:
    """Builds one in-process world per scenario; ``settings`` apply to every scenario."""

    name = "embedded"

    def __init__(
        self,
        *,
        app_factory: AppFactory | None = None,
        settings: dict[str, Any] | None = None,
        keys: KeySet | None = None,
        budget: float = 3.0,
        drive_worker: bool = True,
    ):
        self.app_factory = app_factory
        self.drive_worker = drive_worker
        """False: no background worker (for endpoints that do the CRM work themselves)."""
        self.settings = dict(settings or {})
        self.keys = keys or KeySet()
        self.budget = budget

    def environment(self, scenario: Scenario) -> EmbeddedEnvironment:
        return EmbeddedEnvironment(self, scenario)

    def describe(self) -> str:
        return "embedded (reference endpoint, worker and mocks in-process)"


class EmbeddedEnvironment(Environment):
    def __init__(self, target: EmbeddedTarget, scenario: Scenario):
        self.target = target
        self.scenario = scenario
        self.crm = scenario.setup.crm
        self.flow_path = scenario.setup.flow or reference_flow()
        self.network = MockNetwork()
        self.services: dict[str, Any] = {}
        self._admins: dict[str, MockAdmin] = {}
        self._clients: dict[tuple[str, bool, str], AsyncFlowClient] = {}
        self._closers: list[Callable[[], Any]] = []
        self._worker_task: asyncio.Task[None] | None = None
        self._stopping = False
        self.app: Any = None
        self.worker: Any = None
        self.http: httpx.AsyncClient | None = None

    # -- building ------------------------------------------------------------------

    async def __aenter__(self) -> EmbeddedEnvironment:
        from mocks._core import AsyncAdminClient
        from reference_server import FlowTokens, Settings

        urls: dict[str, str] = {}
        for name in self.scenario.mocks_used():
            service = await asyncio.to_thread(self._create_mock, name)
            self.services[name] = service
            urls[name] = self.network.add(f"{name}.mock", service.app)
            self._admins[name] = AsyncAdminClient.for_app(service.app, urls[name])
        self.http = httpx.AsyncClient(transport=self.network)
        values = {**self._settings(urls), **self.target.settings, **self.scenario.setup.settings}
        settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
        self.settings = settings
        if settings.crm == "sql":
            self.sql_url = settings.sql_url
            self.sql_record_url_template = settings.sql_record_url_template
        self.tokens = FlowTokens([TOKEN_SECRET])
        self.forger = FlowTokens([FORGED_SECRET])
        self.app = self._build_app(settings)
        if self.crm != "none" and self.target.drive_worker:
            self.worker = self._make_worker(settings)
            if settings.crm == "sql":  # as a deployed worker does at start: the schema
                problem = await self.worker.crm.probe()
                if problem:
                    raise ScenarioRuntimeError(f"the SQL CRM cannot be used: {problem}")
            self._worker_task = asyncio.create_task(self._drive())
        return self

    def _create_mock(self, name: str) -> Any:
        service = _factory(name)()
        if name == "email":  # SMTP needs a real socket: the one mock on a loopback port
            from mocks.email import MailServer

            self._mail = MailServer(service).start()
            self._closers.append(self._mail.stop)
        return service

    def _settings(self, urls: dict[str, str]) -> dict[str, Any]:
        keys = self.target.keys
        s = self.scenario.setup
        values: dict[str, Any] = {
            "private_keys": [keys.pem(name) for name in s.server_keys],
            "app_secrets": [keys.secrets[name] for name in s.app_secrets],
            "flow_token_secrets": [TOKEN_SECRET],
            "default_flow_id": FLOW_ID,
            "default_region": "FR",
            "crm": s.crm if s.crm in ("salesforce", "sql") else "hubspot",
            "hubspot_token": HUBSPOT_TOKEN,
            "retry_base_delay_seconds": 0.2,
            "retry_max_delay_seconds": 2.0,
            "notify_max_attempts": 2,
            "log_json": False,
        }
        if s.crm == "sql":  # a fresh SQLite file per scenario (a target may name a server)
            folder = tempfile.mkdtemp(prefix="flowharness-scenario-sql-")
            self._closers.append(lambda: shutil.rmtree(folder, ignore_errors=True))
            values["sql_url"] = str(Path(folder) / "leads.sqlite3")
            values["sql_record_url_template"] = SQL_RECORD_URL_TEMPLATE
        if "wasender" in urls:
            from mocks.wasender import API_PATH, DEFAULT_API_KEY

            values |= {
                "notify_wasender_base_url": urls["wasender"] + API_PATH,
                "notify_wasender_api_key": DEFAULT_API_KEY,
                "notify_wasender_to": [STAFF_WHATSAPP],
            }
        if "hubspot" in urls:
            values["hubspot_base_url"] = urls["hubspot"]
            backend = self.services["hubspot"].backend
            values["hubspot_portal_id"] = str(getattr(backend, "portal_id", "") or "") or None
            app_url = getattr(backend, "app_url", None)
            if app_url:
                values["hubspot_app_url"] = app_url
        if "salesforce" in urls:
            from mocks.crm.salesforce import SF_CLIENT_ID, SF_CLIENT_SECRET

            values |= {
                "salesforce_login_url": urls["salesforce"],
                "salesforce_client_id": SF_CLIENT_ID,
                "salesforce_client_secret": SF_CLIENT_SECRET,
            }
        if "slack" in urls:
            values["slack_webhook_url"] = urls["slack"] + ALERTS_PATH
            values["notify_slack_webhook_url"] = urls["slack"] + NOTIFY_PATH
        if "teams" in urls:
            values["notify_teams_webhook_url"] = urls["teams"] + TEAMS_PATH
        if "cloud_api" in urls:
            from mocks.cloud_api import DEFAULT_TOKEN

            values |= {
                "cloud_api_url": urls["cloud_api"],
                "cloud_api_token": DEFAULT_TOKEN,
                "phone_number_id": "106540352242922",
                "notify_whatsapp_to": STAFF_WHATSAPP,
            }
        if "email" in self.services:
            values |= {
                "smtp_host": self._mail.smtp_host,
                "smtp_port": self._mail.smtp_port,
                "notify_email_to": ["sales@example.com"],
                "alert_email_to": ["ops@example.com"],
            }
        return values

    def _build_app(self, settings: Any) -> Any:
        """The endpoint, its outbound calls (alerts, Cloud API) on the mock network.

        The default factory and any factory taking an ``http`` keyword get our client;
        others (``settings -> app``) keep their own outbound HTTP.
        """
        from reference_server import create_app

        factory = self.target.app_factory or create_app
        if _accepts_http(factory):
            return factory(settings, http=self.http)
        return factory(settings)

    def _make_worker(self, settings: Any) -> Any:
        from reference_server import Worker

        redis = self.app.state.redis
        return Worker(settings, redis, http=self.http, consumer="scenario-worker")

    async def _drive(self) -> None:
        # A stop flag as well as cancel(): redis clients may swallow a cancellation.
        while not self._stopping:
            report = await self.worker.run_once(block_ms=None)
            if not report.handled:
                await asyncio.sleep(0.02)

    # -- what steps use ------------------------------------------------------------

    def _client_parts(self, key: str, app_secret: str) -> ClientParts:
        keys = self.target.keys
        current = keys.public("current")
        secret = keys.secrets[app_secret]
        return ClientParts(self.app, keys.public(key), current, secret, self.target.budget)

    def _token_issuer(self, forged: bool) -> tuple[Any, str]:
        return (self.forger if forged else self.tokens), FLOW_ID

    def mock(self, name: str) -> MockAdmin:
        name = self._mock_name(name)
        if name not in self._admins:
            raise ScenarioRuntimeError(
                f"the {name} mock is not set up: add it to setup.mocks (or setup.crm)"
            )
        return self._admins[name]

    async def stream(self, name: str) -> list[dict[str, Any]]:
        prefix = self.settings.stream_prefix
        key = {"dead_letter": "dead"}.get(name, name)
        entries = await self.app.state.redis.xrange(f"{prefix}:{key}")
        out = []
        for entry_id, fields in entries:
            item: dict[str, Any] = {"id": entry_id, **fields}
            for field in ("lead", "errors", "response_json"):
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    item[field] = json.loads(item[field])
            out.append(item)
        return out

    async def post_webhook(self, body: bytes, signature: str | None) -> tuple[int, str]:
        headers = {"Content-Type": "application/json"}
        if signature:
            headers["X-Hub-Signature-256"] = signature
        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://endpoint") as http:
            response = await http.post("/webhook", content=body, headers=headers)
        return response.status_code, response.text

    def webhook_endpoint(self) -> tuple[str, Any]:
        return "http://endpoint/webhook", httpx.ASGITransport(app=self.app)

    def app_secret(self, name: str = "current") -> str:
        return self.target.keys.secrets[name]

    async def idle(self) -> None:
        if self._worker_task is not None and self._worker_task.done():
            error = self._worker_task.exception()
            raise ScenarioRuntimeError(f"the worker stopped: {error!r}")
        await asyncio.sleep(0.05)

    async def aclose(self) -> None:
        self._stopping = True
        if self._worker_task is not None:
            self._worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._worker_task, timeout=5.0)
        close_worker = getattr(self.worker, "aclose", None)
        if close_worker is not None:  # its CRM's connections (the SQL CRM's engine)
            with contextlib.suppress(Exception):
                await close_worker()
        for client in self._clients.values():
            await client.aclose()
        for admin in self._admins.values():
            await admin.aclose()
        state = getattr(self.app, "state", None)
        if state is not None:
            with contextlib.suppress(Exception):
                await state.alerter.drain()
            if getattr(state, "http", None) is not self.http:
                with contextlib.suppress(Exception):
                    await state.http.aclose()
            with contextlib.suppress(Exception):
                await state.redis.aclose()
        for close in self._closers:
            with contextlib.suppress(Exception):
                result = close()
                if asyncio.iscoroutine(result):
                    await result
        if self.http is not None:
            await self.http.aclose()
        for service in self.services.values():
            with contextlib.suppress(Exception):
                service.close()
