"""The module prerequisite graph drawn server-side as SVG, in layers by topological depth.

A module with no prerequisite sits in the first column; every other module one column to the
right of its deepest prerequisite. Within a column, modules are ordered by the mean position
of their prerequisites (the barycentre heuristic), which keeps most arrows short and straight.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from crisis.competences import Catalogue, Module
from crisis.competences.integrity import topological_order

#: Fill and outline colours per curriculum group (area), in framework order.
PALETTE: tuple[tuple[str, str], ...] = (
    ("#dbeafe", "#1d4ed8"),
    ("#dcfce7", "#15803d"),
    ("#fee2e2", "#b91c1c"),
    ("#fef3c7", "#a16207"),
    ("#ede9fe", "#6d28d9"),
    ("#cffafe", "#0e7490"),
    ("#fce7f3", "#be185d"),
    ("#e5e7eb", "#374151"),
)
NODE_W, NODE_H, GAP_X, GAP_Y, MARGIN = 168, 60, 60, 12, 16
_LINE_CHARS = 25


@dataclass(frozen=True)
class Placed:
    """A module's place in the drawing."""

    module: Module
    layer: int
    x: float
    y: float


def depths(modules: list[Module]) -> dict[str, int]:
    """Topological depth of each module among ``modules`` (prerequisites outside are ignored)."""
    graph = {m.id: [p for p in m.prerequisites] for m in modules}
    depth: dict[str, int] = {}
    for node in topological_order(graph):
        before = [depth[p] for p in graph[node] if p in depth]
        depth[node] = 1 + max(before) if before else 0
    return depth


def layout(modules: list[Module]) -> list[Placed]:
    """Positions of ``modules``: columns by depth, rows by the barycentre of prerequisites."""
    depth = depths(modules)
    by_id = {m.id: m for m in modules}
    columns: dict[int, list[str]] = {}
    for module in modules:
        columns.setdefault(depth[module.id], []).append(module.id)
    row: dict[str, float] = {}
    for layer in sorted(columns):
        ids = columns[layer]
        order = {mid: i for i, mid in enumerate(ids)}

        def key(mid: str, order: dict[str, int] = order) -> tuple[float, int]:
            placed = [row[p] for p in by_id[mid].prerequisites if p in row]
            return (sum(placed) / len(placed) if placed else -1.0, order[mid])

        ids.sort(key=key)
        for i, mid in enumerate(ids):
            row[mid] = i
    tallest = max((len(ids) for ids in columns.values()), default=0)
    placed = []
    for layer, ids in sorted(columns.items()):
        offset = (tallest - len(ids)) * (NODE_H + GAP_Y) / 2
        for i, mid in enumerate(ids):
            x = MARGIN + layer * (NODE_W + GAP_X)
            y = MARGIN + offset + i * (NODE_H + GAP_Y)
            placed.append(Placed(by_id[mid], layer, x, y))
    return placed


def _lines(text: str, width: int = _LINE_CHARS) -> list[str]:
    """The title wrapped at word boundaries into at most two lines, cut with "…" if longer."""
    lines: list[str] = [""]
    for word in text.split():
        candidate = f"{lines[-1]} {word}".strip()
        if len(candidate) <= width or not lines[-1]:
            lines[-1] = candidate
        elif len(lines) == 1:
            lines.append(word)
        else:
            lines[-1] = candidate
            break
    lines = [line if len(line) <= width else line[: width - 1].rstrip() + "…" for line in lines]
    if " ".join(lines).replace("…", "") != text and not lines[-1].endswith("…"):
        lines[-1] = lines[-1][: width - 1].rstrip() + "…"
    return lines


def draw(
    cat: Catalogue,
    lang: str,
    *,
    title: str,
    description: str,
    module_ids: list[str] | None = None,
    href: str = "/competences/modules/",
) -> str:
    """The prerequisite graph as a standalone SVG document (also fit to inline in HTML).

    Args:
        cat: The catalogue.
        lang: Language of the module titles.
        title: The accessible name of the picture.
        description: Its accessible description.
        module_ids: Draw only these modules (a programme); all when ``None``.
        href: Link prefix of each module's page.
    """
    wanted = set(module_ids) if module_ids is not None else None
    modules = [m for m in cat.curriculum.modules if wanted is None or m.id in wanted]
    placed = layout(modules)
    where = {p.module.id: p for p in placed}
    colours = {area.id: PALETTE[i % len(PALETTE)] for i, area in enumerate(cat.framework.areas)}
    layers = max((p.layer for p in placed), default=-1) + 1
    rows = max(
        (sum(1 for q in placed if q.layer == p.layer) for p in placed),
        default=0,
    )
    width = 2 * MARGIN + max(layers, 1) * NODE_W + max(layers - 1, 0) * GAP_X
    height = 2 * MARGIN + max(rows, 1) * NODE_H + max(rows - 1, 0) * GAP_Y
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="prereq-graph" '
        f'viewBox="0 0 {width:g} {height:g}" width="{width:g}" height="{height:g}" '
        f'aria-labelledby="prereq-title" aria-describedby="prereq-desc" '
        f'font-family="system-ui, sans-serif">',
        f'<title id="prereq-title">{escape(title)}</title>',
        f'<desc id="prereq-desc">{escape(description)}</desc>',
        '<defs><marker id="prereq-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0,0 L10,5 L0,10 z" fill="#4b5563"/></marker></defs>',
        '<g class="edges" fill="none" stroke="#6b7280" stroke-width="1.4">',
    ]
    for p in placed:
        for pre in p.module.prerequisites:
            if pre not in where:
                continue
            q = where[pre]
            x1, y1 = q.x + NODE_W, q.y + NODE_H / 2
            x2, y2 = p.x - 2, p.y + NODE_H / 2
            bend = (x2 - x1) / 2
            out.append(
                f'<path d="M{x1:g},{y1:g} C{x1 + bend:g},{y1:g} {x2 - bend:g},{y2:g} '
                f'{x2:g},{y2:g}" marker-end="url(#prereq-arrow)">'
                f"<title>{escape(pre)} → {escape(p.module.id)}</title></path>"
            )
    out.append("</g>")
    out.append('<g class="nodes">')
    for p in placed:
        module = p.module
        fill, stroke = colours.get(module.group, PALETTE[-1])
        name = module.title.get(lang)
        out.append(
            f'<a href="{escape(href + module.id)}" data-module="{escape(module.id)}">'
            f"<title>{escape(module.id)} · {escape(name)}</title>"
            f'<rect x="{p.x:g}" y="{p.y:g}" width="{NODE_W}" height="{NODE_H}" rx="6" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="1.6"/>'
            f'<text x="{p.x + 8:g}" y="{p.y + 18:g}" font-size="13" font-weight="700" '
            f'fill="#111827">{escape(module.id)}</text>'
            + "".join(
                f'<text x="{p.x + 8:g}" y="{p.y + 34 + 14 * i:g}" font-size="11.5" '
                f'fill="#1f2937">{escape(line)}</text>'
                for i, line in enumerate(_lines(name))
            )
            + "</a>"
        )
    out.append("</g></svg>")
    return "".join(out)
