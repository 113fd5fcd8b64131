"""What a load test needs to talk to an endpoint, from locust's options or the environment.

No locust import: :meth:`LoadConfig.from_options` takes any object with the option
attributes (locust's ``parsed_options``, an ``argparse.Namespace``), falling back to the
``FLOWHARNESS_*`` variables, so the same names work on a master and on its workers.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from loadtests.budget import BUDGET_OPTIONS, Budget, BudgetConfigError

__all__ = [
    "DEFAULT_FLOW_JSON",
    "DEFAULT_RAMP",
    "ENVIRONMENT_VARIABLES",
    "LoadConfig",
    "LoadConfigError",
    "RampStage",
    "TokenSource",
    "parse_duration",
    "parse_ramp",
]

DEFAULT_FLOW_JSON = (
    Path(__file__).resolve().parent.parent / "reference_server" / "flows" / "lead_capture.json"
)

ENVIRONMENT_VARIABLES = {
    "public_key": "FLOWHARNESS_PUBLIC_KEY",
    "app_secret": "FLOWHARNESS_APP_SECRET",
    "token_secret": "FLOWHARNESS_TOKEN_SECRET",
    "flow_token": "FLOWHARNESS_FLOW_TOKEN",
    "flow_id": "FLOWHARNESS_FLOW_ID",
    "flow_json": "FLOWHARNESS_FLOW_JSON",
    "endpoint_path": "FLOWHARNESS_ENDPOINT_PATH",
    "think_scale": "FLOWHARNESS_THINK_SCALE",
    "progress_file": "FLOWHARNESS_PROGRESS_FILE",
    **{option: variable for option, (_, variable) in BUDGET_OPTIONS.items()},
}
"""Option name (``--public-key`` is ``public_key``) -> the variable it falls back to."""


class LoadConfigError(ValueError):
    """The load test cannot talk to the endpoint as configured; the message names the fix."""


class Minter(Protocol):
    def issue(self, phone: str, flow_id: str, *, campaign: str = "", source: str = "") -> str: ...


class TokenSource:
    """Flow tokens for journeys: minted per person with the server's secret, or one fixed token."""

    def __init__(self, *, secret: str = "", fixed: str = "", flow_id: str = "lead_capture"):
        self._fixed = fixed
        self._flow_id = flow_id
        self._minter: Minter | None = None
        if secret:
            # the reference server's token format; imported only when minting is asked for
            from reference_server import FlowTokens

            self._minter = FlowTokens([secret])

    @property
    def available(self) -> bool:
        return self._minter is not None or bool(self._fixed)

    def token_for(self, whatsapp_number: str) -> str:
        if self._minter is not None:
            return self._minter.issue(
                whatsapp_number, self._flow_id, campaign="loadtest", source="locust"
            )
        if self._fixed:
            return self._fixed
        raise LoadConfigError(
            "no flow token: set FLOWHARNESS_TOKEN_SECRET (--token-secret) to mint tokens "
            "like the endpoint does, or FLOWHARNESS_FLOW_TOKEN (--flow-token) for a fixed one"
        )


