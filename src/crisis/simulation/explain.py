"""Causal chains: why an asset or a district was without service, and since when.

From a traced one-scenario timeline, each outage interval is explained by walking back
through what the asset needed at the hour it stopped::

    District D4 lost water 06:00–41:00
      ← pumping station P7 stopped at 06:00: needs supply from any of S12 — all down
        ← substation S12 damaged by flood (depth 1.20 m); repaired at 41:00
      ← pumping station P7: backup ran out at 06:00 (started 00:00, 6 h)

A source with a finite store (a water tank) that is no longer refilled is told as::

    ← tank T1 ran dry at 11:00: no refill from any of P7, P9 since 00:00 (10.4 h of storage)

Hours are counted from the hazard (00:00); 41:00 is 17:00 on the second day.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy.sparse import csgraph

from crisis.exceptions import SimulationError
from crisis.simulation.cascade import groups_satisfied
from crisis.simulation.city import GROUP_TYPES, SERVICES, City
from crisis.simulation.hazards import Impact
from crisis.simulation.hazards.base import HAZARD_KINDS
from crisis.simulation.recovery import Timeline
from crisis.simulation.results import EnsembleResult

_UNITS = {"earthquake": ("PGA", "g"), "flood": ("depth", "m"), "heatwave": ("excess", "°C")}


def clock(hour: float) -> str:
    """Hours since the hazard as ``HH:00`` (hours may pass 24)."""
    return "end" if not np.isfinite(hour) else f"{int(hour):02d}:00"


@dataclass
class Explanation:
    """Outage intervals of a target with the causal chain of each."""

    target: str
    intervals: list[tuple[int, int]]
    lines: list[str] = field(default_factory=list)

    def text(self) -> str:
        """The explanation as indented lines."""
        return "\n".join(self.lines)


def _intervals(down: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], down.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


class _Walker:
    def __init__(self, city: City, impact: Impact, timeline: Timeline, depth: int) -> None:
        if timeline.working is None or timeline.backup_start is None:
            raise SimulationError("explanations need a traced timeline (simulate(trace=True))")
        self.city, self.impact, self.t = city, impact, timeline
        self.working = timeline.working[:, :, 0]
        self.backup_start = timeline.backup_start[:, 0]
        self.depth = depth

    def name(self, a: int) -> str:
        return f"{self.city.asset_class[a] or 'asset'} {self.city.ids[a]}"

    def why(self, a: int, hour: int, level: int, seen: set[int], out: list[str]) -> None:
        pad = "  " * level + "← "
        if level > self.depth or a in seen:
            return
        seen = seen | {a}
        city, t = self.city, self.t
        done = float(t.completion[a, 0])
        if self.impact.damaged[a, 0] and done > hour:
            kind = HAZARD_KINDS[int(self.impact.cause[a, 0])].replace("none", "the hazard")
            measure = ""
            if kind in _UNITS and np.isfinite(self.impact.intensity[a, 0]):
                label, unit = _UNITS[kind]
                measure = f" ({label} {self.impact.intensity[a, 0]:.2f} {unit})"
            back = f"repaired at {clock(done)}" if np.isfinite(done) else "not repaired in time"
            out.append(f"{pad}{self.name(a)} damaged by {kind}{measure}; {back}")
            return
        stopped = self._stopped_at(a, hour)
        start = float(self.backup_start[a])
        backup_on = not np.isfinite(start) or hour < start + city.backup_hours[a]
        for g in city.groups_of(a):
            members = city.members_of(g)
            if self.working[hour, members].any() or (city.group_backup[g] and backup_on):
                continue
            kind = GROUP_TYPES[int(city.group_type[g])]
            listed = ", ".join(city.ids[m] for m in members[:4])
            more = " …" if members.size > 4 else ""
            if city.group_storage[g]:
                out.append(
                    f"{pad}{self.name(a)} ran dry at {clock(stopped)}: no refill from any of "
                    f"{listed}{more} since {clock(start)} ({city.backup_hours[a]:g} h of storage)"
                )
            else:
                out.append(
                    f"{pad}{self.name(a)} stopped at {clock(stopped)}: needs {kind} from any of "
                    f"{listed}{more} — all down"
                )
            if city.group_backup[g] and not city.group_storage[g] and np.isfinite(start):
                out.append(
                    f"{'  ' * (level + 1)}← backup ran out at "
                    f"{clock(np.ceil(start + city.backup_hours[a]))} "
                    f"(started {clock(start)}, {city.backup_hours[a]:g} h)"
                )
            for m in members[:2]:
                self.why(int(m), hour, level + 1, seen, out)
            return
        blockers = self._cut(a, hour) if city.network[a] >= 0 else []
        if blockers:
            listed = ", ".join(city.ids[b] for b in blockers[:4])
            out.append(
                f"{pad}{self.name(a)} cut off from every source since {clock(stopped)}: "
                f"path blocked at {listed}"
            )
            for b in blockers[:2]:
                self.why(int(b), hour, level + 1, seen, out)
            return
        # Its needs are met only by assets that are down with it: nothing running can
        # restart the loop yet (a black start needs running support).
        out.append(
            f"{pad}{self.name(a)} waiting to restart since {clock(stopped)}: what it "
            "needs is down with it"
        )

    def story(self, a: int, lo: int, level: int, out: list[str], phases: int = 3) -> None:
        """Explain ``a`` from ``lo`` to the end of its outage, one phase per change of cause.

        Causes can change while an asset stays down (a substation is repaired but the line
        feeding it is not), so the chain is told again after each repair or backup event
        that changes it.
        """
        up = np.flatnonzero(self.working[lo:, a])
        end = lo + int(up[0]) if up.size else self.working.shape[0]
        times = self.t.completion[:, 0]
        exhausted = self.backup_start + self.city.backup_hours
        ends = np.ceil(exhausted[np.isfinite(exhausted)])
        marks = np.concatenate([times[np.isfinite(times)], ends])
        checkpoints = np.unique(marks[(marks > lo) & (marks < end)]).astype(int)[:20]
        previous: list[str] = []
        told = 0
        for hour in [lo, *checkpoints.tolist()]:
            lines: list[str] = []
            self.why(a, hour, level, set(), lines)
            if lines == previous:
                continue
            if told == phases:
                out.append(f"{'  ' * level}… (the cause changes again later)")
                return
            if told:
                out.append(f"{'  ' * level}then from {clock(hour)}:")
            out.extend(lines)
            previous = lines
            told += 1

    def _stopped_at(self, a: int, hour: int) -> int:
        up = np.flatnonzero(self.working[: hour + 1, a])
        return int(up[-1] + 1) if up.size else 0

    def _cut(self, a: int, hour: int) -> list[int]:
        """Members that are down for their own reasons and wall ``a`` off from sources.

        Members that are down only because they too are cut off are passable here: the
        part of the network ``a`` reaches through them holds no source, and its border is
        made of members that are damaged or miss something they need.
        """
        city = self.city
        own = self._down_on_their_own(hour)
        same = city.network == city.network[a]
        passable = same & ~own
        passable[a] = True
        nodes = np.flatnonzero(passable)
        sub = city.adjacency[nodes][:, nodes]
        reach = csgraph.breadth_first_order(
            sub, int(nodes.searchsorted(a)), directed=False, return_predecessors=False
        )
        region = nodes[reach]
        border = np.unique(city.adjacency[region].indices)
        down = border[own[border] & same[border]]
        # Keep the walls with a source behind them, not dead ends on the far side.
        beyond = same.copy()
        beyond[region] = False
        keep = np.flatnonzero(beyond)
        _, labels = csgraph.connected_components(city.adjacency[keep][:, keep], directed=False)
        fed = np.zeros(labels.max() + 1 if labels.size else 0, dtype=bool)
        fed[labels[city.source[keep]]] = True
        down = np.asarray([b for b in down if fed[labels[keep.searchsorted(b)]]], dtype=np.intp)
        # A source that stopped (a tank run dry) is the nearest cause: name it first.
        order = np.lexsort((-city.population[down], ~city.source[down]))
        return [int(x) for x in down[order]]

    def _down_on_their_own(self, hour: int) -> npt.NDArray[np.bool_]:
        city = self.city
        damaged = self.t.completion[:, 0] > hour
        working = self.working[hour][:, None]
        start = self.backup_start
        owner = city.group_owner
        bridged = city.group_backup & ~(start[owner] + city.backup_hours[owner] <= hour)
        satisfied = groups_satisfied(city, working)[:, 0] | bridged
        missing = np.zeros(city.n_assets, dtype=bool)
        missing[owner[~satisfied]] = True
        return np.asarray(damaged | missing)


def explain_asset(
    city: City, impact: Impact, timeline: Timeline, asset: str, depth: int = 6
) -> Explanation:
    """Every outage of ``asset`` in a traced one-scenario timeline, with its causes."""
    a = city.asset_index(asset)
    walker = _Walker(city, impact, timeline, depth)
    spans = _intervals(~walker.working[:, a])
    lines = [f"{walker.name(a)} worked throughout"] if not spans else []
    for lo, hi in spans:
        lines.append(f"{walker.name(a)} was out {clock(lo)}–{clock(hi)}")
        walker.story(a, lo, 1, lines)
    return Explanation(asset, spans, lines)


def explain_district(
    city: City,
    impact: Impact,
    timeline: Timeline,
    district: str,
    service: str | None = None,
    depth: int = 6,
) -> Explanation:
    """Every loss of ``service`` (or of any service) in ``district``, with causes."""
    if district not in city.district_ids:
        raise SimulationError(f"unknown district '{district}' in city '{city.name}'")
    if timeline.district_served is None:
        raise SimulationError("explanations need a traced timeline (simulate(trace=True))")
    d = city.district_ids.index(district)
    walker = _Walker(city, impact, timeline, depth)
    services = [service] if service else list(SERVICES)
    lines: list[str] = []
    spans_all: list[tuple[int, int]] = []
    for name in services:
        if name not in SERVICES:
            raise SimulationError(f"field 'service' = {name!r}: expected one of {SERVICES}")
        k = SERVICES.index(name)
        assets = city.link_asset[(city.link_service == k) & (city.link_district == d)]
        if assets.size == 0:
            continue
        share = timeline.district_served[k, :, d, 0]
        for lo, hi in _intervals(share < 1.0 - 1e-6):
            lowest = float(share[lo:hi].min())
            kind = "lost" if lowest <= 1e-6 else f"had {lowest:.0%} of its"
            lines.append(f"District {district} {kind} {name} {clock(lo)}–{clock(hi)}")
            spans_all.append((lo, hi))
            down = [int(x) for x in assets if not walker.working[lo, x]]
            for x in down[:3]:
                walker.story(x, lo, 1, lines)
            if len(down) > 3:
                lines.append(f"  ← and {len(down) - 3} more of its {name} assets")
    if not lines:
        lines.append(f"District {district} kept {service or 'every service'} throughout")
    return Explanation(district, spans_all, lines)


def explain_scenario(
    result: EnsembleResult,
    city: City,
    scenario: int,
    target: str,
    service: str | None = None,
) -> Explanation:
    """Explain ``target`` (a district or asset id) in one scenario of an ensemble result.

    The scenario is re-run with a full trace from the result's seed; ``city`` must be the
    city the ensemble ran on (its interventions are applied again).
    """
    from crisis.simulation.ensemble import replay

    planned, impact, timeline = replay(result, city, scenario)
    if target in planned.district_ids:
        found = explain_district(planned, impact, timeline, target, service)
    elif target in planned.index:
        found = explain_asset(planned, impact, timeline, target)
    else:
        raise SimulationError(
            f"field 'target' = {target!r} is neither a district nor an asset of '{city.name}'"
        )
    found.lines.insert(0, f"Scenario {scenario} of {result.n_scenarios} (seed {result.seed}):")
    return found
