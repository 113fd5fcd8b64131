"""The walker's errors: each says what was wrong and what to change."""

from __future__ import annotations


class WalkerError(Exception):
    """Base class: the walk could not be set up or a value could not be made."""


class InputError(WalkerError, ValueError):
    """A fixed input names a screen or field the flow does not have, or has a bad value."""


class UnsatisfiableInputError(WalkerError):
    """No value satisfies a component's constraints (e.g. min-chars above max-chars)."""


class CDNError(WalkerError):
    """The mock CDN could not start or store a file."""
