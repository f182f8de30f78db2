"""Rules that span files: unique ids, references that resolve, prerequisites that form a DAG."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from crisis.competences.models import Catalogue
from crisis.competences.sources import Source


def find_cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Every elementary cycle reachable by depth-first search, each as ``[a, b, ..., a]``.

    Edges to nodes missing from ``graph`` are ignored (they are reported elsewhere).
    """
    white, grey, black = 0, 1, 2
    colour = dict.fromkeys(graph, white)
    cycles: list[list[str]] = []
    seen: set[frozenset[str]] = set()

    def visit(start: str) -> None:
        stack: list[tuple[str, list[str]]] = [(start, [n for n in graph[start] if n in graph])]
        path = [start]
        colour[start] = grey
        while stack:
            node, pending = stack[-1]
            if pending:
                nxt = pending.pop(0)
                if colour[nxt] == grey:
                    cycle = [*path[path.index(nxt) :], nxt]
                    key = frozenset(cycle)
                    if key not in seen:
                        seen.add(key)
                        cycles.append(cycle)
                elif colour[nxt] == white:
                    colour[nxt] = grey
                    path.append(nxt)
                    stack.append((nxt, [n for n in graph[nxt] if n in graph]))
            else:
                colour[node] = black
                path.pop()
                stack.pop()

    for node in graph:
        if colour[node] == white:
            visit(node)
    return cycles


