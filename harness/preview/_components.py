"""One renderer per Flow JSON component, laid out the way the WhatsApp client shows it.

Every component becomes an element carrying ``data-type`` and ``data-pointer`` (its
JSON pointer), so tests and reviewers can find each one. A component this module does
not know is shown as an "unknown component" box with its properties: never dropped.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from harness.flowjson import Component, ExpressionError, to_text
from harness.flowjson._bindings import is_expression, is_single_binding
from harness.preview._text import View

Renderer = Callable[[Component, View], str]
_BASE64 = re.compile(r"^[A-Za-z0-9+/=\s]+$")
_IMAGE_MAGIC = {"iVBOR": "png", "/9j/": "jpeg", "R0lG": "gif", "UklG": "webp"}
_STATIC_TYPES = frozenset({"TextHeading", "TextSubheading", "TextBody", "TextCaption", "RichText"})


def render_components(components: tuple[Component, ...], view: View) -> str:
    return "".join(render_component(component, view) for component in components)


def render_component(component: Component, view: View) -> str:
    renderer = RENDERERS.get(component.type, _unknown)
    inner = renderer(component, view)
    classes = ["c", f"c-{_css(component.type)}"]
    badges = ""
    visible = component.properties.get("visible", True)
    if is_single_binding(visible) or is_expression(visible):
        shown = _holds(view, visible)
        classes.append("is-shown" if shown else "is-hidden")
        state = "shown" if shown else "hidden"
        badges = (
            f'<div class="cond-badge">visible when <code>{html.escape(str(visible))}</code>'
            f" ({state})</div>"
        )
    elif visible is False:
        classes.append("is-hidden")
        badges = '<div class="cond-badge">visible: false (hidden)</div>'
    return (
        f'<div class="{" ".join(classes)}" data-type="{html.escape(component.type)}" '
        f'data-pointer="{html.escape(component.pointer)}">{badges}{inner}</div>'
    )


def _holds(view: View, raw: Any) -> bool:
    try:
        return bool(view.value(raw, default=False))
    except ExpressionError:  # pragma: no cover - View.value already guards
        return False


def _css(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


def _prop(component: Component, name: str, default: Any = None) -> Any:
    return component.properties.get(name, default)


def _label(component: Component, view: View, key: str = "label") -> str:
    text = view.text(_prop(component, key))
    required = view.value(_prop(component, "required", False), False)
    if component.is_input and not required and not component.is_media_picker:
        text += ' <span class="optional">(optional)</span>'
    return text


def _current(component: Component, view: View) -> Any:
    """The field's value: typed (form), else its init-value, else nothing."""
    name = component.name
    if name and name in view.form:
        return view.form[name]
    return view.value(_prop(component, "init-value"))


def _helper(component: Component, view: View) -> str:
    parts = []
    if "helper-text" in component.properties:
        parts.append(f'<div class="helper">{view.text(_prop(component, "helper-text"))}</div>')
    if "error-message" in component.properties:
        message = view.text(_prop(component, "error-message"))
        if message:
            parts.append(f'<div class="error-text">{message}</div>')
    return "".join(parts)


def image_src(raw: Any) -> str | None:
    """A ``data:`` URI for a base64 image property, or None when it is not base64."""
    if not isinstance(raw, str) or not raw:
        return None
    if raw.startswith("data:image/"):
        return raw if _BASE64.match(raw.split(",", 1)[-1]) else None
    if not _BASE64.match(raw):
        return None
    kind = next((k for prefix, k in _IMAGE_MAGIC.items() if raw.startswith(prefix)), "png")
    return f"data:image/{kind};base64,{raw.strip()}"


def _img(raw: Any, alt: Any, css: str) -> str:
    src = image_src(raw)
    alt_text = html.escape(to_text(alt) if alt else "image")
    if src is None:
        shown = html.escape(str(raw)[:40])
        return f'<div class="{css} img-missing" title="{shown}">{alt_text}</div>'
    return f'<img class="{css}" alt="{alt_text}" src="{html.escape(src)}">'


