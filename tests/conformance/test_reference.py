"""The reference endpoint keeps every promise the suite checks."""

from __future__ import annotations

import pytest

from harness.conformance import CHECK_IDS, Grade, assert_conforms, check_endpoint
from harness.testing import make_test_endpoint, run_server


def test_reference_endpoint_passes_every_check_in_process(reference, check_options) -> None:
    report = check_endpoint(reference, **check_options)

    assert [r.id for r in report.results] == list(CHECK_IDS)
    not_passed = {r.id: (r.grade, r.detail) for r in report.results if r.grade is not Grade.PASS}
    assert not_passed == {}
    assert report.ok


def test_reference_endpoint_passes_over_the_network(reference, check_options) -> None:
    with run_server(reference) as url:
        report = assert_conforms(url + "/", **check_options)

    assert report.endpoint.startswith("http://127.0.0.1:")
    assert report.failures == []
    assert report.warnings == []


def test_without_a_token_only_the_token_check_is_skipped(reference, public_pem, app_secret):
    report = check_endpoint(reference, public_key=public_pem, app_secret=app_secret)

    skipped = {r.id: r.detail for r in report.results if r.grade is Grade.SKIP}
    assert list(skipped) == ["flow-token.invalid"]
    assert "--flow-token" in skipped["flow-token.invalid"]
    assert report.ok


def test_the_fake_test_endpoint_is_caught_accepting_any_flow_token(
    private_key, public_pem, app_secret, token
) -> None:
    # harness.testing's fake endpoint does not check flow tokens at all
    fake = make_test_endpoint(private_key, app_secret)

    report = check_endpoint(fake, public_key=public_pem, app_secret=app_secret, flow_token=token)

    assert report.grade_of("flow-token.invalid") is Grade.FAIL
    assert "accepted" in report["flow-token.invalid"].detail
    assert report.grade_of("ping") is Grade.PASS


def test_an_unreachable_endpoint_fails_ping_and_skips_the_rest(
    private_key, public_pem, app_secret
) -> None:
    with run_server(make_test_endpoint(private_key, app_secret)) as url:
        pass  # the server is gone: its port now refuses connections

    report = check_endpoint(url + "/", public_key=public_pem, app_secret=app_secret, timeout=2)

    assert report.grade_of("ping") is Grade.FAIL
    assert {r.grade for r in report.results[1:]} == {Grade.SKIP}
    assert not report.ok


@pytest.mark.parametrize("selection", [["decrypt."], ["ping", "timing.latency"]])
def test_only_runs_the_selected_checks(reference, check_options, selection) -> None:
    report = check_endpoint(reference, only=selection, **check_options)

    ids = [r.id for r in report.results]
    assert ids
    assert all(any(i == s or i.startswith(s) for s in selection) for i in ids)
