"""Tabletop mode: an instructor releases injects, teams decide under a timer, the model resolves.

A session's state is plain data (stored by the web layer as JSON)::

    {"exercise": "river-flood", "teams": ["Red", "Blue"], "decision_seconds": 120,
     "released": {"gauge-rising": "2026-11-28T09:00:00+00:00"}}

Decisions are ``{team: {inject id: option id}}``. A team decides once per inject, only
after it is released and before its deadline; when the deadline passes undecided, the
inject's default option stands. :func:`resolve` runs each team's decisions through the
simulator on the same scenarios (common random numbers) and compares them with doing
nothing.

**Decisions act from their hour.** The exercise's ``onset_hour`` is the tabletop hour at
which the hazard strikes (the simulation's hour 0). A decision taken at an inject's hour
takes effect ``delay_hours`` later (the option's own delay, e.g. a mobile barrier on its
way), so:

* crews arrive then: local crews and mutual aid become mutual aid whose delay is counted from
  the hazard's onset (``hour + delay_hours + mutual_aid_delay_hours − onset_hour``, at least
  0) — before that they change nothing;
* a backup supply (generator, batteries) counts when it is in place before the asset's own
  backup has run out (``hour + delay_hours − onset_hour ≤`` the asset's backup hours);
  otherwise it comes too late and changes nothing;
* protection of equipment (barriers, raising, retrofits, segmentation) and an early warning
  count only when in place by the onset; after it, the damage is done;
* the simulator keeps one arrival time of mutual aid per sector: with several crews
  decisions for one sector, the last one's arrival applies to all of its mutual aid;
* changes to the hazard are the author's statement of what the decision does to the event
  (e.g. isolating a network at hour 2 slows the attack's spread) and apply as written.

**Cost.** A decision costs its option's ``cost`` when the author set one, else the
simulator's unit costs of its interventions (also when they come too late).

**Ranking.** Teams are ranked by people-hours without service (fewer first); teams within
0.5 % of each other are ranked by cost (lower first); teams equal on both share a rank
(1, 1, 3).

**Improvement plan.** The session's after-action review keeps hot-wash notes and the
improvement plan (HSEEP): each item an action, its owner and its due date, checked by
:func:`improvement_item`.
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
from crisis.simulation.city import City
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
    exercise: Exercise, choices: Mapping[str, str], city: City | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Interventions and hazards that a team's choices make, each from its hour (see the
    module docstring); without ``city``, backups are taken as in time."""
    interventions, hazards, _late = timed_setup(exercise, choices, city)
    return interventions, hazards


