"""Hostile requests for the fuzzer: what they are (a :class:`FuzzCase`) and how hypothesis
draws them (:func:`fuzz_cases`).

A case describes the request rather than holding its bytes: the plaintext is sealed to
the endpoint's key with a fresh AES key when the request is built, so a case shrinks
like any hypothesis value and the exact bytes sent are recorded with each finding.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import strategies as st

from harness import crypto

TOKEN_MARKER = "@@FLOW_TOKEN@@"
"""Stands for the valid flow token (when there is one) inside a generated plaintext."""

_FIELDS = crypto.ENVELOPE_FIELDS


@dataclass(frozen=True, slots=True)
class Edit:
    """A change to one envelope field after sealing."""

    field: str
    kind: str
    """drop, set (a JSON value), bytes (Base64 of these), truncate (keep N chars), flip (a
    byte), urlsafe, unpadded, wrapped (newlines), duplicate (the key again, this value)."""
    value: Any = None

    def apply(self, items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        current = next((v for k, v in items if k == self.field), None)
        if self.kind == "drop":
            return [(k, v) for k, v in items if k != self.field]
        if self.kind == "duplicate":
            return [*items, (self.field, self.value)]
        new = self._new_value(current)
        if current is None and all(k != self.field for k, _ in items):
            return [*items, (self.field, new)]
        return [(k, new if k == self.field else v) for k, v in items]

    def _new_value(self, current: Any) -> Any:
        text = current if isinstance(current, str) else ""
        if self.kind == "set":
            return self.value
        if self.kind == "bytes":
            return base64.b64encode(self.value).decode("ascii")
        if self.kind == "truncate":
            return text[: self.value]
        if self.kind == "flip":
            raw = bytearray(_b64_or_empty(text))
            if raw:
                raw[self.value % len(raw)] ^= 0x80
            return base64.b64encode(bytes(raw)).decode("ascii")
        if self.kind == "urlsafe":
            return text.replace("+", "-").replace("/", "_")
        if self.kind == "unpadded":
            return text.rstrip("=")
        if self.kind == "wrapped":
            return "\n".join(text[i : i + 76] for i in range(0, len(text), 76))
        raise ValueError(f"unknown envelope edit {self.kind!r}")

    def describe(self) -> str:
        if self.kind in ("drop", "urlsafe", "unpadded", "wrapped"):
            return f"{self.kind} {self.field}"
        return f"{self.kind} {self.field}={_short(self.value)}"


def _b64_or_empty(text: str) -> bytes:
    try:
        return base64.b64decode(text)
    except ValueError:
        return b""


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    if len(text) <= limit:
        return text
    # both ends: deep nesting and huge strings show where they end too
    return f"{text[: limit - 20]}...{text[-20:]} ({len(text)} chars)"


@dataclass(frozen=True, slots=True)
class FuzzCase:
    """One hostile request: a plaintext sealed then edited, or raw bytes; plus header tricks."""

    plaintext: bytes | None = None
    edits: tuple[Edit, ...] = ()
    raw_body: bytes | None = None
    """Sent as is (no encryption) when set."""
    signature: str = "valid"
    """valid, missing, bad, truncated, uppercase, no-prefix, sha1, empty or duplicated."""
    content_type: str | None = "application/json"
    extra_headers: tuple[tuple[str, str], ...] = ()

    def build(
        self, public_key: rsa.RSAPublicKey, app_secret: bytes, token: str
    ) -> tuple[list[tuple[str, str]], bytes]:
        """The headers and the exact body bytes to send."""
        if self.raw_body is not None:
            body = self.raw_body
        else:
            plaintext = (self.plaintext or b"").replace(
                TOKEN_MARKER.encode(), json.dumps(token)[1:-1].encode()
            )
            envelope, _ = crypto.encrypt_request(plaintext, public_key)
            items: list[tuple[str, Any]] = list(envelope.items())
            for edit in self.edits:
                items = edit.apply(items)
            body = _json_object(items)
        headers: list[tuple[str, str]] = []
        if self.content_type is not None:
            headers.append(("Content-Type", self.content_type))
        headers += _signature_headers(self.signature, body, app_secret)
        headers += list(self.extra_headers)
        return headers, body

    def describe(self) -> str:
        if self.raw_body is not None:
            parts = [f"raw body {_short(self.raw_body)}"]
        else:
            parts = [f"sealed plaintext {_short(self.plaintext, 120)}"]
            parts += [edit.describe() for edit in self.edits]
        if self.signature != "valid":
            parts.append(f"signature {self.signature}")
        if self.content_type != "application/json":
            parts.append(f"Content-Type {self.content_type!r}")
        parts += [f"header {name}: {_short(value, 30)}" for name, value in self.extra_headers]
        return "; ".join(parts)


def _json_object(items: list[tuple[str, Any]]) -> bytes:
    """A JSON object that keeps duplicate keys (json.dumps of a dict cannot)."""
    members = (f"{json.dumps(key)}:{json.dumps(value)}" for key, value in items)
    return ("{" + ",".join(members) + "}").encode("utf-8", errors="surrogatepass")


def _signature_headers(mode: str, body: bytes, secret: bytes) -> list[tuple[str, str]]:
    valid = crypto.sign_body(body, secret)
    header = crypto.SIGNATURE_HEADER
    values = {
        "valid": [valid],
        "missing": [],
        "bad": [crypto.sign_body(body, secret + b"-wrong")],
        "truncated": [valid[:-10]],
        "uppercase": ["sha256=" + valid[len("sha256=") :].upper()],
        "no-prefix": [valid[len("sha256=") :]],
        "sha1": ["sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()],
        "empty": [""],
        "duplicated": [crypto.sign_body(body, secret + b"-wrong"), valid],
    }[mode]
    return [(header, value) for value in values]


# -- strategies ------------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
)
json_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
_wrong_types = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.lists(st.integers(), max_size=3)
    | st.dictionaries(st.text(max_size=4), st.integers(), max_size=2)
)
_huge_texts = st.builds(
    lambda unit, count: unit * count,
    st.sampled_from(["a", "é", "💥", "\\", '"', "\x00", "<script>", "%s"]),
    st.integers(min_value=10_000, max_value=1_200_000),
)
_odd_texts = st.sampled_from(
    [
        "",
        " ",
        "null",
        "../../etc/passwd",
        "%s%s%s%n",
        "{{7*7}}",
        "<script>alert(1)</script>",
        "'; DROP TABLE leads; --",
        "\u202egnp.exe",
        "\ud800",  # a lone surrogate: valid as a JSON escape, not encodable as UTF-8
        "\x00",
    ]
)
_texts = st.text(max_size=30) | _odd_texts | _huge_texts


def _either(*choices: str) -> st.SearchStrategy[Any]:
    return st.sampled_from(choices) | _texts | _wrong_types


_versions = _either("3.0", "4.0", "2.1", "5.0", "", "3", "v3.0")
_actions = _either(
    "ping", "INIT", "BACK", "data_exchange", "navigate", "complete", "init", "DATA_EXCHANGE", ""
)
_screens = _either("LEAD", "CONFIRM", "SUCCESS", "START", "WELCOME")
_tokens = _either(TOKEN_MARKER, "a.b", "..")
_notification_data = st.fixed_dictionaries(
    {},
    optional={
        "error": _either("timeout_error", "response-decryption-error"),
        "error_key": _either("payload-schema-error"),
        "error_message": _texts | _wrong_types,
        "screen": _screens,
    },
)
_form_data = st.fixed_dictionaries(
    {},
    optional={
        name: _texts | _wrong_types
        for name in ("first_name", "last_name", "email", "company", "phone", "interest")
    }
    | {"consent": st.booleans() | _texts | _wrong_types},
)
_datas = (
    st.dictionaries(st.text(max_size=12), json_values, max_size=5)
    | _notification_data
    | _form_data
    | _wrong_types
)
_payloads = st.builds(
    lambda fields, extra: {**extra, **fields},
    st.fixed_dictionaries(
        {},
        optional={
            "version": _versions,
            "action": _actions,
            "screen": _screens,
            "data": _datas,
            "flow_token": _tokens,
            "flow_token_signature": _texts,
        },
    ),
    st.dictionaries(st.text(max_size=10), json_values, max_size=2),
)


def _dump(payload: dict[str, Any], ensure_ascii: bool) -> bytes:
    text = json.dumps(payload, ensure_ascii=ensure_ascii)
    return text.encode("utf-8", errors="surrogatepass")


def _nested(opener: str, depth: int) -> bytes:
    closer = {"[": "]", '{"a":': "}"}[opener]
    return (opener * depth + "1" + closer * depth).encode()


def _deep_request(depth: int) -> bytes:
    inner = _nested('{"a":', depth).decode()
    return (
        '{"version":"3.0","action":"data_exchange","screen":"LEAD",'
        f'"flow_token":"{TOKEN_MARKER}","data":{inner}}}'
    ).encode()


def _with_bad_byte(plaintext: bytes, position: int, bad: bytes) -> bytes:
    cut = position % (len(plaintext) + 1)
    return plaintext[:cut] + bad + plaintext[cut:]


# well-formed requests with hostile values where the endpoint's own logic reads them
_plausible_payloads = st.fixed_dictionaries(
    {
        "version": st.sampled_from(["3.0", "4.0"]),
        "action": st.sampled_from(["INIT", "BACK", "data_exchange", "ping"]),
        "flow_token": st.just(TOKEN_MARKER) | _tokens,
    },
    optional={"screen": _screens, "data": _datas},
)
_json_plaintexts = st.builds(_dump, _plausible_payloads | _payloads, st.booleans())
_odd_plaintexts = st.one_of(
    st.binary(max_size=64),
    st.builds(_nested, st.sampled_from(["[", '{"a":']), st.integers(1, 200_000)),
    st.builds(_deep_request, st.integers(1, 200_000)),
    st.builds(
        _with_bad_byte,
        _json_plaintexts,
        st.integers(0, 10_000),
        st.sampled_from([b"\xff", b"\xc3(", b"\xed\xa0\x80", b"\x00"]),
    ),
    st.builds(lambda value: json.dumps(value).encode(), json_values),
    st.sampled_from(
        [
            b"",
            b"null",
            b'{"version":"3.0","action":"ping","n":NaN}',
            b'{"version":"3.0","action":"ping","action":"INIT"}',
            b'\xef\xbb\xbf{"version":"3.0","action":"ping"}',
            b'{"version":"3.0","action":"ping"} trailing',
        ]
    ),
)

_field_names = st.sampled_from(_FIELDS)
_edit_values = _wrong_types | _texts | st.sampled_from(["!!!!", "====", "a", "AAAA====", "é"])
_edits = st.one_of(
    st.builds(Edit, _field_names, st.just("drop")),
    st.builds(Edit, _field_names, st.just("set"), _edit_values),
    st.builds(Edit, _field_names, st.just("bytes"), st.binary(max_size=80)),
    st.builds(Edit, _field_names, st.just("truncate"), st.integers(0, 64)),
    st.builds(Edit, _field_names, st.just("flip"), st.integers(0, 400)),
    st.builds(Edit, _field_names, st.sampled_from(["urlsafe", "unpadded", "wrapped"])),
    st.builds(Edit, _field_names, st.just("duplicate"), _edit_values),
    st.builds(Edit, st.text(max_size=20), st.just("set"), json_values),
)

_raw_bodies = st.one_of(
    st.binary(max_size=256),
    st.builds(lambda value: json.dumps(value).encode(), json_values),
    st.sampled_from([b"", b"{}", b"null", b"[]", b'""', b"{" * 10_000]),
    st.builds(
        lambda fields: json.dumps(fields).encode(),
        st.fixed_dictionaries({}, optional=dict.fromkeys(_FIELDS, json_values | _texts)),
    ),
    st.builds(
        lambda size: b'{"encrypted_flow_data": "' + b"A" * size + b'"}',
        st.integers(10_000, 2_500_000),
    ),
)

# "valid" first and most often: shrinking goes towards it, and most requests should get
# past the signature check to reach the parsing code
_signatures = st.sampled_from(
    ["valid"] * 8
    + ["missing", "bad", "truncated", "uppercase", "no-prefix", "sha1", "empty", "duplicated"]
)
_content_types = st.sampled_from(
    ["application/json"] * 4
    + [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"]
)
_extra_headers = st.lists(
    st.sampled_from(
        [
            ("X-Forwarded-For", "127.0.0.1, 10.0.0.1"),
            ("Accept", "text/html"),
            ("X-Hub-Signature", "sha1=0000"),
            ("Accept-Encoding", "gzip, br"),
            ("X-Padding", "x" * 8000),
        ]
    ),
    max_size=2,
    unique=True,
).map(tuple)


def fuzz_cases() -> st.SearchStrategy[FuzzCase]:
    """Malformed and hostile requests: random and deeply nested JSON, huge strings, wrong
    types, non-UTF-8 plaintext, invalid Base64, wrong-length keys and IVs, bogus actions,
    versions and screens, missing and duplicated fields, signature and header tricks."""
    sealed = st.builds(
        FuzzCase,
        plaintext=_json_plaintexts | _json_plaintexts | _odd_plaintexts,
        # most requests keep a sound envelope so their plaintext reaches the endpoint's logic
        edits=st.just(()) | st.just(()) | st.lists(_edits, min_size=1, max_size=3).map(tuple),
        signature=_signatures,
        content_type=_content_types,
        extra_headers=_extra_headers,
    )
    raw = st.builds(
        FuzzCase,
        raw_body=_raw_bodies,
        signature=_signatures,
        content_type=_content_types,
        extra_headers=_extra_headers,
    )
    return sealed | raw