@dataclass(frozen=True)
class LoadConfig:
    public_key_pem: bytes = field(repr=False)
    app_secret: str = field(repr=False)
    tokens: TokenSource = field(repr=False)
    flow_json: Path | None
    endpoint_path: str = "/"
    think_scale: float = 1.0
    budget: Budget = field(default_factory=Budget)

    @classmethod
    def from_options(
        cls, options: Any | None = None, environ: Mapping[str, str] | None = None
    ) -> LoadConfig:
        """The full configuration; raises :class:`LoadConfigError` saying what to set."""
        lookup = _Lookup(options, os.environ if environ is None else environ)
        key_path = lookup.text("public_key")
        if not key_path:
            raise LoadConfigError(
                "no public key: set FLOWHARNESS_PUBLIC_KEY (--public-key) to the PEM file of "
                "the endpoint's business public key"
            )
        try:
            pem = Path(key_path).expanduser().read_bytes()
        except OSError as exc:
            raise LoadConfigError(
                f"cannot read the public key {key_path}: {exc.strerror}; "
                "check FLOWHARNESS_PUBLIC_KEY"
            ) from exc
        secret = lookup.text("app_secret")
        if not secret:
            raise LoadConfigError(
                "no app secret: set FLOWHARNESS_APP_SECRET (--app-secret) to sign requests"
            )
        flow_json = lookup.text("flow_json", str(DEFAULT_FLOW_JSON))
        path = lookup.text("endpoint_path", "/")
        think = lookup.number("think_scale", 1.0)
        if think < 0:
            raise LoadConfigError(f"--think-scale must be >= 0 (0 = no think time), not {think}")
        try:
            budget = Budget.from_options(options, environ)
        except BudgetConfigError as exc:
            raise LoadConfigError(str(exc)) from exc
        return cls(
            public_key_pem=pem,
            app_secret=secret,
            tokens=TokenSource(
                secret=lookup.text("token_secret"),
                fixed=lookup.text("flow_token"),
                flow_id=lookup.text("flow_id", "lead_capture"),
            ),
            flow_json=Path(flow_json) if flow_json.lower() != "none" else None,
            endpoint_path=path if path.startswith("/") else f"/{path}",
            think_scale=think,
            budget=budget,
        )


@dataclass(frozen=True)
class _Lookup:
    """An option's value, else its ``FLOWHARNESS_*`` variable, else the default."""

    options: Any | None
    environ: Mapping[str, str]

    def text(self, name: str, default: str = "") -> str:
        value = getattr(self.options, name, None) if self.options is not None else None
        if value in (None, ""):
            value = self.environ.get(ENVIRONMENT_VARIABLES[name], default)
        return str(value).strip()

    def number(self, name: str, default: float) -> float:
        text = self.text(name)
        try:
            return float(text) if text else default
        except ValueError as exc:
            raise LoadConfigError(
                f"--{name.replace('_', '-')} ({ENVIRONMENT_VARIABLES[name]}) must be a "
                f"number, not {text!r}"
            ) from exc


@dataclass(frozen=True, slots=True)
class RampStage:
    until_seconds: float
    """The stage ends this long after the start of the run."""
    users: int
    spawn_rate: float


DEFAULT_RAMP = "2m:10:1,7m:50:2,17m:50:2,18m:0:10"
"""Warm up to 10 users, ramp to 50, hold 10 minutes, ramp down: about Meta's 30-min window."""


def parse_ramp(text: str) -> tuple[RampStage, ...]:
    """``"2m:10:1,7m:50:2"`` -> stages (end time, users, spawn rate per second); ends ascend."""
    stages: list[RampStage] = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        try:
            until, users, rate = part.split(":")
            seconds = parse_duration(until)
            stage = RampStage(seconds, int(users), float(rate))
        except ValueError as exc:
            raise LoadConfigError(
                f"ramp stage {part!r} must read END:USERS:RATE, e.g. '5m:50:2' (END in s, m or h)"
            ) from exc
        if stage.users < 0 or stage.spawn_rate <= 0:
            raise LoadConfigError(f"ramp stage {part!r}: users >= 0 and a rate above 0, please")
        if stages and stage.until_seconds <= stages[-1].until_seconds:
            raise LoadConfigError(f"ramp stage {part!r} must end after the stage before it")
        stages.append(stage)
    if not stages:
        raise LoadConfigError("the ramp has no stage; e.g. FLOWHARNESS_RAMP='1m:10:1,5m:50:2'")
    return tuple(stages)


_SECONDS = re.compile(r"^\d+(?:\.\d+)?$")
_DURATION = re.compile(r"^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m)?(?:(\d+(?:\.\d+)?)s)?$")


def parse_duration(text: str) -> float:
    """Seconds in ``"90"``, ``"30s"``, ``"2m"``, ``"1h30m"`` (locust's --run-time format)."""
    text = text.strip()
    if _SECONDS.match(text):  # a bare number; float() alone would also take "nan" and "-5"
        return float(text)
    match = _DURATION.match(text)
    if not text or match is None:
        raise ValueError(f"{text!r} is not a duration like 30s, 2m or 1h30m")
    hours, minutes, seconds = (float(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds
