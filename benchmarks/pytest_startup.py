"""What installing flowharness costs the pytest start of a project's unrelated tests.

Run: .venv/bin/python benchmarks/pytest_startup.py [--runs 15] [--before REF]

Builds the wheel of this checkout, makes fresh venvs (pytest alone; pytest and
flowharness; pytest and flowharness[all]; with --before, pytest and the wheel of the
git revision REF), and times a 20-test suite that has nothing to do with flowharness
in each: wall-clock seconds of ``python -m pytest -q`` (median and fastest of --runs,
after one warm-up run) and the CPU seconds of the same runs, which a busy machine
disturbs less. Needs network access to the package index (or pip's cache) once.
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


def _time(python: Path, suite: Path, runs: int) -> tuple[float, float, float]:
    """(median wall s, fastest wall s, median CPU s) of ``runs`` pytest runs in ``suite``."""
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    walls: list[float] = []
    cpus: list[float] = []
    environ = clean_environ()
    for index in range(runs + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(command, cwd=suite, env=environ, check=True, capture_output=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if index == 0:
            continue  # warm-up: file caches, .pyc files
        walls.append(wall)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), min(walls), statistics.median(cpus)


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
        print(f"{args.runs} runs of a 20-test unrelated suite; Python {sys.version.split()[0]}")
        baseline = None
        for index, (label, requirements) in enumerate(setups.items()):
            bin_dir = make_venv(work / f"venv{index}", *requirements)
            median, fastest, cpu = _time(bin_dir / "python", suite, args.runs)
            baseline = baseline if baseline is not None else (median, cpu)
            print(
                f"{label:42} wall median {median:.3f} s (fastest {fastest:.3f} s), "
                f"CPU {cpu:.3f} s; +{median - baseline[0]:.3f} s wall, "
                f"+{cpu - baseline[1]:.3f} s CPU over pytest alone\n"
                f"{'':42} pytest11 plugins: {_plugins(bin_dir / 'python', suite)}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
