"""Mocks of the CRMs a lead-capture endpoint writes to: HubSpot (default) and Salesforce.

``mocks.crm:create_service`` is the HubSpot mock; ``mocks.crm.salesforce`` has
the Salesforce one. Both apply the same kind of :class:`ValidationRules`
(required fields, email format, lengths, unique fields), set at construction
and changeable through ``POST /__admin/rules`` until the next reset.
"""

from __future__ import annotations

from mocks.crm._rules import HUBSPOT_RULES, SALESFORCE_RULES, ValidationRules, Violation, check
from mocks.crm.exceptions import CrmMockError, HubSpotApiError, SalesforceApiError
from mocks.crm.hubspot import HUBSPOT_TOKEN, HubSpotAdmin, HubSpotContact, create_service
from mocks.crm.salesforce import SalesforceAdmin, SalesforceLead
from mocks.crm.salesforce import create_service as create_salesforce_service

__all__ = [
    "HUBSPOT_RULES",
    "HUBSPOT_TOKEN",
    "SALESFORCE_RULES",
    "CrmMockError",
    "HubSpotAdmin",
    "HubSpotApiError",
    "HubSpotContact",
    "SalesforceAdmin",
    "SalesforceApiError",
    "SalesforceLead",
    "ValidationRules",
    "Violation",
    "check",
    "create_salesforce_service",
    "create_service",
]
