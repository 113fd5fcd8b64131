"""The scenario model: what a checked scenario file says, before any variable is filled in."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["STEP_KINDS", "Scenario", "Setup", "Step", "TargetName", "build_scenario"]

TargetName = Literal["embedded", "remote"]
STEP_KINDS = (
    "send",
    "walk",
    "repeat",
    "fault",
    "admin",
    "wait_for",
    "check",
    "webhook",
    "flows_webhook",
    "sleep",
)
DEFAULT_TIMEOUT = 60.0
MOCK_CRMS = ("hubspot", "salesforce")


@dataclass(frozen=True)
class Setup:
    flow: Path | None = None
    """The Flow JSON the walk step plays, resolved when the file was loaded."""
    crm: Literal["hubspot", "salesforce", "sql", "none"] = "hubspot"
    """``sql``: the reference server's SQL CRM (a database, not a mock)."""
    mocks: tuple[str, ...] = ("slack",)
    settings: dict[str, Any] = field(default_factory=dict)
    """Reference server settings overrides (embedded target only)."""
    server_keys: tuple[str, ...] = ("current",)
    app_secrets: tuple[str, ...] = ("current",)
    faults: tuple[dict[str, Any], ...] = ()
    vars: dict[str, Any] = field(default_factory=dict)
    people: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    index: int
    kind: str
    spec: Any
    """The step's own mapping (``send: {...}``) or value (``sleep: 0.5``), uninterpolated."""
    name: str
    expect: dict[str, Any] = field(default_factory=dict)
    capture: dict[str, str] = field(default_factory=dict)
    line: int = 0


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    steps: tuple[Step, ...]
    setup: Setup = field(default_factory=Setup)
    description: str = ""
    tags: tuple[str, ...] = ()
    targets: tuple[TargetName, ...] = ("embedded", "remote")
    timeout: float = DEFAULT_TIMEOUT

    @property
    def id(self) -> str:
        """The file's stem: stable, unique in a directory, used in reports and test ids."""
        return self.path.stem

    def mocks_used(self) -> tuple[str, ...]:
        crm = (self.setup.crm,) if self.setup.crm in MOCK_CRMS else ()
        return crm + tuple(m for m in self.setup.mocks if m != self.setup.crm)


def _default_name(kind: str, spec: Any) -> str:
    if kind == "send" and isinstance(spec, dict):
        return f"send {spec.get('action', '')}".strip()
    if kind == "repeat" and isinstance(spec, dict):
        how = "concurrently" if spec.get("concurrent") else "in a row"
        action = (spec.get("send") or {}).get("action", "")
        return f"{action} x{spec.get('times')} {how}"
    if kind == "fault" and isinstance(spec, dict):
        verb = "clear faults on" if spec.get("clear") else "inject a fault on"
        return f"{verb} {spec.get('mock')}"
    if kind == "admin" and isinstance(spec, dict):
        verb = "post" if "post" in spec else "get"
        return f"{spec.get('mock')} admin: {verb.upper()} {spec.get(verb)}"
    if kind == "sleep":
        return f"sleep {spec} s"
    if kind == "flows_webhook" and isinstance(spec, dict):
        what = next(
            (k for k in ("completion", "status_change", "alert", "verify") if k in spec), ""
        )
        detail = spec.get(what, {}) if isinstance(spec.get(what), dict) else {}
        name = detail.get("event") or detail.get("new_status") or ""
        return f"WhatsApp webhook: {what} {name}".strip()
    return kind.replace("_", " ")


def build_scenario(data: dict[str, Any], path: Path, lines: list[int] | None = None) -> Scenario:
    """A :class:`Scenario` from a schema-checked mapping."""
    raw_setup = data.get("setup") or {}
    flow = raw_setup.get("flow")
    setup = Setup(
        flow=Path(flow) if flow is not None else None,
        crm=raw_setup.get("crm", "hubspot"),
        mocks=tuple(raw_setup.get("mocks", ("slack",))),
        settings=dict(raw_setup.get("settings") or {}),
        server_keys=tuple(raw_setup.get("server_keys", ("current",))),
        app_secrets=tuple(raw_setup.get("app_secrets", ("current",))),
        faults=tuple(raw_setup.get("faults") or ()),
        vars=dict(raw_setup.get("vars") or {}),
        people=dict(raw_setup.get("people") or {}),
        tokens=dict(raw_setup.get("tokens") or {}),
    )
    steps = []
    for index, raw in enumerate(data["steps"]):
        kind = next(k for k in STEP_KINDS if k in raw)
        steps.append(
            Step(
                index=index,
                kind=kind,
                spec=raw[kind],
                name=raw.get("name") or _default_name(kind, raw[kind]),
                expect=dict(raw.get("expect") or {}),
                capture=dict(raw.get("capture") or {}),
                line=(lines or [])[index] if lines and index < len(lines) else 0,
            )
        )
    return Scenario(
        name=data["name"],
        path=path,
        steps=tuple(steps),
        setup=setup,
        description=str(data.get("description", "")).strip(),
        tags=tuple(data.get("tags") or ()),
        targets=tuple(data.get("targets") or ("embedded", "remote")),
        timeout=float(data.get("timeout", DEFAULT_TIMEOUT)),
    )
