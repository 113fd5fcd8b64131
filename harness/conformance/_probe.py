"""What the checks share: the client, the flow token, and requests made once and reused."""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping
from typing import Any

from harness.client import FlowClient, FlowResult
from harness.conformance.exceptions import TokenSourceError

TokenSource = str | Callable[[], str]
"""A valid flow token, or a callable minting one (e.g. :func:`command_token_source`)."""

PLACEHOLDER_TOKEN = "flowharness-conformance-check"
"""Sent where a token is needed and the team gave no way to get a valid one."""

_COMMAND_TIMEOUT = 30.0


def command_token_source(command: str) -> Callable[[], str]:
    """A token source running ``command`` (no shell) and reading the token from its output.

    The last non-empty line printed is the token, so a command may log before it.
    """
    argv = shlex.split(command)
    if not argv:
        raise TokenSourceError("the token command is empty: give a command that prints a token")

    def mint() -> str:
        try:
            done = subprocess.run(  # noqa: S603 - the user's own command, run without a shell
                argv, capture_output=True, text=True, timeout=_COMMAND_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise TokenSourceError(f"the token command {argv[0]!r} could not run: {exc}") from exc
        lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
        if done.returncode != 0 or not lines:
            why = done.stderr.strip().splitlines()[-1:] or ["it printed nothing"]
            raise TokenSourceError(
                f"the token command {argv[0]!r} exited {done.returncode} without a token "
                f"({why[0][:200]}); check it prints a flow token on its last line"
            )
        return lines[-1]

    return mint


class Probe:
    """Sends the suite's requests; the answers several checks read are fetched once."""

    def __init__(
        self,
        client: FlowClient,
        *,
        app_secret: str | bytes,
        token_source: TokenSource | None,
        sample_request: Mapping[str, Any] | None,
        target_latency: float,
        large_body_bytes: int,
    ) -> None:
        self.client = client
        self.app_secret = app_secret
        self.target_latency = target_latency
        self.large_body_bytes = large_body_bytes
        self._token_source = token_source
        self._sample_request = dict(sample_request) if sample_request is not None else None
        self._memo: dict[str, Any] = {}  # answers several checks read, fetched once
        self.used: list[FlowResult] = []
        """The shared answers read since the list was last cleared (the report shows them
        with each check that read them, though they were sent once)."""

    def _once(self, name: str, fetch: Callable[[], Any]) -> Any:
        if name not in self._memo:
            self._memo[name] = fetch()
        value = self._memo[name]
        if isinstance(value, FlowResult):
            self.used.append(value)
        return value

    @property
    def budget(self) -> float:
        return self.client.budget

    @property
    def timeout(self) -> float:
        return self.client.timeout

    @property
    def has_token_source(self) -> bool:
        return self._token_source is not None

    def token(self) -> str | None:
        """A valid flow token from the team's source, or None when there is no source."""
        token: str | None = self._once("token", self._mint)
        return token

    def _mint(self) -> str | None:
        source = self._token_source
        if source is None or isinstance(source, str):
            return source
        try:
            token = source()
        except TokenSourceError:
            raise
        except Exception as exc:
            raise TokenSourceError(
                f"the flow token source raised {type(exc).__name__}: {exc}"
            ) from exc
        if not isinstance(token, str) or not token:
            raise TokenSourceError(f"the flow token source returned {token!r}, not a token")
        return token

    def token_or_placeholder(self) -> str:
        return self.token() or PLACEHOLDER_TOKEN

    def send(self, payload: Any = None, **options: Any) -> FlowResult:
        return self.client.send(payload, **options)

    def ping(self) -> FlowResult:
        """The first health check; the response checks read its answer."""
        result: FlowResult = self._once("ping", self.client.ping)
        return result

    def init(self) -> FlowResult | None:
        """An INIT with the valid token, or None without one."""
        token = self.token()
        if token is None:
            return None
        result: FlowResult = self._once("init", lambda: self.client.init(token))
        return result

    def sample_description(self) -> str:
        payload = self.sample_payload()
        return f"{payload.get('action')} request" + (
            f" on screen {payload['screen']}" if isinstance(payload.get("screen"), str) else ""
        )

    def sample_payload(self) -> dict[str, Any]:
        """The request replayed by the idempotency check (and timed): the team's, an INIT
        with the valid token, or a ping."""
        if self._sample_request is not None:
            payload = dict(self._sample_request)
            payload.setdefault("version", self.client.version)
            token = self.token()
            if token is not None:
                payload.setdefault("flow_token", token)
            return payload
        token = self.token()
        if token is not None:
            return {"version": self.client.version, "action": "INIT", "flow_token": token}
        return {"version": "3.0", "action": "ping"}

    def sample(self) -> FlowResult:
        result: FlowResult = self._once("sample", lambda: self.client.send(self.sample_payload()))
        return result
