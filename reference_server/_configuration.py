"""Settings as an operator sets them: from the environment and an env file, every problem at once.

:func:`load_settings` reads :class:`Settings` and turns pydantic's errors into
:class:`SettingsProblems`: one entry per missing or malformed setting, named by its
environment variable, with an example value from the annotated example
(``.env.example``, shipped as ``reference_server/env.example``). Values are never
echoed: most settings are secrets. ``needs`` adds what a command needs beyond a valid
model (:data:`SERVE`: keys and secrets; :data:`WORKER`: the CRM's credentials).
Everything is generic over the fields of :class:`Settings`: a new field is covered by
these reports as soon as it exists.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from pydantic_core import ErrorDetails

from reference_server._settings import Settings
from reference_server.exceptions import ConfigurationError

__all__ = [
    "DEFAULT_ENV_FILE",
    "SERVE",
    "TOKENS",
    "WORKER",
    "WORKER_PROCESS",
    "Need",
    "SettingProblem",
    "SettingsProblems",
    "env_example",
    "example_for",
    "load_settings",
    "variable_for",
]

DEFAULT_ENV_FILE = Path(".env")
"""Read when it exists in the current directory and no other file is named."""

_PREFIX = "FLOWHARNESS_"
_VARIABLE = re.compile(r"\b(?:FLOWHARNESS_[A-Z0-9_]+|REDIS_URL)\b")
_EXAMPLE_LINE = re.compile(r"^#?\s*(FLOWHARNESS_[A-Z0-9_]+)=(.*)$")
_CHECKOUT_EXAMPLE = Path(__file__).resolve().parents[1] / ".env.example"


@dataclass(frozen=True, slots=True)
class SettingProblem:
    """One setting to fix: its variable, what is wrong, and a value of the right shape."""

    variable: str
    message: str
    example: str | None = None

    def describe(self) -> str:
        line = f"{self.variable}: {self.message}"
        if self.example is not None:
            line += f"\n    e.g. {self.variable}={self.example}"
        return line


class SettingsProblems(ConfigurationError):
    """Settings are missing or malformed; ``problems`` lists each one with its variable."""

    def __init__(self, problems: Iterable[SettingProblem]):
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{count} setting{'s' if count != 1 else ''} to fix"
        super().__init__("\n".join([f"{head}:", *(p.describe() for p in self.problems)]))


def variable_for(field_name: str) -> str:
    """The environment variable of a :class:`Settings` field (its first alias if it has any)."""
    field = Settings.model_fields.get(field_name)
    alias = getattr(field, "validation_alias", None) if field is not None else None
    choices = getattr(alias, "choices", None)
    if choices and isinstance(choices[0], str):
        return choices[0].upper()
    if isinstance(alias, str):
        return alias.upper()
    return f"{_PREFIX}{field_name.upper()}"


def env_example() -> str:
    """The annotated example of every setting: the shipped copy, else the checkout's."""
    shipped = resources.files("reference_server").joinpath("env.example")
    if shipped.is_file():
        return shipped.read_text(encoding="utf-8")
    return _CHECKOUT_EXAMPLE.read_text(encoding="utf-8")


@cache
def _examples() -> dict[str, str]:
    try:
        text = env_example()
    except OSError:
        return {}
    examples: dict[str, str] = {}
    for line in text.splitlines():
        match = _EXAMPLE_LINE.match(line.strip())
        if match and match.group(2).strip():
            examples.setdefault(match.group(1), match.group(2).strip())
    return examples


def example_for(variable: str) -> str | None:
    """A value of the right shape for ``variable``: from the example file, else its type."""
    example = _examples().get(variable)
    if example is not None:
        return example
    field_name = variable.removeprefix(_PREFIX).lower()
    field = Settings.model_fields.get(field_name)
    if field is None:
        return None
    default = field.get_default(call_default_factory=True)
    if default not in (None, "", [], {}) and not isinstance(default, SecretStr):
        return str(default).lower() if isinstance(default, bool) else str(default)
    annotation = str(field.annotation)
    if "list" in annotation:
        return '["..."]'
    if "int" in annotation or "float" in annotation:
        return "1"
    return "..."


# -- what commands need beyond a valid model ------------------------------------------


def _keys(settings: Settings) -> None:
    from harness.crypto import CryptoError, KeyRing

    passphrase = settings.private_key_passphrase
    try:
        KeyRing(settings.private_key_pems(), passphrase.get_secret_value() if passphrase else None)
    except CryptoError as exc:
        raise ConfigurationError(
            f"the private keys cannot be used: {exc}; check FLOWHARNESS_PRIVATE_KEY_FILES "
            "(or FLOWHARNESS_PRIVATE_KEYS) and FLOWHARNESS_PRIVATE_KEY_PASSPHRASE"
        ) from exc


