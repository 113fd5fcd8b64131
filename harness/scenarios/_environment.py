"""What a step talks to: the endpoint (through a client) and the mocks (through their admin API).

:class:`Environment` is one scenario's world. Targets build it (``_embedded``:
everything in-process; ``_remote``: an endpoint and mocks on the network). The
collections checks read (contacts, notifications, alerts...) come from the mocks'
admin API, so they work the same on both targets.
"""

from __future__ import annotations

import asyncio
import json
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, NamedTuple

from harness.client import AsyncFlowClient
from harness.scenarios.exceptions import ScenarioRuntimeError, TargetError

__all__ = ["ALERTS_PATH", "NOTIFY_PATH", "Environment", "MockAdmin"]

NOTIFY_PATH = "/services/TFLOWHARNESS/BNOTIFY/notify"
"""The Slack webhook path lead notifications go to (configure the endpoint under test so)."""
ALERTS_PATH = "/services/TFLOWHARNESS/BALERTS/alerts"
"""The Slack webhook path operations alerts go to."""

MockAdmin = Any  # mocks._core.AsyncAdminClient; Any keeps mocks out of this import


class ClientParts(NamedTuple):
    """What a target's client is made of (see :meth:`Environment.client`)."""

    endpoint: Any  # a URL, or an ASGI app to call in-process
    public_key: Any
    current_key: Any  # what a key refresh (421) fetches
    app_secret: str
    budget: float


