"""``flowharness check``: exit codes, the readable table and --json."""

from __future__ import annotations

import json
import shlex
import sys

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.conformance import CHECK_IDS, CHECKS
from harness.testing import run_server
from tests.support import broken_endpoints


def _check(url, public_pem_file, app_secret, *args):
    arguments = ["check", url, "--public-key", str(public_pem_file), *args]
    return CliRunner().invoke(
        main, arguments, env={"FLOWHARNESS_APP_SECRET": app_secret}, catch_exceptions=False
    )


def test_the_reference_endpoint_conforms_over_the_network(
    reference, public_pem_file, app_secret, token
) -> None:
    sample = json.dumps(broken_endpoints.sample_request())
    with run_server(reference) as url:
        result = _check(
            url + "/", public_pem_file, app_secret, "--flow-token", token,
            "--sample-request", sample,
        )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert "CONFORMS: 24 pass, 0 warn, 0 fail, 0 skip" in result.output
    for check_id in ("signature.truncated", "decrypt.short-iv", "flow-token.invalid"):
        assert check_id in result.output


def test_json_output_names_the_failing_check_and_exits_1(
    private_key, public_pem_file, app_secret, token
) -> None:
    broken = broken_endpoints.unflipped_iv(private_key, app_secret)
    with run_server(broken) as url:
        result = _check(url + "/", public_pem_file, app_secret, "--flow-token", token, "--json")

    assert result.exit_code == 1
    report = json.loads(result.stdout)
    grades = {c["id"]: c["grade"] for c in report["checks"]}
    assert grades["response.flipped-iv"] == "fail"
    assert report["ok"] is False
    assert report["fuzz"] is None
    failing = next(c for c in report["checks"] if c["id"] == "response.flipped-iv")
    assert "XOR 0xFF" in failing["hint"]


def test_fuzzing_findings_fail_the_run_and_are_saved(
    private_key, public_pem_file, app_secret, tmp_path
) -> None:
    broken = broken_endpoints.leaks_traceback(private_key, app_secret)
    out = tmp_path / "findings"
    with run_server(broken) as url:
        result = _check(
            url + "/", public_pem_file, app_secret, "--only", "ping", "--json",
            "--fuzz", "40", "--fuzz-seed", "5", "--fuzz-out", str(out),
        )  # fmt: skip

    assert result.exit_code == 1
    fuzz = json.loads(result.stdout)["fuzz"]
    assert [f["kind"] for f in fuzz["findings"]] == ["leaked-trace"]
    assert sorted(p.suffix for p in out.iterdir()) == [".json", ".sh"]
    assert url in (out / next(out.glob("*.sh")).name).read_text()


def test_list_shows_every_check(app_secret) -> None:
    result = CliRunner().invoke(main, ["check", "--list"])

    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines[::2]] == list(CHECK_IDS)
    for line, spec in zip(lines[1::2], CHECKS, strict=True):
        source = spec.source
        assert line.strip() == f"Meta: {source.page.title}, {source.section}, {source.url}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--flow-token", "t", "--token-command", "echo t"], "not both"),
        (["--only", "no-such-check"], "unknown check id 'no-such-check'"),
        (["--sample-request", "[1]"], "must be a JSON object"),
    ],
)
def test_bad_options_are_explained(public_pem_file, app_secret, args, message) -> None:
    result = _check("http://127.0.0.1:9/", public_pem_file, app_secret, *args)

    assert result.exit_code in (1, 2)
    assert message in result.output


def test_a_missing_public_key_is_a_usage_error(app_secret) -> None:
    result = CliRunner().invoke(
        main, ["check", "http://127.0.0.1:9/"], env={"FLOWHARNESS_PUBLIC_KEY": None}
    )

    assert result.exit_code == 2
    assert "--public-key" in result.output


@pytest.mark.slow
def test_token_command_mints_the_token(reference, public_pem_file, app_secret, token) -> None:
    command = f"{shlex.quote(sys.executable)} -c {shlex.quote(f'print({token!r})')}"
    with run_server(reference) as url:
        result = _check(
            url + "/", public_pem_file, app_secret, "--token-command", command,
            "--only", "flow-token.invalid", "--json",
        )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["checks"][0]["grade"] == "pass"


@pytest.mark.slow
def test_a_failing_token_command_stops_the_check(public_pem_file, app_secret) -> None:
    command = f"{shlex.quote(sys.executable)} -c 'import sys; sys.exit(3)'"
    result = _check("http://127.0.0.1:9/", public_pem_file, app_secret, "--token-command", command)

    assert result.exit_code == 1
    assert "exited 3 without a token" in result.output
