"""Machine-readable reports of a run: JUnit XML (CI), JSON, and a self-contained HTML page."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from pathlib import Path

from harness.preview import STYLES
from harness.scenarios._results import RunResult, ScenarioResult, StepResult

__all__ = ["html_report", "json_report", "junit_report", "write_reports"]


def junit_report(run: RunResult) -> str:
    """One ``testsuite``, one ``testcase`` per scenario; the failure text is its own report."""
    suite = ET.Element(
        "testsuite",
        name="flowharness scenarios",
        tests=str(len(run.scenarios)),
        failures=str(run.count("failed")),
        errors=str(run.count("error")),
        skipped=str(run.count("skipped")),
        time=f"{run.elapsed:.3f}",
    )
    ET.SubElement(ET.SubElement(suite, "properties"), "property", name="target", value=run.target)
    for result in run.scenarios:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"scenarios.{result.id}",
            name=result.name,
            file=str(result.path),
            time=f"{result.elapsed:.3f}",
        )
        step = result.failed_step
        if result.status == "failed":
            message = step.failures[0] if step and step.failures else result.error
            ET.SubElement(case, "failure", message=message[:500]).text = result.report()
        elif result.status == "error":
            message = step.failures[0] if step and step.failures else result.error
            ET.SubElement(case, "error", message=message[:500]).text = result.report()
        elif result.status == "skipped":
            ET.SubElement(case, "skipped", message=result.error)
        ET.SubElement(case, "system-out").text = result.report()
    ET.indent(suite)
    return ET.tostring(suite, encoding="unicode", xml_declaration=True)


def json_report(run: RunResult) -> str:
    return json.dumps(run.to_dict(), indent=2, ensure_ascii=False, default=str)


_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2330;background:#fafbfc}
h1{margin:0 0 .3rem}.muted{color:#667}.summary span{margin-right:1rem;font-weight:600}
.passed{color:#127a3d}.failed,.error{color:#b42318}.skipped,.not-run{color:#8a8f98}
details{background:#fff;border:1px solid #dde1e6;border-radius:6px;
margin:.6rem 0;padding:.5rem .8rem}
summary{cursor:pointer;font-weight:600}summary .badge{float:right}
.badge{display:inline-block;border-radius:4px;padding:0 .45rem;font-size:12px;color:#fff}
.badge.passed{background:#127a3d}.badge.failed,.badge.error{background:#b42318}
.badge.skipped,.badge.not-run{background:#8a8f98}
table{border-collapse:collapse;width:100%;margin-top:.5rem}
td,th{border-bottom:1px solid #eef0f3;padding:.3rem .4rem;text-align:left;vertical-align:top}
.bar{background:#e6eef9;height:10px;position:relative;min-width:200px}
.bar i{position:absolute;top:0;height:10px;background:#3b82f6;min-width:2px}
.bar i.failed,.bar i.error{background:#b42318}
.fail{color:#b42318;white-space:pre-wrap;font-family:ui-monospace,monospace;font-size:12px}
code{font-size:12px}
details.screens{border:0;background:#f0f2f5;margin:.2rem 0}
details.screens summary{font-weight:500;color:#3b4a54}
"""


def _timeline(result: ScenarioResult, step: StepResult) -> str:
    total = max(result.elapsed, 1e-6)
    left = 100 * step.started / total
    width = max(100 * step.elapsed / total, 0.5)
    style = f"left:{left:.1f}%;width:{width:.1f}%"
    return f'<div class="bar"><i class="{step.status}" style="{style}"></i></div>'


def _step_row(result: ScenarioResult, step: StepResult) -> str:
    latencies = ", ".join(f"{ms:.0f}" for ms in step.latencies_ms[:12])
    if len(step.latencies_ms) > 12:
        latencies += ", ..."
    failures = "".join(f'<div class="fail">{html.escape(x)}</div>' for x in step.failures)
    status = step.status.replace(" ", "-")
    screens = ""
    if step.screens_html:
        screens = (
            '<tr class="screens-row"><td></td><td colspan="5"><details class="screens">'
            f"<summary>the screens, step by step</summary>{step.screens_html}</details></td></tr>"
        )
    return (
        f"<tr><td>{step.index + 1}</td><td>{html.escape(step.name)}"
        f'<div class="muted">{html.escape(step.detail)}</div>{failures}</td>'
        f'<td><span class="badge {status}">{html.escape(step.status)}</span></td>'
        f"<td>{step.elapsed * 1000:.0f} ms</td><td>{latencies or '-'}</td>"
        f"<td>{_timeline(result, step)}</td></tr>{screens}"
    )


def _scenario_block(result: ScenarioResult) -> str:
    status = result.status.replace(" ", "-")
    rows = "".join(_step_row(result, step) for step in result.steps)
    error = f'<div class="fail">{html.escape(result.error)}</div>' if result.error else ""
    open_attr = " open" if result.status in ("failed", "error") else ""
    return (
        f'<details id="{html.escape(result.id)}"{open_attr}><summary>'
        f"{html.escape(result.name)} "
        f'<span class="muted">{html.escape(str(result.path))}, {result.elapsed:.2f} s</span>'
        f'<span class="badge {status}">{html.escape(result.status)}</span></summary>'
        f"<p>{html.escape(result.description)}</p>{error}"
        "<table><tr><th>#</th><th>step</th><th>result</th><th>time</th>"
        "<th>request latencies (ms)</th><th>timeline</th></tr>"
        f"{rows}</table></details>"
    )


def html_report(run: RunResult) -> str:
    """A single HTML file (inline CSS, no scripts, no network): one timeline per scenario."""
    counts = "".join(
        f'<span class="{s}">{run.count(s)} {s}</span>'  # type: ignore[arg-type]
        for s in ("passed", "failed", "error", "skipped")
    )
    blocks = "".join(_scenario_block(result) for result in run.scenarios)
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        "<title>flowharness scenarios</title>"
        f"<style>{STYLES}{_CSS}</style></head><body>"
        "<h1>flowharness scenarios</h1>"
        f'<p class="muted">{html.escape(run.target)}; {len(run.scenarios)} scenarios, '
        f"{run.parallel} at a time, {run.elapsed:.1f} s</p>"
        f'<p class="summary">{counts}</p>{blocks}</body></html>'
    )


def write_reports(
    run: RunResult,
    *,
    junit: Path | None = None,
    json_path: Path | None = None,
    html_path: Path | None = None,
) -> list[Path]:
    written = []
    for path, render in ((junit, junit_report), (json_path, json_report), (html_path, html_report)):
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render(run), "utf-8")
            written.append(path)
    return written
