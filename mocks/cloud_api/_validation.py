"""What the Cloud API checks in ``POST /{version}/{phone_number_id}/messages``, no HTTP.

Missing parameters answer ``(#100) The parameter X is required.``, malformed
ones ``(#100) Invalid parameter`` and WhatsApp-specific values (flow
parameters, recipients) ``(#131009) Parameter value is not valid``, each with
``error_data.details`` saying what is wrong. Flow messages follow Meta's "Sending a
Flow" guide and its flow-message reference (``flow_cta`` up to 20 characters,
``flow_action_payload`` only with ``navigate``, where it needs a ``screen``).
"""

from __future__ import annotations

import re
from collections.abc import Container, Mapping
from dataclasses import dataclass
from typing import Any

import phonenumbers

from mocks.cloud_api.exceptions import GraphApiError

__all__ = ["MESSAGE_TYPES", "ValidMessage", "validate_message"]

MESSAGE_TYPES = (
    "audio",
    "contacts",
    "document",
    "image",
    "interactive",
    "location",
    "reaction",
    "sticker",
    "template",
    "text",
    "video",
)
_MEDIA_TYPES = ("audio", "document", "image", "sticker", "video")
_INTERACTIVE_TYPES = (
    "address_message",
    "button",
    "call_permission_request",
    "catalog_message",
    "cta_url",
    "flow",
    "list",
    "location_request_message",
    "product",
    "product_list",
)
_TEXT_LIMIT = 4096
_FLOW_CTA_LIMIT = 20
# Most emoji live in these blocks; the flow CTA may not contain any.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f]")


@dataclass(frozen=True)
class ValidMessage:
    """A message the Cloud API accepts: recipient as sent and as a WhatsApp id."""

    to: str
    wa_id: str
    type: str


def missing(param: str) -> GraphApiError:
    text = f"The parameter {param} is required."
    return GraphApiError(400, 100, f"(#100) {text}", details=text)


def invalid(details: str) -> GraphApiError:
    return GraphApiError(400, 100, "(#100) Invalid parameter", details=details)


def not_valid(details: str) -> GraphApiError:
    return GraphApiError(400, 131009, "(#131009) Parameter value is not valid", details=details)


def validate_message(
    payload: Mapping[str, Any],
    *,
    templates: Mapping[str, Container[str]] | None = None,
    allowed_recipients: Container[str] | None = None,
) -> ValidMessage:
    """Check a send-message body as the Cloud API does; raise :class:`GraphApiError`.

    ``templates`` (name -> language codes) and ``allowed_recipients`` (wa ids,
    like a test number's allow list) are only checked when given.
    """
    product = payload.get("messaging_product")
    if product is None:
        raise missing("messaging_product")
    if product != "whatsapp":
        raise invalid(f"messaging_product must be 'whatsapp', got {product!r}")
    recipient_type = payload.get("recipient_type", "individual")
    if recipient_type not in ("individual", "group"):
        raise invalid(f"recipient_type must be 'individual' or 'group', got {recipient_type!r}")
    to = payload.get("to")
    if to is None or to == "":
        raise missing("to")
    wa_id = _wa_id(to)
    if allowed_recipients is not None and wa_id not in allowed_recipients:
        raise GraphApiError(
            400,
            131030,
            "(#131030) Recipient phone number not in allowed list",
            details="Recipient phone number not in allowed list: add it to the allow list "
            "of the sending number",
        )
    kind = payload.get("type", "text")
    if kind not in MESSAGE_TYPES:
        allowed = ", ".join(t.upper() for t in MESSAGE_TYPES)
        raise GraphApiError(
            400,
            100,
            f'(#100) Param type must be one of {{{allowed}}} - got "{kind}".',
            details=f"unsupported message type {kind!r}",
        )
    body = payload.get(kind)
    if not isinstance(body, dict):
        raise missing(kind)
    if kind == "text":
        _check_text(body)
    elif kind == "template":
        _check_template(body, templates)
    elif kind == "interactive":
        _check_interactive(body)
    elif kind in _MEDIA_TYPES and "id" not in body and "link" not in body:
        raise invalid(f"{kind} needs either 'id' (an uploaded media id) or 'link'")
    return ValidMessage(to=str(to), wa_id=wa_id, type=str(kind))


