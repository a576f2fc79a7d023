"""The shape of a chain: its edges, a structural lint, and an SVG flowchart."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from zlib import crc32

from workflow.schema import Action, ActionKind, Step, Workflow

END = "end"
START = "start"
APPLICANT = "applicant"


@dataclass(frozen=True)
class Edge:
    """An arrow of the flowchart: from a step (or start) to a step, end or the applicant."""

    source: str
    target: str
    label: str
    kind: str  # "forward", "return" or "skip"


# Whether each step applies (True), is skipped (False) or depends (None), by step id.
Applies = Mapping[str, bool | None]


def _unconditional(workflow: Workflow) -> dict[str, bool | None]:
    return {step.id: True if step.when is None else None for step in workflow.steps}


def _landing(workflow: Workflow, start: int, applies: Applies) -> list[str]:
    """Where control may land from position ``start``: steps that depend may be skipped."""
    targets: list[str] = []
    for step in workflow.steps[start:]:
        if applies[step.id] is False:
            continue
        targets.append(step.id)
        if applies[step.id]:
            return targets
    return [*targets, END]


def edges(workflow: Workflow, applies: Applies | None = None) -> list[Edge]:
    """Every possible transition of the chain, or of one path through it.

    :param applies: from :func:`workflow.paths.applicability`; without it every step with a
        ``when`` may be skipped
    """
    known = applies if applies is not None else _unconditional(workflow)
    index = {step.id: i for i, step in enumerate(workflow.steps)}
    out = [Edge(START, t, "提交", "forward" if i == 0 else "skip")
           for i, t in enumerate(_landing(workflow, 0, known))]
    for i, step in enumerate(workflow.steps):
        if known[step.id] is False:
            continue
        for action in step.actions:
            if action.kind is ActionKind.return_to_applicant:
                out.append(Edge(step.id, APPLICANT, action.label, "return"))
            elif action.kind is ActionKind.return_to_step:
                out.append(Edge(step.id, action.to or "", action.label, "return"))
            else:
                out += _approve_edges(workflow, index, i, step, action, known)
    return out


def _approve_edges(workflow: Workflow, index: dict[str, int], i: int, step: Step,
                   action: Action, applies: Applies) -> list[Edge]:
    jumps: list[tuple[str | None, str]] = [
        (option.next, f"{action.label}（{choice.label}：{option.label}）")
        for choice in action.choices for option in choice.options
    ] or [(action.next, action.label)]
    found: list[Edge] = []
    for target, label in jumps:
        if target == END:
            found.append(Edge(step.id, END, label, "forward"))
            continue
        start = index[target] if target else i + 1
        found += [Edge(step.id, t, label, "forward" if n == 0 else "skip")
                  for n, t in enumerate(_landing(workflow, start, applies))]
    return found


def lint(name: str, workflow: Workflow) -> list[str]:
    """Structural problems: unreachable steps and steps from which the chain cannot end."""
    graph = edges(workflow)
    reached, frontier = {START}, [START]
    while frontier:
        node = frontier.pop()
        for edge in graph:
            if edge.source == node and edge.target not in reached:
                reached.add(edge.target)
                frontier.append(edge.target)
    problems = [f"workflows.{name}.steps[{i}]: 步骤“{s.id}”不可达"
                for i, s in enumerate(workflow.steps) if s.id not in reached]
    ends = {END}
    changed = True
    while changed:
        changed = False
        for edge in graph:
            if edge.kind != "return" and edge.target in ends and edge.source not in ends:
                ends.add(edge.source)
                changed = True
    problems += [f"workflows.{name}.steps[{i}]: 从步骤“{s.id}”无法到达流程结束"
                 for i, s in enumerate(workflow.steps) if s.id in reached and s.id not in ends]
    return problems


BOX_W, BOX_H, GAP, LEFT, TOP = 260, 44, 36, 150, 20
FONT = "'Noto Sans CJK SC','WenQuanYi Zen Hei','Microsoft YaHei',sans-serif"
# Edge labels are text on the chart (not tooltips), with a white halo over crossing lines.
LABEL = 'class="edge-label" font-size="12" paint-order="stroke" stroke="#fff" stroke-width="3"'


def to_svg(workflow: Workflow, current: str | None = None,
           post_labels: Mapping[str, str] | None = None,
           applies: Applies | None = None) -> str:
    """Draw the chain top to bottom; ``current`` is highlighted. Self-contained SVG text.

    :param post_labels: display names of the posts (codes are shown where one is missing)
    :param applies: one path (see :func:`workflow.paths.applicability`): skipped steps are left
        out, steps that depend on an unknown fact are drawn dashed and marked 视条件
    """
    posts = post_labels or {}
    known = applies if applies is not None else _unconditional(workflow)
    steps = [s for s in workflow.steps if known[s.id] is not False]
    nodes = [START, *(s.id for s in steps), END]
    labels = {START: "提交", END: "完成"}
    labels.update({s.id: f"{s.label}（{posts.get(s.post, s.post)}）"
                   + ("（视条件）" if known[s.id] is None else "") for s in steps})
    y = {node: TOP + n * (BOX_H + GAP) for n, node in enumerate(nodes)}
    height = y[END] + BOX_H + TOP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{LEFT * 2 + BOX_W + 220}" '
        f'height="{height}" font-family="{FONT}" font-size="13" role="img" '
        f'aria-label="{escape(workflow.label)}流程图">',
        f'<defs><marker id="{_marker(workflow)}" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>',
    ]
    for node in nodes:
        is_current = node == current
        fill = "#f0ad4e" if is_current else ("#dff0d8" if node in (START, END) else "#ffffff")
        dashed = ' stroke-dasharray="6,4"' if known.get(node, True) is None else ""
        parts.append(
            f'<g class="node{" current" if is_current else ""}" data-step="{escape(node)}">'
            f'<rect x="{LEFT}" y="{y[node]}" width="{BOX_W}" height="{BOX_H}" rx="6" '
            f'fill="{fill}" stroke="#337ab7" stroke-width="{3 if is_current else 1.5}"{dashed}/>'
            f'<text x="{LEFT + BOX_W / 2}" y="{y[node] + BOX_H / 2 + 5}" text-anchor="middle">'
            f"{escape(labels[node])}</text></g>"
        )
    applicant_y = TOP
    parts.append(f'<text x="10" y="{applicant_y + 16}" fill="#a94442">退回采购人 ↺</text>')
    drawn = [e for e in edges(workflow, known) if e.kind != "skip"
             and e.source in y and (e.target in y or e.target == APPLICANT)]
    returns: dict[str, int] = {}  # a step's second return gets its label on the next line
    for n, edge in enumerate(drawn):
        nth = 0
        if edge.kind == "return":
            nth = returns[edge.source] = returns.get(edge.source, -1) + 1
        parts.append(_edge_svg(edge, y, applicant_y, n, nth, _marker(workflow)))
    parts.append("</svg>")
    return "".join(parts)


def _marker(workflow: Workflow) -> str:
    """The arrowhead's id: unique per chain, as the charts page shows every chain at once."""
    return f"arrow-{crc32(workflow.label.encode()):08x}"


