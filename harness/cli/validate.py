"""``flowharness validate``: check Flow JSON files before sending or publishing them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.text import Text

from harness.cli._console import make_console
from harness.flowjson import Finding, FlowFileError, Report
from harness.flowjson import validate as validate_flow

_STYLES = {"error": "bold red", "warning": "yellow"}


@click.command()
@click.argument("flows", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of reports (for CI).")
@click.option(
    "--warnings-as-errors", is_flag=True, help="Fail (exit 1) on warnings too, not only errors."
)
def validate(flows: tuple[Path, ...], as_json: bool, warnings_as_errors: bool) -> None:
    """Validate Flow JSON files: structure, routing, bindings, data examples, limits, versions.

    Every problem is reported at once, each with a stable code and a JSON pointer.
    Exit status: 0 clean, 1 errors (or warnings with --warnings-as-errors),
    2 a file could not be read.
    """
    reports: list[Report] = []
    unreadable: dict[str, str] = {}
    for path in flows:
        try:
            reports.append(validate_flow(path))
        except FlowFileError as exc:
            unreadable[str(path)] = exc.expected
    if as_json:
        click.echo(json.dumps(_as_json(reports, unreadable), indent=2, ensure_ascii=False))
    else:
        _print(reports, unreadable)
    failed = any(report.errors or (warnings_as_errors and report.warnings) for report in reports)
    raise SystemExit(2 if unreadable else 1 if failed else 0)


def _as_json(reports: list[Report], unreadable: dict[str, str]) -> list[dict[str, Any]]:
    entries = [report.to_dict() for report in reports]
    entries += [
        {"file": file, "ok": False, "unreadable": f"expected {reason}", "findings": []}
        for file, reason in unreadable.items()
    ]
    return entries


def _print(reports: list[Report], unreadable: dict[str, str]) -> None:
    console = make_console(highlight=False, soft_wrap=True)
    for report in reports:
        summary = Text(f"{report.file}: ", style="bold")
        if not report.findings:
            summary.append("valid", style="bold green")
        else:
            summary.append(f"{len(report.errors)} error(s), {len(report.warnings)} warning(s)")
        console.print(summary)
        for finding in report.findings:
            console.print(_line(finding))
    for file, reason in unreadable.items():
        console.print(Text(f"{file}: cannot read the file, expected {reason}", style="bold red"))


def _line(finding: Finding) -> Text:
    line = Text("  ")
    line.append(finding.severity, style=_STYLES[finding.severity])
    line.append(f" {finding.pointer or '/'}", style="cyan")
    line.append(f": {finding.message} ")
    line.append(f"[{finding.code}]", style="dim")
    if finding.hint:
        line.append(f"\n    hint: {finding.hint}", style="dim")
    return line
