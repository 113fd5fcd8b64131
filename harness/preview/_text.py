"""Text as the person sees it: bindings filled in, and the Markdown subset Flow JSON allows.

Everything is HTML-escaped first; only the markup made here is trusted. Links are
shown, never followed, and images only render from ``data:`` URIs, so a preview
page never reaches the network.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from harness.flowjson import ExpressionError, resolve, to_text
from harness.flowjson._bindings import BINDING_PATTERN, is_expression, parse_binding

_INLINE = (
    (re.compile(r"\*\*(.+?)\*\*"), r"<strong>\1</strong>"),
    (re.compile(r"~~(.+?)~~"), r"<del>\1</del>"),
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)"), r"<em>\1</em>"),
    (re.compile(r"(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?!\w)"), r"<em>\1</em>"),
)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


@dataclass
class View:
    """What a screen's properties resolve against: its data, the form, other screens."""

    data: Mapping[str, Any] = field(default_factory=dict)
    form: Mapping[str, Any] = field(default_factory=dict)
    screens: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    placeholders: bool = True
    """Show an empty ``${form.x}`` as a placeholder chip (previews) rather than nothing."""

    def value(self, raw: Any, default: Any = None) -> Any:
        """A property's live value; an expression that cannot be evaluated gives ``default``."""
        try:
            value = resolve(raw, form=self.form, data=self.data, screens=self.screens)
        except ExpressionError:
            return default
        return default if value is None else value

    def text(self, raw: Any, *, markdown: bool = False) -> str:
        """HTML for a text property: bindings filled in, empty ones shown as placeholders."""
        if raw is None:
            return ""
        if isinstance(raw, list):  # RichText may be a list of lines
            raw = "\n".join(to_text(line) for line in raw)
        if not isinstance(raw, str):
            return _render(to_text(raw), markdown)
        if is_expression(raw):
            try:
                value = resolve(raw, form=self.form, data=self.data, screens=self.screens)
            except ExpressionError:
                return f'<code class="expr" title="not evaluable yet">{html.escape(raw)}</code>'
            return _render(to_text(value), markdown)
        pieces: list[str] = []
        last = 0
        for match in BINDING_PATTERN.finditer(raw):
            pieces.append(_render(raw[last : match.start()], markdown))
            pieces.append(self._binding(match.group(0), markdown))
            last = match.end()
        pieces.append(_render(raw[last:], markdown))
        return "".join(pieces)

    def _binding(self, text: str, markdown: bool) -> str:
        try:
            binding = parse_binding(text)
        except ExpressionError:
            return html.escape(text)
        value = binding.lookup(form=self.form, data=self.data, screens=self.screens)
        if value is None:
            if not self.placeholders:
                return ""
            return f'<span class="bind" title="filled in at run time">{html.escape(text)}</span>'
        return _render(to_text(value), markdown)


def _render(text: str, markdown: bool) -> str:
    if not text:
        return ""
    if not markdown:
        return html.escape(text).replace("\n", "<br>")
    return markdown_html(text)


def inline_markdown(text: str) -> str:
    """Escape, then bold, italic, strike-through, links (shown, not followed), data images."""
    out = html.escape(text, quote=False)
    out = _IMAGE.sub(_image, out)
    out = _LINK.sub(
        lambda m: f'<span class="link" title="{html.escape(m.group(2))}">{m.group(1)}</span>', out
    )
    for pattern, replacement in _INLINE:
        out = pattern.sub(replacement, out)
    return out


def _image(match: re.Match[str]) -> str:
    alt, src = match.group(1), html.unescape(match.group(2))
    if src.startswith("data:image/"):
        return f'<img class="md-img" alt="{html.escape(alt)}" src="{html.escape(src)}">'
    return f'<span class="md-img-missing">[image: {html.escape(alt or src)}]</span>'


def markdown_html(text: str) -> str:
    """Block Markdown (headings, lists, tables, paragraphs) as Flow JSON's RichText shows it."""
    blocks: list[str] = []
    lines = text.splitlines()
    index = 0
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append("<p>" + "<br>".join(inline_markdown(x) for x in paragraph) + "</p>")
            paragraph.clear()

    while index < len(lines):
        line = lines[index]
        heading = _HEADING.match(line)
        if not line.strip():
            flush()
        elif heading:
            flush()
            level, content = len(heading.group(1)), inline_markdown(heading.group(2))
            blocks.append(f'<div class="md-h md-h{level}">{content}</div>')
        elif _BULLET.match(line) or _NUMBERED.match(line):
            flush()
            tag = "ul" if _BULLET.match(line) else "ol"
            pattern = _BULLET if tag == "ul" else _NUMBERED
            items = []
            while index < len(lines) and (item := pattern.match(lines[index])):
                items.append(f"<li>{inline_markdown(item.group(1))}</li>")
                index += 1
            blocks.append(f"<{tag}>{''.join(items)}</{tag}>")
            continue
        elif (
            line.lstrip().startswith("|")
            and index + 1 < len(lines)
            and _TABLE_RULE.match(lines[index + 1])
        ):
            flush()
            rows = [line]
            index += 2
            while index < len(lines) and lines[index].lstrip().startswith("|"):
                rows.append(lines[index])
                index += 1
            blocks.append(_table(rows))
            continue
        else:
            paragraph.append(line)
        index += 1
    flush()
    return "".join(blocks)


def _table(rows: list[str]) -> str:
    def cells(row: str) -> list[str]:
        return [inline_markdown(cell.strip()) for cell in row.strip().strip("|").split("|")]

    head = "".join(f"<th>{cell}</th>" for cell in cells(rows[0]))
    body = "".join(
        "<tr>" + "".join(f"<td>{cell}</td>" for cell in cells(row)) + "</tr>" for row in rows[1:]
    )
    return f'<table class="md-table"><tr>{head}</tr>{body}</table>'
