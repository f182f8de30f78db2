"""Whole-catalogue documents: JSON/YAML export, single-file import, JSON Schema publication."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from crisis.competences.loader import Sources, build
from crisis.competences.models import Catalogue, Curriculum, Framework, JobProfile
from crisis.competences.sources import MAX_BYTES, Source, parse_yaml


class ProfilesFile(BaseModel):
    """The shape of profiles.yaml."""

    profiles: list[JobProfile]


def to_dict(cat: Catalogue) -> dict[str, Any]:
    """The catalogue as plain data in the file format (translations inline)."""
    return {
        "framework": cat.framework.model_dump(mode="json", exclude_none=True),
        "profiles": [p.model_dump(mode="json", exclude_none=True) for p in cat.profiles.values()],
        "curriculum": cat.curriculum.model_dump(mode="json", exclude_none=True),
    }


def export_json(cat: Catalogue) -> str:
    """The catalogue as one JSON document."""
    return json.dumps(to_dict(cat), ensure_ascii=False, indent=2) + "\n"


def export_yaml(cat: Catalogue) -> str:
    """The catalogue as one YAML document."""
    return yaml.safe_dump(to_dict(cat), allow_unicode=True, sort_keys=False, width=100)


def write_folder(cat: Catalogue, folder: str | Path) -> list[Path]:
    """Write framework.yaml, profiles.yaml and curriculum.yaml into ``folder``."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    data = to_dict(cat)
    written = []
    for name, content in (
        ("framework.yaml", data["framework"]),
        ("profiles.yaml", {"profiles": data["profiles"]}),
        ("curriculum.yaml", data["curriculum"]),
    ):
        path = out / name
        path.write_text(
            yaml.safe_dump(content, allow_unicode=True, sort_keys=False, width=100),
            encoding="utf-8",
        )
        written.append(path)
    return written


def import_document(data: bytes, name: str, *, max_bytes: int = MAX_BYTES) -> Catalogue:
    """Load a catalogue exported as one JSON or YAML document (keys framework, profiles,
    curriculum), with the same checks and file:line errors as a folder.

    Raises:
        FormatError: the file cannot be parsed.
        ContentError: every problem found.
    """
    whole = parse_yaml(data, name, max_bytes=max_bytes)  # JSON is YAML
    body = whole.data if isinstance(whole.data, dict) else {}

    def part(key: str, default: Any) -> Source:
        prefix = (key,)
        lines = {k[1:]: v for k, v in whole.lines.items() if k[:1] == prefix}
        lines.setdefault((), whole.lines.get(prefix, 1))
        content = body.get(key, default)
        if key == "profiles" and isinstance(content, list):
            content = {"profiles": content}
            lines = {("profiles", *k): v for k, v in lines.items()} | {(): lines[()]}
        return Source(name, content, lines)

    errors = [] if "framework" in body else [f"{name}:1: the document has no 'framework' key"]
    sources = Sources(
        part("framework", None),
        part("profiles", []),
        part("curriculum", {"id": "curriculum", "title": "Curriculum", "modules": []}),
    )
    return build(sources, errors)


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of the three catalogue files, generated from the models."""
    return {
        "framework.schema.json": Framework.model_json_schema(),
        "profiles.schema.json": ProfilesFile.model_json_schema(),
        "curriculum.schema.json": Curriculum.model_json_schema(),
    }


def write_schemas(folder: str | Path) -> list[Path]:
    """Write the JSON Schemas into ``folder`` (docs/schema in the repository)."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, schema in json_schemas().items():
        path = out / name
        path.write_text(json.dumps(schema, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
