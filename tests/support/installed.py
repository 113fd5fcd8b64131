"""flowharness as users get it: the wheel built from this checkout, installed in a fresh venv.

Used by the installed-wheel checks (``tests/packaging``) and the pytest start-up
benchmark (``benchmarks/pytest_startup.py``). The wheel is built from a copy of the
checkout, so stale files in ``build/`` never reach it; pip fetches dependencies the
ordinary way (its cache and the configured index).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from collections.abc import Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
_NOT_SHIPPED = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", "tests"
)


def build_wheel(destination: Path, checkout: Path = ROOT) -> Path:
    """Build the flowharness wheel of ``checkout`` into ``destination``; its path."""
    source = destination / "source"
    shutil.copytree(checkout, source, ignore=_NOT_SHIPPED)
    _pip([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(destination), "."], source)
    shutil.rmtree(source)
    (wheel,) = destination.glob("flowharness-*.whl")
    return wheel


def make_venv(path: Path, *requirements: str) -> Path:
    """A fresh virtual environment at ``path`` with ``requirements``; its ``bin`` folder."""
    venv.EnvBuilder(with_pip=True, clear=True).create(path)
    bin_dir = path / "bin"
    if requirements:
        _pip([str(bin_dir / "python"), "-m", "pip", "install", *requirements], path)
    return bin_dir


def _pip(command: list[str], cwd: Path) -> None:
    """Run a pip command quietly; its error output if it fails."""
    done = subprocess.run(
        [*command, "--quiet"],
        cwd=cwd,
        env=clean_environ(),
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-4000:]}")


def clean_environ(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without flowharness settings, Python paths or the test venv."""
    dropped = ("FLOWHARNESS_", "PYTHON", "VIRTUAL_ENV", "PYTEST_")
    environ = {k: v for k, v in os.environ.items() if not k.startswith(dropped)}
    environ.pop("REDIS_URL", None)
    environ.pop("COLUMNS", None)
    return environ | dict(extra or {})


def run_in(
    directory: Path,
    command: Sequence[str],
    *,
    timeout: float,
    environ: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``command`` in ``directory`` with a clean environment, output captured (piped)."""
    return subprocess.run(
        list(command),
        cwd=directory,
        env=clean_environ(environ),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
