"""--fuzz: hostile requests find crashes and leaks, and save reproducers that replay them."""

from __future__ import annotations

import base64
import json

import pytest

from harness.conformance import fuzz_endpoint, load_finding, replay_finding
from harness.testing import make_test_endpoint
from tests.support import broken_endpoints
from tests.support.corpus import corpus_token


def _fuzz(endpoint, public_pem, app_secret, token, examples, **options):
    return fuzz_endpoint(
        endpoint,
        public_key=public_pem,
        app_secret=app_secret,
        flow_token=token,
        examples=examples,
        **options,
    )


def test_a_quick_fuzz_of_the_reference_endpoint_finds_nothing(
    reference, public_pem, app_secret, token, tmp_path
) -> None:
    report = _fuzz(reference, public_pem, app_secret, token, 30, seed=1, out_dir=tmp_path)

    assert report.findings == [], [f.to_dict() for f in report.findings]
    assert report.requests_sent == 30
    assert list(tmp_path.iterdir()) == []


# Seeds 0-2 once found a non-string flow_token and a 900-deep data object answered 500.
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fuzzing_the_reference_endpoint_500_times_finds_nothing(
    reference, public_pem, app_secret, token, seed
) -> None:
    report = _fuzz(reference, public_pem, app_secret, token, 500, seed=seed)

    assert report.findings == [], [f.to_dict() for f in report.findings]
    assert report.requests_sent >= 500


def test_a_leaked_traceback_is_found_minimised_saved_and_replayable(
    private_key, public_pem, app_secret, token, tmp_path
) -> None:
    broken = broken_endpoints.leaks_traceback(private_key, app_secret)

    report = _fuzz(broken, public_pem, app_secret, token, 50, seed=2, out_dir=tmp_path)

    leaks = [f for f in report.findings if f.kind == "leaked-trace"]
    assert len(leaks) == 1
    leak = leaks[0]
    assert leak.status == 500
    assert leak.minimized
    assert len(leak.request.body) <= 2  # shrunk to (almost) nothing: b"" is no envelope
    json_file, sh_file = leak.files
    assert json_file.suffix == ".json"
    assert sh_file.suffix == ".sh"
    saved = json.loads(json_file.read_text())
    assert saved["kind"] == "leaked-trace"
    assert base64.b64decode(saved["request"]["body_base64"]) == leak.request.body
    assert "curl" in sh_file.read_text()
    assert "X-Hub-Signature-256" in sh_file.read_text()

    # replayed byte for byte against a fresh copy, the failure comes back; the
    # reference endpoint answers the same bytes cleanly
    fresh = broken_endpoints.leaks_traceback(private_key, app_secret)
    again = replay_finding(json_file, fresh)
    assert again.kind == "leaked-trace"
    assert again.status == 500
    reference = broken_endpoints.reference_app(private_key, app_secret)
    assert replay_finding(json_file, reference).kind is None
    assert load_finding(json_file) == leak.request


def test_server_errors_are_found(private_key, public_pem, app_secret, token) -> None:
    broken = broken_endpoints.five_hundred_on_bad_tag(private_key, app_secret)

    report = _fuzz(broken, public_pem, app_secret, token, 60, seed=3)

    kinds = {f.kind for f in report.findings}
    assert kinds == {"server-error"}
    assert report.findings[0].files == ()  # no out_dir: nothing written


def test_hangs_are_found_without_shrinking(private_key, public_pem, app_secret) -> None:
    hanging = make_test_endpoint(private_key, app_secret, delay=2.0)

    report = _fuzz(hanging, public_pem, app_secret, None, 20, timeout=0.2, seed=4)

    assert [f.kind for f in report.findings] == ["hang"]
    assert not report.findings[0].minimized
    assert report.requests_sent <= 3  # it stops looking after a couple of hangs


def test_a_broken_reproducer_file_says_what_is_wrong(tmp_path, reference) -> None:
    from harness.conformance import ReproducerError

    path = tmp_path / "finding.json"
    path.write_text('{"kind": "server-error"}')

    with pytest.raises(ReproducerError, match="not a flowharness fuzz finding"):
        replay_finding(path, reference)


# -- an endpoint that dies mid-fuzz (a real process): the fuzzer stops and says why --------


def test_the_fuzzer_stops_when_the_endpoint_dies_and_says_after_which_request(
    corpus, public_pem, app_secret
) -> None:
    endpoint = corpus("python", "crash_on_missing_header")  # exits on an unsigned request

    report = _fuzz(endpoint.url, public_pem, app_secret, corpus_token(), 200, seed=3, timeout=5)

    assert endpoint.process.poll() is not None  # it really died
    assert 2 <= report.requests_sent < 200  # it answered some first: it died mid-run
    assert report.stopped is not None
    assert report.stopped.startswith(
        f"the endpoint stopped answering after fuzz request {report.requests_sent} ("
    )
    assert "signature missing" in report.stopped  # the request that killed it, described
    assert report.stopped.endswith("the rest was not sent")
    dropped = [f for f in report.findings if f.kind == "dropped-connection"]
    assert len(dropped) == 1
    assert not dropped[0].minimized  # not shrunk: replaying it would only find a dead port
    headers = {name.lower() for name, _ in dropped[0].request.headers}
    assert "x-hub-signature-256" not in headers


@pytest.mark.slow
def test_check_fuzz_against_a_node_endpoint_that_dies_says_why_it_stopped(
    corpus, public_pem_file, app_secret, tmp_path
) -> None:
    from click.testing import CliRunner

    from harness.cli import main

    endpoint = corpus("node", "crash-on-missing-header")
    result = CliRunner().invoke(
        main,
        ["check", endpoint.url, "--public-key", str(public_pem_file), "--only", "ping",
         "--fuzz", "200", "--fuzz-seed", "3", "--flow-token", corpus_token(),
         "--fuzz-out", str(tmp_path)],
        env={"FLOWHARNESS_APP_SECRET": app_secret, "COLUMNS": "200"},
    )  # fmt: skip

    assert endpoint.process.poll() is not None
    assert result.exit_code == 1, result.output
    text = " ".join(result.output.split())
    assert "Stopped: the endpoint stopped answering after fuzz request" in text
    assert "the rest was not sent" in text
