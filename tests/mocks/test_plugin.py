"""The mock fixtures of harness.pytest_plugin, run through pytester as a user's suite runs."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import harness.pytest_plugin

HEAVY = {"fastapi", "uvicorn", "starlette", "mocks", "locust", "redis", "httpx", "cryptography"}


def test_plugin_module_imports_nothing_heavy() -> None:
    tree = ast.parse(Path(harness.pytest_plugin.__file__).read_text())
    top_level: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_level.add(node.module.split(".")[0])
    assert not top_level & HEAVY


def test_fixtures_serve_on_loopback_and_start_fresh(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import socket
        import urllib.request

        from mocks._core import StatusFault

        SERVERS = set()

        def test_first(mock_slack):
            assert mock_slack.url == f"http://127.0.0.1:{mock_slack.port}"
            SERVERS.add(mock_slack.url)
            # any client reaches it: the standard library here, no httpx transport
            request = urllib.request.Request(
                mock_slack.url + mock_slack.credentials["webhook_path"],
                data=b'{"text": "hi"}', headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5) as answer:
                assert answer.read() == b"ok"
            assert mock_slack.admin.count(matched=True) == 1
            mock_slack.admin.add_fault(StatusFault(status=500))

        def test_second_starts_fresh_on_the_same_server(mock_slack):
            assert mock_slack.url in SERVERS  # one server per session
            assert mock_slack.admin.count() == 0
            assert mock_slack.admin.faults() == []
            assert mock_slack.client.post(
                mock_slack.credentials["webhook_path"], json={"text": "x"}).text == "ok"
        """
    )
    # The plugin comes in through its pytest11 entry point, as in any user's project.
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)


def test_every_mock_fixture_has_url_admin_credentials(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import smtplib

        import pytest

        @pytest.mark.parametrize("name", ["slack", "teams", "cloud_api", "hubspot",
                                          "salesforce", "wasender", "smtp"])
        def test_surface(request, name):
            mock = request.getfixturevalue(f"mock_{name}")
            assert mock.admin.health()["status"] == "ok"
            assert isinstance(mock.credentials, dict)
            if name == "smtp":
                with smtplib.SMTP(mock.host, mock.port, timeout=5) as smtp:
                    smtp.noop()
                assert mock.ca_bundle is None
            elif name == "salesforce":
                assert mock.url.startswith("https://") and mock.ca_bundle
                assert mock.credentials["access_token"]
            else:
                assert mock.url.startswith("http://127.0.0.1:") and mock.ca_bundle is None

        def test_mock_crm(mock_crm, mock_hubspot):
            assert mock_crm is mock_hubspot

        @pytest.mark.parametrize("mock_crm", ["salesforce"], indirect=True)
        def test_mock_crm_salesforce(mock_crm, mock_salesforce):
            assert mock_crm is mock_salesforce
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=9)


def test_in_process_and_tls_options(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import ssl
        import urllib.request

        import pytest

        @pytest.mark.flowharness_mocks(in_process=True)
        def test_in_process(mock_hubspot, mock_smtp):
            assert mock_hubspot.url == "http://hubspot.mock" and mock_hubspot.mode == "asgi"
            with pytest.raises(AttributeError, match="in-process"):
                mock_hubspot.port
            token = mock_hubspot.credentials["access_token"]
            answer = mock_hubspot.client.get(
                "/crm/v3/objects/contacts", headers={"Authorization": f"Bearer {token}"})
            assert answer.status_code == 200
            assert mock_smtp.port  # SMTP is always a real server

        @pytest.mark.flowharness_mocks(tls=True)
        def test_tls(mock_teams):
            assert mock_teams.url.startswith("https://127.0.0.1:")
            context = ssl.create_default_context(cafile=mock_teams.ca_bundle)
            request = urllib.request.Request(
                mock_teams.url + mock_teams.credentials["webhook_path"],
                data=b'{"text": "hi"}', headers={"Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=5, context=context) as answer:
                assert answer.read() == b"1"
            with pytest.raises(urllib.error.URLError, match="CERTIFICATE_VERIFY_FAILED"):
                urllib.request.urlopen(mock_teams.url + "/x", timeout=5,
                                       context=ssl.create_default_context())

        @pytest.mark.flowharness_mocks(tls=False)
        def test_salesforce_over_http(mock_salesforce):
            assert mock_salesforce.url.startswith("http://")

        def test_bad_marker(mock_slack):
            pass

        test_bad_marker = pytest.mark.flowharness_mocks("server")(test_bad_marker)
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*takes in_process= and tls= only*"])


def test_ini_options(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nflowharness_mock_mode = in_process\n")
    pytester.makepyfile(
        """
        def test_in_process_by_default(mock_teams):
            assert mock_teams.mode == "asgi"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.makeini("[pytest]\nflowharness_mock_tls = maybe\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*flowharness_mock_tls must be one of auto, on, off*"])


def test_several_mocks_through_one_app(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import json
        import urllib.request

        from mocks.crm import HubSpotAdmin
        from mocks.slack import SlackAdmin

        def post(url, body, headers=()):
            request = urllib.request.Request(
                url, data=json.dumps(body).encode(),
                headers={"Content-Type": "application/json", **dict(headers)})
            with urllib.request.urlopen(request, timeout=5) as answer:
                return answer.status

        def capture_lead(config, email):
            # "the app": reads the URLs and tokens from its configuration
            hubspot, slack = config["mocks"]["hubspot"], config["mocks"]["slack"]
            token = hubspot["credentials"]["access_token"]
            post(hubspot["url"] + "/crm/v3/objects/contacts",
                 {"properties": {"email": email}}, {"Authorization": f"Bearer {token}"})
            post(slack["url"] + slack["credentials"]["webhook_path"], {"text": f"lead {email}"})

        def test_one_app_two_mocks(mock_services, mock_hubspot):
            mock_services.slack
            assert mock_services["hubspot"] is mock_hubspot
            capture_lead(mock_services.config(), "ada@example.com")
            assert HubSpotAdmin(mock_hubspot.admin).contact_by("email", "ada@example.com")
            (message,) = SlackAdmin(mock_services.slack.admin).messages()
            assert message.text == "lead ada@example.com"
            assert sorted(mock_services) == ["hubspot", "slack"]

        def test_next_test_is_fresh(mock_services):
            assert HubSpotAdmin(mock_services.hubspot.admin).contacts() == []
            assert mock_services.slack.admin.count() == 0

        def test_unknown_mock(mock_services):
            try:
                mock_services.fax
            except AttributeError as exc:
                assert "known mocks" in str(exc)
            else:
                raise AssertionError("no error for an unknown mock")
        """
    )
    pytester.runpytest().assert_outcomes(passed=3)
