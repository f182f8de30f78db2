"""Causal chains: why an asset or a district was without service, and since when.

From a traced one-scenario timeline, each outage is explained by walking back through what
the asset needed at the hour it stopped::

    District D4 lost water 06:00–41:00
      ← pumping station P7 stopped at 06:00: needs supply from any of S12 — all down
        ← backup ran out at 06:00 (draining since 00:00, 6 h)
        ← substation S12 damaged by flood (depth 1.20 m); repaired at 41:00

A source with a finite store (a water tank) that is no longer refilled is told as::

    ← tank T1 ran dry at 11:00: no refill from any of P7, P9 since 00:00 (10.4 h of storage)

Every cause is read at the hour of its effect: a line says why an asset was down at a given
hour, and the lines under it name assets that were down at that same hour, for reasons that
began no later. When the cause changes while an asset stays down (a substation is repaired
but the line feeding it is not), the chain is told again from that hour. The chain is also
kept as a tree of :class:`Cause` records, which the tests walk.

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
class Cause:
    """Why ``asset`` was down at ``hour``; ``since`` is when it went down.

    ``kind`` is ``out`` (damaged, flooded, switched off by the hazard), ``needs`` (a
    dependency group with no running member), ``dry`` (a store ran empty), ``cut`` (no path
    to a source) or ``waiting`` (its needs are down with it). ``began`` is when the cause
    began (the outage, the store running empty, the last blocker going down): never after
    ``hour``. ``members`` are the assets the cause names; ``children`` explain them, each
    at this same ``hour``.
    """

    asset: int
    hour: int
    since: int
    kind: str
    began: int
    text: str
    members: list[int] = field(default_factory=list)
    children: list[Cause] = field(default_factory=list)

    def signature(self) -> tuple[object, ...]:
        """What the cause is, without the hour it is told for."""
        return (
            self.asset,
            self.kind,
            self.began,
            tuple(self.members),
            tuple(c.signature() for c in self.children),
        )

    def walk(self) -> list[Cause]:
        """This cause and every cause under it."""
        out = [self]
        for child in self.children:
            out.extend(child.walk())
        return out


@dataclass
class Explanation:
    """Outage intervals of a target with the causal chain of each."""

    target: str
    intervals: list[tuple[int, int]]
    lines: list[str] = field(default_factory=list)
    causes: list[Cause] = field(default_factory=list)

    def text(self) -> str:
        """The explanation as indented lines."""
        return "\n".join(self.lines)


def _intervals(down: npt.NDArray[np.bool_]) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], down.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


class _Stores:
    """Store levels over time, from the trace's store events."""

    def __init__(self, city: City, events: list[tuple[int, int, int, float]]) -> None:
        from crisis.simulation import flat

        self.st = flat.structure(city)
        self.by_owner: dict[int, list[tuple[int, int, float]]] = {}
        for hour, owner, kind, left in events:
            self.by_owner.setdefault(int(owner), []).append((int(hour), int(kind), float(left)))

    def level(self, owner: int, hour: int) -> float:
        """Hours left at the start of ``hour``."""
        full = float(self.st.store_hours[owner])
        mode, since, left = 0, 0, full
        for t, kind, value in self.by_owner.get(owner, []):
            if t > hour or (t == hour and kind != 3):
                break  # drain/refill changes act from the end of their hour
            if kind == 1:
                mode, since, left = 1, t, value
            elif kind == 2:
                mode, since, left = 2, t, value
            elif kind == 3:
                since, left = t, value
                mode = 1 if mode == 1 else 0
        if mode == 1:
            return max(left - (hour - since), 0.0)
        if mode == 2:
            return min(full, left + (hour - since) * float(self.st.refill_rate[owner]))
        return left

    def drained(self, owner: int, hour: int) -> tuple[int, int]:
        """``(hour it last began draining, hour it ran empty)`` up to ``hour``."""
        start, empty = 0, hour
        for t, kind, _ in self.by_owner.get(owner, []):
            if t > hour:
                break
            if kind in (1, 3):
                start = t
            if kind == 4:
                empty = t
        return start, empty


