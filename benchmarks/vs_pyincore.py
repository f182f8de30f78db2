"""CRISIS vs pyincore's EpnFunctionality: power supply of sampled damage states.

The same 900-bus, 1,740-line grid (a 30 × 30 lattice with three gate stations) and the
same sampled failure states of its buses (gate stations fail like any bus) go to:

* **pyincore**'s ``EpnFunctionality.epf_functionality`` (its own loop: a networkx graph
  per sample without the failed buses, and a shortest-path search from the gate stations);
* **a scipy floor**: per sample, the lines of failed buses dropped from one edge list and
  ``scipy.sparse.csgraph.connected_components`` run — about the least any tool can do in
  Python per sample;
* **CRISIS**'s cascade (all samples at once).

Every side is timed over ``--runs`` runs (at least 3); min and median per sample are
printed, with the ratios of the medians. The answers are compared bus by bus (gate
stations aside, which pyincore does not report); the script exits 1 if they differ.

pyincore pins ``numpy<2`` while CRISIS needs numpy 2, so the script keeps pyincore in its
own virtual environment under ``~/.cache/crisis-bench`` (``--venv`` to choose), created on
first use with pip. If it cannot be installed or run, one line says so and the other two
figures are still printed.

    python benchmarks/vs_pyincore.py [--samples 1000] [--failure 0.05] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from crisis.simulation.cascade import cascade
from crisis.simulation.importers import Records, build_city

SIDE = 30
GATES = (0, 449, 899)

# Runs inside the pyincore environment: reads the grid and the states, times the analysis.
_DRIVER = """
import json, sys, time
import numpy as np, pandas as pd, networkx as nx
from pyincore import IncoreClient
from pyincore.analyses.epnfunctionality import EpnFunctionality

data = np.load(sys.argv[1])
edges, states, gates = data["edges"], data["states"], [int(g) for g in data["gates"]]
graph = nx.Graph()
graph.add_nodes_from(range(states.shape[0]))
graph.add_edges_from((int(a), int(b), {"weight": 1.0}) for a, b in edges)
samples = states.shape[1]
cols = [f"s{i}" for i in range(samples)]
frame = pd.DataFrame(states.astype(int), columns=cols)
frame.insert(0, "nodenwid", np.arange(states.shape[0]))
distribution = sorted(set(graph.nodes) - set(gates))
analysis = EpnFunctionality(IncoreClient(offline=True))
seconds = []
for _ in range(int(sys.argv[3])):
    start = time.perf_counter()
    fs, _ = analysis.epf_functionality(distribution, gates, samples, cols, frame, graph)
    seconds.append(time.perf_counter() - start)
functional = np.ones(states.shape, dtype=bool)
for node, text in zip(fs["guid"], fs["failure"]):
    functional[int(node)] = np.array(text.split(","), dtype=float) > 0.5
