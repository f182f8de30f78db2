"""Load a catalogue (framework.yaml, profiles.yaml, curriculum.yaml) and check it whole.

Nothing is returned half-loaded: every problem in every file is collected and raised together
as one :class:`~crisis.exceptions.ContentError` whose ``errors`` name file and line.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from crisis.competences.integrity import check_references
from crisis.competences.models import Catalogue, Curriculum, Framework, JobProfile
from crisis.competences.sources import MAX_BYTES, Source, parse_yaml
from crisis.competences.text import LANGUAGES
from crisis.competences.translations import apply as apply_translations
from crisis.exceptions import ContentError, FormatError, LimitExceededError

FILES: tuple[str, ...] = ("framework.yaml", "profiles.yaml", "curriculum.yaml")
#: Optional per-language translation files, relative to the catalogue folder.
TRANSLATION_FILES: tuple[str, ...] = tuple(
    f"translations/{lang}.yaml" for lang in LANGUAGES if lang != "en"
)
_EMPTY: dict[str, bytes] = {
    "profiles.yaml": b"profiles: []\n",
    "curriculum.yaml": b"id: curriculum\ntitle: Curriculum\nmodules: []\n",
}


@dataclass
class Sources:
    """The three parsed files of a catalogue (or ``None`` where one could not be parsed)."""

    framework: Source | None
    profiles: Source | None
    curriculum: Source | None


def bundled_path() -> Path:
    """The folder of the SCRO content shipped with CRISIS."""
    return Path(str(resources.files("crisis.competences") / "data"))


def read_files(files: dict[str, bytes], *, max_bytes: int = MAX_BYTES) -> tuple[Sources, list[str]]:
    """Parse the catalogue files given as ``{name: bytes}``; missing optional files are empty.

    Returns:
        The parsed sources and the errors met while parsing (size, encoding, YAML syntax).
    """
    errors: list[str] = []
    if "framework.yaml" not in files:
        errors.append("framework.yaml: file is missing")
    parsed: dict[str, Source | None] = {}
    for name in FILES:
        data = files.get(name, _EMPTY.get(name))
        if data is None:
            parsed[name] = None
            continue
        try:
            parsed[name] = parse_yaml(data, name, max_bytes=max_bytes)
        except LimitExceededError:
            raise  # past a limit the upload is refused as a whole, naming the limit
        except FormatError as exc:
            errors.append(str(exc))
            parsed[name] = None
    sources = Sources(parsed["framework.yaml"], parsed["profiles.yaml"], parsed["curriculum.yaml"])
    for name in TRANSLATION_FILES:
        if name not in files:
            continue
        try:
            translation = parse_yaml(files[name], name, max_bytes=max_bytes)
        except LimitExceededError:
            raise
        except FormatError as exc:
            errors.append(str(exc))
            continue
        lang = name.removeprefix("translations/").removesuffix(".yaml")
        errors += apply_translations(
            translation, lang, sources.framework, sources.profiles, sources.curriculum
        )
    return sources, errors


def read_folder(path: str | Path, *, max_bytes: int = MAX_BYTES) -> tuple[Sources, list[str]]:
    """Read a catalogue folder; see :func:`read_files`."""
    folder = Path(path)
    if not folder.is_dir():
        raise ContentError(f"{folder}: not a folder with {', '.join(FILES)}")
    files: dict[str, bytes] = {}
    errors: list[str] = []
    for name in (*FILES, *TRANSLATION_FILES):
        file = folder / name
        if file.is_file():
            size = file.stat().st_size
            if size > max_bytes:
                errors.append(
                    f"{name}: file is {size:,} bytes, larger than the limit of {max_bytes:,} bytes"
                )
                continue
            files[name] = file.read_bytes()
    sources, parse_errors = read_files(files, max_bytes=max_bytes)
    oversized = [name for name in FILES if any(e.startswith(f"{name}: file is ") for e in errors)]
    for name in oversized:
        setattr(sources, name.removesuffix(".yaml"), None)
    if "framework.yaml" in oversized:
        parse_errors.remove("framework.yaml: file is missing")
    return sources, errors + parse_errors


def _validate(model: Any, src: Source, errors: list[str], prefix: tuple[Any, ...] = ()) -> Any:
    data = src.data
    if data is None:
        errors.append(f"{src.name}: file is empty")
        return None
    for part in prefix:
        data = data[part]
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors.extend(src.validation_errors(exc, prefix))
        return None


def _profiles(src: Source, errors: list[str]) -> dict[str, JobProfile] | None:
    if not isinstance(src.data, dict) or not isinstance(src.data.get("profiles"), list):
        errors.append(f"{src.where(())}: expected a mapping with a 'profiles' list")
        return None
    extra = sorted(str(key) for key in src.data if key != "profiles")
    if extra:
        errors.append(f"{src.where((extra[0],))}: {extra[0]}: unknown field (check its spelling)")
    before = len(errors)
    count = len(src.data["profiles"])
    profiles = [_validate(JobProfile, src, errors, ("profiles", n)) for n in range(count)]
    if len(errors) > before:
        return None
    return {profile.id: profile for profile in profiles}


def build(sources: Sources, errors: list[str] | None = None) -> Catalogue:
    """Validate parsed sources into a :class:`Catalogue`.

    Raises:
        ContentError: with every problem found, including ``errors`` passed in.
    """
    errors = list(errors or [])
    framework = _validate(Framework, sources.framework, errors) if sources.framework else None
    profiles = _profiles(sources.profiles, errors) if sources.profiles else None
    curriculum = _validate(Curriculum, sources.curriculum, errors) if sources.curriculum else None
    if errors or framework is None or profiles is None or curriculum is None:
        raise _content_error(errors or ["catalogue could not be read"])
    catalogue = Catalogue(framework=framework, profiles=profiles, curriculum=curriculum)
    assert sources.framework and sources.profiles and sources.curriculum
    errors = check_references(catalogue, sources.framework, sources.profiles, sources.curriculum)
    if errors:
        raise _content_error(errors)
    return catalogue


def _content_error(errors: list[str]) -> ContentError:
    noun = "problem" if len(errors) == 1 else "problems"
    return ContentError(f"{len(errors)} {noun} in the catalogue: {errors[0]}", errors=errors)


def load_catalogue(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Catalogue:
    """Load and check a catalogue folder (framework.yaml, profiles.yaml, curriculum.yaml).

    ``profiles.yaml`` and ``curriculum.yaml`` may be absent (then empty).

    Raises:
        ContentError: every problem found, each as ``file:line: field: message``.
    """
    sources, errors = read_folder(path, max_bytes=max_bytes)
    return build(sources, errors)


def load_files(files: dict[str, bytes], *, max_bytes: int = MAX_BYTES) -> Catalogue:
    """Load and check a catalogue given as ``{file name: bytes}`` (an upload, for instance).

    Raises:
        ContentError: every problem found, each as ``file:line: field: message``.
    """
    unknown = sorted(name for name in files if name not in FILES)
    if unknown:
        raise ContentError(
            f"{unknown[0]}: not a catalogue file; expected one of {', '.join(FILES)}",
            errors=[
                f"{name}: not a catalogue file; expected one of {', '.join(FILES)}"
                for name in unknown
            ],
        )
    sources, errors = read_files(files, max_bytes=max_bytes)
    return build(sources, errors)


@cache
def load_bundled() -> Catalogue:
    """The SCRO framework, job profiles and curriculum shipped with CRISIS (loaded once)."""
    return load_catalogue(bundled_path())