def timed_setup(
    exercise: Exercise, choices: Mapping[str, str], city: City | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Like :func:`team_setup`, plus the decisions (or parts) that came too late to act."""
    hazards = [dict(h) for h in exercise.hazards]
    interventions: list[dict[str, Any]] = []
    late: list[dict[str, Any]] = []
    for inject in exercise.injects:
        chosen = choices.get(inject.id)
        if chosen is None:
            continue
        option = next(o for o in inject.options if o.id == chosen)
        after = inject.hour + option.delay_hours - exercise.onset_hour  # simulation hours
        for item in option.interventions:
            timed = _from_hour(dict(item), after, city)
            if timed is None:
                late.append({"inject": inject.id, "option": option.id, "kind": item["kind"]})
            else:
                interventions.extend(timed)
        hazards[option.hazard_index].update(option.hazard)
    return interventions, hazards, late


def _from_hour(
    item: dict[str, Any], after: float, city: City | None
) -> list[dict[str, Any]] | None:
    """The intervention as it acts when it arrives ``after`` hours after the onset (None: too
    late to change anything)."""
    kind = item["kind"]
    if kind == "crews":
        local = int(item.pop("local", 0) or 0)
        aid = int(item.pop("mutual_aid", 0) or 0)
        own = float(item.pop("mutual_aid_delay_hours", None) or 0.0)
        out = []
        if local and after <= 0:
            out.append({**item, "local": local})
        elif local:
            out.append({**item, "mutual_aid": local, "mutual_aid_delay_hours": after})
        if aid:
            out.append({**item, "mutual_aid": aid, "mutual_aid_delay_hours": max(0.0, after + own)})
        return out or [item]
    if after <= 0:
        return [item]
    if kind == "backup":
        if city is None:
            return [item]
        rows = [city.index[a] for a in item.get("assets", []) if a in city.index]
        own_hours = min((float(city.backup_hours[r]) for r in rows), default=0.0)
        return [item] if after <= own_hours else None
    return None


def option_cost(city: City, option: Any) -> float:
    """EUR a decision costs: the option's own cost, else its interventions' unit costs."""
    if option.cost is not None:
        return float(option.cost)
    return float(plan_cost(city, as_plan([dict(i) for i in option.interventions])))


def rank_teams(teams: dict[str, dict[str, Any]], tolerance: float = 0.005) -> None:
    """Set each team's ``rank`` (see the module docstring: people-hours, then cost; equal on
    both: the same rank)."""

    def key(team: str) -> tuple[float, float]:
        return teams[team]["people_hours"], teams[team]["cost"]

    order = sorted(teams, key=key)

    def same(a: str, b: str) -> bool:
        pa, pb = teams[a]["people_hours"], teams[b]["people_hours"]
        return abs(pa - pb) <= tolerance * max(abs(pa), abs(pb), 1.0)

    # Within tolerance on people-hours, the cheaper team goes first.
    groups: list[list[str]] = []
    for team in order:
        if groups and same(groups[-1][0], team):
            groups[-1].append(team)
        else:
            groups.append([team])
    position = 1
    for group in groups:
        group.sort(key=lambda t: teams[t]["cost"])
        previous: str | None = None
        for k, team in enumerate(group):
            if previous is not None and abs(teams[team]["cost"] - teams[previous]["cost"]) < 0.5:
                teams[team]["rank"] = teams[previous]["rank"]
            else:
                teams[team]["rank"] = position + k
            previous = team
        position += len(group)


RANKING_RULE = (
    "fewest people-hours without service first; within 0.5 % of each other, the lower cost "
    "first; equal on both, the same rank"
)


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
        interventions, hazards, late = timed_setup(exercise, mine, city)
        result = run_ensemble(
            city, hazards, n_scenarios, exercise.seed, interventions, scheduler=scheduler
        )
        loss = np.asarray(result.metrics["people_hours"].sum(axis=0))
        cost = 0.0
        for inject in exercise.injects:
            if inject.id in mine:
                option = next(o for o in inject.options if o.id == mine[inject.id])
                cost += option_cost(city, option)
        teams[team] = {
            "choices": dict(mine),
            "people_hours": float(loss.mean()),
            "avoided": base - float(loss.mean()),
            "cost": cost,
            "late": late,
            "served": _served_curve(result),
        }
        report((k + 1) / max(len(choices), 1))
    rank_teams(teams)
    return {
        "nothing": base,
        "nothing_served": _served_curve(nothing),
        "onset_hour": exercise.onset_hour,
        "n_scenarios": n_scenarios,
        "teams": teams,
        "ranking": RANKING_RULE,
    }


def _served_curve(result: Any) -> list[float]:
    """Mean people-weighted share served per simulation hour (all services)."""
    pop = np.asarray(result.population, dtype=np.float64)
    q = np.tensordot(pop, result.served.astype(np.float64), axes=(0, 0)) / max(pop.sum(), 1.0)
    return [float(v) for v in q.mean(axis=1)]


#: Longest text of an improvement item's fields, and most items in a plan.
ITEM_TEXT_MAX = 300
MAX_ITEMS = 40


def improvement_item(form: Mapping[str, Any], today: dt.date) -> dict[str, str]:
    """One improvement-plan item (HSEEP) from a form: ``action``, ``owner``, ``due``
    (ISO date, not before ``today``), optionally the ``objective`` it serves.

    Raises:
        SimulationError: naming the field and the value.
    """
    out: dict[str, str] = {}
    for name in ("action", "owner"):
        value = str(form.get(name) or "").strip()
        if not value:
            raise SimulationError(f"field '{name}': required")
        if len(value) > ITEM_TEXT_MAX:
            raise SimulationError(f"field '{name}': longer than {ITEM_TEXT_MAX} characters")
        out[name] = value
    raw = str(form.get("due") or "").strip()
    try:
        due = dt.date.fromisoformat(raw)
    except ValueError:
        raise SimulationError(f"field 'due' = {raw[:40]!r}: expected a date (YYYY-MM-DD)") from None
    if due < today:
        raise SimulationError(f"field 'due' = {raw!r}: the date has passed")
    out["due"] = due.isoformat()
    objective = str(form.get("objective") or "").strip()
    if objective:
        out["objective"] = objective[:40]
    return out


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
