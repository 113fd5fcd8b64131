"""Optional dependencies: what a feature needs, and the extra that installs it.

The base install leaves out packages that register pytest plugins (hypothesis, respx)
or monkey-patch at import (locust): each one would cost every test run of every
project in the environment. A feature that needs one calls :func:`require` first, so a
missing package is reported with the ``pip install`` line that fixes it.
"""

from __future__ import annotations

import importlib.util

__all__ = ["MissingExtraError", "require"]


class MissingExtraError(ImportError):
    """A feature needs a package of one of flowharness's extras; the message says which."""


def require(module: str, *, extra: str, feature: str) -> None:
    """Raise :class:`MissingExtraError` unless ``module`` can be imported."""
    if importlib.util.find_spec(module) is None:
        raise MissingExtraError(
            f"{feature} needs {module}, which is not installed: "
            f"pip install 'flowharness[{extra}]' (or 'flowharness[all]')",
            name=module,
        )
