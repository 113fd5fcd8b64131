"""Generated people for the lead form: accented names, mixed-case emails, real-looking phones.

Every value comes from the ``random.Random`` passed in, so a run can be replayed by seed.
Phone numbers are built from libphonenumber's example mobile numbers and checked valid.
"""

from __future__ import annotations

import functools
import random
import unicodedata
from dataclasses import dataclass

import phonenumbers

__all__ = ["INTERESTS", "Person", "make_person"]

INTERESTS = ("demo", "pricing", "partnership", "other")
"""The ids of the lead form's interest Dropdown."""

_FIRST = (
    "José", "Zoë", "François", "Łukasz", "Ana María", "Søren", "Chloé", "Jürgen", "Siobhán",
    "Björk", "Renée", "Nuño", "Ines", "Jean-Pierre", "Olúwaseun", "Ayşe", "Mikołaj", "Marta",
)  # fmt: skip
_LAST = (
    "García Márquez", "Müller", "O'Brien", "de la Fontaine", "Nuñez", "Dvořák", "Østergaard",
    "van der Berg", "Çelik", "Smith", "Kowalczyk", "Lefèvre", "Ó Súilleabháin", "Rossi",
)  # fmt: skip
_COMPANIES = ("Acme", "Globex", "Initech", "Umbrella Corp", "Société Générale de Tests", "")
_DOMAINS = ("example.com", "Example.org", "MAIL.example.net", "exemple.fr")
_REGIONS = ("US", "GB", "FR", "DE", "ES", "BR", "IN", "MX", "NG", "PL")
_CASINGS = (str.lower, str.upper, str.title, lambda text: text)


@dataclass(frozen=True, slots=True)
class Person:
    """One made-up lead: the form fields as typed, plus the WhatsApp number of the token."""

    first_name: str
    last_name: str
    email: str
    whatsapp: str
    """E.164; goes into the flow token, never into the form."""
    company: str = ""
    contact_phone: str = ""
    """The optional second number, typed in a national or international format."""
    interest: str = "demo"
    consent: bool = False

    def lead_form(self) -> dict[str, object]:
        """The LEAD screen's ``data_exchange`` payload, as the client resolves it."""
        return {
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "company": self.company,
            "phone": self.contact_phone,
            "interest": self.interest,
            "consent": self.consent,
        }


_UNDECOMPOSED = str.maketrans({"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "æ": "ae"})


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    kept = "".join(c for c in decomposed if c.isascii() and (c.isalnum() or c in "-."))
    return kept or "someone"


@functools.cache
def _example_mobile(region: str) -> phonenumbers.PhoneNumber:
    # looked up once per region: a load generator makes thousands of people a second
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:  # pragma: no cover - every region above has one
        raise ValueError(f"libphonenumber has no example mobile number for {region}")
    return example


def _phone(rng: random.Random, region: str) -> phonenumbers.PhoneNumber:
    example = _example_mobile(region)
    digits = str(example.national_number)
    for _ in range(20):
        tail = "".join(rng.choice("0123456789") for _ in range(4))
        candidate = phonenumbers.PhoneNumber(
            country_code=example.country_code, national_number=int(digits[:-4] + tail)
        )
        if phonenumbers.is_valid_number(candidate):
            return candidate
    return example


def make_person(rng: random.Random) -> Person:
    """A plausible person; about one in three also types a second phone number."""
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    local = f"{_ascii(first)}.{_ascii(last)}{rng.randrange(100)}".replace(" ", "")
    email = f"{rng.choice(_CASINGS)(local)}@{rng.choice(_DOMAINS)}"
    whatsapp = _phone(rng, rng.choice(_REGIONS))
    contact = ""
    if rng.random() < 0.35:
        other = _phone(rng, rng.choice(_REGIONS))
        contact = phonenumbers.format_number(other, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    # people type names in any case, with stray spaces: the endpoint must clean them
    typed_first = rng.choice((first, first.lower(), f" {first.upper()} "))
    return Person(
        first_name=typed_first,
        last_name=rng.choice((last, last.lower())),
        email=email,
        whatsapp=phonenumbers.format_number(whatsapp, phonenumbers.PhoneNumberFormat.E164),
        company=rng.choice(_COMPANIES),
        contact_phone=contact,
        interest=rng.choice(INTERESTS),
        consent=rng.random() < 0.5,
    )
