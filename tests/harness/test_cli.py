"""flowharness keys / ping / send / demo, through click's runner and one real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from harness.cli import main
from harness.testing import FakeEndpoint, Fault, make_test_endpoint, run_server

ENV_KEY, ENV_SECRET = "FLOWHARNESS_PUBLIC_KEY", "FLOWHARNESS_APP_SECRET"


@pytest.fixture(scope="module")
def endpoint(private_key: rsa.RSAPrivateKey, app_secret: str) -> FakeEndpoint:
    return make_test_endpoint(private_key, app_secret)


@pytest.fixture(scope="module")
def url(endpoint: FakeEndpoint) -> Iterator[str]:
    with run_server(endpoint) as base:
        yield base + "/"


@pytest.fixture
def key_file(tmp_path: Path, public_pem: bytes) -> Path:
    path = tmp_path / "public.pem"
    path.write_bytes(public_pem)
    return path


@pytest.fixture
def env(key_file: Path, app_secret: str, endpoint: FakeEndpoint) -> dict[str, str | None]:
    endpoint.reset()
    return {ENV_KEY: str(key_file), ENV_SECRET: app_secret}


def run(*args: str, env: dict[str, str | None] | None = None) -> Result:
    clean: dict[str, str | None] = {ENV_KEY: None, ENV_SECRET: None, "COLUMNS": "120"}
    return CliRunner().invoke(main, list(args), env={**clean, **(env or {})})


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- keys ----------------------------------------------------------------------------


def test_keys_generate_writes_a_matching_pair(tmp_path: Path) -> None:
    result = run("keys", "generate", "--out-dir", str(tmp_path / "k"))
    assert result.exit_code == 0, result.output
    private_path, public_path = tmp_path / "k" / "private.pem", tmp_path / "k" / "public.pem"
    assert str(private_path) in result.output
    assert "whatsapp_business_encryption" in result.output  # next steps
    private = crypto.load_private_key(private_path.read_bytes())
    assert private.key_size == 2048
    assert crypto.public_key_pem(private) == public_path.read_bytes()
    assert stat.S_IMODE(private_path.stat().st_mode) == 0o600
    assert private_path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_keys_generate_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    assert run("keys", "generate", "--out-dir", str(tmp_path)).exit_code == 0
    before = (tmp_path / "private.pem").read_bytes()
    refused = run("keys", "generate", "--out-dir", str(tmp_path))
    assert refused.exit_code != 0
    assert "--force" in refused.output
    assert (tmp_path / "private.pem").read_bytes() == before
    assert run("keys", "generate", "--out-dir", str(tmp_path), "--force").exit_code == 0
    assert (tmp_path / "private.pem").read_bytes() != before


def test_keys_generate_with_passphrase_from_env_in_pkcs1(tmp_path: Path) -> None:
    result = run(
        "keys", "generate", "--out-dir", str(tmp_path), "--passphrase-env", "KEYPASS",
        "--format", "pkcs1", "--bits", "3072",
        env={"KEYPASS": "correct horse"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    pem = (tmp_path / "private.pem").read_bytes()
    assert pem.startswith(b"-----BEGIN RSA PRIVATE KEY-----")
    assert b"ENCRYPTED" in pem
    assert crypto.load_private_key(pem, "correct horse").key_size == 3072
    with pytest.raises(crypto.InvalidKeyError):
        crypto.load_private_key(pem)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--passphrase", "a", "--passphrase-env", "B"], "not both"),
        (["--passphrase-env", "UNSET_VARIABLE_FOR_TEST"], "UNSET_VARIABLE_FOR_TEST"),
        (["--bits", "1024"], "1024"),
    ],
)
def test_keys_generate_bad_options(tmp_path: Path, args: list[str], message: str) -> None:
    result = run("keys", "generate", "--out-dir", str(tmp_path), *args)
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "private.pem").exists()


# -- ping ----------------------------------------------------------------------------


def test_ping_ok(url: str, env: dict[str, str | None], endpoint: FakeEndpoint) -> None:
    result = run("ping", url, env=env)
    assert result.exit_code == 0, result.output
    assert "200" in result.output
    assert "active" in result.output
    assert endpoint.received[-1].payload == {"version": "3.0", "action": "ping"}


def test_ping_json(url: str, env: dict[str, str | None]) -> None:
    result = run("ping", url, "--json", env=env)
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["outcome"] == "ok"
    assert data["payload"] == {"data": {"status": "active"}}
    assert data["within_budget"] is True


def test_ping_fails_when_the_endpoint_is_not_active(
    url: str, env: dict[str, str | None], endpoint: FakeEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(endpoint, "handler", lambda payload: {"data": {"status": "down"}})
    result = run("ping", url, env=env)
    assert result.exit_code == 1
    assert "health" in result.output


def test_ping_over_budget_is_reported(
    url: str, env: dict[str, str | None], endpoint: FakeEndpoint
) -> None:
    endpoint.delay = 0.2
    result = run("ping", url, "--budget", "0.05", env=env)
    assert result.exit_code == 0  # the answer is right, only slow
    assert "OVER BUDGET" in result.output


def test_ping_explains_a_non_200(
    url: str, env: dict[str, str | None], endpoint: FakeEndpoint
) -> None:
    endpoint.inject(Fault.STATUS_500, times=1)
    result = run("ping", url, env=env)
    assert result.exit_code == 1
    assert "unexpected_http_status_code" in result.output
    assert "error rate" in result.output  # what Meta says the status means


def test_ping_unreachable_endpoint_is_explained_not_a_traceback(env: dict[str, str | None]) -> None:
    result = run("ping", f"http://127.0.0.1:{closed_port()}/", env=env)
    assert result.exit_code == 1
    assert "no_http_response_error" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_ping_garbage_key_file(url: str, tmp_path: Path, app_secret: str) -> None:
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a key")
    result = run("ping", url, "--public-key", str(garbage), env={ENV_SECRET: app_secret})
    assert result.exit_code == 2
    assert "not a PEM public key" in result.output


@pytest.mark.parametrize(("missing", "message"), [(ENV_KEY, ENV_KEY), (ENV_SECRET, ENV_SECRET)])
def test_ping_without_key_or_secret(
    url: str, env: dict[str, str | None], missing: str, message: str
) -> None:
    result = run("ping", url, env={**env, missing: None})
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_ping_bad_url(env: dict[str, str | None]) -> None:
    result = run("ping", "not-a-url", env=env)
    assert result.exit_code == 1
    assert "http://" in result.output


# -- send ----------------------------------------------------------------------------


def test_send_json_text_with_flow_token(
    url: str, env: dict[str, str | None], endpoint: FakeEndpoint
) -> None:
    payload = '{"version": "3.0", "action": "data_exchange", "screen": "S", "data": {"x": 1}}'
    result = run("send", url, "--payload", payload, "--flow-token", "tok-1", env=env)
    assert result.exit_code == 0, result.output
    assert endpoint.received[-1].payload == {**json.loads(payload), "flow_token": "tok-1"}
    assert "decrypted answer" in result.output


def test_send_payload_from_file(
    url: str, env: dict[str, str | None], endpoint: FakeEndpoint, tmp_path: Path
) -> None:
    request = tmp_path / "request.json"
    request.write_text('{"version": "3.0", "action": "INIT", "flow_token": "from-file"}')
    result = run("send", url, "--payload", str(request), "--json", env=env)
    assert result.exit_code == 0
    assert json.loads(result.output)["status"] == 200
    assert endpoint.received[-1].payload == {
        "version": "3.0",
        "action": "INIT",
        "flow_token": "from-file",
    }


@pytest.mark.parametrize("signature", ["bad", "missing"])
def test_send_with_bad_or_missing_signature(
    url: str, env: dict[str, str | None], signature: str
) -> None:
    result = run("send", url, "--payload", '{"action": "ping"}', "--signature", signature, env=env)
    assert result.exit_code == 1
    assert "432" in result.output
    assert "signature-rejected" in result.output


def test_send_missing_signature_needs_no_secret(url: str, key_file: Path) -> None:
    result = run(
        "send", url, "--payload", "{}", "--signature", "missing", env={ENV_KEY: str(key_file)}
    )
    assert result.exit_code == 1
    assert "432" in result.output


def test_send_explains_a_427(url: str, env: dict[str, str | None], endpoint: FakeEndpoint) -> None:
    endpoint.inject(Fault.STATUS_427, times=1, error_msg="Too late")
    result = run("send", url, "--payload", '{"version": "3.0", "action": "INIT"}', env=env)
    assert result.exit_code == 1
    assert "Too late" in result.output
    assert "427 means" in result.output


def test_send_payload_that_is_not_json(url: str, env: dict[str, str | None]) -> None:
    result = run("send", url, "--payload", "{not json", env=env)
    assert result.exit_code == 2
    assert "not JSON" in result.output


# -- send --flow: the answer against a flow nobody here wrote (Meta's template) --------

APPOINTMENT = Path(__file__).parents[1] / "data/flows/meta/meta-v7.0-book-an-appointment.json"
FROM_DETAILS = json.dumps({"version": "3.0", "action": "data_exchange", "screen": "DETAILS",
                           "data": {"name": "Ada"}, "flow_token": "tok-7"})  # fmt: skip
SUMMARY_DATA = {
    "appointment": "Beauty at King's Cross, Mon Jan 01 2024 at 11:30",
    "details": "Name: Ada", "department": "beauty", "location": "1", "date": "2024-01-01",
    "time": "11:30", "name": "Ada", "email": "ada@example.com", "phone": "123456789",
    "more_details": "",
}  # fmt: skip


def _send_flow(
    url: str, env: dict[str, str | None], endpoint: FakeEndpoint, answer: dict[str, object],
    payload: str = FROM_DETAILS,
) -> Result:  # fmt: skip
    endpoint.handler = lambda request: answer
    return run("send", url, "--payload", payload, "--flow", str(APPOINTMENT), env=env)


@pytest.fixture
def restore_handler(endpoint: FakeEndpoint) -> Iterator[None]:
    handler = endpoint.handler
    yield
    endpoint.handler = handler


@pytest.mark.usefixtures("restore_handler")
def test_send_flow_accepts_an_answer_the_flow_allows(
    url: str, env: dict[str, str | None], endpoint: FakeEndpoint
) -> None:
    result = _send_flow(url, env, endpoint, {"screen": "SUMMARY", "data": SUMMARY_DATA})
    assert result.exit_code == 0, result.output
    assert "would reject" not in result.output
    assert endpoint.received[-1].payload == json.loads(FROM_DETAILS)


@pytest.mark.usefixtures("restore_handler")
@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"screen": "CHECKOUT", "data": {}}, "does not exist in the flow"),
        ({"screen": "APPOINTMENT", "data": {}}, "invalid-screen-transition"),
        ({"screen": "SUMMARY", "data": {**SUMMARY_DATA, "time": 1130}}, "payload-schema-error"),
        ({"screen": "SUMMARY", "data": {**SUMMARY_DATA, "coupon": "X"}}, "declares no 'coupon'"),
        ({"screen": "SUCCESS", "data": {}}, "flow_token"),
    ],
    ids=["unknown-screen", "move-not-routed", "wrong-type", "undeclared-field", "no-token"],
)
def test_send_flow_rejects_what_whatsapp_would(
    url: str, env: dict[str, str | None], endpoint: FakeEndpoint, answer: dict[str, object],
    expected: str,
) -> None:  # fmt: skip
    result = _send_flow(url, env, endpoint, answer)
    assert result.exit_code == 1, result.output
    assert "WhatsApp would reject the answer" in result.output
    assert expected in result.output
    assert "Traceback" not in result.output


@pytest.mark.usefixtures("restore_handler")
def test_send_flow_names_a_request_screen_the_flow_lacks(
    url: str, env: dict[str, str | None], endpoint: FakeEndpoint
) -> None:
    payload = FROM_DETAILS.replace('"DETAILS"', '"GHOST"')
    result = _send_flow(url, env, endpoint, {"screen": "SUMMARY", "data": SUMMARY_DATA}, payload)
    assert result.exit_code == 1
    assert "the request's screen 'GHOST' is not in the flow" in result.output


def test_send_flow_with_broken_flow_json_is_a_usage_error(
    url: str, env: dict[str, str | None], tmp_path: Path
) -> None:
    broken = tmp_path / "flow.json"
    broken.write_text('{"version": "7.0", "screens": [')
    result = run("send", url, "--payload", FROM_DETAILS, "--flow", str(broken), env=env)
    assert result.exit_code == 2
    assert "--flow" in result.output
    assert "Traceback" not in result.output


# -- demo ----------------------------------------------------------------------------


@pytest.mark.slow  # ~11 s; tests/scenarios/test_paths.py runs the demo in the fast suite
def test_demo_plays_every_step_as_expected() -> None:
    result = run("demo")
    assert result.exit_code == 0, result.output
    for step in ("ping", "INIT", "data_exchange", "421, key refresh", "427", "bad signature"):
        assert step in result.output
    assert "421 -> 200" in result.output
    assert "flow-token-invalid" in result.output
    assert "signature-rejected" in result.output
    assert "no, expected" not in result.output


# -- a real process ------------------------------------------------------------------


@pytest.mark.slow
def test_flowharness_ping_in_a_subprocess(url: str, key_file: Path, app_secret: str) -> None:
    command = shutil.which("flowharness", path=str(Path(sys.executable).parent))
    if command is None:
        pytest.skip("the flowharness script is not installed next to this Python")
    done = subprocess.run(
        [command, "ping", url, "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, ENV_KEY: str(key_file), ENV_SECRET: app_secret},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["payload"] == {"data": {"status": "active"}}
