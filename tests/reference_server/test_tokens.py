"""Flow tokens: bound claims, rotation, forgery and expiry."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference_server import FlowTokens
from reference_server.exceptions import FlowTokenError


def test_round_trip_keeps_every_claim():
    tokens = FlowTokens(["s1"], clock=lambda: 1000.0, ttl_seconds=60)
    token = tokens.issue("+1 415 555 2671", "flow-1", campaign="spring", source="ads")
    claims = tokens.verify(token)
    assert (claims.phone, claims.flow_id, claims.campaign, claims.source) == (
        "+14155552671", "flow-1", "spring", "ads",
    )  # fmt: skip
    assert claims.expires_at == 1060


def test_token_is_compact_and_url_safe():
    token = FlowTokens(["s"]).issue("+33612345678", "123456789012345", campaign="c" * 20)
    assert len(token) < 200
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")


def test_rotation_verifies_with_old_secret_and_signs_with_new():
    old = FlowTokens(["old"]).issue("+33612345678", "f")
    rotated = FlowTokens(["new", "old"])
    assert rotated.verify(old).flow_id == "f"
    with pytest.raises(FlowTokenError):
        FlowTokens(["old"]).verify(rotated.issue("+33612345678", "f"))


def test_expiry():
    now = [1000.0]
    tokens = FlowTokens(["s"], clock=lambda: now[0], ttl_seconds=10)
    token = tokens.issue("+33612345678", "f")
    now[0] = 1009.0
    tokens.verify(token)
    now[0] = 1010.0
    with pytest.raises(FlowTokenError, match="expired"):
        tokens.verify(token)


@pytest.mark.parametrize("bad", [None, "", "nodot", "a.b", "....", "e30.AAAA"])
def test_garbage_is_refused(bad):
    with pytest.raises(FlowTokenError):
        FlowTokens(["s"]).verify(bad)


@given(st.text(max_size=120))
def test_arbitrary_text_never_passes_or_crashes(text):
    with pytest.raises(FlowTokenError):
        FlowTokens(["s"]).verify(text)


def test_issue_refuses_a_non_number_and_a_missing_flow_id():
    tokens = FlowTokens(["s"])
    with pytest.raises(ValueError, match="phone"):
        tokens.issue("hello", "f")
    with pytest.raises(FlowTokenError, match="flow id"):
        tokens.issue("+33612345678", "")
