"""Installing flowharness must not slow the pytest start of a project's unrelated tests.

pytest imports every plugin registered under ``pytest11`` by any installed package at
each start; ``benchmarks/pytest_startup.py`` measures the cost. These checks keep the
base install from growing one: no base dependency registers a plugin, and flowharness's
own plugin imports nothing heavy until a fixture or scenario is used.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"
HEAVY = ("hypothesis", "respx", "locust", "gevent", "fastapi", "httpx", "redis", "rich")


def test_no_base_dependency_registers_a_pytest_plugin() -> None:
    project = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]
    plugins = {}
    for requirement in project["dependencies"]:
        name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
        entry_points = importlib.metadata.distribution(name).entry_points
        plugins[name] = [ep.name for ep in entry_points if ep.group == "pytest11"]
    assert {name: found for name, found in plugins.items() if found} == {}


def test_the_extras_hold_the_packages_that_do() -> None:
    extras = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"][
        "optional-dependencies"
    ]
    assert any(r.startswith("hypothesis") for r in extras["hypothesis"])
    assert any(r.startswith("respx") for r in extras["respx"])
    assert any(r.startswith("locust") for r in extras["load"])
    assert any(r.startswith("aiobotocore") for r in extras["sqs"])
    assert extras["all"] == ["flowharness[hypothesis,respx,load,bench,postgres,sqs]"]


def test_the_plugin_imports_nothing_heavy() -> None:
    probe = (
        "import sys, harness.pytest_plugin; "
        f"print([name for name in {HEAVY!r} if name in sys.modules])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.strip() == "[]"
