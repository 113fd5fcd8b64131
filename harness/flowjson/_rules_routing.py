"""Routing rules: the screen graph (routing_model, else navigate actions) and navigate targets.

With a routing_model the rules are errors, as WhatsApp enforces them. A flow
without one gets its graph from its navigate actions, and the same rules are
warnings there: only the routing model is checked by WhatsApp.

A route may end at a non-terminal screen: Meta's own templates (book an
appointment, sign in, register, book a table, get a quote) end routes at a
terms screen that an OptIn opens and the back button leaves, and route onwards
from terminal screens. What Meta requires is a terminal screen the user can
reach (``no-reachable-terminal``); a dead-end screen that asks for input is
only the project's advice (``route-not-terminal``, a warning).
"""

from __future__ import annotations

from collections.abc import Callable

from harness.flowjson._catalog import MAX_BRANCHES_PER_SCREEN
from harness.flowjson._findings import Finding, Severity, error, warning
from harness.flowjson._model import Flow, Screen, escape

Edge = tuple[str, str]


def routing_findings(flow: Flow) -> list[Finding]:
    findings: list[Finding] = []
    if flow.data_api_version is not None and flow.routing_model is None:
        findings.append(
            error(
                "missing-routing-model",
                "",
                f"data_api_version {flow.data_api_version} is set but routing_model is missing",
                'add "routing_model": {"SCREEN": ["NEXT_SCREEN", ...], ...}',
            )
        )
    if flow.routing_model is not None:
        findings += _model_references(flow)
    if flow.routing_model is not None or not flow.uses_endpoint:
        # an endpoint flow's moves come from its answers: no graph to check without a model
        findings += _graph_findings(flow)
    findings += _navigate_findings(flow)
    return findings


def _edges(flow: Flow) -> dict[Edge, str]:
    """Edges between existing screens, each with the pointer that declares it."""
    edges: dict[Edge, str] = {}
    if flow.routing_model is not None:
        for source, targets in flow.routing_model.items():
            for index, target in enumerate(targets):
                if flow.has_screen(source) and flow.has_screen(target):
                    edges.setdefault((source, target), f"/routing_model/{escape(source)}/{index}")
        return edges
    for screen in flow.screens:
        for action in screen.actions():
            if action.name == "navigate" and action.next and flow.has_screen(action.next):
                edges.setdefault((screen.id, action.next), f"{action.pointer}/next/name")
    return edges


def _model_references(flow: Flow) -> list[Finding]:
    assert flow.routing_model is not None
    findings = []
    mentioned: set[str] = set()
    for source, targets in flow.routing_model.items():
        mentioned.add(source)
        mentioned.update(targets)
        pointer = f"/routing_model/{escape(source)}"
        if not flow.has_screen(source):
            findings.append(_unknown(source, pointer))
        for index, target in enumerate(targets):
            if not flow.has_screen(target):
                findings.append(_unknown(target, f"{pointer}/{index}"))
    if len(flow.screens) > 1:
        for screen in flow.screens:
            if screen.id not in mentioned:
                findings.append(
                    error(
                        "screen-not-in-routing-model",
                        screen.pointer,
                        f"screen {screen.id} does not appear in routing_model",
                        f'add "{screen.id}": [...] and route to it from the screen before it',
                    )
                )
    return findings


def _unknown(screen_id: str, pointer: str) -> Finding:
    return error(
        "routing-unknown-screen",
        pointer,
        f"routing_model names screen {screen_id}, which does not exist",
        "fix the id or add the screen",
    )


def _graph_findings(flow: Flow) -> list[Finding]:
    strict = flow.routing_model is not None
    severity: Severity = "error" if strict else "warning"
    source_name = "routing_model" if strict else "navigate actions"
    edges = _edges(flow)
    findings: list[Finding] = []

    def add(code: str, pointer: str, message: str, hint: str) -> None:
        findings.append(Finding(severity, code, pointer, f"{message} ({source_name})", hint))

    order = {edge: index for index, edge in enumerate(edges)}
    for (source, target), pointer in edges.items():
        if source == target:
            add("routing-self-loop", pointer, f"{source} routes to itself", "remove the route")
        elif order.get((target, source), len(order)) < order[(source, target)]:
            add(
                "routing-back-edge",
                pointer,
                f"{source} routes back to {target}, which routes to {source}",
                "routes only go forward; the user returns with the back button",
            )
    for cycle in _cycles(flow, edges):
        first = flow.screen(cycle[0])
        add(
            "routing-cycle",
            f"/routing_model/{escape(first.id)}" if strict else first.pointer,
            f"screens {', '.join(cycle)} route to each other in a cycle",
            "break the cycle: routes only go forward",
        )
    nodes = _nodes(flow)
    targets = {target for _, target in edges}
    entries = [screen_id for screen_id in nodes if screen_id not in targets]
    if len(entries) > 1:
        add(
            "multiple-entry-screens",
            "/routing_model" if strict else "/screens",
            f"{len(entries)} screens have no incoming route: {', '.join(entries)}",
            "a flow has exactly one entry screen; route to the others from it",
        )
    for screen_id in nodes:
        outgoing = {target for source, target in edges if source == screen_id}
        screen = flow.screen(screen_id)
        if len(outgoing) > MAX_BRANCHES_PER_SCREEN:
            add(
                "too-many-branches",
                f"/routing_model/{escape(screen_id)}" if strict else screen.pointer,
                f"{screen_id} routes to {len(outgoing)} screens (at most "
                f"{MAX_BRANCHES_PER_SCREEN})",
                "split the choice over two screens",
            )
        if not outgoing and not screen.terminal and _dead_end(flow, screen):
            findings.append(
                warning(
                    "route-not-terminal",
                    screen.pointer,
                    f"the route ends at {screen_id}, whose Footer leads nowhere: it is not "
                    f"terminal and sends nothing to the endpoint ({source_name})",
                    'mark the screen "terminal": true, or route onwards from it',
                )
            )
    _terminal_reachable(flow, edges, entries, add)
    return findings


