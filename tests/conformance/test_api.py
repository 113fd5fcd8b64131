"""The public API: exports, selecting checks, the report, assert_conforms, token sources."""

from __future__ import annotations

import inspect
import json

import pytest

import harness.conformance as conformance
from harness.conformance import (
    CHECK_IDS,
    ConformanceFailure,
    Grade,
    TokenSourceError,
    UnknownCheckError,
    assert_conforms,
    check_endpoint,
    command_token_source,
    leaked_trace,
    select_checks,
)
from tests.support import broken_endpoints


def test_exports_are_what_they_claim() -> None:
    assert len(conformance.__all__) == len(set(conformance.__all__))
    for name in conformance.__all__:
        value = getattr(conformance, name)
        if isinstance(value, type) or inspect.isfunction(value):
            assert value.__module__.startswith("harness.conformance."), name


def test_check_ids_are_unique_and_each_cites_a_section_of_meta_docs() -> None:
    assert len(CHECK_IDS) == len(set(CHECK_IDS))
    assert all(spec.hint.endswith(".") for spec in conformance.CHECKS)
    for spec in conformance.CHECKS:
        source = spec.source
        assert source.page.title, spec.id
        assert source.section, spec.id
        assert source.url.startswith("https://developers.facebook.com/"), spec.id
        page, _, anchor = source.url.partition("#")
        assert page == source.page.url, spec.id
        assert anchor, f"{spec.id}: no section anchor in {source.url}"
        assert str(source) == f"Meta: {source.page.title}, {source.section}, {source.url}"
    # the checks rest on the endpoint guide, the error codes and the webhooks reference
    pages = {spec.source.page.title for spec in conformance.CHECKS}
    assert pages == {"Implementing Endpoint for Flows", "Error Codes", "Flows Webhooks"}


def test_select_checks_takes_ids_and_prefixes() -> None:
    chosen = [s.id for s in select_checks(only=["signature.", "ping"], skip=["signature.wrong"])]

    assert chosen == ["ping", "signature.missing", "signature.truncated"]
    with pytest.raises(UnknownCheckError, match=r"'nope'.*the checks are: ping"):
        select_checks(only=["nope"])


def test_the_report_as_json_and_text(reference, check_options) -> None:
    report = check_endpoint(reference, only=["ping", "decrypt.wrong-key"], **check_options)

    data = json.loads(report.to_json())
    assert [c["id"] for c in data["checks"]] == ["ping", "decrypt.wrong-key"]
    ping = data["checks"][0]
    assert ping["section"] == ping["source"]["section"] == "Health Check Request"
    assert ping["source"]["page"] == "Implementing Endpoint for Flows"
    assert ping["source"]["url"].endswith("implementingyourflowendpoint#health_check_request")
    assert data["counts"] == {"pass": 2, "warn": 0, "fail": 0, "skip": 0}
    text = report.to_text(width=100)
    assert "decrypt.wrong-key" in text
    assert "CONFORMS: 2 pass" in text
    with pytest.raises(KeyError, match=r"ran: ping, decrypt\.wrong-key"):
        report["timing.latency"]


def test_assert_conforms_is_strict_about_warnings_only_when_asked(
    private_key, app_secret, check_options
) -> None:
    broken = broken_endpoints.wrong_content_type(private_key, app_secret)

    report = assert_conforms(broken, only=["response."], **check_options)
    assert report.grade_of("response.content-type") is Grade.WARN
    with pytest.raises(ConformanceFailure, match=r"warnings \(strict mode\)") as raised:
        assert_conforms(broken, strict=True, only=["response."], **check_options)
    assert isinstance(raised.value, AssertionError)
    assert "text/html" in str(raised.value)


def test_a_token_source_that_raises_stops_before_sending(reference, public_pem, app_secret):
    def broken_source() -> str:
        raise RuntimeError("vault is sealed")

    with pytest.raises(TokenSourceError, match="vault is sealed"):
        check_endpoint(reference, public_key=public_pem, app_secret=app_secret,
                       flow_token=broken_source)  # fmt: skip


def test_a_callable_token_source_is_used(reference, public_pem, app_secret, token) -> None:
    report = check_endpoint(
        reference, public_key=public_pem, app_secret=app_secret, flow_token=lambda: token,
        only=["flow-token.invalid"],
    )  # fmt: skip

    assert report.grade_of("flow-token.invalid") is Grade.PASS


def test_an_empty_token_command_is_refused() -> None:
    with pytest.raises(TokenSourceError, match="empty"):
        command_token_source("  ")


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        (b'Traceback (most recent call last):\n  File "app.py", line 3', "a Python traceback"),
        (b'  File "/srv/app.py", line 42, in handle', "a Python stack frame"),
        (b"java.lang.NullPointerException", "an exception name"),
        (b"panic: runtime error\n\ngoroutine 1 [running]:", "a Go panic"),
        (b"TypeError: x\n    at Object.<anonymous> (/app/index.js:10:5)", "a Node.js stack frame"),
    ],
)
def test_leaked_traces_are_recognised(body: bytes, kind: str) -> None:
    assert leaked_trace(body) == kind


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"the request cannot be decrypted",
        b"X-Hub-Signature-256 is missing or does not match the app secret",
        b"kpZBvXH0jUIHtxG8tldtTx+eRgrdXa/nLXI2tS9BHb4bc3jq62AYaA==",
    ],
)
def test_ordinary_answers_are_not_leaks(body: bytes) -> None:
    assert leaked_trace(body) is None
