"""The remote target: an endpoint on the network, and mocks started by ``flowharness mocks up``.

Everything is checked from the outside: the client speaks the protocol to the
endpoint's URL, and expectations on the mocks go through their ``/__admin`` API.
The mocks are shared, so scenarios run one at a time and each starts by resetting
them. The endpoint must be configured to call the mocks (Slack notifications to
``NOTIFY_PATH``, alerts to ``ALERTS_PATH``; see ``scenarios/README.md``).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx

from harness.client import AsyncFlowClient
from harness.scenarios._checks import STREAMS
from harness.scenarios._environment import ClientParts, Environment, MockAdmin
from harness.scenarios._keys import KeySet
from harness.scenarios._model import Scenario
from harness.scenarios.exceptions import ScenarioRuntimeError, TargetError

__all__ = [
    "RemoteEnvironment",
    "RemoteTarget",
    "parse_mock_options",
    "parse_mocks_config",
    "read_mocks_config",
    "unsupported",
]


def read_mocks_config(path: Path | str) -> dict[str, str]:
    """Mock URLs from the JSON ``flowharness mocks up --json`` prints (``-``: standard input).

    Accepted shapes: ``{"mocks": {"hubspot": {"url": ...}, ...}}`` (what ``mocks up
    --json`` prints), the same without the ``mocks`` level, or ``{"hubspot": "http://..."}``.
    """
    try:
        text = sys.stdin.read() if str(path) == "-" else Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TargetError(f"cannot read the mocks config {path}: {exc}") from exc
    return parse_mocks_config(text, str(path))


def parse_mocks_config(text: str, source: str = "the mocks config") -> dict[str, str]:
    """:func:`read_mocks_config` on a text; the last JSON line wins (a saved terminal log)."""
    lines = [line for line in text.splitlines() if line.strip().startswith("{")]
    if not lines:
        raise TargetError(
            f"{source}: no JSON object found; save the line `flowharness mocks up --json` prints"
        )
    try:
        data = json.loads(lines[-1])
    except ValueError as exc:
        raise TargetError(f"{source}: not valid JSON ({exc})") from exc
    mocks = data.get("mocks", data) if isinstance(data, dict) else None
    if not isinstance(mocks, dict):
        raise TargetError(f"{source}: expected a JSON object mapping mock names to URLs")
    urls: dict[str, str] = {}
    for name, value in mocks.items():
        url = value.get("url") if isinstance(value, dict) else value
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise TargetError(f"{source}: the {name} mock has no http(s) url ({value!r})")
        urls[str(name)] = url.rstrip("/")
    return urls


def parse_mock_options(items: Iterable[str]) -> dict[str, str]:
    """``["slack=http://127.0.0.1:8101", ...]`` (``--mock NAME=URL``) as a mapping."""
    urls: dict[str, str] = {}
    for item in items:
        name, sep, url = item.partition("=")
        if not sep or not name or not url.startswith(("http://", "https://")):
            raise TargetError(f"--mock expects NAME=URL with an http(s) URL, got {item!r}")
        urls[name] = url.rstrip("/")
    return urls


def unsupported(scenario: Scenario) -> str | None:
    """Why ``scenario`` can only run embedded (it reconfigures or looks inside the endpoint)."""
    setup = scenario.setup
    if setup.settings:
        return "it changes the endpoint's settings (setup.settings)"
    if setup.server_keys != ("current",):
        return "it gives the endpoint other private keys (setup.server_keys)"
    if setup.app_secrets != ("current",):
        return "it gives the endpoint other app secrets (setup.app_secrets)"
    for step in scenario.steps:
        if step.kind == "check":
            checks = step.spec
        elif step.kind == "wait_for" and isinstance(step.spec, dict):
            checks = step.spec.get("check")
        else:
            continue
        for check in checks if isinstance(checks, list) else [checks]:
            streams = [k for k in STREAMS if isinstance(check, dict) and k in check]
            if streams:
                return f"step {step.index + 1} reads the endpoint's {streams[0]} stream"
    return None


class RemoteTarget:
    name = "remote"
    max_parallel = 1  # the mocks are shared: one scenario at a time

    def __init__(
        self,
        endpoint: str,
        *,
        public_key: str | bytes,
        app_secret: str,
        mocks: dict[str, str] | None = None,
        crm: str | None = None,
        flow_token_secret: str | None = None,
        webhook_url: str | None = None,
        sql_url: str | None = None,
        sql_record_url_template: str | None = None,
        budget: float = 3.0,
    ):
        if not endpoint.startswith(("http://", "https://")):
            raise TargetError(f"the endpoint must be an http(s) URL, not {endpoint!r}")
        self.endpoint = endpoint
        self.public_key = public_key
        self.app_secret = app_secret
        self.mocks = dict(mocks or {})
        self.crm = crm
        self.flow_token_secret = flow_token_secret
        self.webhook_url = webhook_url
        self.sql_url = sql_url
        """The SQL CRM's database (read-only checks); never printed: it may hold a password."""
        self.sql_record_url_template = sql_record_url_template
        self.budget = budget
        self.keys = KeySet()  # only "other": a key the endpoint does not know

    def environment(self, scenario: Scenario) -> RemoteEnvironment:
        return RemoteEnvironment(self, scenario)

    def describe(self) -> str:
        return f"remote endpoint {self.endpoint}"

    def unsupported(self, scenario: Scenario) -> str | None:
        """Why this target cannot run ``scenario`` (the runner then skips it), or None."""
        reason = unsupported(scenario)
        return f"embedded only: {reason}" if reason else None