# -- text ------------------------------------------------------------------------------


def _text(tag_class: str) -> Renderer:
    def render(component: Component, view: View) -> str:
        markdown = bool(_prop(component, "markdown", False)) or component.type == "RichText"
        text = view.text(_prop(component, "text"), markdown=markdown)
        style = []
        if _prop(component, "font-weight") in ("bold", "italic", "bold_italic"):
            weight = _prop(component, "font-weight")
            if "bold" in weight:
                style.append("font-weight:600")
            if "italic" in weight:
                style.append("font-style:italic")
        if view.value(_prop(component, "strikethrough"), False):
            style.append("text-decoration:line-through")
        attr = f' style="{";".join(style)}"' if style else ""
        return f'<div class="{tag_class}"{attr}>{text}</div>'

    return render


# -- inputs ----------------------------------------------------------------------------


def _field(component: Component, view: View, *, icon: str = "", rows: int = 1) -> str:
    value = _current(component, view)
    kind = _prop(component, "input-type", "text")
    shown = to_text(value) if value not in (None, "") else ""
    if shown and kind in ("password", "passcode"):
        shown = "•" * len(shown)
    filled = " filled" if shown else ""
    tall = " tall" if rows > 1 else ""
    extra = ""
    if component.type == "TextInput" and kind not in ("text", None):
        extra = f'<span class="field-kind">{html.escape(str(kind))}</span>'
    limit = _prop(component, "max-length") or _prop(component, "max-chars")
    counter = ""
    if limit is not None:
        most = html.escape(to_text(view.value(limit)))
        counter = f'<span class="counter">{len(shown)}/{most}</span>'
    return (
        f'<div class="field{filled}{tall}"><span class="field-label">{_label(component, view)}'
        f'</span><span class="field-value">{html.escape(shown)}</span>{extra}'
        f'<span class="field-icon">{icon}</span>{counter}</div>{_helper(component, view)}'
    )


def _text_input(component: Component, view: View) -> str:
    return _field(component, view)


def _text_area(component: Component, view: View) -> str:
    return _field(component, view, rows=3)


def _options(component: Component, view: View) -> list[Mapping[str, Any]]:
    return _mappings(view.value(_prop(component, "data-source"), []))


def _mappings(value: Any) -> list[Mapping[str, Any]]:
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _selected(component: Component, view: View) -> set[str]:
    value = _current(component, view)
    if isinstance(value, list):
        return {str(item) for item in value}
    return set() if value in (None, "") else {str(value)}


def _option_row(item: Mapping[str, Any], view: View, *, marker: str, chosen: bool) -> str:
    image = ""
    if "image" in item:
        image = _img(item.get("image"), item.get("alt-text"), "opt-img")
    parts = [f'<div class="opt-title">{view.text(item.get("title", item.get("id")))}</div>']
    for key in ("description", "metadata"):
        if item.get(key):
            parts.append(f'<div class="opt-{key}">{view.text(item.get(key))}</div>')
    state = " chosen" if chosen else ""
    disabled = " disabled" if item.get("enabled", True) is False else ""
    return (
        f'<div class="opt{state}{disabled}" data-option="{html.escape(str(item.get("id")))}">'
        f'{image}<div class="opt-text">{"".join(parts)}</div>'
        f'<span class="mark mark-{marker}"></span></div>'
    )


def _choice_group(marker: str) -> Renderer:
    def render(component: Component, view: View) -> str:
        chosen = _selected(component, view)
        rows = "".join(
            _option_row(item, view, marker=marker, chosen=str(item.get("id")) in chosen)
            for item in _options(component, view)
        )
        description = ""
        if "description" in component.properties:
            description = f'<div class="helper">{view.text(_prop(component, "description"))}</div>'
        if not rows:
            rows = _empty_source(component)
        return (
            f'<div class="group-label">{_label(component, view)}</div>{description}'
            f'<div class="opts">{rows}</div>{_helper(component, view)}'
        )

    return render