def _edge_svg(edge: Edge, y: dict[str, int], applicant_y: int, n: int, nth: int,
              marker: str) -> str:
    x_mid, x_right, x_left = LEFT + BOX_W / 2, LEFT + BOX_W, LEFT
    label, title = escape(edge.label), f"<title>{escape(edge.label)}</title>"
    if edge.kind == "return":
        y1 = y[edge.source] + BOX_H / 2
        y2 = applicant_y + 10 if edge.target == APPLICANT else y[edge.target] + BOX_H / 2
        bend = 30 + 14 * (n % 6)
        return (f'<path d="M{x_left},{y1} C{x_left - bend},{y1} {x_left - bend},{y2} '
                f'{x_left if edge.target != APPLICANT else 90},{y2}" fill="none" '
                f'stroke="#a94442" stroke-dasharray="5,3" marker-end="url(#{marker})">'
                f'{title}</path>'
                f'<text {LABEL} x="{x_left - 6}" y="{y1 - 8 + 14 * nth}" text-anchor="end" '
                f'fill="#a94442">{label}</text>')
    y1, y2 = y[edge.source] + BOX_H, y[edge.target]
    if y2 - y1 == GAP:
        return (f'<line x1="{x_mid}" y1="{y1}" x2="{x_mid}" y2="{y2}" stroke="#555" '
                f'marker-end="url(#{marker})">{title}</line>'
                f'<text {LABEL} x="{x_mid + 8}" y="{y1 + GAP / 2 + 4}" fill="#333">{label}</text>')
    bend = 40 + 16 * (n % 6)
    return (f'<path d="M{x_right},{y1 - BOX_H / 2} C{x_right + bend},{y1} {x_right + bend},{y2} '
            f'{x_right},{y2 + BOX_H / 2}" fill="none" stroke="#555" marker-end="url(#{marker})">'
            f'{title}</path>'
            f'<text {LABEL} x="{x_right + bend * 0.75 + 4}" y="{(y1 + y2) / 2 + 4}" '
            f'fill="#333">{label}</text>')
