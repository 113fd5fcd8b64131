"""Strict standard Base64, the only alphabet the Flows protocol uses."""

from __future__ import annotations

import base64
import binascii

from harness.crypto._errors import InvalidBase64Error


def b64encode(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def b64decode(text: str | bytes, *, field: str) -> bytes:
    """Decode standard Base64, rejecting anything else with an error naming ``field``."""
    if isinstance(text, str):
        try:
            text = text.encode("ascii")
        except UnicodeEncodeError as exc:
            raise InvalidBase64Error(
                f"{field} contains non-ASCII characters; it must be standard Base64"
            ) from exc
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidBase64Error(
            f"{field} is not valid standard Base64 ({exc}); check it was not URL-safe "
            "encoded, truncated or wrapped in quotes"
        ) from exc
