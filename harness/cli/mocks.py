"""``flowharness mocks``: run the mock services as real servers on loopback.

``flowharness mocks up`` starts any set of mocks (default: every installed
one), prints where they listen and the credentials to use (``--json``: one
JSON line for scripts), then waits; Ctrl-C or SIGTERM stops them cleanly.
``--tls`` serves HTTPS with a throwaway CA whose certificate file it prints.
It also serves a dashboard (``mocks.dashboard``): one page with every mock's
URL, credentials, live journal, faults and reset; ``--no-dashboard`` skips it.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from mocks._core import LoopbackTLS
    from mocks.registry import MockSpec

SMTP_NAME = "smtp"
"""``--port smtp=PORT`` sets the email mock's SMTP port (``--port email=`` its admin API)."""
DASHBOARD_NAME = "dashboard"
"""``--port dashboard=PORT`` sets the dashboard's port."""
DASHBOARD_PORT = 8100


@click.group()
def mocks() -> None:
    """Run the mock services (Slack, Teams, Cloud API, WASender, email, CRMs)."""


@mocks.command("list")
def list_mocks() -> None:
    """List the known mocks, their default ports and whether they are installed."""
    from mocks.registry import MOCKS

    for spec in MOCKS.values():
        state = "available" if spec.available() else "not installed"
        ports = str(spec.default_port) + (f", smtp {spec.smtp_port}" if spec.smtp_port else "")
        click.echo(f"{spec.name:<12} {ports:<16} {state:<14} {spec.routes}")