def _empty_source(component: Component) -> str:
    source = html.escape(json.dumps(_prop(component, "data-source"), ensure_ascii=False)[:80])
    return f'<div class="opt empty">no options (data-source {source})</div>'


def _dropdown(component: Component, view: View) -> str:
    chosen = _selected(component, view)
    options = _options(component, view)
    title = next((item.get("title") for item in options if str(item.get("id")) in chosen), None)
    field = _field_box(component, view, view.text(title) if title else "", icon="▾")
    rows = "".join(
        _option_row(item, view, marker="radio", chosen=str(item.get("id")) in chosen)
        for item in options
    )
    return (
        f'{field}<div class="sheet"><div class="sheet-label">options</div>'
        f"{rows or _empty_source(component)}</div>{_helper(component, view)}"
    )


def _field_box(component: Component, view: View, shown: str, *, icon: str) -> str:
    filled = " filled" if shown else ""
    return (
        f'<div class="field{filled}"><span class="field-label">{_label(component, view)}</span>'
        f'<span class="field-value">{shown}</span><span class="field-icon">{icon}</span></div>'
    )


def _chips(component: Component, view: View) -> str:
    chosen = _selected(component, view)
    chips = "".join(
        f'<span class="chip{" chosen" if str(item.get("id")) in chosen else ""}" '
        f'data-option="{html.escape(str(item.get("id")))}">'
        f"{view.text(item.get('title', item.get('id')))}</span>"
        for item in _options(component, view)
    )
    description = ""
    if "description" in component.properties:
        description = f'<div class="helper">{view.text(_prop(component, "description"))}</div>'
    return (
        f'<div class="group-label">{_label(component, view)}</div>{description}'
        f'<div class="chips">{chips or _empty_source(component)}</div>{_helper(component, view)}'
    )


def _date_picker(component: Component, view: View) -> str:
    value = _current(component, view)
    shown = html.escape(to_text(value)) if value not in (None, "") else ""
    return _field_box(component, view, shown, icon="📅") + _helper(component, view)


def _calendar(component: Component, view: View) -> str:
    value = _current(component, view)
    mode = view.value(_prop(component, "mode"), "single")
    labels = view.value(_prop(component, "label"), "")
    if mode == "range":
        value = value if isinstance(value, Mapping) else {}
        labels = labels if isinstance(labels, Mapping) else {}
        boxes = "".join(
            f'<div class="field{" filled" if value.get(end) else ""}"><span class="field-label">'
            f'{html.escape(to_text(labels.get(end, end)))}</span><span class="field-value">'
            f"{html.escape(to_text(value.get(end, '')))}</span>"
            '<span class="field-icon">📅</span></div>'
            for end in ("start-date", "end-date")
        )
    else:
        shown = html.escape(to_text(value)) if value not in (None, "") else ""
        boxes = _field_box(component, view, shown, icon="📅")
    title = ""
    if "title" in component.properties:
        title = f'<div class="group-label">{view.text(_prop(component, "title"))}</div>'
    return f"{title}{boxes}{_helper(component, view)}"


def _opt_in(component: Component, view: View) -> str:
    checked = bool(_current(component, view))
    more = ""
    if isinstance(_prop(component, "on-click-action"), Mapping):
        more = ' <span class="link">Read more</span>'
    return (
        f'<div class="optin"><span class="mark mark-check{" on" if checked else ""}"></span>'
        f'<span class="optin-label">{_label(component, view)}{more}</span></div>'
    )


def _embedded_link(component: Component, view: View) -> str:
    text = view.text(_prop(component, "text"))
    return f'<div class="elink"><span class="link">{text}</span></div>'