class _Walker:
    def __init__(self, city: City, impact: Impact, timeline: Timeline, depth: int) -> None:
        if timeline.working is None or not timeline.stores:
            raise SimulationError("explanations need a traced timeline (simulate(trace=True))")
        self.city, self.impact, self.t = city, impact, timeline
        self.working = timeline.working[:, :, 0]
        self.stores = _Stores(city, timeline.stores[0])
        self.depth = depth
        self._own: dict[int, npt.NDArray[np.bool_]] = {}  # _down_on_their_own by hour
        self._parts: dict[tuple[int, int], tuple[npt.NDArray[np.intp], npt.NDArray[np.int32]]]
        self._parts = {}  # _passable_parts by hour and network
        self._walls: dict[tuple[int, ...], list[int]] = {}  # _cut by hour, network and part
        n = city.n_assets
        self.out_from = np.full(n, np.inf)
        self.out_until = np.zeros(n)
        self.entry = np.full(n, -1, dtype=np.int64)
        lo, hi = int(impact.ptr[0]), int(impact.ptr[1])
        for i in range(lo, hi):
            a = int(impact.asset[i])
            self.entry[a] = i
            self.out_from[a] = float(impact.down[i])
            back = np.ceil(timeline.up[i])
            self.out_until[a] = back if back < timeline.horizon else np.inf

    def name(self, a: int) -> str:
        return f"{self.city.asset_class[a] or 'asset'} {self.city.ids[a]}"

    def is_out(self, a: int, hour: int) -> bool:
        return bool(self.out_from[a] <= hour < self.out_until[a])

    def bridged(self, g: int, hour: int) -> bool:
        city = self.city
        owner = int(city.group_owner[g])
        return bool(
            self.stores.st.bridgeable[g]
            and self.stores.st.store_kind[owner] != 0
            and self.stores.level(owner, hour) > 0
        )

    def _met(self, g: int, hour: int) -> bool:
        members = self.city.members_of(g)
        return bool(self.working[hour, members].any() or self.bridged(g, hour))

    def stopped_at(self, a: int, hour: int) -> int:
        up = np.flatnonzero(self.working[: hour + 1, a])
        return int(up[-1] + 1) if up.size else 0

    def why(self, a: int, hour: int, level: int, seen: set[int]) -> Cause | None:
        """The cause of ``a`` being down at ``hour`` (``None`` past the depth or a loop)."""
        if level > self.depth or a in seen:
            return None
        seen = seen | {a}
        city = self.city
        since = self.stopped_at(a, hour)
        if self.is_out(a, hour):
            return self._outage(a, hour, since)
        unmet = [g for g in city.groups_of(a) if not self._met(g, hour)]
        # The group that already stopped it, if it still holds it down, tells it best.
        unmet.sort(key=lambda g: self._met(g, since))
        for g in unmet[:1]:
            members = city.members_of(g)
            first = not self._met(g, since)
            kind = GROUP_TYPES[int(city.group_type[g])]
            listed = ", ".join(city.ids[m] for m in members[:4])
            more = " …" if members.size > 4 else ""
            began = max(self.stopped_at(int(m), hour) for m in members)
            cause = Cause(a, hour, since, "needs", began, "", [int(m) for m in members])
            if city.group_storage[g]:
                start, empty = self.stores.drained(a, hour)
                cause.kind, cause.began = "dry", max(empty, began)
                cause.text = (
                    f"{self.name(a)} ran dry at {clock(empty)}: no refill from any of "
                    f"{listed}{more} since {clock(start)} "
                    f"({city.backup_hours[a]:g} h of storage)"
                )
            else:
                head = f"stopped at {clock(since)}" if first else f"down since {clock(since)}"
                cause.text = (
                    f"{self.name(a)} {head}: needs {kind} from any of {listed}{more} — all down"
                )
                if self.stores.st.bridgeable[g] and self.stores.st.store_kind[a] != 0:
                    start, empty = self.stores.drained(a, hour)
                    cause.children.append(
                        Cause(
                            a,
                            hour,
                            since,
                            "dry",
                            empty,
                            f"backup ran out at {clock(empty)} (draining since "
                            f"{clock(start)}, {city.backup_hours[a]:g} h)",
                        )
                    )
            for m in members[:2]:
                child = self.why(int(m), hour, level + 1, seen)
                if child is not None:
                    cause.children.append(child)
            return cause
        blockers = self._cut(a, hour) if city.network[a] >= 0 else []
        if blockers:
            listed = ", ".join(city.ids[b] for b in blockers[:4])
            began = max(self.stopped_at(b, hour) for b in blockers)
            cause = Cause(
                a,
                hour,
                since,
                "cut",
                began,
                f"{self.name(a)} cut off from every source since {clock(began)}: "
                f"path blocked at {listed}",
            )
            cause.members = blockers[:4]
            for b in blockers[:2]:
                child = self.why(int(b), hour, level + 1, seen)
                if child is not None:
                    cause.children.append(child)
            return cause
        # Its needs are met only by assets that are down with it: nothing running can
        # restart the loop yet (a black start needs running support).
        return Cause(
            a,
            hour,
            since,
            "waiting",
            since,
            f"{self.name(a)} waiting to restart since {clock(since)}: what it needs is "
            "down with it",
        )

    def _outage(self, a: int, hour: int, since: int) -> Cause:
        impact = self.impact
        i = int(self.entry[a])
        kind = HAZARD_KINDS[int(impact.cause_code[i])].replace("none", "the hazard")
        measure = ""
        value = float(impact.value[i])
        if kind in _UNITS and np.isfinite(value):
            label, unit = _UNITS[kind]
            measure = f" ({label} {value:.2f} {unit})"
        began = int(self.out_from[a])
        at = f" at {clock(began)}" if began > 0 else ""
        back = self.out_until[a]
        if not impact.is_damage[i]:
            text = f"{self.name(a)} under water{measure} from {clock(began)} until {clock(back)}"
        else:
            verb = "out" if kind == "outage" else f"damaged by {kind}"
            done = f"repaired at {clock(back)}" if np.isfinite(back) else "not repaired in time"
            if not impact.needs_crew[i] and kind != "outage":
                done = f"back at {clock(back)}" if np.isfinite(back) else "not back in time"
            text = f"{self.name(a)} {verb}{measure}{at}; {done}"
        return Cause(a, hour, since, "out", began, text)

    def render(self, cause: Cause, level: int, out: list[str]) -> None:
        out.append(f"{'  ' * level}← {cause.text}")
        for child in cause.children:
            self.render(child, level + 1, out)

    def story(
        self, a: int, lo: int, level: int, out: list[str], causes: list[Cause], phases: int = 3
    ) -> None:
        """Explain ``a`` from ``lo`` to the end of its outage, one phase per change of cause.

        Causes can change while an asset stays down (a substation is repaired but the line
        feeding it is not), so the chain is told again after each event that changes it.
        """
        up = np.flatnonzero(self.working[lo:, a])
        end = lo + int(up[0]) if up.size else self.working.shape[0]
        marks = np.concatenate(
            [
                self.out_until[np.isfinite(self.out_until)],
                self.out_from[np.isfinite(self.out_from)],
                np.asarray([e[0] for e in self.t.stores[0]], dtype=float),
            ]
        )
        checkpoints = np.unique(marks[(marks > lo) & (marks < end)]).astype(int)[:20]
        previous: tuple[object, ...] | None = None
        told = 0
        for hour in [lo, *checkpoints.tolist()]:
            cause = self.why(a, int(hour), level, set())
            if cause is None:
                continue
            if cause.signature() == previous:
                continue
            if told == phases:
                out.append(f"{'  ' * level}… (the cause changes again later)")
                return
            if told:
                out.append(f"{'  ' * level}then from {clock(hour)}:")
            self.render(cause, level, out)
            causes.append(cause)
            previous = cause.signature()
            told += 1

    def _cut(self, a: int, hour: int) -> list[int]:
        """Members that are down for their own reasons and wall ``a`` off from sources.

        Members that are down only because they too are cut off are passable here: the
        part of the network ``a`` reaches through them holds no source, and its border is
        made of members that are damaged or miss something they need.
        """
        city = self.city
        net = int(city.network[a])
        own = self._down_on_their_own(hour)
        same = city.network == net
        nodes, labels = self._passable_parts(hour, net)
        if own[a]:
            # ``a`` is itself a wall: its region is it and the parts it touches.
            near = city.adjacency[a].indices
            near = near[same[near] & ~own[near]]
            parts = np.unique(labels[nodes.searchsorted(near)])
            region = np.concatenate([[a], nodes[np.isin(labels, parts)]]).astype(np.intp)
            key: tuple[int, ...] = (hour, net, -1 - a)
        else:
            part = int(labels[nodes.searchsorted(a)])
            region = nodes[labels == part]
            key = (hour, net, part)
        if key not in self._walls:
            self._walls[key] = self._find_walls(region, same, own)
        return self._walls[key]

    def _passable_parts(
        self, hour: int, net: int
    ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int32]]:
        """Members of network ``net`` not down on their own at ``hour`` and the connected
        part each belongs to (worked out once per hour and network)."""
        if (hour, net) not in self._parts:
            city = self.city
            passable = (city.network == net) & ~self._down_on_their_own(hour)
            nodes = np.flatnonzero(passable)
            sub = city.adjacency[nodes][:, nodes]
            _, labels = csgraph.connected_components(sub, directed=False)
            self._parts[(hour, net)] = (nodes, labels)
        return self._parts[(hour, net)]

    def _find_walls(
        self,
        region: npt.NDArray[np.intp],
        same: npt.NDArray[np.bool_],
        own: npt.NDArray[np.bool_],
    ) -> list[int]:
        city = self.city
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
        if hour not in self._own:
            self._own[hour] = self._find_down_on_their_own(hour)
        return self._own[hour]

    def _find_down_on_their_own(self, hour: int) -> npt.NDArray[np.bool_]:
        city = self.city
        damaged = (self.out_from <= hour) & (hour < self.out_until)
        working = self.working[hour][:, None]
        bridged = np.asarray([self.bridged(g, hour) for g in range(city.n_groups)], dtype=bool)
        satisfied = groups_satisfied(city, working)[:, 0] | bridged
        missing = np.zeros(city.n_assets, dtype=bool)
        missing[city.group_owner[~satisfied]] = True
        return np.asarray(damaged | missing)


def explain_asset(
    city: City, impact: Impact, timeline: Timeline, asset: str, depth: int = 6
) -> Explanation:
    """Every outage of ``asset`` in a traced one-scenario timeline, with its causes."""
    a = city.asset_index(asset)
    walker = _Walker(city, impact, timeline, depth)
    spans = _intervals(~walker.working[:, a])
    lines = [f"{walker.name(a)} worked throughout"] if not spans else []
    causes: list[Cause] = []
    for lo, hi in spans:
        lines.append(f"{walker.name(a)} was out {clock(lo)}–{clock(hi)}")
        walker.story(a, lo, 1, lines, causes)
    return Explanation(asset, spans, lines, causes)


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
    causes: list[Cause] = []
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
                walker.story(x, walker.stopped_at(x, lo), 1, lines, causes)
            if len(down) > 3:
                lines.append(f"  ← and {len(down) - 3} more of its {name} assets")
    if not lines:
        lines.append(f"District {district} kept {service or 'every service'} throughout")
    return Explanation(district, spans_all, lines, causes)


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