class RemoteEnvironment(Environment):
    def __init__(self, target: RemoteTarget, scenario: Scenario):
        self.target = target
        self.scenario = scenario
        self.crm = target.crm or scenario.setup.crm
        self.flow_path = scenario.setup.flow
        self.sql_url = target.sql_url
        self.sql_record_url_template = target.sql_record_url_template
        self._admins: dict[str, MockAdmin] = {}
        self._clients: dict[tuple[str, bool, str], AsyncFlowClient] = {}

    async def __aenter__(self) -> RemoteEnvironment:
        if self.scenario.setup.settings or self.scenario.setup.server_keys != ("current",):
            raise TargetError("this scenario reconfigures the endpoint: run it embedded")
        for name in self.scenario.mocks_used():
            await self.mock(name).reset()
        return self

    def _client_parts(self, key: str, app_secret: str) -> ClientParts:
        if key == "previous" or app_secret == "previous":
            raise TargetError("key and secret rotation scenarios need the embedded target")
        current = self.target.public_key
        public = current if key == "current" else self.target.keys.public("other")
        secret = self.target.app_secret if app_secret == "current" else "not-the-app-secret"
        return ClientParts(self.target.endpoint, public, current, secret, self.target.budget)

    def _token_issuer(self, forged: bool) -> tuple[Any, str]:
        if not self.target.flow_token_secret:
            raise TargetError(
                "minting flow tokens for a remote endpoint needs --flow-token-secret "
                "(the reference server's token format)"
            )
        from reference_server import FlowTokens

        secret = "forged-" + self.target.flow_token_secret if forged else None
        return FlowTokens([secret or self.target.flow_token_secret]), "flow"

    def mock(self, name: str) -> MockAdmin:
        name = self._mock_name(name)
        if name not in self._admins:
            url = self.target.mocks.get(name)
            if url is None:
                raise TargetError(
                    f"no URL for the {name} mock: pass --mocks-config (from `flowharness "
                    f"mocks up`) or --mock {name}=URL"
                )
            from mocks._core import AsyncAdminClient

            self._admins[name] = AsyncAdminClient(url)
        return self._admins[name]

    async def stream(self, name: str) -> list[dict[str, Any]]:
        raise TargetError(f"{name} entries live inside the endpoint: check them embedded")

    def app_secret(self, name: str = "current") -> str:
        if name != "current":
            raise ScenarioRuntimeError("only the current app secret is known remotely")
        return self.target.app_secret

    def webhook_endpoint(self) -> tuple[str, Any]:
        if not self.target.webhook_url:
            raise TargetError("flows_webhook steps need --webhook-url on the remote target")
        return self.target.webhook_url, None

    async def post_webhook(self, body: bytes, signature: str | None) -> tuple[int, str]:
        if not self.target.webhook_url:
            raise TargetError("webhook steps need --webhook-url on the remote target")
        headers = {"Content-Type": "application/json"}
        if signature:
            headers["X-Hub-Signature-256"] = signature
        async with httpx.AsyncClient(timeout=10.0) as http:
            response = await http.post(self.target.webhook_url, content=body, headers=headers)
        return response.status_code, response.text

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
        for admin in self._admins.values():
            await admin.aclose()