def _dead_end(flow: Flow, screen: Screen) -> bool:
    """A Footer that leads nowhere: no route onwards, and no data_exchange whose answer
    (any screen allowed, or SUCCESS) could move the user on. A page without a Footer is
    read and left with back, like the terms screens of Meta's templates."""
    if not screen.footers():
        return False
    exchanges = flow.uses_endpoint and any(a.name == "data_exchange" for a in screen.actions())
    return not exchanges


def _terminal_reachable(
    flow: Flow,
    edges: dict[Edge, str],
    entries: list[str],
    add: Callable[[str, str, str, str], None],
) -> None:
    if not any(screen.terminal for screen in flow.screens):
        add(
            "no-reachable-terminal",
            "/screens",
            "no screen is terminal, so the flow can never be completed",
            'mark the last screen "terminal": true and give it a Footer',
        )
        return
    if len(entries) != 1:
        return  # multiple-entry-screens says what is wrong
    seen, frontier = {entries[0]}, [entries[0]]
    while frontier:
        current = frontier.pop()
        for source, target in edges:
            if source == current and target not in seen:
                seen.add(target)
                frontier.append(target)
    if not any(flow.screen(screen_id).terminal for screen_id in seen):
        add(
            "no-reachable-terminal",
            "/routing_model" if flow.routing_model is not None else "/screens",
            f"no terminal screen can be reached from {entries[0]}",
            "route from the entry screen to a terminal screen",
        )


def _nodes(flow: Flow) -> list[str]:
    """Screens in the graph: all of them, or those routing_model mentions when it has any."""
    if flow.routing_model:
        mentioned = set(flow.routing_model) | {
            target for targets in flow.routing_model.values() for target in targets
        }
        return [screen_id for screen_id in flow.screen_ids if screen_id in mentioned]
    return list(dict.fromkeys(flow.screen_ids))


def _cycles(flow: Flow, edges: dict[Edge, str]) -> list[list[str]]:
    """Strongly connected groups of three or more screens (two are a back edge)."""
    successors: dict[str, list[str]] = {screen_id: [] for screen_id in flow.screen_ids}
    for source, target in edges:
        if source != target:
            successors[source].append(target)

    def reach(start: str) -> set[str]:
        seen, stack = set(), [start]
        while stack:
            for nxt in successors[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        return seen

    reachable = {screen_id: reach(screen_id) for screen_id in successors}
    groups: list[list[str]] = []
    placed: set[str] = set()
    for screen_id in successors:
        if screen_id in placed:
            continue
        group = [other for other in successors if other in reachable[screen_id]
                 and screen_id in reachable[other]]  # fmt: skip
        placed.update(group)
        if len(group) >= 3:
            groups.append(group)
    return groups


def _navigate_findings(flow: Flow) -> list[Finding]:
    findings = []
    for screen in flow.screens:
        for action in screen.actions():
            if action.name != "navigate" or not action.next:
                continue
            pointer = f"{action.pointer}/next/name"
            if not flow.has_screen(action.next):
                # A NavigationList item is one choice among several (often data-driven), so
                # a dead item leaves the flow usable: the tap fails, the flow does not.
                # Meta's own NavigationList sample has one, so it is a warning there.
                in_list_item = "/list-items/" in action.pointer
                findings.append(
                    (warning if in_list_item else error)(
                        "navigate-unknown-screen",
                        pointer,
                        f"navigate targets screen {action.next}, which does not exist"
                        + (
                            " (tapping this list item shows the user an error)"
                            if in_list_item
                            else ""
                        ),
                        f"screens are: {', '.join(flow.screen_ids)}",
                    )
                )
            elif flow.routing_model is not None and action.next not in flow.routes_from(screen.id):
                findings.append(
                    error(
                        "navigate-not-in-routing-model",
                        pointer,
                        f"{screen.id} navigates to {action.next}, but routing_model does not "
                        "allow that route",
                        f'add "{action.next}" to routing_model["{screen.id}"]',
                    )
                )
    return findings
