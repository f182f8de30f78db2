"""What the exercise pages share: finding an exercise, the city, map and catalogue data."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from crisis.exceptions import NotFoundError
from crisis.exercises import Exercise, bundled, load_bundled, parse_exercise
from crisis.exercises.citymap import map_data
from crisis.exercises.debrief import catalogue_rows
from crisis.i18n.formats import format_money
from crisis.simulation.city import City
from crisis.simulation.demo import load_city
from crisis.store import exercises as store
from crisis.web.i18n import N_

#: Ensemble sizes a learner may ask for.
SCENARIO_CHOICES: tuple[int, ...] = (50, 100, 200, 500)
#: Words the templates translate from data: hazard kinds, services and run states.
WORDS = (
    N_("flood"),
    N_("earthquake"),
    N_("heatwave"),
    N_("blackout"),
    N_("epidemic"),
    N_("cyber"),
    N_("drought"),
    N_("mobility"),
    N_("running"),
    N_("done"),
    N_("failed"),
)
#: Kinds of asset that measures go on, as reports name them ("substation bus-46").
ASSET_KINDS = (
    N_("substation"),
    N_("hv substation"),
    N_("node"),
    N_("hospital"),
    N_("cell tower"),
    N_("telecom exchange"),
    N_("pump"),
    N_("scada centre"),
    N_("fire station"),
    N_("shelter"),
    N_("reservoir"),
    N_("tank"),
    N_("flood gauge"),
    N_("depot"),
    N_("transformer"),
    N_("bridge"),
    N_("overhead line"),
    N_("intersection"),
    N_("junction"),
)
#: Paths under /exercises that are not exercise ids.
RESERVED = frozenset({"authoring", "tabletop", "runs", "evidence", "new", "import"})


def cache_dir_of(request: Request) -> Path:
    """The installation's cache folder (the demo city is kept there between runs)."""
    folder: Path = request.app.state.settings.effective_cache_dir
    return folder


def city_of(exercise: Exercise, cache_dir: Path | None = None) -> City:
    return load_city(exercise.city, cache_dir=cache_dir)


def find_exercise(db: Session, slug: str) -> Exercise:
    """A bundled or instructor-authored exercise; 404 naming the id otherwise."""
    found = bundled(slug)
    if found is not None:
        return found
    row = store.authored_one(db, slug) if len(slug) <= 64 else None
    if row is None:
        raise NotFoundError(f"there is no exercise '{slug[:64]}'")
    return parse_exercise(row.source, f"{slug}.yaml")


def all_exercises(db: Session) -> list[tuple[Exercise, bool]]:
    """(exercise, authored?) for every exercise, bundled ones first."""
    out: list[tuple[Exercise, bool]] = [(e, False) for e in load_bundled()]
    for row in store.authored(db):
        try:
            out.append((parse_exercise(row.source, f"{row.slug}.yaml"), True))
        except Exception:
            continue
    return out


@functools.lru_cache(maxsize=32)
def _map_json(key: str, exercise_json: str, cache_dir: Path | None) -> str:
    exercise = Exercise.model_validate_json(exercise_json)
    return json.dumps(map_data(city_of(exercise, cache_dir), exercise))


def city_map(exercise: Exercise, cache_dir: Path | None = None) -> dict[str, Any]:
    """Map data of the exercise's city with the hazard's exposure (cached per exercise)."""
    text = exercise.model_dump_json()
    return dict(json.loads(_map_json(exercise.id + str(hash(text)), text, cache_dir)))


def catalogue(exercise: Exercise, lang: str, cache_dir: Path | None = None) -> list[dict[str, Any]]:
    """The measures for the play page: id, title, unit cost, the assets each may go on."""
    rows = catalogue_rows(exercise, city_of(exercise, cache_dir))
    return [
        {
            "id": r["measure"].id,
            "kind": r["measure"].kind,
            "title": r["measure"].title.shown(lang),
            "per_asset": r["measure"].per_asset,
            "cost": r["cost"],
            "assets": r["assets"],
        }
        for r in rows
    ]


def money(value: float) -> str:
    """EUR amounts as people read them: EUR 1,200,000."""
    return f"EUR {value:,.0f}"


def asset_kinds(exercise: Exercise, debrief: dict[str, Any]) -> dict[str, str]:
    """The kind of each asset in the debrief's plans (``{"bus-46": "substation"}``), so that
    pages name an asset by its kind and name rather than by its id alone."""
    city = city_of(exercise)
    out = {}
    for plan in debrief["plans"].values():
        for placement in plan["placements"]:
            asset = placement.get("asset")
            if asset and asset in city.index and city.asset_class[city.index[asset]]:
                out[asset] = city.asset_class[city.index[asset]]
    return out


def money_in(lang: str) -> Callable[[float], str]:
    """Whole euros as readers of ``lang`` write them: €1,200,000 · 1.200.000 € · 1 200 000 €."""
    return lambda value: format_money(value, lang)
