"""Valid values for every input component, made from a Chooser's answers.

Constraints are read from the live screen: any property may be a ``${data.x}``
binding or an expression, resolved against the current form, data and screens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import phonenumbers

from harness.flowjson import Component, ExpressionError, resolve
from harness.walker import _dates
from harness.walker._choosers import NOTHING, Chooser
from harness.walker._exceptions import UnsatisfiableInputError

CHOICE_COMPONENTS = frozenset({"Dropdown", "RadioButtonsGroup", "CheckboxGroup", "ChipsSelector"})
MULTI_CHOICE = frozenset({"CheckboxGroup", "ChipsSelector"})
TEXT_LIMIT = 24  # typed text stays short unless min-chars asks for more
TEXT_AREA_LIMIT = 80
TEXT_AREA_MAX_LENGTH = 600
MAX_MEDIA_FILES = 30
EXTRA_MEDIA_FILES = 2  # files above the minimum, to keep walks quick
EMAIL_PATTERN = r"[a-z]{1,12}(\.[a-z]{1,8})?@[a-z]{2,12}\.(com|org|net|io)"
PHONE_REGIONS = ("US", "GB", "DE", "BR", "IN", "NG", "ZA", "ID", "MX", "ES")
LETTERS = string.ascii_letters
DIGITS = string.digits
_MEDIA_MAGIC = {
    "image/jpeg": (b"\xff\xd8\xff\xe0", b"\xff\xd9", ".jpg"),
    "image/png": (b"\x89PNG\r\n\x1a\n", b"", ".png"),
    "application/pdf": (b"%PDF-1.4\n", b"\n%%EOF\n", ".pdf"),
}


EmptyInputs = Literal["empty", "omit"]
"""What the walker sends for an optional input the person left empty.

``"empty"`` (the default): the input's empty value, so ``${form.x}`` in a payload resolves
to ``""`` for text, date and single-choice inputs, ``[]`` for multiple choices and media,
``false`` for an OptIn. Meta's Flow JSON reference treats an input nobody filled as ``''``:
its nested-expression example ``(${form.first_name} != '') || (${form.last_name} != '')``
("You provided at least your first or last name") and its forward-reference example
(``${screen.SELECT_INSURANCE.form.insurance} != ''`` "when the value ... is empty"),
developers.facebook.com/docs/whatsapp/flows/reference/flowjson, sections "Nested
expressions" and "Global dynamic and form properties". Meta does not say what the payload
then carries; an endpoint must accept both, so ``"omit"`` sends no key at all.
"""

_EMPTY_STRING = frozenset(
    {"TextInput", "TextArea", "Dropdown", "RadioButtonsGroup", "DatePicker", "CalendarPicker"}
)


def empty_value(component: Component, context: Context) -> Any:
    """The value of an input nobody filled, or NOTHING when there is none to send (a
    CalendarPicker range: Meta shows no empty range)."""
    kind = component.type
    if kind == "CalendarPicker" and context.property(component, "mode", "single") == "range":
        return NOTHING
    if kind in _EMPTY_STRING:
        return ""
    if kind in MULTI_CHOICE or component.is_media_picker:
        return []
    if kind == "OptIn":
        return False
    return NOTHING


class MediaUploader(Protocol):
    """Stores an encrypted file on a CDN and returns the picker's value for it."""

    def upload(self, content: bytes, *, file_name: str, mime_type: str) -> dict[str, Any]: ...


@dataclass
class Context:
    """What a component's properties resolve against, and the flow's version."""

    version: tuple[int, int]
    form: Mapping[str, Any] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)
    screens: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)

    def property(self, component: Component, name: str, default: Any = None) -> Any:
        if name not in component.properties:
            return default
        try:
            value = resolve(
                component.properties[name], form=self.form, data=self.data, screens=self.screens
            )
        except ExpressionError:
            return default
        return default if value is None else value


def is_required(component: Component, context: Context) -> bool:
    if component.is_media_picker:
        return _int(context, component, _media_bounds(component)[0], 0) > 0
    required = context.property(component, "required", False)
    if isinstance(required, Mapping):  # CalendarPicker range: per end
        return any(bool(value) for value in required.values())
    return bool(required)


def options(component: Component, context: Context) -> list[Mapping[str, Any]]:
    """The enabled items of a choice component's ``data-source`` (literal or bound)."""
    source = context.property(component, "data-source", [])
    if not isinstance(source, list):
        return []
    return [
        item
        for item in source
        if isinstance(item, Mapping) and "id" in item and item.get("enabled", True) is not False
    ]


