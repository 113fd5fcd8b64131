"""Errors of :mod:`harness.conformance`; each says what to do next.

What the endpoint does wrong is never raised: it is graded in the report. These
are for misuse of the check itself, and for :func:`assert_conforms`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.conformance._report import ConformanceReport


class ConformanceError(Exception):
    """Base of every error raised by :mod:`harness.conformance`."""


class UnknownCheckError(ConformanceError, ValueError):
    """A check id that the suite does not have was selected."""


class TokenSourceError(ConformanceError):
    """The flow token source (a token, a callable, a command) could not give a token."""


class ReproducerError(ConformanceError, ValueError):
    """A saved fuzz reproducer cannot be read: pass a ``.json`` file written by the fuzzer."""


class ConformanceFailure(ConformanceError, AssertionError):
    """Raised by :func:`assert_conforms`; its message is the readable report."""

    def __init__(self, report: ConformanceReport, message: str):
        super().__init__(message)
        self.report = report
