"""``flowharness demo``: the client against a built-in endpoint, good and bad answers.

An interim tour until the scenario catalog exists: it needs no keys, no server and
no network.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import click
from rich.console import Console
from rich.table import Table

from harness import crypto
from harness.cli._exchange_view import statuses
from harness.client import FlowClient, FlowResult, Outcome
from harness.testing import FakeEndpoint, Fault, make_test_endpoint

DEMO_SECRET = "flowharness-demo-app-secret"  # a throwaway: the endpoint only lives in this process
FLOW_TOKEN = "demo-flow-token"


@dataclass(frozen=True)
class Step:
    name: str
    expected: Outcome
    why: str
    play: Callable[[FlowClient, FakeEndpoint], FlowResult]


def _stale_key_retry(client: FlowClient, endpoint: FakeEndpoint) -> FlowResult:
    # A client holding an old public key, whose key refresh returns the current one.
    current = client.public_key
    stale = crypto.generate_private_key(2048)
    with FlowClient(
        endpoint,
        public_key=stale,
        app_secret=DEMO_SECRET,
        key_provider=lambda: current,
        budget=client.budget,
    ) as refreshing:
        return refreshing.ping()


def _expired_token(client: FlowClient, endpoint: FakeEndpoint) -> FlowResult:
    endpoint.inject(Fault.STATUS_427, times=1, error_msg="This link has expired.")
    return client.init(FLOW_TOKEN)


STEPS = [
    Step(
        "ping",
        Outcome.OK,
        "The health check: publishing a flow needs it to pass, and WhatsApp keeps sending it.",
        lambda client, _: client.ping(),
    ),
    Step(
        "INIT",
        Outcome.OK,
        "The flow opens: the first screen's data comes from this answer.",
        lambda client, _: client.init(FLOW_TOKEN),
    ),
    Step(
        "data_exchange",
        Outcome.OK,
        "A form submit: the answer picks the next screen, and must come within the budget.",
        lambda client, _: client.data_exchange("DETAILS", {"name": "Ada"}, FLOW_TOKEN),
    ),
    Step(
        "421, key refresh",
        Outcome.OK,
        "After a key rotation WhatsApp refetches the public key and retries once (~500 ms).",
        _stale_key_retry,
    ),
    Step(
        "427",
        Outcome.FLOW_TOKEN_INVALID,
        "An expired token: the encrypted error_msg is shown and the flow's button disabled.",
        _expired_token,
    ),
    Step(
        "bad signature",
        Outcome.SIGNATURE_REJECTED,
        "An endpoint that skips the X-Hub-Signature-256 check accepts forged requests.",
        lambda client, _: client.send({"version": "3.0", "action": "ping"}, signature="bad"),
    ),
]


def _detail(result: FlowResult) -> str:
    if result.error_msg:
        return f" Here: error_msg {result.error_msg!r}."
    if result.retried:
        return " Here: the stale key got a 421, the refreshed one a 200."
    return ""


@click.command()
def demo() -> None:
    """Play ping, INIT, data_exchange, a 421 key refresh, a 427 and a bad signature
    against a built-in endpoint, and show what happened and why each matters."""
    console = Console()
    with console.status("generating a key pair for the built-in endpoint..."):
        private_key = crypto.generate_private_key(2048)
    endpoint = make_test_endpoint(private_key, DEMO_SECRET)
    table = Table(title="the mock WhatsApp client against a built-in endpoint")
    for column in ("#", "step", "HTTP", "outcome", "time", "as expected"):
        table.add_column(column, no_wrap=column != "as expected")
    notes: list[str] = []
    surprises = 0
    with FlowClient(endpoint, public_key=private_key, app_secret=DEMO_SECRET) as client:
        for number, step in enumerate(STEPS, start=1):
            result = step.play(client, endpoint)
            expected = result.outcome is step.expected
            surprises += not expected
            table.add_row(
                str(number),
                step.name,
                statuses(result),
                str(result.outcome),
                f"{result.elapsed * 1000:.0f} ms",
                "[green]yes[/]" if expected else f"[red]no, expected {step.expected}[/]",
            )
            notes.append(f"{number}. {step.why}{_detail(result)}")
            if not expected:
                notes.append(f"   [red]{result.explain()}[/]")
    console.print(table)
    console.print("[bold]Why each step matters[/]")
    for note in notes:
        console.print(note)
    console.print(
        "Each request was freshly encrypted (new AES key and 16-byte IV) and signed over its "
        "exact bytes. Try it on your own endpoint: `flowharness keys generate`, then "
        "`flowharness ping URL`."
    )
    raise SystemExit(1 if surprises else 0)
