"""``--health`` on ``flowharness run``: the verdict on the requests sent as WhatsApp sends them."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from harness.cli import main
from harness.cli._health import run_traffic
from harness.scenarios import Exchange, RunResult, ScenarioResult, StepResult

CATALOG = Path(__file__).parents[2] / "scenarios"


def _result(*exchanges: Exchange) -> RunResult:
    step = StepResult(0, "step", "send", 1, exchanges=list(exchanges))
    scenario = ScenarioResult("s", "s", Path("s.yaml"), steps=[step])
    return RunResult("embedded", [scenario], elapsed=2.0)


def test_run_traffic_counts_what_whatsapp_would_send() -> None:
    verdict = run_traffic(
        _result(
            Exchange("ping", 200, "ok", 12.0, True),
            Exchange("ping", 500, "unexpected_http_status_code", 9.0, True),
            Exchange("ping", 432, "signature-rejected", 3.0, True, as_whatsapp=False),
            Exchange("INIT", 200, "ok", 40.0, True),
            Exchange("data_exchange", 200, "payload-schema-error", 50.0, True),
            Exchange("webhook", 500, "not 200", 5.0, True),  # to a receiver, not the endpoint
        )
    )
    traffic = verdict.traffic
    assert traffic.requests == 4
    assert traffic.health_checks == 2
    assert traffic.health_checks_failed == 1
    assert traffic.navigations == 2
    assert traffic.endpoint_errors == {"unexpected_http_status_code": 1}
    assert traffic.client_errors == {"payload-schema-error": 1}
    assert {r.event for r in verdict.alerts} == {
        "ENDPOINT_ERROR_RATE",  # 25 %
        "ENDPOINT_AVAILABILITY",  # 50 % of health checks
        "CLIENT_ERROR_RATE",  # 50 %
    }
    assert str(verdict.state) == "BLOCKED"


def test_run_health_on_the_ping_scenario_stays_published() -> None:
    result = CliRunner().invoke(main, ["run", "-k", "ping", "--health"])
    assert result.exit_code == 0, result.output
    assert "Meta's health verdict: the flow stays PUBLISHED" in result.output
    assert "ENDPOINT_AVAILABILITY  quiet" in result.output


def test_run_health_leaves_out_requests_broken_on_purpose() -> None:
    wrong_key = CATALOG / "wrong_key.yaml"  # every request sealed for another key, or tampered
    result = CliRunner().invoke(main, ["run", str(wrong_key), "--health"])
    assert result.exit_code == 0, result.output
    assert "nothing measured" in result.output
