from __future__ import annotations

import random
import re
from argparse import Namespace
from pathlib import Path

import phonenumbers
import pytest

from loadtests.budget import Budget
from loadtests.config import (
    DEFAULT_RAMP,
    LoadConfig,
    LoadConfigError,
    RampStage,
    TokenSource,
    parse_duration,
    parse_ramp,
)
from loadtests.people import INTERESTS, make_person
from reference_server import FlowTokens, clean_lead_form


def test_people_are_varied_and_clean_into_valid_leads() -> None:
    rng = random.Random(7)
    people = [make_person(rng) for _ in range(200)]
    for person in people:
        form = clean_lead_form(person.lead_form(), default_region="US")
        assert form.email == person.email.lower()
        assert person.interest in INTERESTS
        assert phonenumbers.is_valid_number(phonenumbers.parse(person.whatsapp))
    assert any(not p.first_name.isascii() or not p.last_name.isascii() for p in people)
    assert any(p.email != p.email.lower() for p in people)
    assert any(p.contact_phone for p in people)
    assert len({p.whatsapp for p in people}) > 100


def test_people_replay_from_a_seed() -> None:
    assert make_person(random.Random(3)) == make_person(random.Random(3))


@pytest.fixture
def key_file(tmp_path: Path, public_pem: bytes) -> Path:
    path = tmp_path / "public.pem"
    path.write_bytes(public_pem)
    return path


def test_options_win_over_the_environment(key_file: Path) -> None:
    environ = {
        "FLOWHARNESS_PUBLIC_KEY": str(key_file),
        "FLOWHARNESS_APP_SECRET": "from-env",
        "FLOWHARNESS_MAX_P90": "0.8",
        "FLOWHARNESS_THINK_SCALE": "0.5",
    }
    config = LoadConfig.from_options(Namespace(app_secret="from-option", max_p99="2.5"), environ)
    assert config.app_secret == "from-option"
    assert config.budget == Budget(p90_seconds=0.8, p99_seconds=2.5)
    assert config.think_scale == 0.5
    assert "from-option" not in repr(config)


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "set FLOWHARNESS_PUBLIC_KEY"),
        ({"FLOWHARNESS_PUBLIC_KEY": "/nonexistent/key.pem"}, "cannot read the public key"),
        ({"FLOWHARNESS_PUBLIC_KEY": "KEY"}, "set FLOWHARNESS_APP_SECRET"),
        (
            {
                "FLOWHARNESS_PUBLIC_KEY": "KEY",
                "FLOWHARNESS_APP_SECRET": "s",
                "FLOWHARNESS_MAX_P95": "x",
            },
            "--max-p95 (FLOWHARNESS_MAX_P95) must be a number",
        ),
        (
            {
                "FLOWHARNESS_PUBLIC_KEY": "KEY",
                "FLOWHARNESS_APP_SECRET": "s",
                "FLOWHARNESS_THINK_SCALE": "-1",
            },
            "--think-scale must be >= 0",
        ),
    ],
)
def test_missing_or_bad_settings_say_what_to_set(
    key_file: Path, environ: dict[str, str], message: str
) -> None:
    environ = {k: str(key_file) if v == "KEY" else v for k, v in environ.items()}
    with pytest.raises(LoadConfigError, match=re.escape(message)):
        LoadConfig.from_options(None, environ)


def test_minted_tokens_are_accepted_by_the_reference_server() -> None:
    source = TokenSource(secret="token-secret", fixed="ignored", flow_id="lead_capture")
    claims = FlowTokens(["token-secret"]).verify(source.token_for("+14155552671"))
    assert (claims.phone, claims.flow_id, claims.source) == (
        "+14155552671",
        "lead_capture",
        "locust",
    )


def test_a_fixed_token_or_a_clear_error() -> None:
    assert TokenSource(fixed="abc").token_for("+14155552671") == "abc"
    assert not TokenSource().available
    with pytest.raises(LoadConfigError, match="FLOWHARNESS_TOKEN_SECRET"):
        TokenSource().token_for("+14155552671")


def test_ramps_parse_into_ascending_stages() -> None:
    stages = parse_ramp(DEFAULT_RAMP)
    assert [s.until_seconds for s in stages] == sorted(s.until_seconds for s in stages)
    assert parse_ramp("30s:5:1, 2m:20:2.5,1h:0:10") == (
        RampStage(30, 5, 1.0),
        RampStage(120, 20, 2.5),
        RampStage(3600, 0, 10.0),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "no stage"),
        ("5m:10", "END:USERS:RATE"),
        ("5x:10:1", "END:USERS:RATE"),
        ("5m:10:0", "a rate above 0"),
        ("5m:10:1,1m:5:1", "must end after the stage before it"),
    ],
)
def test_bad_ramps_say_how_to_write_them(text: str, message: str) -> None:
    with pytest.raises(LoadConfigError, match=message):
        parse_ramp(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), (" 2.5 ", 2.5), ("30s", 30.0), ("2m", 120.0), ("1h30m", 5400.0)],
)
def test_durations_read_as_locust_writes_them(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "nan", "inf", "-5", "5x", "m"])
def test_a_duration_that_is_no_duration_is_refused_by_name(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)
