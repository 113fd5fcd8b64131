"""Cleaning what people type, with examples and properties."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_server import clean_email, clean_lead_form, clean_name, clean_phone, clean_text
from reference_server.exceptions import LeadValidationError


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  jean-PIERRE  ", "Jean-Pierre"),
        ("élodie", "Élodie"),
        ("ludwig van beethoven", "Ludwig van Beethoven"),
        ("DE LA FONTAINE", "De la Fontaine"),
        ("maria dos santos", "Maria dos Santos"),
        ("o'brien", "O'Brien"),
        ("d'angelo", "D'Angelo"),
        ("ZOË  SALDAÑA", "Zoë Saldaña"),
        ("straße", "Straße"),
    ],
)
def test_names_in_title_case(raw, clean):
    assert clean_name(raw) == clean


@given(st.text())
def test_clean_name_is_idempotent_and_trimmed(text):
    once = clean_name(text)
    assert clean_name(once) == once
    assert once == once.strip()
    assert "  " not in once


@given(st.text())
def test_clean_text_has_no_outer_or_double_whitespace(text):
    cleaned = clean_text(text)
    assert cleaned == cleaned.strip()
    assert "  " not in cleaned


@given(
    st.from_regex(
        r"[a-z][a-z0-9_]{0,8}(\.[a-z0-9_]{1,5})?@[a-z]{2,10}\.(com|org|fr)", fullmatch=True
    ),
    st.booleans(),
)
def test_valid_emails_come_back_lower_case(email, upper):
    typed = f"  {email.upper() if upper else email} "
    assert clean_email(typed) == email


@pytest.mark.parametrize("bad", ["", "plain", "a@", "@b.com", "a b@c.com", "a@b"])
def test_invalid_emails_are_refused_with_a_message(bad):
    with pytest.raises(LeadValidationError) as info:
        clean_email(bad)
    assert info.value.field == "email"
    assert info.value.message


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("+44 20 7946 0958", "FR", "+442079460958"),
        ("(415) 555-2671", "US", "+14155552671"),
    ],
)
def test_phones_become_e164(raw, region, e164):
    assert clean_phone(raw, region) == e164


@given(st.sampled_from(["FR", "US", "DE", "BR", "IN"]))
def test_example_numbers_survive_any_formatting(region):
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    assert clean_phone(national, region) == e164
    assert clean_phone(e164, "US") == e164


@pytest.mark.parametrize("bad", ["12", "hello", "+999 123"])
def test_bad_phones_are_refused(bad):
    with pytest.raises(LeadValidationError):
        clean_phone(bad, "FR")


def test_lead_form_requires_names_and_a_known_interest():
    good = {"first_name": "ana", "last_name": "lima", "email": "a@b.com", "interest": "pricing"}
    form = clean_lead_form(good, default_region="BR")
    assert (form.first_name, form.last_name, form.interest, form.consent) == (
        "Ana", "Lima", "pricing", False,
    )  # fmt: skip
    for field in ("first_name", "last_name", "email", "interest"):
        with pytest.raises(LeadValidationError) as info:
            clean_lead_form({**good, field: ""}, default_region="BR")
        assert info.value.field == field
