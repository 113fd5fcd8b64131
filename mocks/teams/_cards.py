"""Reading Teams payloads, no HTTP: which card a body carries and the text it shows.

Incoming webhooks (Office 365 connectors) take a legacy ``MessageCard``
(``text`` or ``summary`` required) or a message with Adaptive Card
attachments; Workflows (Power Automate) take the latter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mocks.teams.exceptions import TeamsWebhookError

__all__ = [
    "ADAPTIVE_CARD",
    "BAD_PAYLOAD",
    "CardKind",
    "ParsedCard",
    "parse_card",
    "read_card",
]

ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
BAD_PAYLOAD = "Bad payload received by generic incoming webhook."
SUMMARY_OR_TEXT = "Summary or Text is required."

CardKind = Literal["message_card", "adaptive_card", "other"]

# Keys of the legacy actionable-message card; a body with none of them is not a card.
_MESSAGE_CARD_KEYS = frozenset(
    {"@type", "@context", "text", "summary", "title", "sections", "potentialAction", "themeColor"}
)


@dataclass(frozen=True)
class ParsedCard:
    kind: CardKind
    text: str | None = None
    summary: str | None = None
    title: str | None = None
    cards: list[dict[str, Any]] = field(default_factory=list)


def parse_card(payload: Any) -> ParsedCard:
    """What an incoming webhook makes of ``payload``; raises what Teams answers (400)."""
    if not isinstance(payload, dict):
        raise TeamsWebhookError(400, BAD_PAYLOAD)
    if payload.get("type") == "message" or "attachments" in payload:
        cards = _adaptive_cards(payload)
        if cards is None:
            raise TeamsWebhookError(400, BAD_PAYLOAD)
        return ParsedCard("adaptive_card", text=_joined_text(cards), cards=cards)
    if not _MESSAGE_CARD_KEYS & payload.keys():
        raise TeamsWebhookError(400, BAD_PAYLOAD)
    text, summary = _string(payload.get("text")), _string(payload.get("summary"))
    if not text and not summary:
        raise TeamsWebhookError(400, SUMMARY_OR_TEXT)
    return ParsedCard(
        "message_card", text=text, summary=summary, title=_string(payload.get("title"))
    )


def read_card(payload: dict[str, Any]) -> ParsedCard:
    """A lenient :func:`parse_card` for Workflows, which accept any JSON object."""
    try:
        return parse_card(payload)
    except TeamsWebhookError:
        return ParsedCard("other")


def _adaptive_cards(payload: dict[str, Any]) -> list[dict[str, Any]] | None:
    attachments = payload.get("attachments")
    if not isinstance(attachments, list) or not attachments:
        return None
    cards = []
    for attachment in attachments:
        if not isinstance(attachment, dict) or attachment.get("contentType") != ADAPTIVE_CARD:
            return None
        content = attachment.get("content")
        if not isinstance(content, dict) or content.get("type") != "AdaptiveCard":
            return None
        cards.append(content)
    return cards


def _joined_text(cards: list[dict[str, Any]]) -> str | None:
    texts: list[str] = []
    for card in cards:
        _collect_text(card.get("body", []), texts)
    return "\n".join(texts) or None


def _collect_text(node: Any, texts: list[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect_text(item, texts)
    elif isinstance(node, dict):
        if node.get("type") in ("TextBlock", "TextRun") and isinstance(node.get("text"), str):
            texts.append(node["text"])
        for key, value in node.items():
            if key != "text":
                _collect_text(value, texts)


def _string(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
