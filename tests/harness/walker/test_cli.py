"""``flowharness walk`` against a stub served over HTTP, and ``flowharness stub``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness import crypto
from harness.cli import main
from harness.client import FlowClient
from harness.stub import create_stub_app
from harness.testing import run_server

FLOWS = Path(__file__).parents[2] / "data" / "flows"
NAV = FLOWS / "v6.2-navigation-list-dynamic.json"


@pytest.fixture
def public_key_file(tmp_path: Path, public_pem: bytes) -> Path:
    path = tmp_path / "public.pem"
    path.write_bytes(public_pem)
    return path


@pytest.fixture
def served(private_key: Any, app_secret: str) -> Iterator[Any]:
    """``served(rewrite=None)``: the NAV stub over real HTTP; yields its URL."""
    servers: list[Any] = []

    def serve(**options: Any) -> str:
        server = run_server(create_stub_app(NAV, private_key, app_secret, **options))
        servers.append(server)
        return server.__enter__()

    yield serve
    for server in servers:
        server.__exit__(None, None, None)


def _wrong_screen(request: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    """A rewrite that answers FIRST_SCREEN with a screen its routing does not allow."""
    if request.get("screen") == "FIRST_SCREEN" and "error" not in request.get("data", {}):
        return {"screen": "CONTACT", "data": {}}
    return answer


def _walk(url: str, key: Path, secret: str, *extra: str) -> Any:
    args = ["walk", str(NAV), "--endpoint", url, "--public-key", str(key), *extra]
    return CliRunner().invoke(main, args, env={"FLOWHARNESS_APP_SECRET": secret})


def test_walk_one_journey_prints_its_transcript(
    served: Any, public_key_file: Path, app_secret: str
) -> None:
    result = _walk(served(), public_key_file, app_secret, "--seed", "10")
    assert result.exit_code == 0, result.output
    assert "journey seed=10: completed" in result.output
    assert " 1. (opening)" in result.output  # the steps
    assert "1/1 journey(s) completed, 0 finding(s)" in result.output


def test_many_journeys_give_a_summary_not_a_flood(
    served: Any, public_key_file: Path, app_secret: str
) -> None:
    result = _walk(served(), public_key_file, app_secret, "--journeys", "25", "--seed", "10")
    assert result.exit_code == 0, result.output
    assert "25/25 journey(s) completed, 0 finding(s)" in result.output
    assert "25 journeys through" in result.output
    assert "(opening)" not in result.output  # no transcripts
    assert len(result.output.splitlines()) < 15


def test_walk_verbose_prints_a_line_per_journey(
    served: Any, public_key_file: Path, app_secret: str
) -> None:
    result = _walk(served(), public_key_file, app_secret, "--journeys", "3", "--seed", "10", "-v")
    assert result.exit_code == 0, result.output
    for seed in (10, 11, 12):
        assert f"seed={seed}: completed" in result.output
    assert "3/3 journey(s) completed, 0 finding(s)" in result.output


def test_walk_reports_findings_and_fails(
    served: Any, public_key_file: Path, app_secret: str
) -> None:
    result = _walk(served(rewrite=_wrong_screen), public_key_file, app_secret)
    assert result.exit_code == 1
    assert "invalid-screen-transition" in result.output
    assert "NOT completed" in result.output
    several = _walk(served(rewrite=_wrong_screen), public_key_file, app_secret, "--journeys", "4")
    assert several.exit_code == 1
    assert "invalid-screen-transition" in several.output  # in the findings table
    assert "replay one in full: --seed 0 --journeys 1" in several.output


def test_walk_json(served: Any, public_key_file: Path, app_secret: str) -> None:
    result = _walk(served(), public_key_file, app_secret, "--json", "--journeys", "2")
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert [entry["seed"] for entry in entries] == [0, 1]
    assert all(entry["completed"] for entry in entries)


def test_walk_explains_missing_settings(public_key_file: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    no_secret = runner.invoke(
        main,
        [
            "walk",
            str(NAV),
            "--endpoint",
            "http://127.0.0.1:9",
            "--public-key",
            str(public_key_file),
        ],
        env={"FLOWHARNESS_APP_SECRET": ""},
    )
    assert no_secret.exit_code == 2
    assert "app secret" in no_secret.output
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    bad_flow = runner.invoke(main, ["walk", str(broken), "--endpoint", "http://127.0.0.1:9"])
    assert bad_flow.exit_code == 1
    assert "cannot walk" in bad_flow.output


def test_stub_generates_a_key_and_serves_the_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_secret: str
) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(
        "harness.cli.stub.serve_app", lambda app, host, port: served.update(app=app, port=port)
    )
    out = tmp_path / "pub.pem"
    result = CliRunner().invoke(
        main,
        ["stub", str(NAV), "--port", "9099", "--public-key-out", str(out)],
        env={"FLOWHARNESS_APP_SECRET": app_secret},
    )
    assert result.exit_code == 0, result.output
    assert "BEGIN PUBLIC KEY" in result.output
    assert served["port"] == 9099
    with FlowClient(served["app"], public_key=out.read_bytes(), app_secret=app_secret) as client:
        assert client.init("t").payload["screen"] == "FIRST_SCREEN"
        assert client.send({"version": "3.0", "action": "ping"}, signature="bad").status == 432


def test_stub_uses_a_given_encrypted_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, private_key: Any, public_pem: bytes
) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(
        "harness.cli.stub.serve_app", lambda app, host, port: served.update(app=app)
    )
    key_file = tmp_path / "private.pem"
    key_file.write_bytes(crypto.private_key_pem(private_key, passphrase="pw"))
    args = ["stub", str(NAV), "--private-key", str(key_file), "--passphrase", "pw"]
    result = CliRunner().invoke(main, args, env={"FLOWHARNESS_APP_SECRET": ""})
    assert result.exit_code == 0, result.output
    assert "no signature check" in result.output
    with FlowClient(served["app"], public_key=public_pem, app_secret="any") as client:
        assert client.ping().payload == {"data": {"status": "active"}}
    wrong = CliRunner().invoke(main, [*args[:-1], "nope"])
    assert wrong.exit_code == 2
    assert "--private-key" in wrong.output


def test_walk_health_says_the_flow_stays_published(
    served: Any, public_key_file: Path, app_secret: str
) -> None:
    result = _walk(served(), public_key_file, app_secret, "--journeys", "3", "--health")
    assert result.exit_code == 0, result.output
    assert "Meta's health verdict: the flow stays PUBLISHED" in result.output
    for event in ("ENDPOINT_ERROR_RATE", "ENDPOINT_LATENCY", "CLIENT_ERROR_RATE"):
        assert f"{event:<22} quiet" in result.output


def test_walk_health_names_the_client_error_rate_of_wrong_screens(
    served: Any, public_key_file: Path, app_secret: str
) -> None:
    url = served(rewrite=_wrong_screen)
    result = _walk(url, public_key_file, app_secret, "--journeys", "4", "--health")
    assert result.exit_code == 1
    assert "CLIENT_ERROR_RATE      ACTIVATED" in result.output
    assert "invalid-screen-transition x4" in result.output  # one per journey
    assert "the flow would be BLOCKED" in result.output  # every other navigation fails
