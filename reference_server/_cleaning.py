"""Cleaning what people type: trimmed, names in title case, emails lower-case, phones E.164."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from email_validator import EmailNotValidError, validate_email

from reference_server._tokens import to_e164
from reference_server.exceptions import LeadValidationError

# Surname particles kept lower-case inside a name ("Ludwig van Beethoven").
_PARTICLES = frozenset(
    {"da", "das", "de", "del", "della", "der", "des", "di", "do", "dos", "du", "e"}
    | {"la", "le", "van", "von", "den", "ten", "ter", "y", "bin", "ibn"}
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# control characters other than whitespace (NUL, escape sequences): never part of a name
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
MAX_FIELD_LENGTH = 200
_MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a path
_MAX_PHONE_LENGTH = 40
INTERESTS = ("demo", "pricing", "partnership", "other")
"""The ids of the lead form's interest Dropdown (flows/lead_capture.json)."""


def clean_text(value: Any) -> str:
    """Trimmed text with inner runs of whitespace collapsed to one space, control
    characters (NUL, escapes) removed."""
    if value is None:
        return ""
    text = _CONTROLS.sub("", unicodedata.normalize("NFC", str(value)))
    return _SPACES.sub(" ", text).strip()


def _capitalise_word(word: str, *, first: bool) -> str:
    lower = word.lower()
    if not first and lower in _PARTICLES:
        return lower
    head = lower[:1].title()
    # "ß".title() is "Ss": keep letters whose title case is not one letter
    return (head if len(head) == 1 else lower[:1]) + lower[1:]


def clean_name(value: Any) -> str:
    """A name in title case that keeps accents, hyphens, apostrophes and particles.

    ``"  jean-PIERRE de la fontaine "`` -> ``"Jean-Pierre de la Fontaine"``;
    ``"o'brien"`` -> ``"O'Brien"``.
    """
    text = clean_text(value)
    out: list[str] = []
    last = 0
    for index, match in enumerate(_WORD.finditer(text)):
        out.append(text[last : match.start()])
        word = match.group()
        before = text[: match.start()]
        # after an apostrophe: "O'Brien", "D'Angelo", but not "Kate's"
        after_apostrophe = before[-1:] in ("'", "\u2019")
        if after_apostrophe and len(_WORD.findall(before.split(" ")[-1])) == 1 and len(word) > 1:
            out.append(_capitalise_word(word, first=True))
        elif after_apostrophe:
            out.append(word.lower())
        else:
            out.append(_capitalise_word(word, first=index == 0 or before[-1:] == "-"))
        last = match.end()
    out.append(text[last:])
    return unicodedata.normalize("NFC", "".join(out))


def clean_email(value: Any) -> str:
    """A syntactically valid email in lower case (no DNS lookup)."""
    text = clean_text(value)
    if not text:
        raise LeadValidationError("Please enter your email address.", "email")
    if len(text) > _MAX_EMAIL_LENGTH:
        raise LeadValidationError("This email address is too long. Please check it.", "email")
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        raise LeadValidationError(
            "This email address does not look right. Please check it.", "email"
        ) from exc
    return checked.normalized.lower()


def clean_phone(value: Any, default_region: str) -> str:
    """A phone number in E.164; numbers without ``+`` are read in ``default_region``."""
    text = clean_text(value)
    if len(text) > _MAX_PHONE_LENGTH:
        text = ""  # no phone number is this long: refused below, without parsing it
    try:
        return to_e164(text, default_region)
    except ValueError as exc:
        raise LeadValidationError(
            "This phone number does not look right. Please include the country code.", "phone"
        ) from exc


@dataclass(frozen=True, slots=True)
class LeadForm:
    """The cleaned answers of the lead form."""

    first_name: str
    last_name: str
    email: str
    company: str = ""
    interest: str = ""
    contact_phone: str = ""
    """A number the person typed, if any; the WhatsApp number comes from the flow token."""
    consent: bool = False

    def as_dict(self) -> dict[str, Any]:
        # the fields in order (dataclasses.asdict would deep-copy these plain values)
        return {name: getattr(self, name) for name in self.__slots__}


def _required_name(data: dict[str, Any], field: str, label: str) -> str:
    text = clean_text(data.get(field))
    if len(text) > MAX_FIELD_LENGTH:  # checked first: title-casing grows with length squared
        raise LeadValidationError(f"Your {label} is too long.", field)
    name = clean_name(text)
    if not name:
        raise LeadValidationError(f"Please enter your {label}.", field)
    return name


def clean_lead_form(data: dict[str, Any], *, default_region: str) -> LeadForm:
    """Clean and check the form; raises :class:`LeadValidationError` with a message for the user."""
    phone = clean_text(data.get("phone"))
    company = clean_text(data.get("company"))
    if len(company) > MAX_FIELD_LENGTH:
        raise LeadValidationError("The company name is too long.", "company")
    first_name = _required_name(data, "first_name", "first name")
    last_name = _required_name(data, "last_name", "last name")
    email = clean_email(data.get("email"))
    interest = clean_text(data.get("interest")).lower()
    if interest not in INTERESTS:
        raise LeadValidationError("Please choose what you are interested in.", "interest")
    return LeadForm(
        first_name=first_name,
        last_name=last_name,
        email=email,
        company=company,
        interest=interest,
        contact_phone=clean_phone(phone, default_region) if phone else "",
        consent=data.get("consent") in (True, "true", "True", "1", 1),
    )
