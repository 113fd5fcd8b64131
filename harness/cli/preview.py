"""``flowharness preview``: every screen of a Flow JSON as the person will see it."""

from __future__ import annotations

from pathlib import Path

import click

from harness.flowjson import FlowJSONError, load_flow
from harness.preview import preview_html


@click.command()
@click.argument("flow_file", metavar="FLOW.json", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the page (default: FLOW.preview.html in the current directory).",
)
def preview(flow_file: Path, output: Path | None) -> None:
    """Render every screen of FLOW.json as a phone-sized card, the way WhatsApp lays it out.

    Titles, components with their labels, options and helper text, the Footer;
    __example__ data bound in; If, Switch and `visible` conditions shown as such. One
    self-contained HTML page: nothing is fetched when it is opened.
    """
    try:
        flow = load_flow(flow_file)
    except FlowJSONError as exc:
        raise click.ClickException(f"cannot preview {flow_file}: {exc}") from exc
    target = output or Path(f"{flow_file.stem}.preview.html")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(preview_html(flow), encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {target}: {exc}") from exc
    screens = ", ".join(flow.screen_ids)
    click.echo(f"wrote {target}: {len(flow.screens)} screen(s) ({screens})")
