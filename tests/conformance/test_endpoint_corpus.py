"""``check`` against endpoints written the way teams write them from tutorials, run as real
processes on loopback (tests/data/endpoints): every true finding found, no false finding,
a crash reported once as a crash.

Each endpoint's expected verdict is the set of its findings (failures grouped by root
cause, each named by its first check) and whether the run stopped on a dead endpoint.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.conformance import Grade, check_endpoint
from harness.conformance._judging import ANSWER_SEALING
from tests.support.corpus import Endpoint, corpus_token


def _run(endpoint: Endpoint, public_pem: bytes, app_secret: str) -> Any:
    return check_endpoint(
        endpoint.url,
        public_key=public_pem,
        app_secret=app_secret,
        flow_token=corpus_token(),
        timeout=5.0,
        fuzz=0,
    )


def _verdict(report: Any) -> tuple[set[str], str | None]:
    return {group[0].id for group in report.findings}, report.stopped


# What every endpoint of the corpus must get: its findings, each named by its first check
# (failures sharing a root cause are one finding), and whether the run stopped on a dead
# endpoint. Harmless quirks (a "version" key in every answer, the key parsed per request,
# keep-alive closed after errors) must not appear.
DECRYPT_500 = "decrypt.wrong-key"  # 500 on a bad tag, a wrong key, a broken envelope: one cause
TUTORIAL = {DECRYPT_500, "flow-token.invalid", "robust.malformed-json",
            "error-notification.error-key"}  # fmt: skip
STOPPED_AFTER_HEADER = "the endpoint stopped answering after signature.missing"
NODE_ONLY = pytest.mark.slow  # npm ci and a Node process per endpoint: CI runs them

CORPUS = [
    pytest.param("python", "correct", set(), None, id="python-correct"),
    pytest.param("python", "tutorial_mistakes", TUTORIAL, None, id="python-tutorial-mistakes"),
    pytest.param("python", "plaintext_answers", {"ping", "signature.missing"}, None,
                 id="python-plaintext-answers"),
    pytest.param("node", "correct", set(), None, id="node-correct", marks=NODE_ONLY),
    pytest.param("node", "tutorial-mistakes", TUTORIAL, None, id="node-tutorial-mistakes",
                 marks=NODE_ONLY),
    pytest.param("node", "plaintext-answers", {"ping"}, None, id="node-plaintext-answers",
                 marks=NODE_ONLY),
    pytest.param("python", "crash_on_missing_header", {"signature.missing"},
                 STOPPED_AFTER_HEADER, id="python-crash-on-missing-header"),
    pytest.param("node", "crash-on-missing-header", {"signature.missing"}, STOPPED_AFTER_HEADER,
                 id="node-crash-on-missing-header", marks=NODE_ONLY),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "name", "findings", "stopped"), CORPUS)
def test_exact_verdict(
    corpus: Any,
    public_pem: bytes,
    app_secret: str,
    kind: str,
    name: str,
    findings: set[str],
    stopped: str | None,
) -> None:
    report = _run(corpus(kind, name), public_pem, app_secret)
    assert _verdict(report) == (findings, stopped), report.to_text()
    assert report.ok is not findings
    # a closed connection after an error is no reset: the next check opens a fresh one
    if stopped is None:
        assert "no HTTP answer" not in report.to_text()
        assert report["timing.latency"].grade is Grade.PASS


def _group(report: Any, first: str) -> list[Any]:
    return next(group for group in report.findings if group[0].id == first)


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        pytest.param("python", "tutorial_mistakes", id="python"),
        pytest.param("node", "tutorial-mistakes", id="node", marks=NODE_ONLY),
    ],
)
def test_tutorial_mistakes_group_and_spare_the_harmless(
    corpus: Any, public_pem: bytes, app_secret: str, kind: str, name: str
) -> None:
    report = _run(corpus(kind, name), public_pem, app_secret)
    decrypt = _group(report, DECRYPT_500)
    assert {r.id for r in decrypt} >= {
        "decrypt.tampered-ciphertext", "decrypt.tampered-tag", "decrypt.tampered-iv",
        "decrypt.truncated-iv", "robust.malformed-envelope",
    }  # fmt: skip
    assert all("500" in r.detail for r in decrypt)
    # the answers carry "version" and the key is parsed per request: both harmless
    for check_id in ("ping", "response.encrypted", "error-notification.error",
                     "decrypt.short-iv", "idempotency.replay"):  # fmt: skip
        assert report[check_id].grade is Grade.PASS, report[check_id].detail
    text = " ".join(report.to_text(width=1000).split())
    assert "Same cause as decrypt.wrong-key" in text


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        pytest.param("python", "plaintext_answers", id="python"),
        pytest.param("node", "plaintext-answers", id="node", marks=NODE_ONLY),
    ],
)
def test_plaintext_answers_are_one_finding(
    corpus: Any, public_pem: bytes, app_secret: str, kind: str, name: str
) -> None:
    report = _run(corpus(kind, name), public_pem, app_secret)
    sealing = _group(report, "ping")
    assert {r.cause for r in sealing} == {ANSWER_SEALING}
    assert {r.id for r in sealing} == {
        "ping", "decrypt.short-iv", "response.encrypted", "error-notification.error",
        "error-notification.error-key",
    }  # fmt: skip
    assert "plaintext JSON" in report["response.encrypted"].detail
    # it decrypts requests right: the 421s, the signature checks and the timing pass
    for check_id in ("decrypt.tampered-tag", "decrypt.wrong-key", "signature.wrong"):
        assert report[check_id].grade is Grade.PASS, report[check_id].detail
    assert report["response.content-type"].grade is Grade.SKIP


def test_python_missing_header_is_a_500_not_a_crash(
    corpus: Any, public_pem: bytes, app_secret: str
) -> None:
    endpoint = corpus("python", "plaintext_answers")
    report = _run(endpoint, public_pem, app_secret)
    assert "answered 500" in report["signature.missing"].detail
    assert report["signature.missing"].cause == "signature.missing"
    assert endpoint.process.poll() is None  # Flask survives what kills a Node process


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        pytest.param("python", "crash_on_missing_header", id="python"),
        pytest.param("node", "crash-on-missing-header", id="node", marks=NODE_ONLY),
    ],
)
def test_a_crash_is_one_finding_and_the_rest_not_run(
    corpus: Any, public_pem: bytes, app_secret: str, kind: str, name: str
) -> None:
    endpoint = corpus(kind, name)
    report = _run(endpoint, public_pem, app_secret)
    assert endpoint.process.poll() is not None  # it really died
    died = report["signature.missing"]
    assert died.cause == "endpoint-down"
    assert "curl" in died.detail
    later = report.results[[r.id for r in report.results].index("signature.missing") + 1 :]
    assert later
    assert {r.grade for r in later} == {Grade.NOT_RUN}
    assert report["timing.latency"].grade is Grade.NOT_RUN
    assert "1 finding" in report.to_text()
