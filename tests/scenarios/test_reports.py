"""Reports: JUnit XML parses, JSON loads, HTML shows every scenario; the CLI's exit code."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html import escape
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.scenarios import EmbeddedTarget, RunResult, arun_scenarios, load_scenario
from harness.scenarios._reports import html_report, json_report, junit_report, write_reports
from tests.support.browser import CHROMIUM_FLAGS

from .conftest import CATALOG

FAILING = """\
name: Expects the wrong status
description: ping answers 200; this scenario insists on 418.
setup: {crm: none, mocks: []}
steps:
  - send: {action: ping}
    expect: {status: 418}
"""


@pytest.fixture
async def run(tmp_path: Path, embedded: EmbeddedTarget) -> RunResult:
    bad = tmp_path / "teapot.yaml"
    bad.write_text(FAILING)
    scenarios = [load_scenario(CATALOG / "ping.yaml"), load_scenario(bad)]
    return await arun_scenarios(scenarios, embedded, parallel=2)


@pytest.mark.anyio
async def test_junit_parses_and_marks_the_failure(run: RunResult) -> None:
    suite = ET.fromstring(junit_report(run).encode())
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    cases = {case.get("classname"): case for case in suite.iter("testcase")}
    assert set(cases) == {"scenarios.ping", "scenarios.teapot"}
    failure = cases["scenarios.teapot"].find("failure")
    assert failure is not None
    assert "expected 418, got 200" in (failure.get("message") or "")
    assert cases["scenarios.ping"].find("failure") is None


@pytest.mark.anyio
async def test_json_report_loads_with_steps_and_latencies(run: RunResult) -> None:
    data = json.loads(json_report(run))
    assert data["summary"] == {"passed": 1, "failed": 1, "error": 0, "skipped": 0}
    ping = next(s for s in data["scenarios"] if s["id"] == "ping")
    assert ping["steps"][0]["exchanges"][0]["status"] == 200
    assert ping["steps"][0]["exchanges"][0]["elapsed_ms"] >= 0


@pytest.mark.anyio
async def test_html_report_is_one_file_with_every_scenario(run: RunResult, tmp_path: Path) -> None:
    page = html_report(run)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert "http" not in page
    for result in run.scenarios:
        assert f'id="{result.id}"' in page
    assert "expected 418, got 200" in page
    written = write_reports(run, html_path=tmp_path / "out" / "r.html", junit=tmp_path / "r.xml")
    assert [p.name for p in written] == ["r.xml", "r.html"]


def test_cli_run_writes_reports_and_fails_on_failure(tmp_path: Path) -> None:
    (tmp_path / "teapot.yaml").write_text(FAILING)
    junit, data = tmp_path / "r.xml", tmp_path / "r.json"
    runner = CliRunner()
    good = runner.invoke(
        main, ["run", str(CATALOG), "-k", "signature", "--junit", str(junit), "--json", str(data)]
    )
    assert good.exit_code == 0, good.output
    assert ET.parse(junit).getroot().get("tests") == "1"
    bad = runner.invoke(main, ["run", str(tmp_path / "teapot.yaml")])
    assert bad.exit_code == 1
    assert "expected 418, got 200" in bad.output


def test_cli_run_reports_a_bad_file_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("name: x\nsteps:\n  - send: {action: nope}\n")
    result = CliRunner().invoke(main, ["run", str(tmp_path)])
    assert result.exit_code == 1
    assert "bad.yaml:3:" in result.output
    assert "'nope' is not allowed" in result.output


@pytest.mark.slow
@pytest.mark.anyio
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not on the PATH")
async def test_html_report_renders_in_headless_chromium(run: RunResult, tmp_path: Path) -> None:
    page, shot = tmp_path / "report.html", tmp_path / "report.png"
    page.write_text(html_report(run))
    chromium = [
        shutil.which("chromium") or "chromium",
        *CHROMIUM_FLAGS,
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1200,900",
    ]
    subprocess.run(
        [*chromium, f"--screenshot={shot}", page.as_uri()],
        check=True,
        timeout=60,
        capture_output=True,
    )
    dom = subprocess.run(
        [*chromium, "--dump-dom", page.as_uri()],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    # the browser parsed the page and shows every scenario with its verdict
    assert shot.stat().st_size > 5000
    for result in run.scenarios:
        assert escape(result.name, quote=False) in dom
        assert f'id="{result.id}"' in dom
    assert "passed" in dom
