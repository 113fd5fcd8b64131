"""What installing flowharness costs the pytest start of a project's unrelated tests.

Run: .venv/bin/python benchmarks/pytest_startup.py [--runs 15] [--before REF]

Builds the wheel of this checkout, makes fresh venvs (pytest alone; pytest and
flowharness; pytest and flowharness[all]; with --before, pytest and the wheel of the
git revision REF), and times a 20-test suite that has nothing to do with flowharness
in each, the setups taking turns run after run: wall-clock seconds of ``python -m
pytest -q`` (median and fastest of --runs, after a warm-up round) and the CPU seconds
of the same runs, which a busy machine disturbs less. Needs the package index (or
pip's cache) once.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.installed import ROOT, build_wheel, clean_environ, make_venv

SUITE = """
import pytest


@pytest.mark.parametrize("n", range(20))
def test_arithmetic(n):
    assert n + 1 > n
"""


def _time_once(python: Path, suite: Path) -> tuple[float, float]:
    """(wall s, CPU s) of one pytest run of ``suite``."""
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=suite, env=clean_environ(), check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def _plugins(python: Path, suite: Path) -> str:
    probe = (
        "import importlib.metadata as m; "
        "print(', '.join(sorted(e.name for e in m.entry_points(group='pytest11'))) or '-')"
    )
    return subprocess.run(  # in the suite: the current directory is on sys.path
        [str(python), "-c", probe], cwd=suite, capture_output=True, text=True, check=True
    ).stdout.strip()


def _revision_checkout(ref: str, destination: Path) -> Path:
    destination.mkdir()
    archive = subprocess.run(
        ["git", "archive", ref], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
    return destination


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", metavar="REF", help="also measure the wheel of this revision")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pytest-startup-") as scratch:
        work = Path(scratch)
        suite = work / "suite"
        suite.mkdir()
        (suite / "test_unrelated.py").write_text(SUITE, encoding="utf-8")
        wheel = build_wheel(work / "dist")
        setups: dict[str, tuple[str, ...]] = {
            "pytest alone": ("pytest",),
            "pytest + flowharness": ("pytest", str(wheel)),
            "pytest + flowharness[all]": ("pytest", f"{wheel}[all]"),
        }
        if args.before:
            old = build_wheel(work / "old", _revision_checkout(args.before, work / "old-src"))
            setups[f"pytest + flowharness at {args.before}"] = ("pytest", str(old))
        pythons = {
            label: make_venv(work / f"venv{index}", *requirements) / "python"
            for index, (label, requirements) in enumerate(setups.items())
        }
        walls: dict[str, list[float]] = {label: [] for label in pythons}
        cpus: dict[str, list[float]] = {label: [] for label in pythons}
        for round_ in range(args.runs + 1):  # round-robin: a busy spell hits every setup
            for label, python in pythons.items():
                wall, cpu = _time_once(python, suite)
                if round_:  # round 0 warms file caches and writes .pyc files
                    walls[label].append(wall)
                    cpus[label].append(cpu)
        print(
            f"{args.runs} runs each of a 20-test unrelated suite; Python {sys.version.split()[0]}"
        )
        base = "pytest alone"
        for label, python in pythons.items():
            wall, fastest = statistics.median(walls[label]), min(walls[label])
            cpu = statistics.median(cpus[label])
            print(
                f"{label}\n  wall median {wall:.3f} s, fastest {fastest:.3f} s, "
                f"CPU median {cpu:.3f} s; over pytest alone: "
                f"{wall - statistics.median(walls[base]):+.3f} s median wall, "
                f"{fastest - min(walls[base]):+.3f} s fastest wall, "
                f"{cpu - statistics.median(cpus[base]):+.3f} s CPU\n"
                f"  pytest11 plugins: {_plugins(python, suite)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