class Environment(ABC):
    """One scenario's endpoint, mocks and keys; an async context manager."""

    crm: str = "hubspot"
    flow_path: Path | None = None
    sql_url: str | None = None
    """The SQL CRM's database (``setup.crm: sql``), read by ``sql`` and ``contacts`` checks."""
    sql_record_url_template: str | None = None
    """How the endpoint links a row (``{id}``): gives SQL contacts their ``url``."""

    _clients: dict[tuple[str, bool, str], AsyncFlowClient]
    """Clients by (key, key_refresh, app_secret); subclasses start it empty."""

    def client(
        self,
        *,
        key: str = "current",
        key_refresh: bool = False,
        app_secret: str = "current",  # noqa: S107
    ) -> AsyncFlowClient:
        """A client with the named public key and app secret: current, previous or other."""
        cache_key = (key, key_refresh, app_secret)
        if cache_key not in self._clients:
            parts = self._client_parts(key, app_secret)
            current = parts.current_key
            self._clients[cache_key] = AsyncFlowClient(
                parts.endpoint,
                public_key=parts.public_key,
                app_secret=parts.app_secret,
                key_provider=(lambda: current) if key_refresh else None,
                budget=parts.budget,
            )
        return self._clients[cache_key]

    def _client_parts(self, key: str, app_secret: str) -> ClientParts:
        """What :meth:`client` builds a client from, for the named key and secret."""
        raise NotImplementedError(f"{type(self).__name__} must override _client_parts or client")

    def mint_token(
        self,
        phone: str,
        *,
        flow_id: str = "",
        campaign: str = "",
        source: str = "",
        ttl_seconds: int | None = None,
        forged: bool = False,
    ) -> str:
        """A flow token for ``phone``; ``forged``: signed with a secret the endpoint lacks."""
        issuer, default_flow_id = self._token_issuer(forged)
        return str(
            issuer.issue(
                phone,
                flow_id or default_flow_id,
                campaign=campaign,
                source=source,
                ttl_seconds=ttl_seconds,
            )
        )

    def _token_issuer(self, forged: bool) -> tuple[Any, str]:
        """A ``reference_server.FlowTokens`` to mint with, and the default flow id."""
        raise NotImplementedError(
            f"{type(self).__name__} must override _token_issuer or mint_token"
        )

    @abstractmethod
    def mock(self, name: str) -> MockAdmin:
        """The admin client of a mock (``crm`` names the scenario's CRM)."""

    @abstractmethod
    async def stream(self, name: str) -> list[dict[str, Any]]:
        """Entries of the endpoint's ``dead_letter``/``parked``/``completions``/``attachments``."""

    @abstractmethod
    def app_secret(self, name: str = "current") -> str:
        """The app secret the endpoint expects (``current``) or another one."""

    @abstractmethod
    async def post_webhook(self, body: bytes, signature: str | None) -> tuple[int, str]: ...

    def webhook_endpoint(self) -> tuple[str, Any]:
        """The endpoint's webhook URL and an httpx async transport to reach it (None: network)."""
        raise ScenarioRuntimeError(f"{type(self).__name__} cannot take flows_webhook steps")

    async def idle(self) -> None:
        """Let background work go on (embedded: the worker); called while waiting."""
        await asyncio.sleep(0.05)

    async def __aenter__(self) -> Environment:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close what the environment opened (clients, mocks)."""
        return None

    # -- collections for checks ----------------------------------------------------

    def _mock_name(self, name: str) -> str:
        if name == "crm":
            if self.crm == "none":
                raise ScenarioRuntimeError("this scenario has no CRM (setup.crm: none)")
            if self.crm == "sql":
                raise ScenarioRuntimeError(
                    "the SQL CRM is a database, not a mock: check its rows with `sql:` "
                    "or `contacts:`"
                )
            return self.crm
        return name

    async def contacts(self) -> list[dict[str, Any]]:
        """The CRM's records, each flattened: ``id``, ``url`` and every property."""
        if self.crm == "sql":
            template = self.sql_record_url_template
            rows = await self.sql_rows("leads")
            return [
                {**row, "url": template.format(id=row["id"]) if template else ""} for row in rows
            ]
        state = await self.mock("crm").state()
        records = state.get("contacts") or state.get("leads") or state.get("records") or []
        flat = []
        for record in records:
            item = {k: v for k, v in record.items() if k not in ("properties", "fields")}
            item.update(record.get("properties") or record.get("fields") or {})
            flat.append(item)
        return flat

    async def sql_rows(
        self, table: str, where: dict[str, Any] | None = None
    ) -> list[dict[str, Any]]:
        """Rows of ``table`` in the SQL CRM's database (read-only)."""
        if not self.sql_url:
            raise TargetError(
                "no SQL database to read: run with setup.crm: sql (embedded) or give the "
                "endpoint's database URL (--sql-url)"
            )
        from harness.scenarios._sql import read_rows

        return await read_rows(self.sql_url, table, where)

    async def requests(self, mock: str, **criteria: Any) -> list[dict[str, Any]]:
        entries = await self.mock(mock).requests(**criteria)
        return [
            {
                "method": e.method,
                "path": e.path,
                "status": e.status,
                "json": e.body_json,
                "text": e.body_text,
                "headers": e.headers,
                "faults": e.faults,
            }
            for e in entries
        ]

    async def notifications(self, channel: str) -> list[dict[str, Any]]:
        """Lead notifications the endpoint delivered, as ``{"text", "status", ...}``."""
        if channel == "slack":
            found = await self.requests("slack", path=NOTIFY_PATH)
            return [{**n, "text": _text(n.get("json"))} for n in found if _delivered(n)]
        if channel == "teams":
            found = await self.requests("teams", method="POST")
            return [{**n, "text": _text(n.get("json"))} for n in found if _delivered(n)]
        if channel == "whatsapp":
            found = await self.requests("cloud_api", method="POST", path_glob="*/messages")
            return [
                {**n, "text": ((n.get("json") or {}).get("text") or {}).get("body", "")}
                for n in found
                if _delivered(n)
            ]
        if channel == "wasender":
            found = await self.requests("wasender", method="POST", path="/api/send-message")
            return [
                {**n, "text": (n.get("json") or {}).get("text", "")} for n in found if _delivered(n)
            ]
        if channel == "email":
            return await self.emails()
        raise ScenarioRuntimeError(f"unknown notification channel {channel!r}")

    async def emails(self) -> list[dict[str, Any]]:
        state = await self.mock("email").state()
        messages = state.get("messages") or state.get("emails") or []
        out = []
        for message in messages:
            text = message.get("text") or message.get("body") or message.get("content") or ""
            out.append({**message, "text": text})
        return out

    async def alerts(self) -> list[dict[str, Any]]:
        """Operations alerts posted to the Slack alerts webhook."""
        found = await self.requests("slack", path=ALERTS_PATH)
        return [{**n, "text": _text(n.get("json"))} for n in found if _delivered(n)]


def _delivered(entry: dict[str, Any]) -> bool:
    status = entry.get("status")
    return status is not None and 200 <= status < 300


def _text(body: Any) -> str:
    if isinstance(body, dict):
        for key in ("text", "summary"):
            if isinstance(body.get(key), str):
                return str(body[key])
    return json.dumps(body, ensure_ascii=False) if body is not None else ""


def require(condition: bool, message: str) -> None:
    if not condition:
        raise TargetError(message)
