"""Screens you can see: Flow JSON rendered the way WhatsApp lays it out.

    from harness.flowjson import load_flow
    from harness.preview import preview_html, walk_report_html

    flow = load_flow("flow.json")
    Path("preview.html").write_text(preview_html(flow))          # every screen, examples bound
    Path("walk.html").write_text(walk_report_html(flow, [("journey 1", transcript)]))

Pages are self-contained (inline CSS, no scripts, nothing fetched when viewed). Reports
that show a screen beside an answer use :func:`render_step` (or :func:`render_screen`
for the card alone) with :data:`STYLES`; every component carries ``data-type`` and
``data-pointer``, and one this renderer does not know is shown as unknown, never dropped.
"""

from harness.preview._components import KNOWN_TYPES, image_src, render_component
from harness.preview._journey import journey_html, walk_report_html
from harness.preview._page import STYLES, html_page, preview_html
from harness.preview._screen import example_data, render_screen, render_step
from harness.preview._text import View, markdown_html

__all__ = [
    "KNOWN_TYPES",
    "STYLES",
    "View",
    "example_data",
    "html_page",
    "image_src",
    "journey_html",
    "markdown_html",
    "preview_html",
    "render_component",
    "render_screen",
    "render_step",
    "walk_report_html",
]