def _wa_id(to: Any) -> str:
    digits = re.sub(r"[\s()+\-.]", "", str(to))
    if not digits.isdigit():
        raise invalid(f"'to' must be a phone number in international format, got {to!r}")
    try:
        number = phonenumbers.parse("+" + digits)
    except phonenumbers.NumberParseException as exc:
        raise invalid(f"'to' is not a phone number: {exc}") from exc
    if not phonenumbers.is_possible_number(number):
        raise invalid(f"'to' is not a possible phone number in any country: {to!r}")
    return digits


def _check_text(body: Mapping[str, Any]) -> None:
    text = body.get("body")
    if not isinstance(text, str) or not text:
        raise missing("text['body']")
    if len(text) > _TEXT_LIMIT:
        raise GraphApiError(
            400,
            100,
            f"(#100) Param text['body'] must be at most {_TEXT_LIMIT} characters long.",
            details=f"text['body'] has {len(text)} characters",
        )


def _check_template(
    body: Mapping[str, Any], templates: Mapping[str, Container[str]] | None
) -> None:
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise missing("template['name']")
    language = body.get("language")
    code = language.get("code") if isinstance(language, dict) else None
    if not isinstance(code, str) or not code:
        raise missing("template['language']['code']")
    if templates is not None and (name not in templates or code not in templates[name]):
        raise GraphApiError(
            404,
            132001,
            "(#132001) Template name does not exist in the translation",
            details=f"template name ({name}) does not exist in {code}",
        )


def _check_interactive(body: Mapping[str, Any]) -> None:
    kind = body.get("type")
    if kind is None:
        raise missing("interactive['type']")
    if kind not in _INTERACTIVE_TYPES:
        raise invalid(f"interactive['type'] must be one of {', '.join(_INTERACTIVE_TYPES)}")
    action = body.get("action")
    if not isinstance(action, dict):
        raise missing("interactive['action']")
    if kind == "flow":
        _check_flow(body, action)


def _check_flow(body: Mapping[str, Any], action: Mapping[str, Any]) -> None:
    text = body.get("body", {}).get("text") if isinstance(body.get("body"), dict) else None
    if not isinstance(text, str) or not text:
        raise missing("interactive['body']['text']")
    if action.get("name") != "flow":
        raise not_valid(
            f"action.name must be 'flow' for a flow message, got {action.get('name')!r}"
        )
    params = action.get("parameters")
    if not isinstance(params, dict):
        raise missing("interactive['action']['parameters']")
    version = params.get("flow_message_version")
    if version is None:
        raise missing("flow_message_version")
    if str(version) != "3":
        raise not_valid(f"flow_message_version must be '3', got {version!r}")
    has_id, has_name = bool(params.get("flow_id")), bool(params.get("flow_name"))
    if has_id == has_name:
        raise not_valid("give exactly one of flow_id and flow_name")
    cta = params.get("flow_cta")
    if not isinstance(cta, str) or not cta:
        raise missing("flow_cta")
    if len(cta) > _FLOW_CTA_LIMIT or _EMOJI.search(cta):
        raise not_valid(f"flow_cta must be 1-{_FLOW_CTA_LIMIT} characters without emoji")
    if "flow_token" in params and not isinstance(params["flow_token"], str):
        raise invalid("flow_token must be a string")
    mode = params.get("mode", "published")
    if mode not in ("published", "draft"):
        raise not_valid(f"mode must be 'published' or 'draft', got {mode!r}")
    flow_action = params.get("flow_action", "navigate")
    payload = params.get("flow_action_payload")
    if flow_action == "data_exchange":
        if payload is not None:
            raise not_valid("flow_action_payload is only allowed with flow_action 'navigate'")
    elif flow_action == "navigate":
        _check_navigate_payload(payload)
    else:
        raise not_valid(f"flow_action must be 'navigate' or 'data_exchange', got {flow_action!r}")


def _check_navigate_payload(payload: Any) -> None:
    if payload is None:
        raise missing("flow_action_payload")
    if not isinstance(payload, dict):
        raise invalid("flow_action_payload must be an object")
    screen = payload.get("screen")
    if not isinstance(screen, str) or not screen:
        raise missing("flow_action_payload['screen']")
    data = payload.get("data")
    if data is not None and (not isinstance(data, dict) or not data):
        raise not_valid("flow_action_payload['data'] must be a non-empty object when given")
