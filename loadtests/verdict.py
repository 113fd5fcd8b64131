"""Re-check a finished run from locust's CSV output, independently of its exit code.

    python -m loadtests.verdict --csv PREFIX [--request-budget 3] [--max-p90 1] ...

reads ``PREFIX_stats.csv`` (the ``Aggregated`` row: counts, max, percentiles in ms)
and ``PREFIX_failures.csv`` (over-budget failures, counted by their message), prints
``PASS: ...`` or ``FAIL: ...`` and exits 0, 1 (budget broken) or 2 (unreadable CSV).
No locust import: CI can run it anywhere.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Sequence
from pathlib import Path

from loadtests.budget import OVER_BUDGET_MARKER, Budget, BudgetConfigError, Figures, judge

__all__ = ["CsvFormatError", "figures_from_csv", "main"]

_AGGREGATED = "Aggregated"


class CsvFormatError(ValueError):
    """The CSV is missing or not locust's ``--csv`` format: check the prefix and the run's log."""


def _read_rows(path: Path) -> list[dict[str, str]]:
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            return list(csv.DictReader(handle))
    except OSError as exc:
        raise CsvFormatError(
            f"cannot read {path}: {exc.strerror}; did locust run with --csv and this prefix?"
        ) from exc


def _number(row: dict[str, str], column: str, path: Path) -> float:
    text = (row.get(column) or "").strip()
    if text in ("", "N/A"):
        return 0.0
    try:
        return float(text)
    except ValueError as exc:
        raise CsvFormatError(f"{path}: column {column!r} holds {text!r}, not a number") from exc


def figures_from_csv(prefix: str | Path) -> Figures:
    """The run's figures from ``PREFIX_stats.csv`` and (if present) ``PREFIX_failures.csv``."""
    stats_path = Path(f"{prefix}_stats.csv")
    rows = _read_rows(stats_path)
    aggregated = [row for row in rows if (row.get("Name") or "").strip() == _AGGREGATED]
    if not aggregated:
        raise CsvFormatError(
            f"{stats_path} has no {_AGGREGATED!r} row: not a locust --csv stats file"
        )
    row = aggregated[-1]
    missing = [c for c in ("Request Count", "Failure Count", "90%", "99%") if c not in row]
    if missing:
        raise CsvFormatError(f"{stats_path} lacks the columns {', '.join(missing)}")
    over_budget = 0
    failures_path = Path(f"{prefix}_failures.csv")
    if failures_path.exists():
        for failure in _read_rows(failures_path):
            if OVER_BUDGET_MARKER in (failure.get("Error") or ""):
                over_budget += int(_number(failure, "Occurrences", failures_path))
    ms = 1000.0
    return Figures(
        requests=int(_number(row, "Request Count", stats_path)),
        failures=int(_number(row, "Failure Count", stats_path)),
        over_budget=over_budget,
        max_seconds=_number(row, "Max Response Time", stats_path) / ms,
        p90_seconds=_number(row, "90%", stats_path) / ms,
        p95_seconds=_number(row, "95%", stats_path) / ms,
        p99_seconds=_number(row, "99%", stats_path) / ms,
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.verdict",
        description="PASS/FAIL verdict on a locust run from its --csv files. Limits default "
        "to the FLOWHARNESS_* variables, else to the project budget.",
    )
    parser.add_argument("--csv", required=True, metavar="PREFIX", help="locust's --csv prefix")
    for option, help_text in (
        ("--request-budget", "seconds no single request may exceed (3)"),
        ("--max-failure-ratio", "highest failure ratio allowed (0.01)"),
        ("--max-p90", "p90 limit in seconds (1.0)"),
        ("--max-p95", "p95 limit in seconds (2.0)"),
        ("--max-p99", "p99 limit in seconds (3.0)"),
    ):
        parser.add_argument(option, type=float, default=None, help=help_text)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        budget = Budget.from_options(args)  # an option not given falls back to its variable
        figures = figures_from_csv(args.csv)
    except (CsvFormatError, BudgetConfigError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    verdict = judge(figures, budget)
    print(verdict.summary())
    return verdict.exit_code


if __name__ == "__main__":
    sys.exit(main())