def component_value(
    component: Component,
    *,
    chooser: Chooser,
    context: Context,
    key: str,
    media: MediaUploader | None = None,
) -> Any:
    """A value the client would accept for ``component``; raises if none exists."""
    kind = component.type
    if kind == "TextInput":
        return _text_input(component, chooser, context, key)
    if kind == "TextArea":
        limit = _int(context, component, "max-length", TEXT_AREA_MAX_LENGTH)
        return _words(chooser, key, 1, min(limit, TEXT_AREA_LIMIT))
    if kind in CHOICE_COMPONENTS:
        return _choice(component, chooser, context, key)
    if kind == "DatePicker":
        epoch_ms = context.version < (5, 0)
        return _dates.format_date(_single_day(component, chooser, context, key), epoch_ms=epoch_ms)
    if kind == "CalendarPicker":
        if context.property(component, "mode", "single") == "range":
            return _date_range(component, chooser, context, key)
        return _single_day(component, chooser, context, key).isoformat()
    if kind == "OptIn":
        return True if is_required(component, context) else chooser.boolean(key)
    if component.is_media_picker:
        return _media(component, chooser, context, key, media)
    raise UnsatisfiableInputError(f"{key}: the walker cannot fill a {kind}")


def _int(context: Context, component: Component, name: str, default: int) -> int:
    value = context.property(component, name, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UnsatisfiableInputError(
            f"{component.pointer}/{name}: {value!r} is not a whole number"
        ) from None


def _bounds(key: str, low: int, high: int) -> tuple[int, int]:
    if low > high:
        raise UnsatisfiableInputError(f"{key}: needs at least {low} but at most {high} characters")
    return low, high


def _words(chooser: Chooser, key: str, low: int, high: int) -> str:
    """Letters and spaces, starting with a letter, never blank."""
    low, high = _bounds(key, max(low, 1), high)
    first = chooser.text(key, LETTERS, 1, 1)
    return first + chooser.text(key, LETTERS + "  ", low - 1, high - 1)


def _text_input(component: Component, chooser: Chooser, context: Context, key: str) -> str:
    input_type = context.property(component, "input-type", "text")
    min_chars = _int(context, component, "min-chars", 0)
    max_chars = _int(context, component, "max-chars", 10_000)
    pattern = context.property(component, "pattern")
    if isinstance(pattern, str) and pattern:
        return chooser.regex(key, pattern, *_bounds(key, min_chars, max_chars))
    if input_type == "email":
        return chooser.regex(key, EMAIL_PATTERN, *_bounds(key, min_chars, max_chars))
    if input_type == "phone":
        return _phone(chooser, key, min_chars, max_chars)
    if input_type == "number":
        low, high = _bounds(key, max(min_chars, 1), min(max_chars, max(min_chars, 6)))
        return chooser.text(key, DIGITS, low, high)
    if input_type == "passcode":
        low, high = _bounds(key, max(min_chars, 4), min(max_chars, max(min_chars, 8)))
        return chooser.text(key, DIGITS, low, high)
    if input_type == "password":
        low, high = _bounds(key, max(min_chars, 8), min(max_chars, max(min_chars, 16)))
        return chooser.text(key, LETTERS + DIGITS + "!#%*", low, high)
    return _words(chooser, key, min_chars, min(max_chars, max(min_chars, TEXT_LIMIT)))


def _phone(chooser: Chooser, key: str, min_chars: int, max_chars: int) -> str:
    """A valid mobile number in E.164 (phonenumbers' example, its last digits chosen)."""
    region = chooser.pick(key, PHONE_REGIONS)
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    national = str(example.national_number)
    tail = chooser.text(key, DIGITS, 3, 3)
    candidate = phonenumbers.PhoneNumber(
        country_code=example.country_code, national_number=int(national[:-3] + tail)
    )
    number = candidate if phonenumbers.is_valid_number(candidate) else example
    text = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if not min_chars <= len(text) <= max_chars:
        raise UnsatisfiableInputError(
            f"{key}: a phone number has {len(text)} characters, outside {min_chars}-{max_chars}"
        )
    return text


def _choice(component: Component, chooser: Chooser, context: Context, key: str) -> Any:
    items = options(component, context)
    if not items:
        raise UnsatisfiableInputError(f"{key}: data-source has no enabled option")
    ids = [str(item["id"]) for item in items]
    if component.type not in MULTI_CHOICE:
        return chooser.pick(key, ids)
    low = max(_int(context, component, "min-selected-items", 1), 1)
    high = min(_int(context, component, "max-selected-items", len(ids)), len(ids))
    if low > high:
        raise UnsatisfiableInputError(
            f"{key}: must select {low} to {high} of {len(ids)} options, which is impossible"
        )
    count = chooser.integer(key, low, high)
    remaining = list(ids)
    chosen = set()
    for _ in range(count):
        item = chooser.pick(key, remaining)
        remaining.remove(item)
        chosen.add(item)
    return [item for item in ids if item in chosen]


def _day_bounds(
    component: Component, context: Context, key: str
) -> tuple[dt.date, dt.date, list[dt.date]]:
    def day(name: str) -> dt.date | None:
        value = context.property(component, name)
        return None if value in (None, "") else _dates.parse_date(value, what=f"{key} {name}")

    low, high = _dates.window(day("min-date"), day("max-date"))
    unavailable = context.property(component, "unavailable-dates", [])
    blocked = [_dates.parse_date(value, what=f"{key} unavailable-dates") for value in unavailable]
    return low, high, blocked


def _candidate_days(component: Component, context: Context, key: str) -> list[dt.date]:
    low, high, blocked = _day_bounds(component, context, key)
    weekdays = context.property(component, "include-days")
    days = _dates.available_days(low, high, unavailable=blocked, weekdays=weekdays)
    if not days:
        raise UnsatisfiableInputError(f"{key}: no selectable day between {low} and {high}")
    return days


def _single_day(component: Component, chooser: Chooser, context: Context, key: str) -> dt.date:
    days = _candidate_days(component, context, key)
    return days[chooser.integer(key, 0, len(days) - 1)]


def _date_range(
    component: Component, chooser: Chooser, context: Context, key: str
) -> dict[str, str]:
    days = _candidate_days(component, context, key)
    min_days = max(_int(context, component, "min-days", 1), 1)
    max_days = _int(context, component, "max-days", len(days) + 366)

    def ends(start: dt.date) -> list[dt.date]:  # range lengths count both ends
        return [day for day in days if min_days <= (day - start).days + 1 <= max_days]

    starts = [day for day in days if ends(day)]
    if not starts:
        raise UnsatisfiableInputError(f"{key}: no range of {min_days} to {max_days} days fits")
    start = starts[chooser.integer(key, 0, len(starts) - 1)]
    choices = ends(start)
    end = choices[chooser.integer(key, 0, len(choices) - 1)]
    return {"start-date": start.isoformat(), "end-date": end.isoformat()}


def _media_bounds(component: Component) -> tuple[str, str]:
    noun = "photos" if component.type == "PhotoPicker" else "documents"
    return f"min-uploaded-{noun}", f"max-uploaded-{noun}"


def _media(
    component: Component,
    chooser: Chooser,
    context: Context,
    key: str,
    media: MediaUploader | None,
) -> list[dict[str, Any]]:
    if media is None:
        raise UnsatisfiableInputError(f"{key}: a media picker needs a CDN to upload to")
    low_name, high_name = _media_bounds(component)
    low = max(_int(context, component, low_name, 0), 1)
    high = min(_int(context, component, high_name, MAX_MEDIA_FILES), low + EXTRA_MEDIA_FILES)
    if low > high:
        raise UnsatisfiableInputError(f"{key}: needs {low} to {high} files")
    if component.type == "PhotoPicker":
        mime_types = ["image/jpeg"]
    else:
        mime_types = list(context.property(component, "allowed-mime-types", ["application/pdf"]))
    size_limit = _int(context, component, "max-file-size-kb", 25 * 1024) * 1024
    files = []
    for index in range(chooser.integer(key, low, high)):
        mime_type = chooser.pick(key, mime_types)
        size = chooser.integer(key, 16, max(16, min(size_limit, 2048)))
        content, extension = _file_content(f"{key}#{index}", mime_type, size)
        name = f"{component.name or 'file'}_{index + 1}{extension}"
        files.append(media.upload(content, file_name=name, mime_type=mime_type))
    return files


def _file_content(seed: str, mime_type: str, size: int) -> tuple[bytes, str]:
    """Bytes that look like the type (magic numbers) and differ per file."""
    head, tail, extension = _MEDIA_MAGIC.get(mime_type, (b"", b"", ".bin"))
    body = hashlib.sha256(seed.encode()).digest()
    filler = (body * (size // len(body) + 1))[: max(size - len(head) - len(tail), 0)]
    return head + filler + tail, extension
