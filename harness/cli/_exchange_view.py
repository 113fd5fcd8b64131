"""Printing a client result for people (rich) or for machines (JSON)."""

from __future__ import annotations

import json

import click
from rich.console import Console
from rich.json import JSON
from rich.panel import Panel
from rich.text import Text

from harness.client import FlowResult, Outcome


def statuses(result: FlowResult) -> str:
    """'200', or '421 -> 200' after a retry; '-' for no answer."""
    return " -> ".join("-" if e.status is None else str(e.status) for e in result.exchanges)


def print_result(console: Console, result: FlowResult, *, url: str) -> None:
    colour = "green" if result.ok else "red"
    lines = Text()
    lines.append(f"POST {url}\n", style="bold")
    lines.append("status   ")
    lines.append(statuses(result) + "\n", style=colour)
    lines.append("outcome  ")
    lines.append(str(result.outcome) + "\n", style=f"bold {colour}")
    lines.append("time     ")
    timing = f"{result.elapsed * 1000:.0f} ms of a {result.budget * 1000:.0f} ms budget"
    lines.append(timing, style="green" if result.within_budget else "bold yellow")
    if not result.within_budget:
        lines.append("  OVER BUDGET", style="bold yellow")
    if result.retried:
        lines.append("\nretried  after a 421, like WhatsApp")
    console.print(lines)
    if result.payload is not None:
        console.print(Panel(JSON.from_data(result.payload), title="decrypted answer", expand=False))
    if result.outcome is Outcome.FLOW_TOKEN_INVALID:
        console.print(f"error_msg: {result.error_msg!r}")
    if not result.ok or not result.within_budget:
        console.print(Panel(result.explain(), title="what this means", border_style=colour))


def print_json(result: FlowResult) -> None:
    # click.echo, not rich: the output must stay plain JSON whatever the terminal.
    click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
