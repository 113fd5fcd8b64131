"""Private: the hypothesis strategies behind :mod:`harness.strategies`."""

from harness._extras import require

require("hypothesis", extra="hypothesis", feature="harness.strategies")
