"""``flowharness demo``: the whole scenario catalog against the embedded reference endpoint.

Needs no keys, no server and no network: the reference endpoint, its worker and
every mock (HubSpot, Slack, Teams, WhatsApp Cloud API, email) run in this
process. Each scenario is a story an endpoint must get right; the demo plays
them all and says, for a newcomer, what was checked and what it showed.
"""

from __future__ import annotations

import asyncio

import click
from rich.markup import escape
from rich.panel import Panel

from harness.cli._console import make_console
from harness.cli._options import parallel_option, pattern_option
from harness.cli.run import quiet_reference_server

INTRO = (
    "flowharness plays the WhatsApp client against a Flows endpoint and watches the "
    "services around it. This demo runs the scenario catalog (scenarios/*.yaml) against "
    "the reference lead-capture endpoint, with HubSpot, Slack, Teams, the Cloud API and "
    "an SMTP server mocked in-process. Every request is really encrypted, signed and "
    "timed against the 3 s budget."
)
OUTRO = (
    "Next: `flowharness run scenarios/ --html report.html` for a report, or point the same "
    "scenarios at your endpoint with `flowharness run --target remote --endpoint URL "
    "--public-key key.pem --mocks-config mocks.json` (mocks from `flowharness mocks up`)."
)
_MARK = {
    "passed": "[green]✔[/]",
    "failed": "[red]✘[/]",
    "error": "[red]![/]",
    "skipped": "[yellow]-[/]",
}


@click.command()
@parallel_option(6)
@pattern_option
def demo(parallel: int, pattern: str | None) -> None:
    """Run the scenario catalog in-process and explain what each scenario checked."""
    from harness.scenarios import (
        EmbeddedTarget,
        ScenarioError,
        arun_scenarios,
        catalog_path,
        load_scenarios,
        select,
    )
    from harness.scenarios._terminal import LiveProgress, summary_table

    console = make_console()
    console.print(Panel(INTRO, title="flowharness demo", expand=False))
    try:
        scenarios = select(load_scenarios([catalog_path()]), pattern)
    except ScenarioError as exc:
        raise click.ClickException(str(exc)) from exc
    if not scenarios:
        raise click.ClickException("no scenario to run")
    quiet_reference_server()
    with LiveProgress(console, len(scenarios)) as progress:
        run = asyncio.run(
            arun_scenarios(scenarios, EmbeddedTarget(), parallel=parallel, progress=progress)
        )
    console.rule("what was checked")
    for result in run.scenarios:
        console.print(f"\n{_MARK.get(result.status, '?')} [bold]{escape(result.name)}[/]")
        if result.description:
            console.print(f"  [dim]{escape(result.description)}[/]")
        for step in result.steps:
            mark = _MARK.get(step.status, "[dim]·[/]")
            console.print(f"    {mark} {escape(step.name)}: [dim]{escape(step.detail)}[/]")
            for failure in step.failures:
                console.print(f"        [red]{escape(failure)}[/]")
        if result.error:
            console.print(f"    [yellow]{escape(result.error)}[/]")
    console.print()
    console.print(summary_table(run))
    verdict = (
        "[green]Every scenario passed: the reference endpoint does what the protocol asks.[/]"
        if run.ok
        else "[red]Some scenarios failed: see the steps marked ✘ above.[/]"
    )
    console.print(verdict)
    console.print(OUTRO, markup=False)
    if not run.ok:
        raise SystemExit(1)
