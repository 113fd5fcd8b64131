"""A message's content as the Web API reads it: ``text``, ``blocks``, ``attachments``.

``blocks`` and ``attachments`` arrive as JSON arrays (JSON bodies) or as JSON
text (form fields, "presented as a URL-encoded string" in Slack's words). The
checks are the documented ones: some content is required (``no_text``), at
most 100 attachments, at most 50 blocks, a section's text at most 3,000
characters and a header's at most 150 (Block Kit reference), ``text`` at most
``max_text_chars`` (``msg_too_long``; see the package docs on why that cap is
a choice).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from mocks.slack.exceptions import SlackWebApiError

__all__ = ["Content", "has_content", "read_content"]

MAX_BLOCKS = 50
MAX_ATTACHMENTS = 100
_TEXT_LIMITS = {"section": 3000, "header": 150}


@dataclass(frozen=True)
class Content:
    """What a call gave; ``None`` means the argument was not given at all."""

    text: str | None = None
    blocks: list[Any] | None = None
    attachments: list[Any] | None = None

    def present(self) -> bool:
        return has_content(self.text, self.blocks, self.attachments)


def has_content(text: Any, blocks: Any, attachments: Any) -> bool:
    """Whether a message says anything: some ``text``, or a non-empty block or attachment list."""
    return bool(text) or _non_empty_list(blocks) or _non_empty_list(attachments)


def read_content(args: dict[str, Any], *, max_text_chars: int) -> Content:
    """The content arguments of ``chat.postMessage``/``chat.update``, checked."""
    text = args.get("text")
    if text is not None and not isinstance(text, str):
        if isinstance(text, bool | dict | list):
            raise SlackWebApiError(
                "invalid_arguments", "[ERROR] must be a string [json-pointer:/text]"
            )
        text = str(text)  # numbers are read as their text, as form fields would be
    if text is not None and len(text) > max_text_chars:
        raise SlackWebApiError("msg_too_long")
    blocks = _json_list(args, "blocks", "invalid_blocks_format")
    attachments = _json_list(args, "attachments", "invalid_attachments")
    if blocks is not None:
        _check_blocks(blocks)
    if attachments is not None and len(attachments) > MAX_ATTACHMENTS:
        raise SlackWebApiError("too_many_attachments")
    return Content(text=text, blocks=blocks, attachments=attachments)


def _json_list(args: dict[str, Any], name: str, error: str) -> list[Any] | None:
    value = args.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            return []
        try:
            value = json.loads(value)
        except ValueError:
            raise SlackWebApiError(error) from None
    if not isinstance(value, list):
        raise SlackWebApiError(error)
    return value


def _check_blocks(blocks: list[Any]) -> None:
    errors: list[str] = []
    if len(blocks) > MAX_BLOCKS:
        errors.append(f"no more than {MAX_BLOCKS} items allowed [json-pointer:/blocks]")
    for index, block in enumerate(blocks):
        pointer = f"/blocks/{index}"
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            errors.append(f"missing required field: type [json-pointer:{pointer}]")
            continue
        limit = _TEXT_LIMITS.get(block["type"])
        text = block.get("text")
        inner = text.get("text") if isinstance(text, dict) else None
        if limit is not None and isinstance(inner, str) and len(inner) > limit:
            errors.append(
                f"must be less than {limit + 1} characters [json-pointer:{pointer}/text/text]"
            )
    if errors:
        raise SlackWebApiError(
            "invalid_blocks", *(f"[ERROR] {error}" for error in errors), extra={"errors": errors}
        )


def _non_empty_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) > 0
