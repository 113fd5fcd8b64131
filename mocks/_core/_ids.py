"""Id helpers drawing from one seeded ``random.Random``, so a failing run can be replayed."""

from __future__ import annotations

import base64
import random
import string
import uuid

__all__ = ["IdGenerator"]

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
_SF_SUFFIX = string.ascii_uppercase + "012345"


class IdGenerator:
    """Every generated id of a mock (CRM ids, wamids, tokens) comes from ``rng``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def numeric(self, *, digits: int = 9) -> int:
        """A positive integer with exactly ``digits`` digits (HubSpot-style object id)."""
        if digits < 1:
            raise ValueError(f"digits must be >= 1, got {digits}")
        return self.rng.randint(10 ** (digits - 1), 10**digits - 1)

    def token(
        self, length: int = 24, *, alphabet: str = string.ascii_letters + string.digits
    ) -> str:
        """A random string, e.g. a webhook secret."""
        if length < 1 or not alphabet:
            raise ValueError("token needs length >= 1 and a non-empty alphabet")
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def hex(self, length: int = 32) -> str:
        return self.token(length, alphabet="0123456789abcdef")

    def uuid(self) -> str:
        """A version-4 UUID string."""
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def salesforce(self, prefix: str = "00Q") -> str:
        """An 18-character Salesforce id: 3-char key prefix, 12 random chars, case checksum.

        ``00Q`` is a Lead, ``003`` a Contact, ``001`` an Account.
        """
        if len(prefix) != 3 or any(c not in _BASE62 for c in prefix):
            raise ValueError(f"a Salesforce key prefix is 3 alphanumeric chars, got {prefix!r}")
        short = prefix + "".join(self.rng.choice(_BASE62) for _ in range(12))
        return short + salesforce_checksum(short)

    def wamid(self, wa_id: str | None = None) -> str:
        """A WhatsApp message id shaped like the Cloud API's ``wamid.HBgL...`` values."""
        phone = wa_id if wa_id is not None else str(self.numeric(digits=11))
        if not phone.isdigit():
            raise ValueError(f"wa_id must be digits only, got {phone!r}")
        inner = (
            b"\x1c\x18"
            + bytes([len(phone)])
            + phone.encode()
            + b"\x15\x02\x00\x11\x18\x12"
            + self.hex(18).upper().encode()
            + b"\x00"
        )
        return "wamid." + base64.b64encode(inner).decode()


def salesforce_checksum(short_id: str) -> str:
    """The 3-char suffix turning a case-sensitive 15-char id into its 18-char form."""
    if len(short_id) != 15:
        raise ValueError(f"a short Salesforce id has 15 chars, got {len(short_id)}")
    suffix = ""
    for start in range(0, 15, 5):
        chunk = short_id[start : start + 5]
        bits = sum(1 << i for i, char in enumerate(chunk) if char.isupper())
        suffix += _SF_SUFFIX[bits]
    return suffix
