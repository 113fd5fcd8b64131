"""Each deliberately broken endpoint is caught by the check meant for its promise."""

from __future__ import annotations

import pytest

from harness.conformance import (
    CHECK_IDS,
    ConformanceFailure,
    Grade,
    assert_conforms,
    check_endpoint,
)
from tests.support import broken_endpoints
from tests.support.broken_endpoints import CAUGHT_BY, VARIANTS

# Slow variants sleep a little and the check runs on shrunken limits, so the fast suite
# does not sleep through real 1 s / 3 s limits: a warning sits between the two limits,
# a failure crosses the budget (with room for a loaded machine on either side).
_QUICK_OPTIONS = {"slow": {"delay": 0.3}, "crm_inline": {"crm_delay": 0.3}}
_WARN_LIMITS = {"target_latency": 0.1, "budget": 3.0}
_FAIL_LIMITS = {"target_latency": 0.1, "budget": 0.5}
_OVER_BUDGET = 0.8


def _build(name: str, private_key, app_secret, **options):
    return VARIANTS[name](private_key, app_secret, **{**_QUICK_OPTIONS.get(name, {}), **options})


def test_every_variant_names_a_real_check() -> None:
    assert set(CAUGHT_BY) == set(VARIANTS)
    assert {check for check, _ in CAUGHT_BY.values()} <= set(CHECK_IDS)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_the_check_meant_for_the_variant_catches_it(
    name, private_key, app_secret, reference, check_options
) -> None:
    check_id, grade = CAUGHT_BY[name]
    broken = _build(name, private_key, app_secret)
    limits = _WARN_LIMITS if name in _QUICK_OPTIONS else {}

    caught = check_endpoint(broken, only=[check_id], **check_options, **limits)
    # the reference is held to the real limits: a loaded machine may pass 0.1 s
    healthy = check_endpoint(reference, only=[check_id], **check_options)

    assert caught.grade_of(check_id) is Grade(grade), caught[check_id].detail
    assert caught[check_id].hint  # a failure or warning always says how to fix it
    assert healthy.grade_of(check_id) is Grade.PASS


@pytest.mark.parametrize(
    ("name", "family"),
    [("no_signature_check", "signature."), ("five_hundred_on_bad_tag", "decrypt.")],
)
def test_the_whole_family_of_checks_fails(
    name, family, private_key, app_secret, check_options
) -> None:
    report = check_endpoint(_build(name, private_key, app_secret), only=[family], **check_options)

    assert len(report.results) >= 3
    assert {r.grade for r in report.results} == {Grade.FAIL}


def test_leaked_traceback_is_reported_as_a_leak(private_key, app_secret, check_options) -> None:
    broken = _build("leaks_traceback", private_key, app_secret)

    report = check_endpoint(broken, only=["robust.malformed-envelope"], **check_options)

    detail = report["robust.malformed-envelope"].detail
    assert "Python traceback" in detail
    assert "stack traces" in (report["robust.malformed-envelope"].hint or "")


def test_a_replay_without_idempotency_queues_the_lead_twice(
    private_key, app_secret, check_options
) -> None:
    broken = _build("no_idempotency", private_key, app_secret)

    report = check_endpoint(broken, only=["idempotency.replay"], **check_options)

    assert "another answer" in report["idempotency.replay"].detail
    assert report["idempotency.replay"].hint


def test_crm_work_inside_the_request_over_budget_fails(
    private_key, app_secret, check_options
) -> None:
    broken = _build("crm_inline", private_key, app_secret, crm_delay=_OVER_BUDGET)

    report = check_endpoint(broken, only=["timing.latency"], **check_options, **_FAIL_LIMITS)

    assert report.grade_of("timing.latency") is Grade.FAIL
    assert "over the 0.5 s budget" in report["timing.latency"].detail
    crm = broken.extras["crm"]
    assert [lead["email"] for lead in crm.upserts] == [broken_endpoints.GOOD_FORM["email"]]


def test_a_slow_endpoint_over_budget_fails(private_key, app_secret, check_options) -> None:
    broken = _build("slow", private_key, app_secret, delay=_OVER_BUDGET)

    report = check_endpoint(broken, only=["timing.latency"], **check_options, **_FAIL_LIMITS)

    assert report.grade_of("timing.latency") is Grade.FAIL
    assert "over 1 request" in report["timing.latency"].detail  # stopped at the first


def test_plaintext_answers_fail_the_health_check_too(
    private_key, app_secret, check_options
) -> None:
    broken = _build("plaintext_answers", private_key, app_secret)

    with pytest.raises(ConformanceFailure) as raised:
        assert_conforms(broken, only=["ping", "response."], **check_options)

    report = raised.value.report
    assert report.grade_of("ping") is Grade.FAIL
    assert report.grade_of("response.flipped-iv") is Grade.SKIP
    assert "plaintext JSON" in str(raised.value)
    assert "response.encrypted" in str(raised.value)
