from __future__ import annotations

import datetime as dt

import pytest

from crisis.exceptions import ConflictError, SimulationError
from crisis.exercises import bundled
from crisis.exercises.tabletop import (
    check_decision,
    effective,
    improvement_item,
    new_session,
    rank_teams,
    release,
    resolve,
    team_setup,
)

FLOOD = bundled("river-flood")
assert FLOOD is not None
T0 = dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC)


def test_a_session_with_two_teams_and_two_injects() -> None:
    state = new_session(FLOOD, ["Red", "Blue"], 60)
    with pytest.raises(ConflictError, match="not been released"):
        check_decision(state, FLOOD, {}, "Red", "gauge-rising", "call-aid", T0)
    release(state, FLOOD, "gauge-rising", T0)
    with pytest.raises(ConflictError, match="already released"):
        release(state, FLOOD, "gauge-rising", T0)
    check_decision(state, FLOOD, {}, "Red", "gauge-rising", "call-aid", T0)
    decided = {"Red": {"gauge-rising": "call-aid"}}
    with pytest.raises(ConflictError, match="already decided"):
        check_decision(state, FLOOD, decided, "Red", "gauge-rising", "wait", T0)
    with pytest.raises(SimulationError, match="no option 'swim'"):
        check_decision(state, FLOOD, decided, "Blue", "gauge-rising", "swim", T0)
    with pytest.raises(SimulationError, match="no team 'Green'"):
        check_decision(state, FLOOD, decided, "Green", "gauge-rising", "wait", T0)
    late = T0 + dt.timedelta(seconds=61)
    with pytest.raises(ConflictError, match=r"time .* is up"):
        check_decision(state, FLOOD, decided, "Blue", "gauge-rising", "wait", late)
    release(state, FLOOD, "substation-water", late)
    decided["Red"]["substation-water"] = "mobile-barrier"
    choices = effective(state, FLOOD, decided, late)
    # Blue missed the first timer: the default option stands; the second is still open.
    assert choices == {
        "Red": {"gauge-rising": "call-aid", "substation-water": "mobile-barrier"},
        "Blue": {"gauge-rising": "wait"},
    }
    interventions, _hazards = team_setup(FLOOD, choices["Red"])
    assert [i["kind"] for i in interventions] == ["crews", "flood_protect"]
    outcome = resolve(FLOOD, choices, n_scenarios=20)
    assert outcome["teams"]["Red"]["avoided"] > 0 == outcome["teams"]["Blue"]["avoided"]
    assert outcome["teams"]["Red"]["rank"] == 1


def test_session_settings_are_checked() -> None:
    with pytest.raises(SimulationError, match="same name"):
        new_session(FLOOD, ["Red", "red"], 60)
    with pytest.raises(SimulationError, match="15 … 3600"):
        new_session(FLOOD, ["Red"], 5)
    with pytest.raises(SimulationError, match="1 to 12"):
        new_session(FLOOD, [" "], 60)


def test_an_inject_at_hour_9_changes_nothing_before_hour_9() -> None:
    # The hazard strikes at the tabletop's hour 0, so the simulation's hours are the session's.
    at_once = FLOOD.model_copy(update={"onset_hour": 0})
    hold = {"substation-water": "hold"}
    crew = {"substation-water": "switch-load"}
    barrier = {"substation-water": "mobile-barrier"}
    out = resolve(at_once, {"hold": hold, "crew": crew, "barrier": barrier}, n_scenarios=20)
    teams = out["teams"]
    before = slice(0, 9)
    assert teams["crew"]["served"][before] == teams["hold"]["served"][before]
    # From hour 9 the extra crew is there and repairs go faster.
    assert teams["crew"]["served"][9:] != teams["hold"]["served"][9:]
    assert teams["crew"]["avoided"] > teams["hold"]["avoided"]
    # A barrier arriving after the water changes nothing at all, and is said to be late;
    # it is still paid for.
    assert teams["barrier"]["served"] == teams["hold"]["served"]
    assert teams["barrier"]["late"] == [
        {"inject": "substation-water", "option": "mobile-barrier", "kind": "flood_protect"}
    ]
    assert teams["barrier"]["cost"] > 0 == teams["hold"]["cost"]
    # As bundled, the crest arrives at hour 12: the barrier sent at hour 9 (two hours on the
    # road) is in place in time.
    interventions, _ = team_setup(FLOOD, barrier)
    assert [i["kind"] for i in interventions] == ["flood_protect"]


def test_mutual_aid_is_counted_from_the_decision() -> None:
    # Called at hour 4, arriving 12 hours later: 4 hours after the crest (hour 12).
    interventions, _ = team_setup(FLOOD, {"gauge-rising": "call-aid"})
    assert interventions == [
        {"kind": "crews", "sector": "power", "mutual_aid": 4, "mutual_aid_delay_hours": 4.0}
    ]


def test_ties_are_ranked_by_cost_then_shared() -> None:
    teams = {
        "A": {"people_hours": 1000.0, "cost": 200.0},
        "B": {"people_hours": 1003.0, "cost": 100.0},
        "C": {"people_hours": 1003.0, "cost": 100.0},
        "D": {"people_hours": 900.0, "cost": 500.0},
    }
    rank_teams(teams)
    assert {t: v["rank"] for t, v in teams.items()} == {"D": 1, "B": 2, "C": 2, "A": 4}


def test_improvement_items_are_checked() -> None:
    today = dt.date(2026, 3, 1)
    item = improvement_item(
        {"action": " Buy a second mobile barrier ", "owner": "Utility", "due": "2026-06-30"},
        today,
    )
    assert item == {
        "action": "Buy a second mobile barrier",
        "owner": "Utility",
        "due": "2026-06-30",
    }
    for form, message in (
        ({"owner": "x", "due": "2026-06-30"}, "field 'action': required"),
        ({"action": "x", "owner": "y", "due": "30/06/2026"}, "expected a date"),
        ({"action": "x", "owner": "y", "due": "2025-01-01"}, "the date has passed"),
        ({"action": "x" * 301, "owner": "y", "due": "2026-06-30"}, "longer than 300"),
    ):
        with pytest.raises(SimulationError, match=message):
            improvement_item(form, today)
