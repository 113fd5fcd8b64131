"""Private: the hypothesis strategies behind :mod:`harness.strategies`."""
