"""Tabletop mode: an instructor releases injects, teams decide under a timer, the model resolves.

A session's state is plain data (stored by the web layer as JSON)::

    {"exercise": "river-flood", "teams": ["Red", "Blue"], "decision_seconds": 120,
     "released": {"gauge-rising": "2026-11-28T09:00:00+00:00"}}

Decisions are ``{team: {inject id: option id}}``. A team decides once per inject, only
after it is released and before its deadline; when the deadline passes undecided, the
inject's default option stands. :func:`resolve` runs each team's decisions through the
simulator on the same scenarios (common random numbers) and compares them with doing
nothing: a decision's interventions are applied to the whole run and its hazard changes to
the hazard, which is how the simulator expresses "what if the city had acted".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from crisis.exceptions import ConflictError, SimulationError
from crisis.exercises.models import Exercise
from crisis.simulation import run_ensemble
from crisis.simulation.demo import load_city
from crisis.simulation.interventions import as_plan, plan_cost

Decisions = dict[str, dict[str, str]]
#: Limits of a session.
MAX_TEAMS = 12
TEAM_NAME_MAX = 40


def new_session(exercise: Exercise, teams: list[str], decision_seconds: int) -> dict[str, Any]:
    """A fresh session state; team names are trimmed, unique and 1–12 of them."""
    names = [t.strip() for t in teams if t.strip()]
    if not exercise.injects:
        raise SimulationError(f"exercise '{exercise.id}' has no injects to run as a tabletop")
    if not 1 <= len(names) <= MAX_TEAMS:
        raise SimulationError(f"field 'teams': give 1 to {MAX_TEAMS} team names")
    if len(set(n.lower() for n in names)) != len(names):
        raise SimulationError("field 'teams': two teams have the same name")
    long = [n for n in names if len(n) > TEAM_NAME_MAX]
    if long:
        raise SimulationError(f"field 'teams': '{long[0][:50]}' is longer than {TEAM_NAME_MAX}")
    if not 15 <= decision_seconds <= 3600:
        raise SimulationError(
            f"field 'decision_seconds' = {decision_seconds}: expected 15 … 3600 seconds"
        )
    return {
        "exercise": exercise.id,
        "teams": names,
        "decision_seconds": int(decision_seconds),
        "released": {},
    }


def release(state: dict[str, Any], exercise: Exercise, inject_id: str, now: dt.datetime) -> None:
    """Release an inject to every team now (in place)."""
    exercise.inject(inject_id)
    if inject_id in state["released"]:
        raise ConflictError(f"inject '{inject_id}' was already released")
    state["released"][inject_id] = now.isoformat()


def deadline(state: Mapping[str, Any], inject_id: str) -> dt.datetime | None:
    """When decisions on ``inject_id`` close (None if not released)."""
    at = state["released"].get(inject_id)
    if at is None:
        return None
    return dt.datetime.fromisoformat(at) + dt.timedelta(seconds=state["decision_seconds"])


def check_decision(
    state: Mapping[str, Any],
    exercise: Exercise,
    decisions: Decisions,
    team: str,
    inject_id: str,
    option_id: str,
    now: dt.datetime,
) -> None:
    """Raise unless ``team`` may choose ``option_id`` for ``inject_id`` now."""
    if team not in state["teams"]:
        raise SimulationError(f"there is no team '{team}' in this session")
    inject = exercise.inject(inject_id)
    if option_id not in {o.id for o in inject.options}:
        raise SimulationError(f"inject '{inject_id}' has no option '{option_id}'")
    closes = deadline(state, inject_id)
    if closes is None:
        raise ConflictError(f"inject '{inject_id}' has not been released yet")
    if now > closes:
        raise ConflictError(f"the time for inject '{inject_id}' is up; the default stands")
    if inject_id in decisions.get(team, {}):
        raise ConflictError(f"team '{team}' has already decided on inject '{inject_id}'")


def effective(
    state: Mapping[str, Any], exercise: Exercise, decisions: Decisions, now: dt.datetime
) -> Decisions:
    """Each team's choices: its own, or the default for released injects whose time is up."""
    out: Decisions = {}
    for team in state["teams"]:
        mine = dict(decisions.get(team, {}))
        for inject in exercise.injects:
            closes = deadline(state, inject.id)
            if inject.id not in mine and closes is not None and now > closes:
                mine[inject.id] = inject.default_option.id
        out[team] = mine
    return out


def team_setup(
    exercise: Exercise, choices: Mapping[str, str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Interventions and hazards that a team's choices make."""
    hazards = [dict(h) for h in exercise.hazards]
    interventions: list[dict[str, Any]] = []
    for inject in exercise.injects:
        chosen = choices.get(inject.id)
        if chosen is None:
            continue
        option = next(o for o in inject.options if o.id == chosen)
        interventions.extend(dict(i) for i in option.interventions)
        hazards[option.hazard_index].update(option.hazard)
    return interventions, hazards


def resolve(
    exercise: Exercise,
    choices: Mapping[str, Mapping[str, str]],
    n_scenarios: int = 100,
    progress: Callable[[float], None] | None = None,
    *,
    cache_dir: Path | None = None,
    scheduler: Any = None,
) -> dict[str, Any]:
    """Every team's outcome against doing nothing on the same scenarios.

    Args:
        cache_dir: The installation's cache folder (the demo city).
        scheduler: Where the ensembles run (see :func:`crisis.simulation.run_ensemble`).
    """
    city = load_city(exercise.city, cache_dir=cache_dir)
    report = progress or (lambda _f: None)
    nothing = run_ensemble(city, exercise.hazards, n_scenarios, exercise.seed, scheduler=scheduler)
    base = float(nothing.metrics["people_hours"].sum(axis=0).mean())
    teams: dict[str, Any] = {}
    for k, (team, mine) in enumerate(choices.items()):
        interventions, hazards = team_setup(exercise, mine)
        result = run_ensemble(
            city, hazards, n_scenarios, exercise.seed, interventions, scheduler=scheduler
        )
        loss = np.asarray(result.metrics["people_hours"].sum(axis=0))
        teams[team] = {
            "choices": dict(mine),
            "people_hours": float(loss.mean()),
            "avoided": base - float(loss.mean()),
            "cost": plan_cost(city, as_plan(interventions)),
        }
        report((k + 1) / max(len(choices), 1))
    ranked = sorted(teams, key=lambda t: teams[t]["people_hours"])
    for rank, team in enumerate(ranked, start=1):
        teams[team]["rank"] = rank
    return {"nothing": base, "n_scenarios": n_scenarios, "teams": teams}


def resolve_tabletop_job(
    params: dict[str, Any], progress: Callable[[float], None]
) -> dict[str, Any]:
    """Background-job entry point: ``params`` = ``{exercise, choices, scenarios}`` (the job
    runner adds ``cache_dir`` and ``scheduler``)."""
    exercise = Exercise.model_validate(params["exercise"])
    return resolve(
        exercise,
        params["choices"],
        int(params.get("scenarios", 100)),
        progress,
        cache_dir=params.get("cache_dir"),
        scheduler=params.get("scheduler"),
    )