@mocks.command("up")
@click.argument("names", nargs=-1)
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port",
    "ports",
    multiple=True,
    metavar="NAME=PORT",
    help="Port for one mock (repeatable); 'smtp=PORT' for the email mock's SMTP server, "
    "'dashboard=PORT' for the dashboard.",
)
@click.option(
    "--base-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Number the mocks' ports from N in order (0: free ports for all).",
)
@click.option("--seed", type=int, default=None, help="Seed every mock's RNG (replayable ids).")
@click.option(
    "--tls",
    is_flag=True,
    help="Serve HTTPS with a throwaway CA made for this run (the email mock's SMTP stays "
    "plain); clients trust the printed ca_bundle file.",
)
@click.option(
    "--dashboard/--no-dashboard",
    default=True,
    show_default=True,
    help="Serve the web dashboard (journals, faults, reset) next to the mocks.",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON line instead of a table.")
def up(
    names: tuple[str, ...],
    host: str,
    ports: tuple[str, ...],
    base_port: int | None,
    seed: int | None,
    tls: bool,
    dashboard: bool,
    as_json: bool,
) -> None:
    """Start NAMES (default: all installed mocks) and serve until interrupted.

    Each mock's admin_url is what mocks.AdminClient takes; its admin API lives
    under /__admin (interactive docs at /__admin/docs). The dashboard's URL is
    printed too (default port 8100): open it in a browser.
    """
    specs = _select(names)
    plan = _port_plan(specs, _parse_ports(ports, specs), base_port)
    stop = threading.Event()
    with _signals_set(stop), ExitStack() as stack:
        try:
            certificate = _certificate(stack) if tls else None
            running = {
                spec.name: _start(stack, spec, host, plan, seed, certificate) for spec in specs
            }
            described = _described(running)
            page = (
                _start_dashboard(stack, described, host, plan[DASHBOARD_NAME], certificate)
                if dashboard
                else None
            )
        except Exception as exc:
            raise click.ClickException(f"could not start the mocks: {exc}") from exc
        _announce(described, page, certificate, as_json)
        while not stop.wait(0.2):
            pass
    click.echo("mocks stopped", err=True)


def _certificate(stack: ExitStack) -> LoopbackTLS:
    from mocks._core import LoopbackTLS

    certificate = LoopbackTLS.create()
    stack.callback(certificate.cleanup)
    return certificate


def _select(names: Sequence[str]) -> list[MockSpec]:
    from mocks.registry import MOCKS, UnknownMockError, available_mocks, get_spec

    if not names:
        specs = available_mocks()
        missing = [name for name in MOCKS if MOCKS[name] not in specs]
        if missing:
            click.echo(f"not installed, skipped: {', '.join(missing)}", err=True)
        return specs
    selected = []
    for name in dict.fromkeys(names):  # keep order, drop repeats
        try:
            spec = get_spec(name)
        except UnknownMockError as exc:
            raise click.BadParameter(str(exc), param_hint="NAMES") from exc
        if not spec.available():
            raise click.BadParameter(
                f"the {name} mock is not installed ({spec.module})", param_hint="NAMES"
            )
        selected.append(spec)
    return selected


def _parse_ports(items: Sequence[str], specs: Sequence[MockSpec]) -> dict[str, int]:
    known = {spec.name for spec in specs} | {SMTP_NAME, DASHBOARD_NAME}
    ports: dict[str, int] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not value.isdigit() or not 0 <= int(value) <= 65535:
            raise click.BadParameter(f"expected NAME=PORT, got {item!r}", param_hint="--port")
        if name not in known:
            raise click.BadParameter(
                f"{name!r} is not one of the mocks being started ({', '.join(sorted(known))})",
                param_hint="--port",
            )
        ports[name] = int(value)
    return ports


def _port_plan(
    specs: Sequence[MockSpec], explicit: dict[str, int], base_port: int | None
) -> dict[str, int]:
    plan: dict[str, int] = {}
    for index, spec in enumerate(specs):
        plan[spec.name] = spec.default_port if base_port is None else _offset(base_port, index)
        if spec.smtp_port is not None:
            plan[SMTP_NAME] = (
                spec.smtp_port if base_port is None else _offset(base_port, len(specs))
            )
    # the dashboard comes after every mock (and SMTP) when numbered from a base
    last = len(specs) + (SMTP_NAME in plan)
    plan[DASHBOARD_NAME] = DASHBOARD_PORT if base_port is None else _offset(base_port, last)
    plan.update(explicit)
    return plan


def _offset(base: int, index: int) -> int:
    if base == 0:
        return 0
    if base + index > 65535:
        raise click.BadParameter("ports past 65535; pick a lower base", param_hint="--base-port")
    return base + index


def _start(
    stack: ExitStack,
    spec: MockSpec,
    host: str,
    plan: dict[str, int],
    seed: int | None,
    certificate: LoopbackTLS | None,
) -> Any:
    options: dict[str, Any] = {} if seed is None else {"seed": seed}
    handle = spec.start(
        host=host,
        port=plan[spec.name],
        smtp_port=plan.get(SMTP_NAME, 0),
        tls=certificate,
        **options,
    )
    stack.callback(handle.close)
    return handle


def _described(running: dict[str, Any]) -> dict[str, dict[str, Any]]:
    from mocks.pool import describe
    from mocks.registry import get_spec

    return {
        name: {**describe(handle), "routes": get_spec(name).routes}
        for name, handle in running.items()
    }


def _start_dashboard(
    stack: ExitStack,
    described: dict[str, dict[str, Any]],
    host: str,
    port: int,
    certificate: LoopbackTLS | None,
) -> str:
    from mocks.dashboard import Dashboard

    config: dict[str, Any] = {"mocks": described}
    if certificate is not None:
        config["ca_bundle"] = certificate.ca_bundle
    dashboard = Dashboard.from_config(config)
    stack.callback(dashboard.close)
    return dashboard.serve(host=host, port=port, tls=certificate).url + "/"


def _announce(
    described: dict[str, dict[str, Any]],
    dashboard: str | None,
    certificate: LoopbackTLS | None,
    as_json: bool,
) -> None:
    if as_json:
        line: dict[str, Any] = {"mocks": described}
        if dashboard is not None:
            line["dashboard"] = dashboard
        if certificate is not None:
            line["ca_bundle"] = certificate.ca_bundle
        click.echo(json.dumps(line, separators=(",", ":")))
        sys.stdout.flush()
        return
    from rich.table import Table

    from harness.cli._console import make_console

    table = Table(title="flowharness mocks (Ctrl-C to stop)")
    for column in ("mock", "url", "admin API", "credentials"):
        table.add_column(column, overflow="fold")
    for name, data in described.items():
        url = data["url"]
        if "smtp_port" in data:
            url = f"smtp://{data['smtp_host']}:{data['smtp_port']}\n{url}"
        creds = "\n".join(f"{k}: {v}" for k, v in data["credentials"].items()) or "-"
        table.add_row(name, url, data["admin_url"] + "/__admin/docs", creds)
    console = make_console()
    console.print(table)
    if dashboard is not None:
        console.print(f"Dashboard (journals, faults, reset): {dashboard}")
    if certificate is not None:
        console.print(f"CA bundle (trust it in clients): {certificate.ca_bundle}")
    sys.stdout.flush()


@contextmanager
def _signals_set(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (no KeyboardInterrupt mid-start); restored after."""

    def handle(signum: int, frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