np.save(sys.argv[2], functional)
print(json.dumps({"seconds": seconds}))
"""


def lattice() -> tuple[np.ndarray, Records]:
    """The 30 × 30 grid: bus ``b<i>`` per node, line ``l<k>`` per edge."""
    records = Records(source="lattice")
    for i in range(SIDE * SIDE):
        props = {"id": f"b{i}", "sector": "power", "class": "substation", "network": "power"}
        if i in GATES:
            props["source"] = True
        records.add(f"bus {i}", (i % SIDE) * 100.0, (i // SIDE) * 100.0, props)
    edges = []
    for i in range(SIDE * SIDE):
        if i % SIDE < SIDE - 1:
            edges.append((i, i + 1))
        if i // SIDE < SIDE - 1:
            edges.append((i, i + SIDE))
    for k, (a, b) in enumerate(edges):
        props = {
            "id": f"l{k}",
            "sector": "power",
            "class": "cable",
            "network": "power",
            "from": f"b{a}",
            "to": f"b{b}",
        }
        records.add(f"line {k}", 0.0, 0.0, props)
    return np.asarray(edges), records


def ensure_venv(folder: Path) -> Path | str:
    """The pyincore interpreter, installing it on first use; a reason string on failure."""
    python = folder / "bin" / "python"
    if python.exists():
        return python
    try:
        venv.create(folder, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "pyincore", "requests"],
            check=True,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        return "pip install pyincore failed: " + " ".join(str(detail).split())[-300:]
    return python


def floor(edges: np.ndarray, states: np.ndarray) -> np.ndarray:
    """The scipy floor: functional buses per sample by connected components."""
    nodes, samples = states.shape
    functional = np.zeros(states.shape, dtype=bool)
    gates = np.asarray(GATES)
    for s in range(samples):
        up = states[:, s]
        keep = up[edges[:, 0]] & up[edges[:, 1]]
        adjacency = sparse.coo_matrix(
            (np.ones(int(keep.sum()), dtype=np.int8), (edges[keep, 0], edges[keep, 1])),
            shape=(nodes, nodes),
        ).tocsr()
        _, label = csgraph.connected_components(adjacency, directed=False)
        fed = np.zeros(label.max() + 1, dtype=bool)
        fed[label[gates[up[gates]]]] = True
        functional[:, s] = up & fed[label]
    return functional


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--failure", type=float, default=0.05, help="bus failure probability")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per side (≥ 3)")
    parser.add_argument("--venv", type=Path, default=Path.home() / ".cache/crisis-bench/pyincore")
    args = parser.parse_args()
    runs = max(3, args.runs)

    edges, records = lattice()
    city = build_city(records, "lattice")
    rng = np.random.default_rng(args.seed)
    nodes = SIDE * SIDE
    states = rng.random((nodes, args.samples)) >= args.failure  # True = bus works
    damaged = np.zeros((city.n_assets, args.samples), dtype=bool)
    damaged[:nodes] = ~states
    print(
        f"grid: {nodes} buses, {len(edges)} lines, {len(GATES)} gate stations; "
        f"{args.samples} samples, {args.failure:.0%} of buses failed (gate stations too: "
        f"{int((~states[list(GATES)]).sum())} gate outages); {runs} runs per side"
    )
    n = args.samples

    def line(label: str, seconds: list[float]) -> None:
        low, mid = min(seconds) / n * 1e6, statistics.median(seconds) / n * 1e6
        print(f"{label:<36} min {low:9.1f}  median {mid:9.1f} µs/sample")

    cascade(city, damaged[:, :8])  # warm caches (sparse structures) outside the timing
    ours: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        working = cascade(city, damaged)
        ours.append(time.perf_counter() - start)
    floors: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        floored = floor(edges, states)
        floors.append(time.perf_counter() - start)
    others = sorted(set(range(nodes)) - set(GATES))
    same_floor = np.array_equal(floored[others], working[:nodes][others])
    line("CRISIS cascade (all samples)", ours)
    line("scipy connected_components (floor)", floors)
    med = statistics.median
    print(f"ratio of medians: scipy floor / CRISIS {med(floors) / med(ours):.1f}×")

    python = ensure_venv(args.venv)
    if isinstance(python, str):
        print(f"pyincore: not run ({python}); the figures above stand alone")
        sys.exit(0 if same_floor else 1)
    with tempfile.TemporaryDirectory(prefix="crisis-bench-") as tmp:
        data, out, driver = Path(tmp, "in.npz"), Path(tmp, "out.npy"), Path(tmp, "driver.py")
        np.savez(data, edges=edges, states=states, gates=np.asarray(GATES))
        driver.write_text(_DRIVER)
        run = subprocess.run(
            [str(python), str(driver), str(data), str(out), str(runs)],
            capture_output=True,
            text=True,
            cwd=tmp,
        )
        if run.returncode != 0:
            reason = " ".join(run.stderr.split())[-300:]
            print(f"pyincore: failed to run ({reason}); the figures above stand alone")
            sys.exit(0 if same_floor else 1)
        theirs = json.loads(run.stdout.strip().splitlines()[-1])["seconds"]
        functional = np.load(out)
    same = same_floor and np.array_equal(functional[others], working[:nodes][others])
    line("pyincore EpnFunctionality", theirs)
    print(f"same functional buses in every sample, all three: {'yes' if same else 'NO'}")
    print(
        f"ratio of medians: pyincore / CRISIS {med(theirs) / med(ours):.0f}×, "
        f"pyincore / scipy floor {med(theirs) / med(floors):.0f}×"
    )
    if not same:
        sys.exit(1)


if __name__ == "__main__":
    main()
