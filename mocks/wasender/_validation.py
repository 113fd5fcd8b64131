"""Check a send-message body as WASenderApi does and name the message's type.

Documented (wasenderapi.com/api-docs/messages/send-text-message and the error
page): ``to`` is required (an E.164 number, a group JID or a channel JID);
``text`` is required when no media, contact, location (or poll) is sent; media
come as ``imageUrl``, ``videoUrl``, ``documentUrl`` (+ ``fileName``),
``audioUrl``, ``stickerUrl``; ``contact`` is ``{name, phone}``; ``location``
``{latitude, longitude, name?, address?}``; a refusal is 422-style
``{"success": false, "message": "Validation failed", "errors": {field: [...]}}``.
The official SDKs add ``messageType`` (``text``, ``image``... ``poll`` with
``poll: {question, options, multiSelect}``) and ``replyTo``/``mentions``;
other callers leave ``messageType`` out, so it is optional and inferred.

Guessed (Laravel's wording, which the documented errors follow): the messages
of every error but the two quoted in the docs; poll options 2 to 12.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import phonenumbers

from mocks.wasender.exceptions import WasenderApiError

__all__ = ["MEDIA_FIELDS", "MESSAGE_TYPES", "ValidMessage", "jid_for", "validate_message"]

MEDIA_FIELDS = {
    "image": "imageUrl",
    "video": "videoUrl",
    "document": "documentUrl",
    "audio": "audioUrl",
    "sticker": "stickerUrl",
}
"""media message type -> the body field with its URL."""

MESSAGE_TYPES = ("text", *MEDIA_FIELDS, "contact", "location", "poll")

_GROUP = re.compile(r"^\d+(-\d+)?@g\.us$")
_CHANNEL = re.compile(r"^\d+@newsletter$")
_USER = re.compile(r"^\d+@(s\.whatsapp\.net|lid)$")
_PHONE = re.compile(r"^\+?\d{6,15}$")
_MAX_POLL_OPTIONS = 12


@dataclass
class ValidMessage:
    """A send-message body WASenderApi accepts, with its type worked out."""

    to: str
    type: str
    text: str | None = None
    media_url: str | None = None
    file_name: str | None = None
    contact: dict[str, str] | None = None
    location: dict[str, Any] | None = None
    poll: dict[str, Any] | None = None
    reply_to: int | None = None
    mentions: list[str] = field(default_factory=list)


class _Errors:
    """Laravel's error bag: field -> messages, refused together."""

    def __init__(self) -> None:
        self.bag: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.bag.setdefault(name, []).append(message)

    def raise_any(self) -> None:
        if self.bag:
            body = {"success": False, "message": "Validation failed", "errors": self.bag}
            raise WasenderApiError(422, body)


def _words(name: str) -> str:
    """``imageUrl`` -> ``image url``, as Laravel names a field in its messages."""
    return re.sub(r"(?<!^)(?=[A-Z])", " ", name).lower()


def jid_for(to: str) -> str:
    """The WhatsApp JID a recipient ends up as: a phone number's user JID, a JID as is."""
    return to if "@" in to else to.lstrip("+") + "@s.whatsapp.net"


def _valid_recipient(to: str) -> bool:
    if _GROUP.match(to) or _CHANNEL.match(to) or _USER.match(to):
        return True
    if not _PHONE.match(to):
        return False
    try:
        number = phonenumbers.parse("+" + to.lstrip("+"))
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def _url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _infer_type(body: dict[str, Any], errors: _Errors) -> str:
    given = body.get("messageType")
    if given is not None:
        if given not in MESSAGE_TYPES:
            errors.add("messageType", "The selected message type is invalid.")
            return "text"
        return str(given)
    for kind, name in MEDIA_FIELDS.items():
        if body.get(name) not in (None, ""):
            return kind
    for kind in ("contact", "location", "poll"):
        if body.get(kind) not in (None, "", {}):
            return kind
    return "text"


def _check_text(body: dict[str, Any], kind: str, errors: _Errors) -> str | None:
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        errors.add("text", "The text field must be a string.")
        return None
    if kind == "text" and not (text or "").strip():
        errors.add("text", "The text field is required when no media is present.")
    return text or None


