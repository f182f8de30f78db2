"""CRISIS vs pandapower: Monte Carlo of line outages on mv_oberrhein.

Both sides get the same scenarios (by default 200, each with 5 % of the lines out, drawn
with a fixed seed). pandapower's way is a loop: copy the net, take the lines out of
service, call ``pandapower.topology.unsupplied_buses``. CRISIS imports the net once and
runs its cascade on all scenarios at once. The unsupplied buses are compared scenario by
scenario, and the per-scenario times and their ratio are printed.

    python benchmarks/vs_pandapower.py [--scenarios 200] [--share 0.05]
"""

from __future__ import annotations

import argparse
import copy
import sys
import time

import numpy as np

from crisis.simulation.cascade import cascade
from crisis.simulation.importers import from_pandapower


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=200)
    parser.add_argument("--share", type=float, default=0.05, help="share of lines out")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()

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
        f"{args.scenarios} scenarios with {args.share:.0%} of lines out"
    )

    start = time.perf_counter()
    expected = []
    for out in outages:
        scenario = copy.deepcopy(net)
        scenario.line.loc[out, "in_service"] = False
        expected.append({int(b) for b in top.unsupplied_buses(scenario)})
    theirs = (time.perf_counter() - start) / args.scenarios

    cascade(city, damaged[:, :4])  # warm caches outside the timing
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        working = cascade(city, damaged)
        best = min(best, time.perf_counter() - start)
    ours = best / args.scenarios

    rows = {int(b): city.index[f"bus-{b}"] for b in net.bus.index}
    same = all(
        {b for b, row in rows.items() if not working[row, s]} == expected[s]
        for s in range(args.scenarios)
    )
    hit = sum(bool(e) for e in expected)
    print(f"pandapower copy + unsupplied_buses: {theirs * 1e3:8.2f} ms/scenario")
    print(f"CRISIS cascade (all at once):       {ours * 1e3:8.3f} ms/scenario")
    print(
        f"same unsupplied buses in every scenario: {'yes' if same else 'NO'} "
        f"({hit} of {args.scenarios} scenarios leave buses unsupplied)"
    )
    print(f"ratio (pandapower / CRISIS per scenario): {theirs / ours:.0f}×")
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
