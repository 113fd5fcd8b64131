from __future__ import annotations

import json
import sys
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from harness import crypto
from loadtests.config import DEFAULT_FLOW_JSON
from loadtests.exchange import AnswerChecker, FlowCodec, load_contract_flow

TOKEN = "token-1"


def test_requests_are_sealed_fresh_and_signed_over_the_exact_bytes(
    private_key: rsa.RSAPrivateKey, public_pem: bytes, app_secret: str
) -> None:
    codec = FlowCodec(public_pem, app_secret)
    payload = {"version": "3.0", "action": "ping"}
    first, second = codec.seal(payload), codec.seal(payload)
    assert first.keys != second.keys
    assert len(first.keys.iv) == 16
    signature = first.headers[crypto.SIGNATURE_HEADER]
    assert crypto.verify_signature(first.body, signature, [app_secret]) == 0
    opened = crypto.decrypt_request(first.body, private_key)
    assert opened.payload == payload
    answer = crypto.encrypt_response({"data": {"status": "active"}}, opened.keys)
    assert codec.open(answer, first.keys) == {"data": {"status": "active"}}
    with pytest.raises(crypto.TamperedDataError):
        codec.open(answer, second.keys)


def test_a_codec_needs_an_app_secret(public_pem: bytes) -> None:
    with pytest.raises(ValueError, match="app secret"):
        FlowCodec(public_pem, "")


@pytest.fixture(scope="module")
def checker() -> AnswerChecker:
    return AnswerChecker(load_contract_flow(DEFAULT_FLOW_JSON))


CONFIRM_DATA = {
    "error_message": "",
    "summary": "José Müller",
    "first_name": "José",
    "last_name": "Müller",
    "email": "jose@example.com",
    "company": "",
    "phone": "",
    "interest": "demo",
    "consent": True,
}


@pytest.mark.parametrize(
    ("action", "screen", "answer", "expect"),
    [
        ("ping", None, {"data": {"status": "active"}}, None),
        ("INIT", None, {"screen": "LEAD", "data": {"error_message": ""}}, "LEAD"),
        ("data_exchange", "LEAD", {"screen": "CONFIRM", "data": CONFIRM_DATA}, "CONFIRM"),
        (
            "data_exchange",
            "CONFIRM",
            {
                "screen": "SUCCESS",
                "data": {"extension_message_response": {"params": {"flow_token": TOKEN}}},
            },
            "SUCCESS",
        ),
    ],
)
def test_answers_of_the_lead_journey_are_accepted(
    checker: AnswerChecker, action: str, screen: str | None, answer: Any, expect: str | None
) -> None:
    assert checker.problems(action, screen, answer, flow_token=TOKEN, expect_screen=expect) == []


@pytest.mark.parametrize(
    ("action", "screen", "answer", "problem"),
    [
        ("ping", None, {"data": {"status": "inactive"}}, "ping answer is not"),
        ("INIT", None, ["LEAD"], "not a JSON object"),
        ("INIT", None, {"screen": "LEAD"}, "lacks a string 'screen' and an object 'data'"),
        ("INIT", None, {"screen": "CONFIRM", "data": CONFIRM_DATA}, "invalid-screen-transition"),
        (
            "data_exchange",
            "LEAD",
            {"screen": "CONFIRM", "data": {**CONFIRM_DATA, "email": 5}},
            "payload-schema-error",
        ),
        ("data_exchange", "CONFIRM", {"screen": "SUCCESS", "data": {}}, "without extension"),
        (
            "data_exchange",
            "CONFIRM",
            {
                "screen": "SUCCESS",
                "data": {"extension_message_response": {"params": {"flow_token": "x"}}},
            },
            "flow_token other than the request's",
        ),
    ],
)
def test_answers_breaking_the_contract_are_named(
    checker: AnswerChecker, action: str, screen: str | None, answer: Any, problem: str
) -> None:
    found = checker.problems(action, screen, answer, flow_token=TOKEN)
    assert any(problem in text for text in found), found


def test_an_unexpected_screen_is_reported_with_its_message(checker: AnswerChecker) -> None:
    answer = {"screen": "LEAD", "data": {"error_message": "Please enter your email address."}}
    found = checker.problems("data_exchange", "LEAD", answer, expect_screen="CONFIRM")
    assert found == [
        "expected screen CONFIRM, got LEAD (error_message: Please enter your email address.)"
    ]


def test_without_a_flow_only_the_shape_is_checked() -> None:
    shape_only = AnswerChecker(None)
    assert shape_only.problems("INIT", None, {"screen": "ANY", "data": {}}) == []
    assert shape_only.problems("INIT", None, {"data": {}}) != []


def test_pure_modules_do_not_import_locust() -> None:
    # locust monkey-patches the standard library at import: the pytest process must not load it
    assert "locust" not in sys.modules
    assert json.loads(json.dumps({"ok": True}))