def _check_media(body: dict[str, Any], kind: str, errors: _Errors) -> str | None:
    name = MEDIA_FIELDS[kind]
    value = body.get(name)
    if value in (None, ""):
        errors.add(name, f"The {_words(name)} field is required when message type is {kind}.")
        return None
    if not _url(value):
        errors.add(name, f"The {_words(name)} field must be a valid URL.")
        return None
    return str(value)


def _check_contact(body: dict[str, Any], errors: _Errors) -> dict[str, str] | None:
    contact = body.get("contact")
    if not isinstance(contact, dict):
        errors.add("contact", "The contact field is required when message type is contact.")
        return None
    for key in ("name", "phone"):
        if not isinstance(contact.get(key), str) or not contact[key].strip():
            errors.add(f"contact.{key}", f"The contact.{key} field is required.")
    return {"name": str(contact.get("name")), "phone": str(contact.get("phone"))}


def _check_location(body: dict[str, Any], errors: _Errors) -> dict[str, Any] | None:
    location = body.get("location")
    if not isinstance(location, dict):
        errors.add("location", "The location field is required when message type is location.")
        return None
    checked: dict[str, Any] = {}
    for key, bound in (("latitude", 90), ("longitude", 180)):
        value = _number(location.get(key))
        if location.get(key) is None:
            errors.add(f"location.{key}", f"The location.{key} field is required.")
        elif value is None or not -bound <= value <= bound:
            errors.add(
                f"location.{key}", f"The location.{key} field must be between -{bound} and {bound}."
            )
        checked[key] = value
    for key in ("name", "address"):
        if location.get(key) is not None:
            checked[key] = str(location[key])
    return checked


def _check_poll(body: dict[str, Any], errors: _Errors) -> dict[str, Any] | None:
    poll = body.get("poll")
    if not isinstance(poll, dict):
        errors.add("poll", "The poll field is required when message type is poll.")
        return None
    if not isinstance(poll.get("question"), str) or not poll["question"].strip():
        errors.add("poll.question", "The poll.question field is required.")
    options = poll.get("options")
    if (
        not isinstance(options, list)
        or not 2 <= len(options) <= _MAX_POLL_OPTIONS
        or not all(isinstance(option, str) and option.strip() for option in options)
    ):
        errors.add(
            "poll.options",
            f"The poll.options field must have between 2 and {_MAX_POLL_OPTIONS} items.",
        )
    return {
        "question": poll.get("question"),
        "options": options,
        "multiSelect": bool(poll.get("multiSelect", False)),
    }


def _check_extras(body: dict[str, Any], errors: _Errors) -> tuple[int | None, list[str]]:
    reply_to = body.get("replyTo")
    if reply_to is not None and (
        isinstance(reply_to, bool) or not isinstance(reply_to, int) or reply_to < 1
    ):
        errors.add("replyTo", "The reply to field must be an integer.")
        reply_to = None
    mentions = body.get("mentions")
    if mentions is not None and (
        not isinstance(mentions, list) or not all(isinstance(m, str) for m in mentions)
    ):
        errors.add("mentions", "The mentions field must be an array.")
        mentions = None
    return reply_to, list(mentions or [])


def validate_message(body: Any) -> ValidMessage:
    """The message ``body`` asks for, or the 422 WASenderApi answers (all errors at once)."""
    if not isinstance(body, dict):
        body = {}  # Laravel reads an unreadable body as no input at all
    errors = _Errors()
    to = body.get("to")
    if to in (None, ""):
        errors.add("to", "The to field is required.")
    elif not isinstance(to, str) or not _valid_recipient(to):
        errors.add("to", "The to field must be a valid phone number or WhatsApp JID.")
    kind = _infer_type(body, errors)
    message = ValidMessage(to=str(to or ""), type=kind, text=_check_text(body, kind, errors))
    if kind in MEDIA_FIELDS:
        message.media_url = _check_media(body, kind, errors)
        if kind == "document" and body.get("fileName") is not None:
            message.file_name = str(body["fileName"])
        if kind == "sticker":
            message.text = None  # a sticker has no caption
    elif kind == "contact":
        message.contact = _check_contact(body, errors)
    elif kind == "location":
        message.location = _check_location(body, errors)
    elif kind == "poll":
        message.poll = _check_poll(body, errors)
    message.reply_to, message.mentions = _check_extras(body, errors)
    errors.raise_any()
    return message
