"""``--health`` on walk and run: Meta's health verdict on the requests a command made."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import click
from rich.console import Console
from rich.text import Text

from harness.health import CLIENT_ERRORS, HealthVerdict, RequestKind, TrafficTally, assess

if TYPE_CHECKING:
    from harness.scenarios import RunResult
    from harness.walker import Transcript

HEALTH_HELP = (
    "End with Meta's health verdict on these requests: which endpoint alerts they would "
    "fire (error rate, p90 latency, availability, client error rate) and whether the flow "
    "would stay PUBLISHED or be THROTTLED or BLOCKED (then the command exits 1). An "
    "estimate: Meta judges windows of 10 to 60 minutes."
)

health_option = click.option("--health", is_flag=True, help=HEALTH_HELP)

_NAVIGATIONS = frozenset({"INIT", "init", "data_exchange", "BACK", "back"})


def walk_traffic(transcripts: Iterable[Transcript], seconds: float) -> HealthVerdict:
    """The verdict on every request the walker sent (its error notifications aside)."""
    tally = TrafficTally()
    for transcript in transcripts:
        for step in transcript.steps:
            if step.kind not in ("init", "data_exchange", "back") or step.outcome is None:
                continue
            error = str(step.outcome)
            if error == "ok":  # decrypted: did the client accept the screen it got?
                codes = [f.code for f in step.findings if f.severity == "error"]
                error = next((code for code in codes if code in CLIENT_ERRORS), "ok")
            tally.record("navigation", step.elapsed, error)
    return assess(tally.traffic(seconds=seconds))


def run_traffic(result: RunResult) -> HealthVerdict:
    """The verdict on the requests the scenarios sent as WhatsApp would (those signed
    wrongly, sealed for another key or tampered with on purpose are left out)."""
    tally = TrafficTally()
    for scenario in result.scenarios:
        for step in scenario.steps:
            for exchange in step.exchanges:
                if exchange.action in ("webhook", "redelivery") or not exchange.as_whatsapp:
                    continue  # to a webhook receiver, or broken on purpose: not WhatsApp's
                kind: RequestKind = "other"
                if exchange.action == "ping":
                    kind = "health_check"
                elif exchange.action in _NAVIGATIONS:
                    kind = "navigation"
                tally.record(
                    kind,
                    exchange.elapsed_ms / 1000,
                    exchange.outcome,
                    failed=exchange.outcome != "ok" if kind == "health_check" else None,
                )
    return assess(tally.traffic(seconds=result.elapsed))


def print_verdict(console: Console, verdict: HealthVerdict) -> None:
    headline, *details = verdict.lines()
    style = "bold green" if verdict.passed else "bold red"
    console.print(Text("Meta's health verdict: ", style="bold") + Text(headline, style=style))
    console.print(Text("\n".join(details)), soft_wrap=True)
