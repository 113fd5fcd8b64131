"""``flowharness mocks up`` and the mock registry."""

from __future__ import annotations

import smtplib

import httpx
import pytest
from click.testing import CliRunner

from harness.cli import main
from mocks import AdminClient
from mocks.registry import MOCKS, UnknownMockError, available_mocks, get_spec

from ._mocks_up import mocks_up


def test_registry_names_every_mock() -> None:
    assert {"slack", "teams", "cloud_api", "email", "hubspot", "salesforce", "wasender"} <= set(
        MOCKS
    )
    ports = [spec.default_port for spec in MOCKS.values()]
    assert len(set(ports)) == len(ports)
    assert get_spec("cloud_api").credentials_values() == {
        "access_token": "mock-cloud-api-token",
        "phone_number_id": "106540352242922",
    }
    with pytest.raises(UnknownMockError, match="known mocks"):
        get_spec("fax")
    available = [spec.name for spec in available_mocks()]
    assert {"slack", "teams", "cloud_api", "email"} <= set(available)


def test_registry_builds_services() -> None:
    for name in ("slack", "teams", "cloud_api", "email"):
        with get_spec(name).create_service(seed=1) as service:
            assert service.name == name


def test_list_and_bad_arguments() -> None:
    runner = CliRunner()
    listing = runner.invoke(main, ["mocks", "list"])
    assert listing.exit_code == 0
    assert "cloud_api" in listing.output
    assert "8025" in listing.output
    unknown = runner.invoke(main, ["mocks", "up", "fax"])
    assert unknown.exit_code == 2
    assert "no mock called 'fax'" in unknown.output
    bad_port = runner.invoke(main, ["mocks", "up", "slack", "--port", "slack=http"])
    assert bad_port.exit_code == 2
    assert "NAME=PORT" in bad_port.output
    other = runner.invoke(main, ["mocks", "up", "slack", "--port", "teams=9000"])
    assert other.exit_code == 2
    assert "not one of the mocks" in other.output


@pytest.mark.slow
def test_mocks_up_serves_until_sigint() -> None:
    with mocks_up("teams", "cloud_api", "email", "--base-port", "0", "--seed", "3") as run:
        mocks = run.line["mocks"]
        assert set(mocks) == {"teams", "cloud_api", "email"}
        cloud = mocks["cloud_api"]
        token = cloud["credentials"]["access_token"]
        sent = httpx.post(
            cloud["url"] + "/v21.0/1/messages",
            headers={"Authorization": f"Bearer {token}"},
            json={
                "messaging_product": "whatsapp",
                "to": "15551234567",
                "type": "text",
                "text": {"body": "hi"},
            },
        )
        assert sent.status_code == 200
        hook = httpx.post(
            mocks["teams"]["url"] + "/webhookb2/g@t/IncomingWebhook/c/o", json={"text": "hi"}
        )
        assert hook.text == "1"
        teams_admin = AdminClient(mocks["teams"]["admin_url"])
        assert teams_admin.count() == 1
        email = mocks["email"]
        with smtplib.SMTP(email["smtp_host"], email["smtp_port"], timeout=5) as smtp:
            smtp.sendmail("a@x.com", ["b@x.com"], "Subject: up\r\n\r\nbody")
        assert httpx.get(email["admin_url"] + "/__admin/messages").json()["count"] == 1
        # the dashboard, on a free port too, shows what went through each mock
        state = httpx.get(run.line["dashboard"] + "api/mocks").json()
        assert {m["name"]: m["total"] for m in state["mocks"]} == {
            "teams": 1,
            "cloud_api": 1,
            "email": 1,
        }
    assert run.process.returncode == 0, run.output
    assert "Traceback" not in run.output
    assert "mocks stopped" in run.output


@pytest.mark.slow
def test_mocks_up_without_the_dashboard() -> None:
    with mocks_up("slack", "--base-port", "0", "--no-dashboard") as run:
        assert "dashboard" not in run.line
        assert set(run.line["mocks"]) == {"slack"}
    assert run.process.returncode == 0, run.output
