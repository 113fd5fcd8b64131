"""Pages as Chromium lays them out: every corpus screen fits its phone card, no component
is missing or invisible by accident, and a walk report shows each screen visited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from harness.flowjson import load_flow
from harness.preview import preview_html, walk_report_html

from .conftest import CORPUS, LEAD_FLOW, Elements, layout_from, probed

pytestmark = pytest.mark.slow  # one browser start per page


@pytest.mark.parametrize("path", [*CORPUS, LEAD_FLOW], ids=lambda p: p.name)
def test_corpus_flow_renders_without_overflow_or_missing_component(
    path: Path, tmp_path: Path, chromium: Callable[..., str]
) -> None:
    flow = load_flow(path)
    page = tmp_path / "preview.html"
    page.write_text(probed(preview_html(flow)), encoding="utf-8")
    layout = layout_from(chromium(page, "--dump-dom"))
    assert [phone["screen"] for phone in layout["phones"]] == list(flow.screen_ids)
    for phone in layout["phones"]:
        assert phone["width"] == pytest.approx(360, abs=1)
        assert phone["scroll"] <= phone["client"], phone  # nothing wider than the card
    assert layout["overflow"] == []
    assert layout["unknown"] == []
    shown = {item["pointer"] for item in layout["pointers"] if item["rendered"]}
    for screen in flow.screens:
        for component in screen.walk():
            # a component inside an If/Switch branch or a hidden one is still on the
            # card, dimmed; only a carousel's later slides are off screen by design
            assert component.pointer in shown, f"{screen.id}: {component.type} is not visible"


def test_screenshot_of_a_multi_screen_preview(tmp_path: Path, chromium: Callable[..., str]) -> None:
    page, shot = tmp_path / "preview.html", tmp_path / "preview.png"
    page.write_text(preview_html(load_flow(LEAD_FLOW)), encoding="utf-8")
    chromium(page, f"--screenshot={shot}", window="1000,900")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a blank page is a few kB


def test_walk_report_shows_each_screen_visited(
    tmp_path: Path, chromium: Callable[..., str], stub_walk: Callable[..., object]
) -> None:
    flow = load_flow(LEAD_FLOW)
    transcript = stub_walk(flow)
    page = tmp_path / "walk.html"
    page.write_text(walk_report_html(flow, [("journey 1", transcript)]), encoding="utf-8")
    dom = Elements(chromium(page, "--dump-dom"))
    cards = [attrs["data-screen"] for attrs in dom.with_attr("data-screen")]
    assert cards == ["LEAD", "CONFIRM"]  # INIT has no screen yet; then each screen seen
    text = dom.joined_text()
    assert "completed (success)" in text
    assert transcript.steps[1].inputs["first_name"] in text  # what the person typed


def test_the_layout_probe_sees_an_overflow(tmp_path: Path, chromium: Callable[..., str]) -> None:
    """The check above can fail: a card with something wider than the phone is caught."""
    page = tmp_path / "wide.html"
    html = preview_html(load_flow(LEAD_FLOW))
    html = html.replace(
        '<div class="body">', '<div class="body"><div style="width:900px">x</div>', 1
    )
    page.write_text(probed(html), encoding="utf-8")
    layout = layout_from(chromium(page, "--dump-dom"))
    assert layout["overflow"]
    assert any(phone["scroll"] > phone["client"] for phone in layout["phones"])
