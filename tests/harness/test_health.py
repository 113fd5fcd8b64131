"""Meta's health verdict as a pure function: every threshold edge, the states, the tally."""

from __future__ import annotations

import pytest

from harness.health import (
    CLIENT_ERRORS,
    ENDPOINT_ERRORS,
    RULES,
    FlowState,
    Traffic,
    TrafficTally,
    assess,
    error_for_status,
    percentile,
)

P, T, B = FlowState.PUBLISHED, FlowState.THROTTLED, FlowState.BLOCKED


def errors(count: int, of: int = 1000) -> Traffic:
    """``of`` requests, ``count`` of them answered 500."""
    return Traffic(
        requests=of, endpoint_errors={"unexpected_http_status_code": count} if count else {}
    )


@pytest.mark.parametrize(
    ("count", "threshold", "state"),
    [
        (0, None, P),
        (49, None, P),  # 4.9 %
        (50, 5, P),  # exactly 5 %: reached, a warning only
        (99, 5, P),
        (100, 10, T),  # exactly 10 %
        (499, 10, T),
        (500, 50, B),  # exactly 50 %
        (1000, 50, B),
    ],
)
def test_endpoint_error_rate_at_each_threshold_edge(
    count: int, threshold: int | None, state: FlowState
) -> None:
    verdict = assess(errors(count))
    reading = verdict.reading("ENDPOINT_ERROR_RATE")
    assert reading.threshold == threshold
    assert reading.fires is (threshold is not None)
    assert float(reading.value or 0) == pytest.approx(count / 10)
    assert verdict.state is state


@pytest.mark.parametrize(
    ("p90", "threshold", "state"),
    [
        (0.2, None, P),
        (0.999, None, P),
        (1.0, 1000, P),  # p90 of exactly 1 s reaches the first threshold
        (4.999, 1000, P),
        (5.0, 5000, T),
        (6.999, 5000, T),
        (7.0, 7000, B),
        (9.8, 7000, B),
    ],
)
def test_endpoint_latency_at_each_threshold_edge(
    p90: float, threshold: int | None, state: FlowState
) -> None:
    verdict = assess(Traffic(requests=50, p90_seconds=p90))
    assert verdict.reading("ENDPOINT_LATENCY").threshold == threshold
    assert verdict.state is state


@pytest.mark.parametrize(
    ("failed", "fires"),
    [(0, False), (100, False), (101, True), (1000, True)],  # 90.0 % is not below 90 %
)
def test_availability_fires_strictly_below_90_percent(failed: int, fires: bool) -> None:
    traffic = Traffic(requests=1000, health_checks=1000, health_checks_failed=failed)
    verdict = assess(traffic)
    reading = verdict.reading("ENDPOINT_AVAILABILITY")
    assert reading.fires is fires
    assert float(reading.value or 0) == pytest.approx(100 - failed / 10)
    assert verdict.state is (T if fires else P)


def test_availability_without_health_checks_counts_requests_answered() -> None:
    answered = Traffic(requests=100, endpoint_errors={"unexpected_http_status_code": 30})
    assert float(answered.availability or 0) == 100  # a 500 is an answer
    silent = Traffic(
        requests=100, endpoint_errors={"timeout_error": 6, "no_http_response_error": 5}
    )
    assert float(silent.availability or 0) == pytest.approx(89)
    assert assess(silent).reading("ENDPOINT_AVAILABILITY").fires


@pytest.mark.parametrize(
    ("count", "threshold", "state"),
    [(4, None, P), (5, 5, P), (10, 10, T), (50, 50, B)],
)
def test_client_error_rate_counts_per_navigation(
    count: int, threshold: int | None, state: FlowState
) -> None:
    traffic = Traffic(
        requests=300,  # 200 health checks do not dilute the client error rate
        health_checks=200,
        navigations=100,
        client_errors={"invalid-screen-transition": count} if count else {},
    )
    verdict = assess(traffic)
    assert verdict.reading("CLIENT_ERROR_RATE").threshold == threshold
    assert verdict.state is state


def test_health_checks_only_leave_the_client_error_rate_unmeasured() -> None:
    verdict = assess(Traffic(requests=40, health_checks=40, p90_seconds=0.01))
    reading = verdict.reading("CLIENT_ERROR_RATE")
    assert reading.value is None
    assert not reading.fires
    assert "not measured" in reading.line()


def test_the_worst_alert_sets_the_state_and_blocked_goes_through_throttled() -> None:
    traffic = Traffic(
        requests=100, endpoint_errors={"timeout_error": 60}, p90_seconds=5.5, seconds=30
    )
    verdict = assess(traffic)
    assert {r.event for r in verdict.alerts} == {
        "ENDPOINT_ERROR_RATE",
        "ENDPOINT_LATENCY",
        "ENDPOINT_AVAILABILITY",
    }
    assert verdict.reading("ENDPOINT_LATENCY").state is T
    assert verdict.state is B
    assert verdict.path == (P, T, B)
    assert not verdict.passed
    assert "10 flow messages an hour" in T.restriction