def _picker(noun: str, plural: str) -> Renderer:
    def render(component: Component, view: View) -> str:
        value = _current(component, view)
        files = value if isinstance(value, list) else []
        description = ""
        if "description" in component.properties:
            description = f'<div class="helper">{view.text(_prop(component, "description"))}</div>'
        names = "".join(
            f'<div class="file">{html.escape(to_text(f.get("file_name", "file")))}</div>'
            for f in files
            if isinstance(f, Mapping)
        )
        count = f"{len(files)} {plural} chosen" if files else f"Add {noun}"
        return (
            f'<div class="group-label">{_label(component, view)}</div>{description}'
            f'<div class="picker"><span class="picker-icon">+</span>{html.escape(count)}</div>'
            f"{names}{_helper(component, view)}"
        )

    return render


# -- media and navigation --------------------------------------------------------------


def _image(component: Component, view: View) -> str:
    width = view.value(_prop(component, "width"))
    height = view.value(_prop(component, "height"))
    style = []
    if isinstance(width, int | float):
        style.append(f"width:{min(float(width), 312):g}px")
    if isinstance(height, int | float):
        style.append(f"height:{float(height):g}px")
    src = image_src(view.value(_prop(component, "src")))
    alt = html.escape(to_text(view.value(_prop(component, "alt-text"), "image")))
    attr = f' style="{";".join(style)}"' if style else ""
    if src is None:
        return f'<div class="img img-missing"{attr}>{alt}</div>'
    return f'<img class="img" alt="{alt}" src="{html.escape(src)}"{attr}>'


def _carousel(component: Component, view: View) -> str:
    images = _mappings(view.value(_prop(component, "images"), []))
    slides = "".join(
        _img(item.get("src"), item.get("alt-text"), "slide" + (" first" if i == 0 else ""))
        for i, item in enumerate(images)
    )
    dots = "".join(f'<i class="{"on" if i == 0 else ""}"></i>' for i in range(len(images)))
    return f'<div class="carousel">{slides}</div><div class="dots">{dots}</div>'


def _navigation_list(component: Component, view: View) -> str:
    items = _mappings(view.value(_prop(component, "list-items"), []))
    head = ""
    if "label" in component.properties:
        head += f'<div class="group-label">{view.text(_prop(component, "label"))}</div>'
    if "description" in component.properties:
        head += f'<div class="helper">{view.text(_prop(component, "description"))}</div>'
    rows = "".join(_nav_item(item, view) for item in items)
    if not rows:
        rows = _empty_source(component)
    return f'{head}<div class="nav">{rows}</div>'


