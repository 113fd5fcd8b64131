"""The readable report: a rich table of checks, then the fuzzing findings and a summary."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from harness._meta_docs import MetaSource
from harness.conformance._report import ConformanceReport, Grade

if TYPE_CHECKING:
    from harness.conformance._fuzz import FuzzReport

GRADE_STYLES = {
    Grade.PASS: "bold green",
    Grade.WARN: "bold yellow",
    Grade.FAIL: "bold red",
    Grade.SKIP: "dim",
    Grade.NOT_RUN: "dim",
}


def checks_table(report: ConformanceReport) -> Table:
    table = Table(title=f"Conformance of {report.endpoint}", show_lines=True, expand=True)
    table.add_column("check", no_wrap=True)
    table.add_column("grade", no_wrap=True)
    table.add_column("detail", ratio=3)
    table.add_column("hint", ratio=2)
    first_of = {id(r): group[0].id for group in report.findings for r in group[1:]}
    for result in report.results:
        hint = result.hint or ""
        if id(result) in first_of:  # one cause, one finding: say which one
            hint = f"Same cause as {first_of[id(result)]}. {hint}".strip()
        table.add_row(
            Text(result.id),
            Text(str(result.grade).upper(), style=GRADE_STYLES[result.grade]),
            Text(result.detail),
            Text(hint, style="italic"),
        )
    return table


def sources_note(report: ConformanceReport) -> RenderableType | None:
    """For each check that failed or warned, the section of Meta's documentation stating
    what it expects (checks with one source share a line); None when all is well."""
    flagged: dict[MetaSource, list[str]] = {}
    for result in report.results:
        if result.grade in (Grade.FAIL, Grade.WARN):
            flagged.setdefault(result.source, []).append(result.id)
    if not flagged:
        return None
    lines: list[RenderableType] = [Text("Where Meta states it:", style="bold")]
    for source, ids in flagged.items():
        lines.append(Text(f"  {', '.join(ids)}: {source.page.title}, {source.section}"))
        # folded if it must be, never cut; a terminal that knows links keeps it whole
        lines.append(Text(f"    {source.url}", style=f"link {source.url}", overflow="fold"))
    return Group(*lines)


def fuzz_table(fuzz: FuzzReport) -> RenderableType:
    summary = Text(
        f"Fuzzing: {fuzz.requests_sent} hostile requests in {fuzz.elapsed:.1f} s, "
        f"{len(fuzz.findings)} finding(s)."
        + (f" Stopped: {fuzz.stopped}." if fuzz.stopped else ""),
        style="bold red" if fuzz.findings or fuzz.stopped else "green",
    )
    if not fuzz.findings:
        return summary
    table = Table(show_lines=True, expand=True)
    table.add_column("finding", no_wrap=True)
    table.add_column("detail", ratio=3)
    table.add_column("reproducer", ratio=2)
    for finding in fuzz.findings:
        files = "\n".join(str(p) for p in finding.files) or "(not saved)"
        table.add_row(
            Text(finding.kind, style="bold red"),
            Text(f"{finding.detail}\nrequest: {finding.request.description}"),
            Text(files),
        )
    return Group(summary, table)


def summary_line(report: ConformanceReport) -> Text:
    counts = report.counts()
    parts = ", ".join(f"{count} {grade}" for grade, count in counts.items())
    verdict = "CONFORMS" if report.ok else "DOES NOT CONFORM"
    style = "bold green" if report.ok else "bold red"
    findings = len(report.findings)
    causes = f"{findings} finding{'s' * (findings != 1)}; " if findings else ""
    line = Text(f"{verdict}: {causes}{parts} ({report.elapsed:.1f} s)", style=style)
    if report.stopped:
        line.append(f"\n{report.stopped}", style="bold red")
    return line


def report_renderable(report: ConformanceReport) -> RenderableType:
    parts: list[RenderableType] = [checks_table(report)]
    sources = sources_note(report)
    if sources is not None:
        parts.append(sources)
    if report.fuzz is not None:
        parts.append(fuzz_table(report.fuzz))
    parts.append(summary_line(report))
    return Group(*parts)


def render_text(report: ConformanceReport, *, width: int = 120) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, no_color=True, highlight=False, soft_wrap=False)
    console.print(report_renderable(report))
    return buffer.getvalue()
