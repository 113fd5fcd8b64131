"""The ``mock_hubspot``, ``mock_salesforce`` and ``mock_crm`` fixtures, run through pytester."""

from __future__ import annotations

import pytest


def test_crm_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        from mocks.crm import HubSpotAdmin, SalesforceAdmin
        from mocks.crm.hubspot import HUBSPOT_TOKEN
        from mocks.crm.salesforce import SF_CLIENT_ID, SF_CLIENT_SECRET

        AUTH = {"Authorization": f"Bearer {HUBSPOT_TOKEN}"}

        def test_hubspot_first(mock_hubspot):
            assert mock_hubspot.url.startswith("http://127.0.0.1:")
            response = mock_hubspot.client.post(
                "/crm/v3/objects/contacts", json={"properties": {"email": "a@b.com"}},
                headers=AUTH)
            assert response.status_code == 201
            assert HubSpotAdmin(mock_hubspot.admin).contact_by("email", "a@b.com")

        def test_hubspot_second_starts_fresh(mock_hubspot):
            assert HubSpotAdmin(mock_hubspot.admin).contacts() == []
            assert mock_hubspot.admin.count() == 0

        def test_salesforce(mock_salesforce):
            form = {"grant_type": "client_credentials", "client_id": SF_CLIENT_ID,
                    "client_secret": SF_CLIENT_SECRET}
            token = mock_salesforce.client.post("/services/oauth2/token", data=form).json()
            assert token["instance_url"] == mock_salesforce.url
            assert mock_salesforce.url.startswith("https://127.0.0.1:")
            response = mock_salesforce.client.post(
                "/services/data/v60.0/sobjects/Lead",
                json={"LastName": "L", "Company": "C"},
                headers={"Authorization": "Bearer " + token["access_token"]})
            assert response.status_code == 201
            assert len(SalesforceAdmin(mock_salesforce.admin).leads()) == 1

        def test_mock_crm_defaults_to_hubspot(mock_crm, mock_hubspot):
            assert mock_crm is mock_hubspot

        @pytest.mark.parametrize("mock_crm", ["salesforce"], indirect=True)
        def test_mock_crm_can_be_salesforce(mock_crm, mock_salesforce):
            assert mock_crm is mock_salesforce
            assert mock_crm.admin.state()["leads"] == []
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=5)
