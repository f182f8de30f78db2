from __future__ import annotations

import datetime as dt

import pytest

from crisis.exceptions import ConflictError, SimulationError
from crisis.exercises import bundled
from crisis.exercises.tabletop import (
    check_decision,
    effective,
    new_session,
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