def _crm(settings: Settings) -> None:
    import httpx

    from reference_server.worker import make_crm

    async def build() -> None:
        async with httpx.AsyncClient() as http:
            crm = make_crm(settings, http)
            close = getattr(crm, "aclose", None)
            if close is not None:
                await close()

    asyncio.run(build())


def _queue(settings: Settings) -> None:
    if settings.queue == "sqs":
        from reference_server._sqs_client import SqsClient

        SqsClient(settings)  # the extra installed, the queue names valid


Need = tuple[str, Callable[[Settings], object]]
"""A requirement: the variable to name by default, and a check raising ConfigurationError."""

SERVE: tuple[Need, ...] = (
    ("FLOWHARNESS_PRIVATE_KEY_FILES", _keys),
    ("FLOWHARNESS_APP_SECRETS", Settings.app_secret_values),
    ("FLOWHARNESS_FLOW_TOKEN_SECRETS", Settings.flow_token_secret_values),
    ("FLOWHARNESS_QUEUE", _queue),
)
"""What the endpoint needs to answer requests."""
WORKER: tuple[Need, ...] = (("FLOWHARNESS_CRM", _crm),)
"""What the worker needs: the chosen CRM's credentials."""


def _shared_redis(settings: Settings) -> None:
    if not settings.redis_url:
        raise ConfigurationError(
            "a worker process needs FLOWHARNESS_REDIS_URL: the embedded fakeredis is "
            "private to one process"
        )


WORKER_PROCESS: tuple[Need, ...] = (
    ("FLOWHARNESS_REDIS_URL", _shared_redis),
    ("FLOWHARNESS_QUEUE", _queue),
    *WORKER,
)
"""What a worker in its own process needs: the endpoint's Redis (and queue) and the CRM."""
TOKENS: tuple[Need, ...] = (("FLOWHARNESS_FLOW_TOKEN_SECRETS", Settings.flow_token_secret_values),)
"""What issuing and checking flow tokens needs."""


# -- loading ---------------------------------------------------------------------------


def load_settings(
    env_file: str | Path | None = None, *, needs: Iterable[Need] = (), **overrides: Any
) -> Settings:
    """:class:`Settings` from the environment, then ``env_file`` (default: ``./.env`` when it
    exists); the environment wins over the file, ``overrides`` over both.

    ``needs`` (:data:`SERVE`, :data:`WORKER`, :data:`TOKENS`) are checked too. Raises
    :class:`SettingsProblems` naming every malformed or missing setting at once: a
    malformed value is set aside (its default stands in) to find the others.
    """
    if env_file is None and DEFAULT_ENV_FILE.is_file():
        env_file = DEFAULT_ENV_FILE
    problems: list[SettingProblem] = []
    stand_ins: dict[str, Any] = {}
    settings: Settings | None = None
    while settings is None:
        try:
            settings = Settings(_env_file=env_file, **(stand_ins | overrides))  # type: ignore[call-arg]
        except ValidationError as exc:
            found = [_problem(error) for error in exc.errors()]
            problems += found
            bad = {name for problem in found if (name := _field_of(problem.variable))}
            if not bad or bad <= stand_ins.keys() or bad & overrides.keys():
                break  # nothing left to set aside
            for name in bad:
                stand_ins[name] = Settings.model_fields[name].get_default(call_default_factory=True)
    if settings is not None:
        reported = {problem.variable for problem in problems}
        problems += (p for p in _unmet(settings, needs) if p.variable not in reported)
    if problems or settings is None:
        raise SettingsProblems(problems)
    return settings


def _problem(error: ErrorDetails) -> SettingProblem:
    """One pydantic error as a problem; its input is left out (it may be a secret)."""
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] == "missing":
        message = "is not set"
    located = [part for part in error["loc"] if isinstance(part, str)]
    if located:
        variable = variable_for(located[0])
        if located[0] in Settings.model_fields and len(error["loc"]) > 1:
            where = ".".join(str(part) for part in error["loc"][1:])
            message = f"item {where}: {message}"
    else:  # a check across fields: the message names what to fix
        variable = _named_variable(message) or "FLOWHARNESS_*"
    return SettingProblem(variable, message, example_for(variable))


def _field_of(variable: str) -> str | None:
    return next((name for name in Settings.model_fields if variable_for(name) == variable), None)


def _named_variable(message: str) -> str | None:
    match = _VARIABLE.search(message)
    if match:
        return match.group(0)
    for name in Settings.model_fields:
        if re.search(rf"\b{name}\b", message):
            return variable_for(name)
    return None


def _unmet(settings: Settings, needs: Iterable[Need]) -> list[SettingProblem]:
    problems: list[SettingProblem] = []
    for default_variable, check in needs:
        try:
            check(settings)
        except ConfigurationError as exc:
            message = str(exc)
            variable = _named_variable(message) or default_variable
            problems.append(SettingProblem(variable, message, example_for(variable)))
    return problems
