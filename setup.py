"""Build step: ship the top-level data folders inside the packages that read them.

The layout keeps the scenario catalog (``scenarios/``) and the annotated settings example
(``.env.example``) at the top of the repository, where people look for them; setuptools
ships only files that sit inside a package. So building a wheel copies them in:

- ``scenarios/*.yaml`` (and its README) -> ``harness/scenarios/catalog/``
- ``.env.example`` -> ``reference_server/env.example``

An editable install skips the copy: the code finds the checkout's own files. Everything
else about the build is declared in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent

SHIPPED: dict[str, tuple[str, tuple[str, ...]]] = {
    # source in the checkout: (destination inside the built packages, file patterns)
    "scenarios": ("harness/scenarios/catalog", ("*.yaml", "README.md")),
    ".env.example": ("reference_server/env.example", ()),
}


class BuildWithData(build_py):
    """``build_py`` that also copies :data:`SHIPPED` into the build directory."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        build_lib = Path(self.build_lib)
        for source, (target, patterns) in SHIPPED.items():
            origin = HERE / source
            destination = build_lib / target
            if not patterns:
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(origin, destination)
                continue
            files = sorted(path for pattern in patterns for path in origin.glob(pattern))
            if not files:
                raise FileNotFoundError(f"nothing to ship in {origin} ({', '.join(patterns)})")
            destination.mkdir(parents=True, exist_ok=True)
            for path in files:
                shutil.copyfile(path, destination / path.name)


setup(cmdclass={"build_py": BuildWithData})