def test_a_first_threshold_alert_warns_and_the_flow_stays_published() -> None:
    verdict = assess(Traffic(requests=20, p90_seconds=4.0, seconds=10))
    assert [r.event for r in verdict.alerts] == ["ENDPOINT_LATENCY"]
    assert verdict.state is P
    assert verdict.passed
    assert verdict.path == (P,)


def test_no_traffic_is_no_verdict() -> None:
    verdict = assess(Traffic(requests=0))
    assert not verdict.measured
    assert verdict.alerts == ()
    assert verdict.passed
    assert "nothing measured" in verdict.headline()


def test_verdict_dict_carries_meta_units_and_sources() -> None:
    verdict = assess(Traffic(requests=100, endpoint_errors={"timeout_error": 12}, p90_seconds=10))
    data = verdict.to_dict()
    assert data["state"] == "BLOCKED"
    assert data["path"] == ["PUBLISHED", "THROTTLED", "BLOCKED"]
    latency = next(r for r in data["readings"] if r["event"] == "ENDPOINT_LATENCY")
    assert latency["threshold"] == 7000
    assert latency["unit"] == "ms"
    assert latency["value"] == pytest.approx(10_000)
    error_rate = next(r for r in data["readings"] if r["event"] == "ENDPOINT_ERROR_RATE")
    assert error_rate["errors"] == {"timeout_error": 12}
    assert error_rate["leads_to"] == "THROTTLED"
    assert "flowswebhooks" in data["sources"]["alerts"]
    assert "healthmonitoring" in data["sources"]["states"]


def test_rules_are_metas_figures() -> None:
    by_event = {rule.event: rule for rule in RULES}
    assert by_event["ENDPOINT_ERROR_RATE"].thresholds == (5, 10, 50)
    assert by_event["ENDPOINT_ERROR_RATE"].window_minutes == 30
    assert by_event["ENDPOINT_LATENCY"].thresholds == (1000, 5000, 7000)
    assert by_event["ENDPOINT_LATENCY"].window_minutes == 30
    assert by_event["ENDPOINT_AVAILABILITY"].thresholds == (90,)
    assert by_event["ENDPOINT_AVAILABILITY"].window_minutes == 10
    assert by_event["CLIENT_ERROR_RATE"].thresholds == (5, 10, 50)
    assert by_event["CLIENT_ERROR_RATE"].window_minutes == 60


@pytest.mark.parametrize(
    ("status", "timed_out", "error"),
    [
        (200, False, None),
        (427, False, None),
        (432, False, None),
        (421, False, "business-decryption-error"),
        (500, False, "unexpected_http_status_code"),
        (404, False, "unexpected_http_status_code"),
        (None, False, "no_http_response_error"),
        (None, True, "timeout_error"),
    ],
)
def test_error_for_status(status: int | None, timed_out: bool, error: str | None) -> None:
    assert error_for_status(status, timed_out=timed_out) == error


def test_the_tally_sorts_requests_by_kind_and_error_type() -> None:
    tally = TrafficTally()
    for _ in range(8):
        tally.record("health_check", 0.05)
    tally.record("health_check", 10.0, "timeout_error")
    tally.record("health_check", 0.05, failed=True)  # answered, but not "active"
    tally.record("navigation", 0.3, "ok")
    tally.record("navigation", 0.3, "flow-token-invalid")  # a 427 is no error to Meta
    tally.record("navigation", 0.4, "invalid-screen-transition")
    tally.record("navigation", 0.4, "unexpected_http_status_code")
    tally.record("other", 0.2, "response-decryption-error")  # not a navigation
    traffic = tally.traffic(seconds=12)
    assert traffic.requests == 15
    assert traffic.health_checks == 10
    assert traffic.health_checks_failed == 2
    assert traffic.navigations == 4
    assert traffic.endpoint_errors == {"timeout_error": 1, "unexpected_http_status_code": 1}
    assert traffic.client_errors == {"invalid-screen-transition": 1}
    assert traffic.p90_seconds == pytest.approx(0.4)
    assert traffic.seconds == 12


def test_percentile_is_nearest_rank() -> None:
    values = [float(n) for n in range(1, 11)]
    assert percentile(values, 90) == 9.0
    assert percentile(values, 50) == 5.0
    assert percentile([3.0], 90) == 3.0
    assert percentile([], 90) is None


def test_inconsistent_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="more endpoint errors"):
        Traffic(requests=1, endpoint_errors={"timeout_error": 2})
    with pytest.raises(ValueError, match="more client errors"):
        Traffic(requests=5, navigations=1, client_errors={"payload-schema-error": 2})
    with pytest.raises(ValueError, match="health checks"):
        Traffic(requests=5, health_checks=1, health_checks_failed=2)


def test_error_type_sets_are_disjoint() -> None:
    assert not ENDPOINT_ERRORS & CLIENT_ERRORS
