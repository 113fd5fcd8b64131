"""What Flow JSON knows: versions, components, their properties, and when features arrived.

Feature versions come from Meta's Flow JSON and Components references (their "Supported
starting with Flow JSON version" notes) and its changelog; only features whose first
version is certain are listed, so the validator never rejects a flow WhatsApp would
accept.
"""

from __future__ import annotations

Version = tuple[int, int]

SENDABLE_VERSIONS: tuple[str, ...] = (
    "2.1", "3.0", "3.1", "4.0", "5.0", "5.1",
    "6.0", "6.1", "6.2", "6.3", "7.0", "7.1", "7.2", "7.3",
)  # fmt: skip
DATA_API_VERSIONS: tuple[str, ...] = ("3.0", "4.0")
RESERVED_SCREEN_IDS: frozenset[str] = frozenset({"SUCCESS"})

ACTION_EVENTS: tuple[str, ...] = ("on-click-action", "on-select-action", "on-unselect-action")
TEXT_INPUT_TYPES: frozenset[str] = frozenset(
    {"text", "number", "email", "password", "passcode", "phone"}
)
MEDIA_PICKERS: frozenset[str] = frozenset({"PhotoPicker", "DocumentPicker"})
# data-source sizes when given as a literal list: type -> (minimum, maximum)
OPTION_LIMITS: dict[str, tuple[int, int]] = {
    "Dropdown": (1, 200),
    "RadioButtonsGroup": (1, 20),
    "CheckboxGroup": (1, 20),
}
DROPDOWN_OPTIONS_WITH_IMAGES = 100  # Meta's Components reference, Dropdown limits
MAX_COMPONENTS_PER_SCREEN = 50
MAX_BRANCHES_PER_SCREEN = 10

_INPUT_COMMON = ("name", "label", "required", "visible", "enabled", "init-value", "error-message")
_CHOICE = (*_INPUT_COMMON, "data-source", "description", "on-select-action", "on-unselect-action")
_TEXT = ("text", "visible", "markdown", "font-weight", "strikethrough")

# component type -> the properties it may carry besides "type"
COMPONENT_PROPERTIES: dict[str, frozenset[str]] = {
    name: frozenset(properties)
    for name, properties in {
        "Form": ("name", "children", "init-values", "error-messages"),
        "TextHeading": ("text", "visible"),
        "TextSubheading": ("text", "visible"),
        "TextBody": _TEXT,
        "TextCaption": _TEXT,
        "RichText": ("text", "visible"),
        "TextInput": (
            *_INPUT_COMMON, "input-type", "pattern", "min-chars", "max-chars",
            "helper-text", "label-variant",
        ),
        "TextArea": (*_INPUT_COMMON, "max-length", "helper-text", "label-variant"),
        "CheckboxGroup": (*_CHOICE, "min-selected-items", "max-selected-items", "media-size"),
        "RadioButtonsGroup": (*_CHOICE, "media-size"),
        "Dropdown": _CHOICE,
        "ChipsSelector": (*_CHOICE, "min-selected-items", "max-selected-items"),
        "DatePicker": (
            *_INPUT_COMMON, "min-date", "max-date", "unavailable-dates", "helper-text",
            "on-select-action",
        ),
        "CalendarPicker": (
            *_INPUT_COMMON, "title", "description", "helper-text", "mode", "min-date",
            "max-date", "unavailable-dates", "include-days", "min-days", "max-days",
            "on-select-action",
        ),
        "OptIn": ("name", "label", "required", "visible", "init-value", "on-click-action"),
        "EmbeddedLink": ("text", "visible", "on-click-action"),
        "Footer": (
            "label", "left-caption", "center-caption", "right-caption", "enabled",
            "on-click-action",
        ),
        "Image": ("src", "width", "height", "scale-type", "aspect-ratio", "alt-text", "visible"),
        "ImageCarousel": ("images", "aspect-ratio", "scale-type", "visible"),
        "PhotoPicker": (
            "name", "label", "description", "photo-source", "max-file-size-kb",
            "min-uploaded-photos", "max-uploaded-photos", "enabled", "visible", "error-message",
        ),
        "DocumentPicker": (
            "name", "label", "description", "max-file-size-kb", "min-uploaded-documents",
            "max-uploaded-documents", "allowed-mime-types", "enabled", "visible",
            "error-message",
        ),
        "If": ("condition", "then", "else"),
        "Switch": ("value", "cases"),
        "NavigationList": (
            "name", "list-items", "label", "description", "media-size", "on-click-action",
        ),
    }.items()
}  # fmt: skip

# components whose value is part of the form (what ${form.name} can read)
INPUT_COMPONENTS: frozenset[str] = frozenset(
    {
        "TextInput", "TextArea", "CheckboxGroup", "RadioButtonsGroup", "Dropdown",
        "ChipsSelector", "DatePicker", "CalendarPicker", "OptIn", *MEDIA_PICKERS,
    }
)  # fmt: skip

# feature -> first Flow JSON version that has it
COMPONENT_SINCE: dict[str, Version] = {
    "If": (4, 0),
    "Switch": (4, 0),
    "PhotoPicker": (4, 0),
    "DocumentPicker": (4, 0),
    "RichText": (5, 1),
    "CalendarPicker": (6, 1),
    "NavigationList": (6, 2),
    "ChipsSelector": (6, 3),
    "ImageCarousel": (7, 1),
}
ACTION_SINCE: dict[str, Version] = {"update_data": (6, 0), "open_url": (6, 0)}
PROPERTY_SINCE: dict[tuple[str, str], Version] = {("TextInput", "pattern"): (6, 2)}
GLOBAL_BINDINGS_SINCE: Version = (4, 0)
EXPRESSIONS_SINCE: Version = (6, 0)

TOP_LEVEL_KEYS = frozenset({"version", "data_api_version", "routing_model", "screens"})
TOP_LEVEL_KEYS_BEFORE_3 = frozenset({*TOP_LEVEL_KEYS, "data_channel_uri"})
SCREEN_KEYS = frozenset(
    {"id", "title", "terminal", "success", "refresh_on_back", "sensitive", "data", "layout"}
)


def version_tuple(version: str) -> Version:
    """``"6.3"`` -> ``(6, 3)``; anything unparsable sorts first, as ``(0, 0)``."""
    major, _, minor = version.partition(".")
    try:
        return int(major), int(minor or 0)
    except ValueError:
        return (0, 0)


def version_text(version: Version) -> str:
    return f"{version[0]}.{version[1]}"
