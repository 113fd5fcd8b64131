"""The shared validation rules and the CRM packages' public names."""

from __future__ import annotations

import importlib

import pytest
from pydantic import ValidationError

from mocks.crm import HUBSPOT_RULES, SALESFORCE_RULES, ValidationRules, Violation, check


def test_check_reports_each_kind() -> None:
    rules = ValidationRules(required=("name",), email_fields=("mail",), max_lengths={"code": 2})
    found = check(rules, {"name": " ", "mail": "nope", "code": "abc"})
    assert found == [
        Violation("required", "name"),
        Violation("email", "mail", "nope"),
        Violation("max_length", "code", "abc", 2),
    ]
    assert check(rules, {"name": "x", "mail": "a@example.test", "code": "ab"}) == []


def test_check_limits_formats_to_changed_fields_and_folds_case() -> None:
    record = {"lastname": "x", "company": "c", "EMAIL": "bad"}
    assert check(SALESFORCE_RULES, record, changed=["lastname"], fold_case=True) == []
    (violation,) = check(SALESFORCE_RULES, record, changed=["Email"], fold_case=True)
    assert (violation.kind, violation.field) == ("email", "Email")
    missing = check(SALESFORCE_RULES, {}, fold_case=True)
    assert [v.field for v in missing] == ["LastName", "Company"]


def test_updated_validates_and_keeps_the_original() -> None:
    changed = HUBSPOT_RULES.updated({"unique": ["email", "whatsapp_phone"]})
    assert changed.unique == ("email", "whatsapp_phone")
    assert HUBSPOT_RULES.unique == ("email",)
    with pytest.raises(ValidationError):
        HUBSPOT_RULES.updated({"max_lengths": {"email": "long"}})
    with pytest.raises(ValidationError):
        HUBSPOT_RULES.updated({"unknown_rule": True})


@pytest.mark.parametrize("module", ["mocks.crm", "mocks.crm.hubspot", "mocks.crm.salesforce"])
def test_exports_exist(module: str) -> None:
    package = importlib.import_module(module)
    assert package.__all__ == sorted(package.__all__, key=lambda n: (not n.isupper(), n))
    for name in package.__all__:
        assert getattr(package, name) is not None