def _part(item: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = item.get(key)
    return value if isinstance(value, Mapping) else {}


def _nav_item(item: Mapping[str, Any], view: View) -> str:
    start, main, end = (_part(item, key) for key in ("start", "main-content", "end"))
    image = _img(start.get("image"), start.get("alt-text"), "nav-img") if start else ""
    lines = "".join(
        f'<div class="nav-{key}">{view.text(main[key])}</div>'
        for key in ("title", "description", "metadata")
        if main.get(key)
    )
    tags = item.get("tags") if isinstance(item.get("tags"), list) else []
    if tags:
        lines += (
            '<div class="tags">'
            + "".join(f'<span class="tag">{view.text(tag)}</span>' for tag in tags)
            + "</div>"
        )
    badge = ""
    if item.get("badge"):
        badge = f'<span class="badge-pill">{view.text(item["badge"])}</span>'
    tail = "".join(
        f'<div class="nav-end-{key}">{view.text(end[key])}</div>'
        for key in ("title", "description", "metadata")
        if end.get(key)
    )
    return (
        f'<div class="nav-item" data-item="{html.escape(to_text(item.get("id")))}">{image}'
        f'<div class="nav-main">{badge}{lines}</div><div class="nav-end">{tail}</div>'
        '<span class="chev">&rsaquo;</span></div>'
    )


# -- structure ---------------------------------------------------------------------------


def _form(component: Component, view: View) -> str:
    """Flow JSON before 4.0 wraps inputs in a Form with init-values and error-messages."""
    inits = view.value(_prop(component, "init-values"), {})
    errors = view.value(_prop(component, "error-messages"), {})
    form = dict(inits) if isinstance(inits, Mapping) else {}
    form.update(view.form)
    inner_view = View(view.data, form, view.screens, view.placeholders)
    parts = []
    for child in component.children:
        rendered = render_component(child, inner_view)
        if isinstance(errors, Mapping) and child.name in errors:
            rendered += f'<div class="error-text">{html.escape(to_text(errors[child.name]))}</div>'
        parts.append(rendered)
    return "".join(parts)


def _if(component: Component, view: View) -> str:
    condition = _prop(component, "condition")
    holds = _holds(view, condition)
    branches = dict(component.branches)
    head = f'<div class="cond-head">If <code>{html.escape(to_text(condition))}</code></div>'
    parts = [head]
    for branch in ("then", "else"):
        on = holds == (branch == "then")
        if branch == "else" and not branches.get("else"):
            continue
        state = "shown" if on else "hidden"
        parts.append(
            f'<div class="branch {"on" if on else "off"}" data-branch="{branch}">'
            f'<div class="branch-label">{branch} · {state}</div>'
            f"{render_components(branches.get(branch, ()), view)}</div>"
        )
    return "".join(parts)


def _switch(component: Component, view: View) -> str:
    value = _prop(component, "value")
    current = view.value(value)
    text = "" if current is None else to_text(current)
    cases = [case for case, _ in component.branches]
    matched = text if text in cases else ("default" if "default" in cases else None)
    parts = [f'<div class="cond-head">Switch on <code>{html.escape(to_text(value))}</code></div>']
    for case, children in component.branches:
        on = case == matched
        state = "shown" if on else "hidden"
        parts.append(
            f'<div class="branch {"on" if on else "off"}" data-branch="{html.escape(case)}">'
            f'<div class="branch-label">case {html.escape(case)} · {state}</div>'
            f"{render_components(children, view)}</div>"
        )
    return "".join(parts)


def render_footer(component: Component, view: View) -> str:
    enabled = view.value(_prop(component, "enabled", True), True) is not False
    captions = "".join(
        f'<span class="cap cap-{side}">{view.text(_prop(component, f"{side}-caption"))}</span>'
        for side in ("left", "center", "right")
        if f"{side}-caption" in component.properties
    )
    caption_row = f'<div class="captions">{captions}</div>' if captions else ""
    state = "" if enabled else " off"
    return f'{caption_row}<div class="button{state}">{view.text(_prop(component, "label"))}</div>'


def _unknown(component: Component, view: View) -> str:
    summary = html.escape(
        json.dumps(dict(component.properties), ensure_ascii=False, default=str)[:160]
    )
    inner = render_components(component.children, view)
    return (
        f'<div class="unknown-head">Unknown component: {html.escape(component.type)}</div>'
        f'<div class="unknown-props">{summary}</div>{inner}'
    )


RENDERERS: dict[str, Renderer] = {
    "TextHeading": _text("t-heading"),
    "TextSubheading": _text("t-subheading"),
    "TextBody": _text("t-body"),
    "TextCaption": _text("t-caption"),
    "RichText": _text("t-rich"),
    "TextInput": _text_input,
    "TextArea": _text_area,
    "Dropdown": _dropdown,
    "RadioButtonsGroup": _choice_group("radio"),
    "CheckboxGroup": _choice_group("check"),
    "ChipsSelector": _chips,
    "DatePicker": _date_picker,
    "CalendarPicker": _calendar,
    "OptIn": _opt_in,
    "EmbeddedLink": _embedded_link,
    "PhotoPicker": _picker("photos", "photos"),
    "DocumentPicker": _picker("documents", "documents"),
    "Image": _image,
    "ImageCarousel": _carousel,
    "NavigationList": _navigation_list,
    "Form": _form,
    "If": _if,
    "Switch": _switch,
    "Footer": render_footer,
}
KNOWN_TYPES = frozenset(RENDERERS)
