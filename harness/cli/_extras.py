"""A command that needs an optional extra stops with the pip line that installs it."""

from __future__ import annotations

import click

from harness._extras import MissingExtraError, require

__all__ = ["require_extra"]


def require_extra(module: str, *, extra: str, feature: str) -> None:
    """:func:`harness._extras.require`, as a click error."""
    try:
        require(module, extra=extra, feature=feature)
    except MissingExtraError as exc:
        raise click.ClickException(str(exc)) from exc
