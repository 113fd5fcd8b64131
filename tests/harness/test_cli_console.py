"""Piped output is laid out at full width: no URL split, no hint cut at 80 columns."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.cli._console import PIPED_WIDTH, make_console


def test_a_piped_console_is_wide_and_never_breaks_a_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    console = make_console()
    assert not console.is_terminal
    assert console.width == PIPED_WIDTH
    assert console.soft_wrap


def test_columns_still_decides_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    assert make_console().width == 100


def test_demo_output_keeps_long_lines_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    result = CliRunner().invoke(main, ["demo", "-k", "ping"])
    assert result.exit_code == 0, result.output
    outro = [line for line in result.output.splitlines() if line.startswith("Next: ")]
    assert len(outro) == 1
    assert outro[0].endswith("(mocks from `flowharness mocks up`).")
