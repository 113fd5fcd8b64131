"""The stub as an ASGI app: the shared fake endpoint's HTTP layer with the flow's answers."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from harness.flowjson import Flow, load_flow
from harness.flowjson._loader import FlowSource
from harness.stub._answers import StubAnswers
from harness.testing import FakeEndpoint, make_test_endpoint

Rewrite = Callable[[dict[str, Any], dict[str, Any]], Any]
"""``rewrite(request, answer) -> answer``: change the stub's answer before it is sealed."""


def create_stub_app(
    flow: Flow | FlowSource,
    private_keys: Any,
    app_secret: str | bytes | Iterable[str | bytes] | None = None,
    *,
    rewrite: Rewrite | None = None,
    delay: float = 0.0,
    path: str = "/",
) -> FakeEndpoint:
    """A Flows endpoint for ``flow`` that answers every request validly (see ``StubAnswers``).

    ``private_keys``: one private key (object or PEM) or several (a rotation).
    ``app_secret``: when given, requests without a valid ``X-Hub-Signature-256`` get 432.
    ``rewrite`` lets tests make mistakes on purpose. The app keeps what it received in
    ``.received`` and can misbehave on the wire with ``.inject(Fault...)``.
    """
    model = flow if isinstance(flow, Flow) else load_flow(flow)
    answers = StubAnswers(model)

    def handler(request: dict[str, Any]) -> Any:
        answer = answers(request)
        return rewrite(request, answer) if rewrite is not None else answer

    return make_test_endpoint(private_keys, app_secret, handler=handler, delay=delay, path=path)


def received_payloads(app: FakeEndpoint, *, action: str | None = None) -> list[Mapping[str, Any]]:
    """The decrypted requests the stub received, optionally only one action's."""
    payloads = [seen.payload for seen in app.received if seen.payload is not None]
    return [p for p in payloads if action is None or p.get("action") == action]
