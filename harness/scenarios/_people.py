"""Seeded test people: clean values, and the messy way people type them.

``person(seed, region)`` always gives the same person for the same seed: names
with accents and particles, an email, a valid mobile number. ``typed`` holds
what a person might enter (stray whitespace, random case, a local phone number);
the clean fields are what a good endpoint should store.
"""

from __future__ import annotations

import random
import unicodedata
from typing import Any

import phonenumbers

__all__ = ["person"]

# Clean forms, as a careful endpoint would store them (title case, particles kept).
_FIRST = ("Zoé", "José", "Chloë", "Søren", "Inês", "Łukasz", "Anaïs", "Jean-Pierre", "Renée")
_LAST = ("Da Silva", "O'Brien", "Müller", "Núñez", "Van der Berg", "Łukasiewicz", "Fontaine")
_COMPANIES = ("Acme SAS", "Globex", "Initech", "Ümlaut GmbH", "Café Noir")
_INTERESTS = ("demo", "pricing", "partnership", "other")
_DOMAINS = ("example.com", "example.org", "example.net")


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("Ł", "L").replace("ł", "l"))
    return "".join(c for c in decomposed if c.isalnum()).lower()


def _messy_case(rng: random.Random, text: str) -> str:
    style = rng.choice(("upper", "lower", "random"))
    if style == "upper":
        return text.upper()
    if style == "lower":
        return text.lower()
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)


def _spaces(rng: random.Random, text: str) -> str:
    pad = ("", " ", "  ", "\t", " \u00a0")
    inner = text.replace(" ", rng.choice((" ", "  ", "   ")))
    return rng.choice(pad) + inner + rng.choice(pad[1:])


def _mobile(rng: random.Random, region: str) -> phonenumbers.PhoneNumber:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        raise ValueError(f"no mobile numbering plan known for region {region!r}")
    digits = str(example.national_number)
    for _ in range(100):
        tail = "".join(rng.choice("0123456789") for _ in range(4))
        candidate = phonenumbers.parse(f"+{example.country_code}{digits[:-4]}{tail}")
        if phonenumbers.is_valid_number(candidate):
            return candidate
    return example


def person(seed: int, region: str = "FR") -> dict[str, Any]:
    """One reproducible person; see the module docstring for the fields."""
    rng = random.Random(f"flowharness-person-{seed}-{region}")
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    number = _mobile(rng, region)
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    email = f"{_ascii(first)}.{_ascii(last)}{rng.randint(1, 99)}@{rng.choice(_DOMAINS)}"
    local = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    company = rng.choice(_COMPANIES)
    typed = {
        "first_name": _spaces(rng, _messy_case(rng, first)),
        "last_name": _spaces(rng, _messy_case(rng, last)),
        "email": _spaces(rng, _messy_case(rng, email)),
        "company": _spaces(rng, company),
        "phone_local": _spaces(rng, local),
        "phone_international": _spaces(rng, international),
    }
    return {
        "first_name": first,
        "last_name": last,
        "email": email,
        "company": company,
        "phone": e164,
        "phone_digits": e164.lstrip("+"),
        "region": region,
        "interest": rng.choice(_INTERESTS),
        "typed": typed,
    }