def topological_order(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Nodes ordered so that every node comes after the nodes it points to (its prerequisites).

    Ties keep the order of ``graph``. Assumes no cycles (see :func:`find_cycles`).
    """
    order: list[str] = []
    done: set[str] = set()

    def place(node: str, trail: tuple[str, ...]) -> None:
        if node in done or node in trail or node not in graph:
            return
        for before in graph[node]:
            place(before, (*trail, node))
        done.add(node)
        order.append(node)

    for node in graph:
        place(node, ())
    return order


def _duplicates(ids: Iterable[tuple[str, tuple[object, ...]]], what: str, src: Source) -> list[str]:
    errors: list[str] = []
    first: dict[str, tuple[object, ...]] = {}
    for ident, path in ids:
        if ident in first:
            errors.append(
                f"{src.where(path)}: {what} id {ident!r} is used twice "
                f"(first at line {src.line(first[ident])})"
            )
        else:
            first[ident] = path
    return errors


def _tree_errors(cat: Catalogue, fw: Source, known: set[str]) -> list[str]:
    # Cross-references, parents (same area, no cycle) and rules (over direct children).
    errors: list[str] = []
    framework = cat.framework
    for a, area in enumerate(framework.areas):
        nodes = [(("areas", a), area, "area")] + [
            (("areas", a, "competences", i), comp, "competence")
            for i, comp in enumerate(area.competences)
        ]
        own = {comp.id: comp for comp in area.competences}
        for at, node, what in nodes:
            for j, other in enumerate(node.related):
                if other not in known:
                    errors.append(
                        f"{fw.where((*at, 'related', j))}: {what} {node.id} is related to "
                        f"{other!r}, which does not exist"
                    )
                elif other == node.id:
                    errors.append(
                        f"{fw.where((*at, 'related', j))}: {what} {node.id} is related to itself"
                    )
            parent = getattr(node, "parent", None)
            if parent is not None and parent not in own:
                errors.append(
                    f"{fw.where((*at, 'parent'))}: competence {node.id} has parent {parent!r}, "
                    f"which is not a competence of area {area.id}"
                )
            if node.rule is not None:
                children = {
                    c.id
                    for c in area.competences
                    if c.parent == (node.id if what == "competence" else None)
                }
                for child in node.rule.children:
                    if child not in children:
                        errors.append(
                            f"{fw.where((*at, 'rule', 'children', child))}: the rule of "
                            f"{node.id} counts {child!r}, which is not one of its children"
                        )
        graph = {c.id: [c.parent] if c.parent else [] for c in area.competences}
        index = {c.id: i for i, c in enumerate(area.competences)}
        for cycle in find_cycles(graph):
            errors.append(
                f"{fw.where(('areas', a, 'competences', index[cycle[0]], 'parent'))}: parents "
                f"form a cycle: {' → '.join(cycle)}"
            )
    return errors


def check_references(cat: Catalogue, fw: Source, pr: Source, cu: Source) -> list[str]:
    """Every cross-reference error in a catalogue, each naming file and line."""
    errors: list[str] = []
    framework, curriculum = cat.framework, cat.curriculum

    comp_paths = [
        (c.id, ("areas", a, "competences", i, "id"))
        for a, area in enumerate(framework.areas)
        for i, c in enumerate(area.competences)
    ]
    errors += _duplicates(
        ((area.id, ("areas", a, "id")) for a, area in enumerate(framework.areas)), "area", fw
    )
    errors += _duplicates(comp_paths, "competence", fw)
    competences = {c.id for c in framework.competences}
    areas = {area.id for area in framework.areas}
    for a, area in enumerate(framework.areas):
        if area.id in competences:
            errors.append(
                f"{fw.where(('areas', a, 'id'))}: id {area.id!r} names both an area and a "
                "competence"
            )
    errors += _tree_errors(cat, fw, competences | areas)

    errors += _duplicates(
        ((p.id, ("profiles", n, "id")) for n, p in enumerate(cat.profiles.values())), "profile", pr
    )
    for n, profile in enumerate(cat.profiles.values()):
        for comp_id in profile.targets:
            if comp_id not in competences:
                errors.append(
                    f"{pr.where(('profiles', n, 'targets', comp_id))}: profile {profile.id} "
                    f"targets competence {comp_id!r}, which does not exist"
                )

    modules = {m.id for m in curriculum.modules}
    teaching, assessing = curriculum.methods.teaching, curriculum.methods.assessment
    errors += _duplicates(
        ((m.id, ("modules", i, "id")) for i, m in enumerate(curriculum.modules)), "module", cu
    )
    errors += _duplicates(
        (
            (o.id, ("modules", i, "outcomes", k, "id"))
            for i, m in enumerate(curriculum.modules)
            for k, o in enumerate(m.outcomes)
        ),
        "outcome",
        cu,
    )
    for i, module in enumerate(curriculum.modules):
        at = ("modules", i)
        if module.group not in areas:
            errors.append(
                f"{cu.where((*at, 'group'))}: module {module.id} is in group {module.group!r}, "
                "which is not an area of the framework"
            )
        for field in ("prerequisites", "extends"):
            for j, other in enumerate(getattr(module, field)):
                if other not in modules:
                    errors.append(
                        f"{cu.where((*at, field, j))}: module {module.id} lists "
                        f"{'prerequisite' if field == 'prerequisites' else 'extended module'} "
                        f"{other!r}, which does not exist"
                    )
                elif other == module.id:
                    errors.append(f"{cu.where((*at, field, j))}: module {module.id} lists itself")
        vocabularies = (("teaching_methods", teaching), ("assessment_methods", assessing))
        for field, vocabulary in vocabularies:
            for j, method in enumerate(getattr(module, field)):
                if method not in vocabulary:
                    errors.append(
                        f"{cu.where((*at, field, j))}: module {module.id} uses {method!r}, "
                        f"which is not declared under methods.{field.split('_')[0]}"
                    )
        for k, outcome in enumerate(module.outcomes):
            if outcome.competence not in competences:
                errors.append(
                    f"{cu.where((*at, 'outcomes', k, 'competence'))}: outcome {outcome.id} "
                    f"refers to competence {outcome.competence!r}, which does not exist"
                )
            for j, method in enumerate(outcome.assessment):
                if method not in module.assessment_methods:
                    errors.append(
                        f"{cu.where((*at, 'outcomes', k, 'assessment', j))}: outcome "
                        f"{outcome.id} is assessed by {method!r}, which is not one of module "
                        f"{module.id}'s assessment_methods"
                    )

    graph = {m.id: [*m.prerequisites, *m.extends] for m in curriculum.modules}
    index = {m.id: i for i, m in enumerate(curriculum.modules)}
    for cycle in find_cycles(graph):
        errors.append(
            f"{cu.where(('modules', index[cycle[0]], 'prerequisites'))}: prerequisites form a "
            f"cycle: {' → '.join(cycle)}"
        )

    errors += _duplicates(
        ((p.id, ("programmes", i, "id")) for i, p in enumerate(curriculum.programmes)),
        "programme",
        cu,
    )
    for i, programme in enumerate(curriculum.programmes):
        for j, module_id in enumerate(programme.modules):
            if module_id not in modules:
                errors.append(
                    f"{cu.where(('programmes', i, 'modules', j))}: programme {programme.id} "
                    f"lists module {module_id!r}, which does not exist"
                )
        errors += _duplicates(
            ((m, ("programmes", i, "modules", j)) for j, m in enumerate(programme.modules)),
            f"programme {programme.id} module",
            cu,
        )
    return errors
