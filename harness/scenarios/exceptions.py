"""Errors of the scenario package; each says what to fix."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ScenarioError", "ScenarioFileError", "ScenarioRuntimeError", "TargetError"]


class ScenarioError(Exception):
    """Base class of every scenario error."""


class ScenarioFileError(ScenarioError):
    """A scenario file is not valid: ``path:line: where: what was expected``."""

    def __init__(self, path: Path | str, line: int | None, where: str, message: str):
        self.path = Path(path)
        self.line = line
        self.where = where
        self.message = message
        location = f"{self.path}:{line}" if line else str(self.path)
        at = f" {where}:" if where else ""
        super().__init__(f"{location}:{at} {message}")


class ScenarioRuntimeError(ScenarioError):
    """A step could not be run as written (unknown variable, mock not set up...)."""


class TargetError(ScenarioError):
    """The target cannot run a scenario: missing endpoint URL, key, mocks URL..."""
