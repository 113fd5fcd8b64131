"""Replaying exchanges in Postman, and reading the answers Postman shows.

A Postman Collection v2.1 item carries the exact bytes the client sent and their
``X-Hub-Signature-256``: the endpoint decrypts the replay with the same AES key (it
travels inside ``encrypted_aes_key``) and seals its answer with it, so the answer
can be opened with the key the journal kept. The keys live in the journal file only
(``Journal.dump(path, keys=True)``), never in the collection.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from harness import crypto
from harness.client._exceptions import ClientError

if TYPE_CHECKING:
    from harness.client._journal import Exchange

__all__ = [
    "JOURNAL_FORMAT",
    "KEYS_WARNING",
    "POSTMAN_SCHEMA",
    "JournalKeysError",
    "OpenedAnswer",
    "open_answer",
    "postman_collection",
]

POSTMAN_SCHEMA = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"
JOURNAL_FORMAT = "flowharness-journal-with-keys/1"
KEYS_WARNING = (
    "This file holds the AES key and IV of every request below: with them anyone can read "
    "the endpoint's answers to these requests (and to their replays). Keep it private and "
    "delete it when you are done. The Postman collection written with it has no keys."
)
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization", "x-api-key"})


class JournalKeysError(ClientError, ValueError):
    """The journal cannot open this answer: no keys kept, or none of them fits."""


def postman_collection(
    exchanges: Iterable[Exchange],
    *,
    name: str = "flowharness exchanges",
    journal_file: str | Path | None = None,
) -> dict[str, Any]:
    """A Postman Collection v2.1 with one item per exchange, replayable byte for byte."""
    journal = str(journal_file) if journal_file is not None else "JOURNAL.json"
    variables: dict[str, None] = {}
    items = [
        _item(number, exchange, journal, variables) for number, exchange in enumerate(exchanges, 1)
    ]
    collection: dict[str, Any] = {
        "info": {
            "_postman_id": str(uuid.uuid4()),
            "name": name,
            "description": (
                "Requests recorded by flowharness: each body is the exact encrypted envelope "
                "and each X-Hub-Signature-256 its signature, so a replay reaches the endpoint "
                "as the original did. Read an answer with `flowharness open --journal "
                f"{journal} --response '<body>'`; the keys are in that journal file only."
            ),
            "schema": POSTMAN_SCHEMA,
        },
        "item": items,
    }
    if variables:
        collection["variable"] = [
            {"key": key, "value": "", "type": "string", "description": "a credential to set"}
            for key in variables
        ]
    return collection


def _item(number: int, exchange: Exchange, journal: str, variables: dict[str, None]) -> dict:
    payload = exchange.request_payload if isinstance(exchange.request_payload, Mapping) else {}
    action = str(payload.get("action", "raw body"))
    screen = f" {payload['screen']}" if payload.get("screen") else ""
    headers = []
    for key, value in exchange.request_headers.items():
        if key.lower() in _CREDENTIAL_HEADERS:
            variable = "header_" + key.lower().replace("-", "_")
            variables[variable] = None
            value = "{{" + variable + "}}"
        headers.append({"key": key, "value": value})
    try:
        raw = exchange.request_body.decode("utf-8")
        note = ""
    except UnicodeDecodeError:
        raw = exchange.request_body.decode("utf-8", "replace")
        note = "\n\nThe original body was not UTF-8: this copy is not byte-exact."
    status = "no answer" if exchange.status is None else f"HTTP {exchange.status}"
    description = (
        f"Replays request {number}: `{action}`{screen}, signed `{exchange.signature}`; "
        f"the original got {status}."
        "\n\nSend it, copy the response body, and read it with:\n\n"
        f"    flowharness open --journal {journal} --response '<the response body>'\n\n"
        f"The key that opens the answer is in {journal} only (never in this collection)."
        f"{note}"
    )
    return {
        "name": f"{number}. {action}{screen}",
        "description": description,
        "request": {
            "method": exchange.method,
            "header": headers,
            "body": {"mode": "raw", "raw": raw, "options": {"raw": {"language": "json"}}},
            "url": _url(exchange.url),
        },
        "response": [],
    }


def _url(raw: str) -> dict[str, Any]:
    url = httpx.URL(raw)
    parsed: dict[str, Any] = {"raw": raw, "protocol": url.scheme, "host": url.host.split(".")}
    if url.port is not None:
        parsed["port"] = str(url.port)
    parsed["path"] = [segment for segment in url.path.split("/") if segment] or [""]
    if url.query:
        parsed["query"] = [
            {"key": key, "value": value} for key, value in httpx.QueryParams(url.query).items()
        ]
    return parsed


def keys_record(exchange: Exchange) -> dict[str, str] | None:
    """The exchange's AES key and IV as Base64, for a journal written with keys."""
    if exchange.keys is None:
        return None
    return {
        "aes_key": base64.b64encode(exchange.keys.aes_key).decode("ascii"),
        "iv": base64.b64encode(exchange.keys.iv).decode("ascii"),
    }


@dataclass(frozen=True)
class OpenedAnswer:
    """An answer opened with a journal's keys: which request it answers, and what it says."""

    exchange: int
    """1-based position of the request in the journal."""
    request: Any
    payload: Any


def open_answer(journal: str | Path | Mapping[str, Any] | Sequence[Any], body: str) -> OpenedAnswer:
    """Decrypt a response body (as Postman shows it) with the keys a journal file kept.

    Every request's key is tried: AES-GCM authenticates, so only the right one opens it.
    """
    records = _records(journal)
    keyed = [(n, r) for n, r in enumerate(records, 1) if isinstance(r, Mapping) and r.get("keys")]
    if not keyed:
        raise JournalKeysError(
            "this journal kept no keys: write it with Journal.dump(path, keys=True) or "
            "`flowharness send ... --postman FILE` (which writes one beside the collection)"
        )
    text = body.strip().strip('"')
    for number, record in keyed:
        try:
            keys = crypto.ExchangeKeys(
                base64.b64decode(record["keys"]["aes_key"]), base64.b64decode(record["keys"]["iv"])
            )
            payload = crypto.decrypt_response(text, keys)
        except (crypto.CryptoError, KeyError, TypeError, binascii.Error):
            continue
        request = (record.get("request") or {}).get("payload")
        return OpenedAnswer(number, request, payload)
    raise JournalKeysError(
        f"none of the {len(keyed)} request key(s) in the journal opens this body: it answers "
        "another request, or it is not an encrypted answer (an error status sends plain text)"
    )


def _records(journal: str | Path | Mapping[str, Any] | Sequence[Any]) -> Sequence[Any]:
    data: Any = journal
    if isinstance(journal, str | Path):
        try:
            data = json.loads(Path(journal).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise JournalKeysError(f"cannot read the journal {journal}: {exc}") from exc
    if isinstance(data, Mapping):
        data = data.get("exchanges")
    if not isinstance(data, Sequence) or isinstance(data, str | bytes):
        raise JournalKeysError("not a flowharness journal (a list of exchanges)")
    return data
