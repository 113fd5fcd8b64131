"""Where the scenario catalog (``scenarios/*.yaml``) is, whatever the current directory.

The YAML files live once, at the top of the repository. Building a wheel copies them into
the package as ``harness/scenarios/catalog/`` (see ``setup.py``). So the catalog is the
``scenarios/`` folder of the current directory, else the one shipped in the installed
package, else the one of the checkout beside the package (an editable install, or the
code run in place).
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
    """``./scenarios``, else the shipped catalog, else the checkout's; or :class:`ScenarioError`."""
    here = Path(CATALOG_DIR)
    if here.is_dir():
        return here
    shipped = resources.files("harness.scenarios").joinpath(_SHIPPED)
    if isinstance(shipped, Path) and shipped.is_dir():
        return shipped
    checkout = _CHECKOUT / CATALOG_DIR
    if (_CHECKOUT / "pyproject.toml").is_file() and checkout.is_dir():
        return checkout
    raise ScenarioError(
        f"no scenario catalog: no ./{CATALOG_DIR} folder here, and this flowharness "
        f"installation ships none (looked in {shipped} and {checkout}); reinstall "
        "flowharness, or pass scenario files or folders"
    )
