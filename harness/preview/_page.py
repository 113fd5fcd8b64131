"""Self-contained pages: inline CSS, no scripts, no fonts or images fetched at view time."""

from __future__ import annotations

import html
from collections.abc import Iterable

from harness.flowjson import Flow, Screen
from harness.preview._screen import example_data, render_screen, screen_badges

__all__ = ["STYLES", "html_page", "preview_html"]

STYLES = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;
color:#1d2330;background:#f0f2f5}
h1{margin:0 0 4px;font-size:22px}h2{font-size:17px;margin:28px 0 8px}
.muted{color:#667781}code{font:12px ui-monospace,Menlo,Consolas,monospace}
.meta-row span{display:inline-block;margin-right:14px}
.screens{display:flex;flex-wrap:wrap;gap:28px;align-items:flex-start}
.screen{width:360px}
.screen-head{font-weight:600;margin:0 0 6px;overflow-wrap:anywhere}
.tag-b{display:inline-block;font-size:11px;font-weight:500;background:#d9fdd3;color:#0a6b3a;
border-radius:10px;padding:0 7px;margin-left:4px}
.phone{width:360px;background:#fff;border-radius:22px;border:1px solid #d1d7db;
box-shadow:0 2px 10px rgba(11,20,26,.12);overflow:hidden;display:flex;flex-direction:column;
min-height:560px;position:relative}
.topbar{display:flex;align-items:center;gap:10px;padding:14px 16px;border-bottom:1px solid #e9edef}
.topbar-x,.topbar-menu{color:#54656f;font-size:16px;width:18px;text-align:center}
.topbar-title{flex:1;font-weight:600;font-size:16px;text-align:center;overflow-wrap:anywhere}
.body{padding:12px 16px 16px;flex:1;overflow-wrap:anywhere;min-width:0;display:flex;
flex-direction:column}
.body>.c-Footer{margin-top:auto}
.managed{font-size:11px;color:#667781;text-align:center;padding:0 16px 12px}
.link{color:#027eb5}
.c{margin:10px 0;min-width:0;max-width:100%}
.t-heading{font-size:20px;font-weight:700}.t-subheading{font-size:16px;font-weight:600}
.t-body{font-size:14px}.t-caption{font-size:12px;color:#667781}
.t-rich p,.t-body p,.t-caption p{margin:4px 0}
.t-rich ul,.t-rich ol,.t-body ul,.t-body ol{margin:4px 0;padding-left:20px}
.md-h{font-weight:700;margin:8px 0 4px}.md-h1{font-size:20px}.md-h2{font-size:17px}
.md-h3,.md-h4,.md-h5,.md-h6{font-size:15px}
.md-img{max-width:100%;display:block;margin:6px 0}
.md-table{border-collapse:collapse;width:100%;font-size:12px}
.md-table td,.md-table th{border:1px solid #e9edef;padding:3px 5px;text-align:left}
.md-img-missing{color:#667781;font-style:italic}
.field{position:relative;border:1px solid #8696a0;border-radius:8px;padding:18px 12px 6px;
min-height:50px;display:flex;align-items:flex-end;gap:6px}
.field.tall{min-height:96px;align-items:flex-start}
.field-label{position:absolute;left:12px;top:14px;color:#667781;font-size:14px;right:36px;
white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.field.filled .field-label{top:4px;font-size:11px}
.field-value{flex:1;min-width:0;overflow-wrap:anywhere;min-height:18px}
.field-icon{color:#54656f}.field-kind{font-size:10px;color:#8696a0;align-self:center}
.counter{position:absolute;right:10px;bottom:-17px;font-size:11px;color:#8696a0}
.helper{font-size:12px;color:#667781;margin-top:4px}
.error-text{font-size:12px;color:#d0312d;margin-top:4px}
.optional{color:#8696a0;font-weight:400}
.group-label{font-weight:600;margin-bottom:4px}
.opts{border-top:1px solid #e9edef}
.opt{display:flex;align-items:center;gap:10px;padding:10px 0;border-bottom:1px solid #e9edef}
.opt.disabled{opacity:.45}.opt.empty{color:#8696a0;font-style:italic}
.opt-text{flex:1;min-width:0}.opt-title{font-size:15px}
.opt-description,.opt-metadata{font-size:12px;color:#667781}
.opt-img{width:40px;height:40px;object-fit:cover;border-radius:6px;flex:none}
.mark{width:20px;height:20px;flex:none;border:2px solid #8696a0;display:inline-block}
.mark-radio{border-radius:50%}.mark-check{border-radius:4px}
.chosen .mark,.mark.on{border-color:#008069;background:radial-gradient(#008069 45%,#fff 50%)}
.chosen .mark-check,.mark-check.on{background:#008069}
.sheet{border:1px dashed #c7d0d5;border-radius:8px;margin-top:6px;padding:2px 10px}
.sheet-label{font-size:10px;text-transform:uppercase;color:#8696a0;letter-spacing:.05em}
.chips{display:flex;flex-wrap:wrap;gap:6px}
.chip{border:1px solid #8696a0;border-radius:16px;padding:3px 12px;font-size:13px;max-width:100%}
.chip.chosen{background:#d9fdd3;border-color:#008069}
.optin{display:flex;gap:10px;align-items:flex-start}.optin-label{flex:1;min-width:0}
.elink{text-align:center}
.picker{border:1px dashed #8696a0;border-radius:8px;padding:12px;color:#008069;font-weight:600}
.picker-icon{margin-right:6px}.file{font-size:12px;color:#54656f}
.img{display:block;max-width:100%;border-radius:8px}
.img-missing,.slide.img-missing,.nav-img.img-missing,.opt-img.img-missing{background:#e9edef;
color:#667781;font-size:11px;display:flex;align-items:center;justify-content:center;
min-height:40px;overflow:hidden}
.carousel{display:flex;overflow:hidden;border-radius:8px}
.slide{display:none;width:100%;max-height:200px;object-fit:cover}.slide.first{display:block}
.dots{text-align:center}.dots i{display:inline-block;width:6px;height:6px;border-radius:50%;
background:#c7d0d5;margin:4px 2px}.dots i.on{background:#008069}
.nav{border-top:1px solid #e9edef}
.nav-item{display:flex;align-items:center;gap:10px;padding:10px 0;border-bottom:1px solid #e9edef}
.nav-img{width:44px;height:44px;border-radius:6px;object-fit:cover;flex:none}
.nav-main{flex:1;min-width:0}.nav-title{font-size:15px}
.nav-description,.nav-metadata{font-size:12px;color:#667781}
.nav-end{text-align:right;font-size:13px;max-width:35%;overflow-wrap:anywhere}
.nav-end-description,.nav-end-metadata{font-size:11px;color:#667781}
.chev{color:#8696a0;font-size:20px}
.badge-pill{background:#d9fdd3;color:#0a6b3a;border-radius:8px;font-size:10px;padding:0 6px}
.tags{display:flex;flex-wrap:wrap;gap:4px}.tag{background:#f0f2f5;border-radius:6px;
font-size:10px;padding:0 6px}
.c-If,.c-Switch{border:1px dashed #b0a2d8;border-radius:8px;padding:6px 8px}
.cond-head{font-size:11px;color:#5b4a9e;overflow-wrap:anywhere}
.branch{border-left:3px solid #b0a2d8;padding-left:8px;margin:6px 0}
.branch.off{opacity:.45}.branch-label{font-size:10px;text-transform:uppercase;color:#5b4a9e}
.cond-badge{font-size:10px;color:#5b4a9e;overflow-wrap:anywhere}
.is-hidden>:not(.cond-badge){opacity:.45}
.bind{background:#fff4cc;border-radius:4px;padding:0 3px;font:12px ui-monospace,monospace}
.expr{background:#fff4cc;overflow-wrap:anywhere}
.c-Footer{border-top:1px solid #e9edef;padding-top:10px;margin-top:16px}
.button{background:#008069;color:#fff;border-radius:20px;text-align:center;padding:10px;
font-weight:600}.button.off{background:#c7d0d5;color:#fff}
.captions{display:flex;justify-content:space-between;font-size:12px;color:#667781;
margin-bottom:6px;gap:6px}
.c-unknown,.unknown-head{color:#b42318;font-weight:600}
.unknown-props{font:11px ui-monospace,monospace;color:#667781;overflow-wrap:anywhere}
.snackbar{margin:0 16px 12px;background:#303030;color:#fff;border-radius:8px;padding:10px 12px;
font-size:13px}
.below{font-size:12px;margin-top:8px;color:#3b4a54;overflow-wrap:anywhere}
.below table{border-collapse:collapse;width:100%}
.below td,.below th{text-align:left;padding:2px 4px;border-bottom:1px solid #e1e5e8;
vertical-align:top}
.journey{margin:18px 0 36px}
.journey-head{font-weight:600;font-size:16px}
.ok{color:#0a6b3a}.bad{color:#b42318}
.step{display:flex;gap:24px;align-items:flex-start;margin:18px 0;flex-wrap:wrap}
.step-screen{flex:none}.step-screen:empty{display:none}
.step-side{flex:1;min-width:320px;max-width:720px;background:#fff;border:1px solid #d1d7db;
border-radius:10px;padding:10px 14px;overflow-wrap:anywhere}
.step-side h4{margin:2px 0 6px}.step-side h5{margin:10px 0 2px;font-size:12px;color:#54656f}
.step-side pre{background:#f7f8fa;border-radius:6px;padding:6px 8px;font-size:11px;
white-space:pre-wrap;word-break:break-word;max-height:320px;overflow:auto;margin:0}
.step-bad .step-side{border-color:#f1a7a1}
.kv{border-collapse:collapse}.kv th{text-align:left;color:#54656f;font-weight:500;
padding:1px 10px 1px 0;vertical-align:top}.kv td{padding:1px 0}
.findings{margin:0;padding-left:18px}.finding.error b{color:#b42318}
.finding.warning b{color:#9a6700}.hint{color:#667781;font-size:12px}
"""


def html_page(title: str, body: str, *, css: str = "") -> str:
    """A complete HTML page with the shared styles inlined (``css`` adds to them)."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{STYLES}{css}</style></head>"
        f"<body>{body}</body></html>"
    )


def preview_html(flow: Flow, *, title: str | None = None) -> str:
    """Every screen of ``flow`` as WhatsApp lays it out, ``__example__`` data bound in."""
    name = title or (flow.file.rsplit("/", 1)[-1] if flow.file else "Flow")
    facts = [f"Flow JSON {flow.version}", f"{len(flow.screens)} screen(s)"]
    if flow.data_api_version:
        facts.append(f"data API {flow.data_api_version}")
    if flow.data_channel_uri:
        facts.append("data channel URI")
    head = (
        f'<h1>{html.escape(name)}</h1><p class="meta-row muted">'
        + "".join(f"<span>{html.escape(fact)}</span>" for fact in facts)
        + "</p>"
    )
    cards = "".join(_screen_section(flow, screen) for screen in flow.screens)
    return html_page(f"{name}: preview", f'{head}<div class="screens">{cards}</div>')


def _screen_section(flow: Flow, screen: Screen) -> str:
    badges = "".join(
        f'<span class="tag-b">{html.escape(badge)}</span>' for badge in screen_badges(flow, screen)
    )
    return (
        f'<section class="screen" id="screen-{html.escape(screen.id)}">'
        f'<div class="screen-head">{html.escape(screen.id)}{badges}</div>'
        f"{render_screen(flow, screen)}{_below(flow, screen)}</section>"
    )


def _below(flow: Flow, screen: Screen) -> str:
    rows: list[str] = []
    routes = flow.routes_from(screen.id)
    if routes:
        rows.append(_row("routes to", ", ".join(routes)))
    for action in _unique_actions(screen):
        rows.append(_row("action", action))
    examples = example_data(screen)
    for name, item in screen.data.items():
        kind = str(item.schema.get("type", ""))
        shown = repr(examples[name]) if name in examples else "(no __example__)"
        rows.append(_row(f"data.{name}", f"{kind}: {shown[:90]}"))
    if not rows:
        return ""
    return f'<div class="below"><table>{"".join(rows)}</table></div>'


def _unique_actions(screen: Screen) -> Iterable[str]:
    seen: dict[str, None] = {}
    for action in screen.actions():
        text = action.name
        if action.next:
            text += f" → {action.next}"
        if action.url:
            text += f" → {action.url}"
        seen.setdefault(text, None)
    return seen


def _row(label: str, text: str) -> str:
    return f"<tr><th>{html.escape(label)}</th><td>{html.escape(text)}</td></tr>"
