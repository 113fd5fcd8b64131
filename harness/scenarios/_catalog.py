"""Where the scenario catalog (``scenarios/*.yaml``) is, whatever the current directory.

The YAML files live once, at the top of the repository; setuptools only ships files
inside a package. So the catalog is the ``scenarios/`` folder of the current directory,
else the one beside the package (a checkout installed editable, or run in place), else
``harness/scenarios/catalog/`` inside the installed package, there if the checkout holds
a ``catalog -> ../../scenarios`` symlink when the wheel is built.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from harness.scenarios.exceptions import ScenarioError

__all__ = ["CATALOG_DIR", "catalog_path"]

CATALOG_DIR = "scenarios"
_CHECKOUT = Path(__file__).resolve().parents[2]  # harness/scenarios/_catalog.py -> the repo
_SHIPPED = "catalog"


def catalog_path() -> Path:
    """``./scenarios``, else the checkout's, else the shipped one; or :class:`ScenarioError`."""
    for folder in (Path(CATALOG_DIR), _CHECKOUT / CATALOG_DIR):
        if folder.is_dir():
            return folder
    shipped = resources.files("harness.scenarios").joinpath(_SHIPPED)
    if isinstance(shipped, Path) and shipped.is_dir():
        return shipped
    raise ScenarioError(
        f"no scenario catalog: neither ./{CATALOG_DIR} nor {_CHECKOUT / CATALOG_DIR} exists "
        "(a non-editable install does not ship it). Pass scenario files or folders, or run "
        "from a flowharness checkout, whose scenarios/ folder is the catalog"
    )
