"""The hostile requests the fuzzer builds: sealed to the key, edited, signed as described."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings

from harness import crypto
from harness.conformance import Edit, FuzzCase, fuzz_cases

SECRET = b"fuzz-secret"


def _header(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key == name]


def test_a_plain_case_is_a_valid_request(private_key) -> None:
    case = FuzzCase(plaintext=b'{"version":"3.0","action":"INIT","flow_token":"@@FLOW_TOKEN@@"}')

    headers, body = case.build(private_key.public_key(), SECRET, 'tok"en')

    opened = crypto.decrypt_request(body, private_key)
    assert opened.payload == {"version": "3.0", "action": "INIT", "flow_token": 'tok"en'}
    assert _header(headers, crypto.SIGNATURE_HEADER) == [crypto.sign_body(body, SECRET)]


def test_edits_can_drop_duplicate_and_shorten_fields(private_key) -> None:
    case = FuzzCase(
        plaintext=b"{}",
        edits=(
            Edit("encrypted_aes_key", "drop"),
            Edit("initial_vector", "bytes", b"\x00" * 12),
            Edit("encrypted_flow_data", "duplicate", 7),
        ),
    )

    _, body = case.build(private_key.public_key(), SECRET, "t")

    pairs = json.loads(body, object_pairs_hook=list)
    assert [k for k, _ in pairs] == ["encrypted_flow_data", "initial_vector", "encrypted_flow_data"]
    assert pairs[1][1] == "AAAAAAAAAAAAAAAA"
    assert pairs[2][1] == 7
    assert "drop encrypted_aes_key" in case.describe()


@pytest.mark.parametrize(
    ("mode", "count"),
    [("missing", 0), ("bad", 1), ("truncated", 1), ("duplicated", 2), ("empty", 1)],
)
def test_signature_tricks(private_key, mode: str, count: int) -> None:
    headers, body = FuzzCase(raw_body=b"{}", signature=mode).build(
        private_key.public_key(), SECRET, "t"
    )

    values = _header(headers, crypto.SIGNATURE_HEADER)
    assert len(values) == count
    assert all(crypto.verify_signature(body, v, [SECRET]) is None for v in values[:1])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=fuzz_cases())
def test_every_generated_case_builds_and_describes_itself(private_key, case: FuzzCase) -> None:
    headers, body = case.build(private_key.public_key(), SECRET, "token")

    assert isinstance(body, bytes)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in headers)
    assert case.describe()
