"""The ``mock_teams``, ``mock_cloud_api`` and ``mock_smtp`` fixtures, run through pytester."""

from __future__ import annotations

import pytest


def test_notifier_fixtures_are_fresh_for_every_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import smtplib

        from mocks._core import StatusFault
        from mocks.cloud_api import DEFAULT_TOKEN, CloudApiAdmin
        from mocks.teams import TeamsAdmin

        MESSAGE = {"messaging_product": "whatsapp", "to": "15551234567",
                   "type": "text", "text": {"body": "hi"}}

        def test_first(mock_teams, mock_cloud_api, mock_smtp):
            hook = "/webhookb2/g@t/IncomingWebhook/c/o"
            assert mock_teams.client.post(hook, json={"text": "hi"}).text == "1"
            assert TeamsAdmin(mock_teams.admin).messages()[0].text == "hi"
            sent = mock_cloud_api.client.post(
                "/v21.0/1/messages", json=MESSAGE,
                headers={"Authorization": f"Bearer {DEFAULT_TOKEN}"})
            assert sent.status_code == 200
            assert len(CloudApiAdmin(mock_cloud_api.admin).messages()) == 1
            with smtplib.SMTP(mock_smtp.host, mock_smtp.port, timeout=5) as smtp:
                smtp.sendmail("a@x.com", ["b@x.com"], "Subject: hello\\r\\n\\r\\nbody")
            assert [m.subject for m in mock_smtp.messages()] == ["hello"]
            for handle in (mock_teams, mock_cloud_api, mock_smtp):
                handle.admin.add_fault(StatusFault(status=500))

        def test_second_starts_fresh(mock_teams, mock_cloud_api, mock_smtp):
            for handle in (mock_teams, mock_cloud_api, mock_smtp):
                assert handle.admin.count() == 0
                assert handle.admin.faults() == []
            assert mock_smtp.messages() == []
            assert mock_cloud_api.admin.state()["messages"] == []
            assert mock_teams.admin.state()["messages"] == []
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
