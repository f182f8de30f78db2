"""Versions of a workspace: canonical snapshots, differences between them, and restore.

A snapshot is the workspace as canonical JSON (sorted keys, no insignificant whitespace),
so that two equal states give byte-identical snapshots and a restored state re-snapshots to
exactly the stored bytes. The store keeps the snapshots with who saved them and when; this
module holds the rules.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from crisis.exceptions import FormatError
from crisis.workbench.workspace import Workspace, parse_workspace


def canonical_json(data: Any) -> str:
    """``data`` as canonical JSON text."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def snapshot(workspace: Workspace) -> str:
    """The workspace as a canonical JSON snapshot."""
    return canonical_json(workspace.model_dump(mode="json"))


def restore(snapshot_text: str) -> Workspace:
    """The workspace a snapshot holds.

    Raises:
        FormatError: The snapshot is not JSON.
        ContentError: The JSON is not a valid workspace.
    """
    try:
        data = json.loads(snapshot_text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"snapshot is not JSON: {exc.msg} at line {exc.lineno}") from None
    return parse_workspace(data)


@dataclass(frozen=True)
class Version:
    """One saved state: who saved it, when, why, and the snapshot."""

    number: int
    author: str
    saved_at: dt.datetime
    message: str
    snapshot: str

    @property
    def digest(self) -> str:
        """SHA-256 of the snapshot, to tell whether two versions hold the same state."""
        return hashlib.sha256(self.snapshot.encode("utf-8")).hexdigest()


def new_version(
    workspace: Workspace,
    *,
    number: int,
    author: str,
    message: str = "",
    saved_at: dt.datetime | None = None,
) -> Version:
    """Record the current state of ``workspace`` as version ``number``."""
    return Version(
        number=number,
        author=author,
        saved_at=saved_at or dt.datetime.now(dt.UTC),
        message=message,
        snapshot=snapshot(workspace),
    )


def _flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        out: dict[str, Any] = {}
        for key in sorted(data):
            out.update(_flatten(data[key], f"{prefix}.{key}" if prefix else str(key)))
        return out or {prefix: {}}
    return {prefix: data}


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    flat_a, flat_b = _flatten(before), _flatten(after)
    return [
        {"field": key, "before": flat_a.get(key), "after": flat_b.get(key)}
        for key in sorted(set(flat_a) | set(flat_b))
        if flat_a.get(key) != flat_b.get(key)
    ]


@dataclass
class WorkspaceDiff:
    """What changed between two states, hazard by hazard and round by round."""

    hazards_added: list[str] = field(default_factory=list)
    hazards_removed: list[str] = field(default_factory=list)
    hazards_changed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rounds_added: list[str] = field(default_factory=list)
    rounds_removed: list[str] = field(default_factory=list)
    rounds_changed: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    other: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """True when the two states are the same."""
        return not any(self.__dict__.values())

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return dict(self.__dict__)


def _keyed(items: list[dict[str, Any]], key: str) -> dict[str, dict[str, Any]]:
    return {str(item[key]): item for item in items}


def diff(before: Workspace | str, after: Workspace | str) -> WorkspaceDiff:
    """Compare two states (workspaces or snapshots).

    Hazards are matched by id and rounds by label; within each, changed fields are listed
    with dotted paths (``most_severe.impacts.people``). Lists such as ``sources`` are
    compared whole. Everything else (city name, AHP judgements) goes to ``other``.
    """
    a = json.loads(before if isinstance(before, str) else snapshot(before))
    b = json.loads(after if isinstance(after, str) else snapshot(after))
    result = WorkspaceDiff()
    hazards_a = _keyed(a["register"].pop("hazards"), "id")
    hazards_b = _keyed(b["register"].pop("hazards"), "id")
    result.hazards_added = [h for h in hazards_b if h not in hazards_a]
    result.hazards_removed = [h for h in hazards_a if h not in hazards_b]
    for hazard_id in hazards_a.keys() & hazards_b.keys():
        changes = _changes(hazards_a[hazard_id], hazards_b[hazard_id])
        if changes:
            result.hazards_changed[hazard_id] = changes
    rounds_a = _keyed(a.pop("rounds"), "label")
    rounds_b = _keyed(b.pop("rounds"), "label")
    result.rounds_added = [r for r in rounds_b if r not in rounds_a]
    result.rounds_removed = [r for r in rounds_a if r not in rounds_b]
    for label in rounds_a.keys() & rounds_b.keys():
        changes = _changes(rounds_a[label], rounds_b[label])
        if changes:
            result.rounds_changed[label] = changes
    result.other = _changes(a, b)
    result.hazards_changed = dict(sorted(result.hazards_changed.items()))
    result.rounds_changed = dict(sorted(result.rounds_changed.items()))
    return result
