"""``flowharness preview`` and ``flowharness walk --html``, run as a user runs them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.flowjson import load_flow
from harness.stub import create_stub_app
from harness.testing import run_server

from .conftest import FLOWS, LEAD_FLOW, Elements


def test_preview_writes_every_screen_title(tmp_path: Path) -> None:
    out = tmp_path / "out" / "preview.html"
    flow_file = FLOWS / "v6.2-navigation-list-dynamic.json"
    result = CliRunner().invoke(main, ["preview", str(flow_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "4 screen(s)" in result.output
    text = Elements(out.read_text()).joined_text()
    for screen in load_flow(flow_file).screens:
        assert str(screen.title) in text


def test_preview_defaults_to_a_file_named_after_the_flow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["preview", str(LEAD_FLOW)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "lead_capture.preview.html").is_file()


def test_preview_of_a_broken_flow_says_why_without_a_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "6.0", "screens": "nope"}')
    result = CliRunner().invoke(main, ["preview", str(bad)])
    assert result.exit_code == 1
    assert "cannot preview" in result.output
    assert "Traceback" not in result.output


@pytest.fixture
def stub_url(private_key: object, app_secret: str) -> Iterator[str]:
    app = create_stub_app(load_flow(LEAD_FLOW), private_key, app_secret)  # type: ignore[arg-type]
    with run_server(app) as url:
        yield url + "/"


def test_walk_html_shows_each_screen_visited(
    tmp_path: Path, stub_url: str, public_pem: bytes, app_secret: str
) -> None:
    key = tmp_path / "public.pem"
    key.write_bytes(public_pem)
    report = tmp_path / "walk.html"
    result = CliRunner().invoke(
        main,
        [
            "walk",
            str(LEAD_FLOW),
            "--endpoint",
            stub_url,
            "--public-key",
            str(key),
            "--journeys",
            "2",
            "--html",
            str(report),
        ],
        env={"FLOWHARNESS_APP_SECRET": app_secret},
    )
    assert result.exit_code == 0, result.output
    parsed = Elements(report.read_text())
    cards = [attrs["data-screen"] for attrs in parsed.with_attr("data-screen")]
    assert cards == ["LEAD", "CONFIRM"] * 2
    assert "journey seed=0" in parsed.joined_text()
    assert "journey seed=1" in parsed.joined_text()
