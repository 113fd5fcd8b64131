"""Meta's health verdict from locust's CSV: requests by kind, failures by Meta's error type."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.health import assess
from loadtests.budget import Budget, over_budget_message
from loadtests.judging import FinishedRun, health_stage, judge_run
from loadtests.traffic import meta_error_in, request_kind, traffic_from_csv

STATS_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
)
TAIL = ",2,2,1,10,100,10,0,{p50},2,2,2,{p90},4,5,6,10,10,10"


def row(name: str, count: int, failures: int = 0, p50: int = 2, p90: int = 3) -> str:
    return f"FLOWS,{name},{count},{failures}" + TAIL.format(p50=p50, p90=p90)


def write_run(
    tmp_path: Path, rows: list[str], failures: list[tuple[str, str, int]], p90: int = 4100
) -> Path:
    prefix = tmp_path / "run"
    total = sum(int(line.split(",")[2]) for line in rows)
    failed = sum(times for _, _, times in failures)
    aggregated = row("Aggregated", total, failed, p50=300, p90=p90).replace("FLOWS,", ",", 1)
    Path(f"{prefix}_stats.csv").write_text(
        "\n".join([STATS_HEADER, *rows, aggregated]) + "\n", encoding="utf-8"
    )
    lines = ["Method,Name,Error,Occurrences"]
    lines += [
        f"FLOWS,{name},\"CatchResponseError('{error}')\",{times}" for name, error, times in failures
    ]
    Path(f"{prefix}_failures.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return prefix


def test_failures_are_counted_by_metas_error_type(tmp_path: Path) -> None:
    prefix = write_run(
        tmp_path,
        [row("ping", 100, 25), row("INIT", 50, 6), row("data_exchange:LEAD", 50, 4)],
        [
            ("ping", "HTTP 500 [unexpected_http_status_code]", 10),
            ("ping", over_budget_message(3), 5),  # slow but answered: no error to Meta
            ("ping", over_budget_message(3, "no HTTP response [timeout_error]"), 4),
            ("ping", "ping answer is not {'data': {'status': 'active'}}", 6),
            ("INIT", "invalid-screen-transition at /screen", 6),
            ("data_exchange:LEAD", "payload-schema-error (HTTP 200)", 1),
            ("data_exchange:LEAD", "HTTP 427", 3),  # an expired token is no error to Meta
        ],
    )
    traffic = traffic_from_csv(prefix, seconds=60)
    assert traffic.requests == 200
    assert traffic.health_checks == 100
    assert traffic.health_checks_failed == 20  # 10 + 4 + 6, not the 5 only slow
    assert traffic.navigations == 100
    assert traffic.endpoint_errors == {"unexpected_http_status_code": 10, "timeout_error": 4}
    assert traffic.client_errors == {"invalid-screen-transition": 6, "payload-schema-error": 1}
    assert traffic.p50_seconds == pytest.approx(0.3)
    assert traffic.p90_seconds == pytest.approx(4.1)
    verdict = assess(traffic)
    assert {r.event for r in verdict.alerts} == {
        "ENDPOINT_ERROR_RATE",  # 7 %: warns
        "ENDPOINT_LATENCY",  # 4.1 s: warns
        "ENDPOINT_AVAILABILITY",  # 80 %: throttles
        "CLIENT_ERROR_RATE",  # 7 %: warns
    }
    assert verdict.state == "THROTTLED"


def test_the_health_stage_fails_a_throttled_run_and_passes_a_healthy_one(tmp_path: Path) -> None:
    (tmp_path / "bad").mkdir()
    (tmp_path / "good").mkdir()
    bad = write_run(
        tmp_path / "bad",
        [row("ping", 50, 10)],
        [("ping", "HTTP 502 [unexpected_http_status_code]", 10)],
        p90=30,
    )
    stage = health_stage(FinishedRun(bad, Budget(), 1, seconds=8.0))
    assert not stage.passed
    assert stage.summary.startswith("the flow would be THROTTLED")
    assert stage.figures["alerts"] == ["ENDPOINT_ERROR_RATE", "ENDPOINT_AVAILABILITY"]
    good = write_run(tmp_path / "good", [row("ping", 50)], [])
    assert judge_run(FinishedRun(good, Budget(), 0)).stages[1].passed


def test_a_missing_csv_is_an_error_of_the_health_stage(tmp_path: Path) -> None:
    stage = health_stage(FinishedRun(tmp_path / "none", Budget(), 0))
    assert not stage.passed
    assert stage.summary.startswith("ERROR: cannot read")


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("HTTP 500 [unexpected_http_status_code]", "unexpected_http_status_code"),
        ("timeout_error (no answer)", "timeout_error"),
        ("business-decryption-error (HTTP 421)", "business-decryption-error"),
        (
            "payload-schema-error at /data/x; invalid-screen-transition at /screen",
            "payload-schema-error",
        ),
        ("expected screen CONFIRM, got LEAD", None),
        (over_budget_message(3), None),
    ],
)
def test_meta_error_in_a_failure_message(message: str, error: str | None) -> None:
    assert meta_error_in(message) == error


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("ping", "health_check"),
        ("INIT", "navigation"),
        ("data_exchange:LEAD", "navigation"),
        ("BACK:DETAILS", "navigation"),
        ("error_notification:LEAD", "other"),
    ],
)
def test_request_kind_from_its_name(name: str, kind: str) -> None:
    assert request_kind(name) == kind
