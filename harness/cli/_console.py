"""The rich console every command prints through.

Rich lays output out for 80 columns when it is not writing to a terminal, so piped
output (``flowharness mocks up | tee mocks.txt``, CI logs) had URLs split and table
cells cut. Piped, a console here lays out for :data:`PIPED_WIDTH` columns (or
``$COLUMNS``) and never breaks a printed line.
"""

from __future__ import annotations

import os
from typing import Any

from rich.console import Console

__all__ = ["PIPED_WIDTH", "make_console"]

PIPED_WIDTH = 200
"""Columns for tables and panels when the output is not a terminal and $COLUMNS is unset."""


def make_console(*, stderr: bool = False, **options: Any) -> Console:
    """A :class:`~rich.console.Console` at full width, on a terminal or piped."""
    console = Console(stderr=stderr, **options)
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console.width = PIPED_WIDTH
        console.soft_wrap = True
    return console
