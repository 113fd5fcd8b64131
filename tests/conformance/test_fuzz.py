"""--fuzz: hostile requests find crashes and leaks, and save reproducers that replay them."""

from __future__ import annotations

import base64
import json

import pytest

from harness.conformance import fuzz_endpoint, load_finding, replay_finding
from harness.testing import make_test_endpoint
from tests.support import broken_endpoints


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
