"""Scenario reports show a walk's screens; the flows_webhook step retries like Meta."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.scenarios import EmbeddedTarget, arun_scenarios, load_scenario
from harness.scenarios._reports import html_report, json_report

from .conftest import CATALOG

pytestmark = pytest.mark.anyio


async def test_html_report_shows_each_walked_screen(embedded: EmbeddedTarget) -> None:
    run = await arun_scenarios([load_scenario(CATALOG / "walk_lead_capture.yaml")], embedded)
    assert run.ok, run.scenarios[0].report()
    page = html_report(run)
    assert 'data-screen="LEAD"' in page
    assert 'data-screen="CONFIRM"' in page
    assert "<script" not in page
    assert "screens_html" not in json_report(run)  # HTML stays out of the JSON report
    assert "data-screen" not in json_report(run)


async def test_the_flows_webhook_catalog_scenario_passes(embedded: EmbeddedTarget) -> None:
    run = await arun_scenarios([load_scenario(CATALOG / "flows_webhooks.yaml")], embedded)
    result = run.scenarios[0]
    assert result.passed, result.report()
    details = [step.detail for step in result.steps]
    assert "webhook delivered: 200 -> 200" in details
    assert "webhook NOT delivered: 403 -> 403" in details


async def test_redeliveries_and_a_refused_verification(
    tmp_path: Path, embedded: EmbeddedTarget
) -> None:
    scenario = tmp_path / "retry.yaml"
    scenario.write_text(
        """\
name: a failing receiver is retried
setup: {crm: none, mocks: [], settings: {webhook_verify_token: t}}
targets: [embedded]
steps:
  - flows_webhook:
      completion: {response_json: {flow_token: not-a-valid-token}, message_id: wamid.same}
      duplicates: 2
    expect: {delivered: true, statuses: [200, 200, 200], attempts: 1}
    capture: {sent: payload}
  - flows_webhook: {verify: {verify_token: wrong}}
    expect: {passed: false, status: 403}
"""
    )
    run = await arun_scenarios([load_scenario(scenario)], embedded)
    result = run.scenarios[0]
    assert result.passed, result.report()
    assert [e.action for e in result.steps[0].exchanges] == ["webhook", "redelivery", "redelivery"]
    assert json.loads(json_report(run))["summary"]["passed"] == 1


async def test_flows_webhook_step_is_checked_when_loaded(tmp_path: Path) -> None:
    from harness.scenarios.exceptions import ScenarioFileError

    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsteps:\n  - flows_webhook: {alert: {event: SOMETHING}}\n")
    with pytest.raises(ScenarioFileError, match=r"bad\.yaml:3"):
        load_scenario(bad)
