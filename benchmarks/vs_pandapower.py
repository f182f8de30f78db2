"""CRISIS vs pandapower: Monte Carlo of line outages on mv_oberrhein.

Three ways get the same scenarios (by default 200, each with 5 % of the lines out, drawn
with a fixed seed):

* **pandapower**, in its fastest fair form: one net, the scenario's lines switched out of
  service in place, ``pandapower.topology.unsupplied_buses``, the lines switched back (no
  copy of the net per scenario);
* **a scipy floor**: pandapower's own bus–branch graph (``create_nxgraph``, built once) as
  edge arrays; per scenario, the out-of-service lines' edges dropped and
  ``scipy.sparse.csgraph.connected_components`` run — about the least any tool can do in
  Python per scenario;
* **CRISIS**: the net imported once, its cascade run on all scenarios at once.

Every side is timed over ``--runs`` runs (at least 3); min and median per scenario are
printed with the ratios of the medians. The unsupplied buses of all three are compared
scenario by scenario; the script exits 1 if they differ anywhere.

    python benchmarks/vs_pandapower.py [--scenarios 200] [--share 0.05] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from crisis.simulation.cascade import cascade
from crisis.simulation.importers import from_pandapower


def timed(work: Callable[[], object], runs: int) -> tuple[list[float], object]:
    """Wall seconds of ``runs`` calls of ``work`` and the last call's answer."""
    seconds = []
    answer: object = None
    for _ in range(runs):
        start = time.perf_counter()
        answer = work()
        seconds.append(time.perf_counter() - start)
    return seconds, answer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--share", type=float, default=0.05, help="share of lines out")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per side (≥ 3)")
    args = parser.parse_args()
    runs = max(3, args.runs)

    import pandapower.networks as pn
    import pandapower.topology as top

    net = pn.mv_oberrhein()
    city = from_pandapower(net, name="mv_oberrhein")
    rng = np.random.default_rng(args.seed)
    lines = net.line.index.to_numpy()
    outages = [lines[rng.random(lines.size) < args.share] for _ in range(args.scenarios)]
    damaged = np.zeros((city.n_assets, args.scenarios), dtype=bool)
    for s, out in enumerate(outages):
        for line in out:
            if f"line-{line}" in city.index:  # lines cut by open switches are not in the city
                damaged[city.index[f"line-{line}"], s] = True
    print(
        f"mv_oberrhein: {len(net.bus)} buses, {len(lines)} lines; "
        f"{args.scenarios} scenarios with {args.share:.0%} of lines out; {runs} runs per side"
    )

    def pandapower_in_place() -> list[set[int]]:
        found = []
        for out in outages:
            net.line.loc[out, "in_service"] = False
            try:
                found.append({int(b) for b in top.unsupplied_buses(net)})
            finally:
                net.line.loc[out, "in_service"] = True
        return found

    # The scipy floor: pandapower's graph once, as arrays (an edge per branch element).
    graph = top.create_nxgraph(net, respect_switches=True)
    buses = np.asarray(sorted(graph.nodes), dtype=np.int64)
    where = {int(b): i for i, b in enumerate(buses)}
    u, v, line_of = [], [], []
    for a, b, key in graph.edges(keys=True):
        u.append(where[int(a)])
        v.append(where[int(b)])
        line_of.append(int(key[1]) if key[0] == "line" else -1)
    eu, ev, e_line = np.asarray(u), np.asarray(v), np.asarray(line_of)
    slack = np.zeros(buses.size, dtype=bool)
    roots = net.ext_grid[net.ext_grid.in_service].bus.tolist()
    roots += net.gen[net.gen.in_service & net.gen.slack].bus.tolist()
    for bus in roots:
        if int(bus) in where:
            slack[where[int(bus)]] = True

    # Per edge, the position of its line in net.line (-1: not a line), for a mask lookup.
    position = {int(x): i for i, x in enumerate(lines)}
    e_pos = np.asarray([position.get(int(x), -1) for x in e_line] if e_line.size else [])
    e_pos = np.where(e_line >= 0, e_pos, lines.size)  # non-line edges look at a False slot
    masks = [np.isin(lines, out) for out in outages]  # the scenarios, as line masks
    ones = np.ones(eu.size, dtype=np.int8)

    def scipy_floor() -> list[set[int]]:
        found = []
        out_of_service = np.zeros(lines.size + 1, dtype=bool)
        for mask in masks:
            out_of_service[:-1] = mask
            keep = ~out_of_service[e_pos]
            adjacency = sparse.csr_matrix(
                (ones[keep], (eu[keep], ev[keep])), shape=(buses.size, buses.size)
            )
            _, label = csgraph.connected_components(adjacency, directed=False)
            fed = np.zeros(label.max() + 1, dtype=bool)
            fed[label[slack]] = True
            found.append({int(b) for b in buses[~fed[label]]})
        return found

    cascade(city, damaged[:, :4])  # compile / warm caches outside the timing
    theirs, expected = timed(pandapower_in_place, runs)
    floor, floored = timed(scipy_floor, runs)
    ours, working = timed(lambda: cascade(city, damaged), runs)

    rows = {int(b): city.index[f"bus-{b}"] for b in net.bus.index}
    assert isinstance(working, np.ndarray)
    crisis = [{b for b, row in rows.items() if not working[row, s]} for s in range(args.scenarios)]
    same = crisis == expected == floored
    hit = sum(bool(e) for e in expected)  # type: ignore[union-attr]
    n = args.scenarios

    def line(label: str, seconds: list[float]) -> None:
        low, mid = min(seconds) / n * 1e3, statistics.median(seconds) / n * 1e3
        print(f"{label:<42} min {low:8.3f}  median {mid:8.3f} ms/scenario")

    line("pandapower unsupplied_buses (in place)", theirs)
    line("scipy connected_components loop (floor)", floor)
    line("CRISIS cascade (all scenarios at once)", ours)
    print(
        f"same unsupplied buses in every scenario, all three: {'yes' if same else 'NO'} "
        f"({hit} of {n} scenarios leave buses unsupplied)"
    )
    med = statistics.median
    print(
        f"ratio of medians: pandapower / CRISIS {med(theirs) / med(ours):.0f}×, "
        f"scipy floor / CRISIS {med(floor) / med(ours):.1f}×, "
        f"pandapower / scipy floor {med(theirs) / med(floor):.0f}×"
    )
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
