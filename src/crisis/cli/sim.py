"""``crisis sim``: generate, validate and simulate cities; compare, explain and optimise plans."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import typer

from crisis.cli import _context
from crisis.cli._output import JSON_OPTION_HELP, console, err_console, print_json, print_table
from crisis.exceptions import SimulationError

app = typer.Typer(help="Simulate city infrastructure under hazards.", no_args_is_help=True)

CITY_HELP = "City folder (city.yaml + assets.geojson), or 'demo' for the bundled demo city."
HAZARD_HELP = "Hazard kind; repeat to strike together (flood + blackout)."


def _city(spec: str) -> Any:
    from crisis.simulation.demo import load_city

    return load_city(spec, cache_dir=_context.settings().effective_cache_dir)


def _scheduler(given: str | None) -> str | None:
    """``--scheduler`` if given, else ``CRISIS_DASK_SCHEDULER``, else this process."""
    return given or _context.settings().dask_scheduler or None


def _hazards(
    kinds: list[str],
    return_period: float | None,
    magnitude: float | None,
    sets: list[str],
    hazard_file: Path | None,
    outages: Path | None = None,
    city: Any = None,
) -> list[Any]:
    from crisis.simulation.cityfile import load_yaml, plain
    from crisis.simulation.hazards import parse_hazard

    if outages is not None:
        from crisis.simulation.outages import read_outages

        if kinds or hazard_file is not None:
            raise SimulationError("give either --outages or --hazard/--hazard-file, not both")
        return [read_outages(outages, city)]
    if hazard_file is not None:
        data = load_yaml(hazard_file)
        items = data if isinstance(data, list) else [data]
        return [
            parse_hazard(plain(item), f"{hazard_file.name}:{item.get('__line__', '?')}")
            if isinstance(item, dict)
            else _no_kind(hazard_file.name)
            for item in items
        ]
    if not kinds:
        raise SimulationError("give --hazard KIND (flood, earthquake, …) or --hazard-file")
    specs: list[dict[str, Any]] = [{"kind": k} for k in kinds]
    for spec in specs:
        if spec["kind"] == "flood" and return_period is not None:
            spec["return_period"] = return_period
        if spec["kind"] == "earthquake" and magnitude is not None:
            spec["magnitude"] = magnitude
    for item in sets:
        key, sep, value = item.partition("=")
        kind, dot, field = key.partition(".")
        if not sep or not dot:
            raise SimulationError(f"--set {item!r}: expected KIND.FIELD=VALUE")
        targets = [s for s in specs if s["kind"] == kind]
        if not targets:
            raise SimulationError(f"--set {item!r}: no --hazard {kind} to set it on")
        for spec in targets:
            spec[field] = _number(value)
    return [parse_hazard(spec, f"--hazard {spec['kind']}") for spec in specs]


def _no_kind(name: str) -> Any:
    raise SimulationError(f"{name}: each hazard must be a mapping with a 'kind'")


def _number(text: str) -> Any:
    for cast in (int, float):
        with contextlib.suppress(ValueError):
            return cast(text)
    return None if text in {"null", "none"} else text


@contextlib.contextmanager
def _stop_between_chunks() -> Iterator[Callable[[], None]]:
    """Ctrl-C during a run stops it at the next chunk boundary, not inside compiled code.

    An interrupt that lands while numba loads or runs a kernel surfaces inside C code as a
    traceback; so the first Ctrl-C is only noted here and raised by the returned check (called
    between chunks) or on leaving the block. A second Ctrl-C interrupts at once.
    """
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    asked = threading.Event()

    def note(signum: int, frame: Any) -> None:
        asked.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)

    def check() -> None:
        if asked.is_set():
            raise KeyboardInterrupt

    before = signal.signal(signal.SIGINT, note)
    try:
        yield check
        check()
    except KeyboardInterrupt:
        err_console.print("stopped by Ctrl-C: nothing was saved", highlight=False)
        raise typer.Exit(130) from None
    finally:
        signal.signal(signal.SIGINT, before)


@contextlib.contextmanager
def _progress(label: str, enabled: bool) -> Iterator[Any]:
    with _stop_between_chunks() as check:
        if not enabled:

            def tick_quietly(done: int, total: int) -> None:
                check()

            yield tick_quietly
            return
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        columns = (BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(f"[bold]{label}", *columns, console=err_console, transient=True) as bar:
            task = bar.add_task(label, total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)
                check()

            yield tick


def _fmt(value: float | None) -> str:
    if value is None:
        return "—"
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.1f}M"
    if size >= 1e4:
        return f"{value / 1e3:.0f}k"
    return f"{value:,.0f}" if size >= 100 else f"{value:.2f}".rstrip("0").rstrip(".")


def _print_summary(result: Any) -> None:
    rows = []
    for service, m in result.summary().items():
        rows.append(
            [
                service,
                _fmt(m["eoh"]["mean"]),
                _fmt(m["eoh"]["p95"]),
                _fmt(m["robustness"]["p5"]),
                _fmt(m["t90"]["p95"]),
                _fmt(m["people_hours"]["mean"]),
                _fmt(m["vulnerable_hours"]["mean"]),
                _fmt(m["people_hours"]["annual"]),
                f"{m['t90']['not_recovered']:.0%}",
            ]
        )
    hazards = " + ".join(h["kind"] for h in result.hazards)
    title = f"{result.city}: {result.n_scenarios} × {hazards}, seed {result.seed}"
    columns = [
        "service",
        "EOH",
        "EOH p95",
        "minQ p5",
        "t90 p95",
        "ppl-h",
        "vuln-h",
        "ppl-h/yr",
        "not back",
    ]
    print_table(title, columns, rows)
    _print_districts(result)
    console.print(
        f"EOH: equivalent outage hours over {result.horizon} h (mean, 95th percentile); "
        "minQ p5: lowest share served, worst 5 %; t90: hours until 90 % served; ppl-h, "
        "vuln-h: people-hours without service per event (all, vulnerable); ppl-h/yr: "
        "expected per year; not back: scenarios below 90 % at the horizon.",
        style="dim",
        highlight=False,
    )


def _print_districts(result: Any, top: int = 5) -> None:
    """The districts that lose most of the service that suffers most."""
    by_service = result.district_summary()
    if not by_service:
        return
    summary = result.summary()
    worst = max(by_service, key=lambda s: summary[s]["eoh"]["mean"] or 0.0)
    ranked = sorted(by_service[worst].items(), key=lambda kv: -kv[1]["mean"])[:top]
    if not ranked or ranked[0][1]["mean"] <= 0:
        return
    rows = [[d, _fmt(v["mean"]), _fmt(v["p95"])] for d, v in ranked]
    print_table(f"Hardest hit: {worst} EOH", ["district", "mean", "p95"], rows)


@app.command()
def generate(
    out: Path = typer.Option(..., "--out", help="Folder to write the city into."),
    assets: int = typer.Option(10_000, "--assets", help="About how many assets."),
    seed: int = typer.Option(1, "--seed", help="Random seed."),
    name: str | None = typer.Option(None, "--name", help="City name."),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Generate a synthetic city with every sector and write it as a city folder."""
    from crisis.simulation.cityfile import write_city
    from crisis.simulation.generate import generate_city

    city = generate_city(assets, rng=seed, name=name)
    write_city(city, out)
    info = {
        "city": city.name,
        "assets": city.n_assets,
        "districts": city.n_districts,
        "folder": str(out),
    }
    if as_json:
        print_json(info)
    else:
        console.print(f"wrote {city.n_assets:,} assets in {city.n_districts} districts to {out}")


@app.command(name="compile")
def compile_engine() -> None:
    """Compile the simulation engine now; the first run otherwise waits about a minute."""
    from crisis.simulation.warmup import compile_engine as run

    err_console.print(
        "preparing the simulation engine (compiled once per install) …", highlight=False
    )
    seconds = run()
    console.print(f"simulation engine ready ({seconds:.1f} s)", highlight=False)


@app.command()
def validate(
    city: str = typer.Argument(..., help=CITY_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_OPTION_HELP),
) -> None:
    """Check a city file; print what it holds, or the first problem with file and line."""
    import numpy as np

    from crisis.simulation.city import NETWORKS, SECTORS

    model = _city(city)
    sectors = {s: int((model.sector == i).sum()) for i, s in enumerate(SECTORS)}
    networks = {n: int((model.network == i).sum()) for i, n in enumerate(NETWORKS)}
    info = {
        "city": model.name,
        "assets": model.n_assets,
        "groups": model.n_groups,
        "districts": model.n_districts,
        "population": float(np.sum(model.district_population)),
        "sectors": {k: v for k, v in sectors.items() if v},
        "networks": networks,
    }
    if as_json:
        print_json(info)
        return
    console.print(
        f"{model.name}: valid — {model.n_assets:,} assets, {model.n_groups:,} "
        f"dependency groups, {model.n_districts} districts, "
        f"{info['population']:,.0f} people"
    )
    print_table(None, ["sector", "assets"], [[k, v] for k, v in info["sectors"].items()])


def _count(scenarios: int | None, hazards: list[Any], default: int) -> int:
    """Scenarios asked for; with outage sets and none asked for, one per set."""
    if scenarios is not None:
        return scenarios
    sets = getattr(hazards[0], "sets", None)
    return (
        len(sets) if hazards and getattr(hazards[0], "kind", "") == "outages" and sets else default
    )


def _common(**kwargs: Any) -> dict[str, Any]:
    scheduler = kwargs.pop("scheduler")
    return {
        "horizon": kwargs["horizon_days"] * 24,
        "policy": kwargs["policy"],
        "scheduler": _scheduler(scheduler),
        "workers": kwargs["workers"],
    }


_HZ = typer.Option([], "--hazard", help=HAZARD_HELP)
_RP = typer.Option(None, "--return-period", help="Flood return period in years.")
_MAG = typer.Option(None, "--magnitude", help="Earthquake magnitude.")
_SET = typer.Option([], "--set", help="Any hazard parameter: KIND.FIELD=VALUE (repeatable).")
_HF = typer.Option(None, "--hazard-file", help="YAML hazard (or list of hazards).")
_N = typer.Option(
    None, "--scenarios", help="Number of scenarios (default 1000; with --outages, one per set)."
)
_OUT = typer.Option(
    None,
    "--outages",
    help="Outage sets to run instead of a hazard (YAML or CSV; see docs/simulation.md).",
)
_SEED = typer.Option(1, "--seed", help="Random seed.")
_DAYS = typer.Option(14, "--days", help="Horizon in days (hourly reporting).")
_POLICY = typer.Option(
    "topology", "--policy", help="topology (default), criticality, nearest or sources."
)
_SCHED = typer.Option(
    None,
    "--scheduler",
    help="'processes', or a Dask scheduler address (tcp://host:8786); "
    "default: CRISIS_DASK_SCHEDULER if set, else this process.",
)
_WORKERS = typer.Option(None, "--workers", help="Processes for --scheduler processes.")
_JSON = typer.Option(False, "--json", help=JSON_OPTION_HELP)


@app.command()
def run(
    city: str = typer.Argument(..., help=CITY_HELP),
    hazard: list[str] = _HZ,
    return_period: float | None = _RP,
    magnitude: float | None = _MAG,
    sets: list[str] = _SET,
    hazard_file: Path | None = _HF,
    outages: Path | None = _OUT,
    scenarios: int | None = _N,
    seed: int = _SEED,
    plan: Path | None = typer.Option(None, "--plan", help="Interventions YAML to apply."),
    horizon_days: int = _DAYS,
    policy: str = _POLICY,
    scheduler: str | None = _SCHED,
    workers: int | None = _WORKERS,
    out: Path | None = typer.Option(None, "--out", help="Save the result as OUT.npz + OUT.json."),
    as_json: bool = _JSON,
) -> None:
    """Run a Monte Carlo ensemble and print the service metrics table."""
    from crisis.simulation.ensemble import run_ensemble
    from crisis.simulation.interventions import read_plan

    model = _city(city)
    hazards = _hazards(hazard, return_period, magnitude, sets, hazard_file, outages, model)
    scenarios = _count(scenarios, hazards, 1000)
    interventions = read_plan(plan) if plan else None
    options = _common(
        horizon_days=horizon_days, policy=policy, scheduler=scheduler, workers=workers
    )
    kinds = " + ".join(h.kind for h in hazards)
    with _progress("simulating", not as_json) as tick:
        err_console.print(
            f"simulating {scenarios:,} scenarios of {kinds} on {model.name} "
            f"({model.n_assets:,} assets, {horizon_days} days, seed {seed})",
            highlight=False,
        )
        result = run_ensemble(model, hazards, scenarios, seed, interventions, tick, **options)
    if out is not None:
        result.save(out)
    if as_json:
        print_json(result.to_json())
        return
    _print_summary(result)
    if out is not None:
        console.print(f"saved {out.with_suffix('.npz')} and {out.with_suffix('.json')}")


@app.command()
def compare(
    city: str = typer.Argument(..., help=CITY_HELP),
    plan: Path = typer.Option(..., "--plan", help="Interventions YAML."),
    hazard: list[str] = _HZ,
    return_period: float | None = _RP,
    magnitude: float | None = _MAG,
    sets: list[str] = _SET,
    hazard_file: Path | None = _HF,
    outages: Path | None = _OUT,
    scenarios: int | None = typer.Option(
        None, "--scenarios", help="Scenarios in each run (default 200; one per outage set)."
    ),
    seed: int = _SEED,
    horizon_days: int = _DAYS,
    policy: str = _POLICY,
    scheduler: str | None = _SCHED,
    workers: int | None = _WORKERS,
    as_json: bool = _JSON,
) -> None:
    """Run a plan and the baseline on the same scenarios; print the benefit with its 95 % CI."""
    from crisis.simulation.comparison import compare as run_compare
    from crisis.simulation.interventions import read_plan

    model = _city(city)
    hazards = _hazards(hazard, return_period, magnitude, sets, hazard_file, outages, model)
    scenarios = _count(scenarios, hazards, 200)
    options = _common(
        horizon_days=horizon_days, policy=policy, scheduler=scheduler, workers=workers
    )
    with _progress("baseline and plan", not as_json) as tick:
        result = run_compare(
            model, read_plan(plan), hazards, scenarios, seed, progress=tick, **options
        )
    if as_json:
        print_json(result.to_json())
        return
    rows = []
    for service, d in result.difference("people_hours").items():
        eoh = result.difference("eoh")[service]
        rows.append(
            [
                service,
                _fmt(eoh["mean"]),
                f"{_fmt(eoh['low'])} … {_fmt(eoh['high'])}",
                _fmt(d["mean"]),
                f"{_fmt(d['low'])} … {_fmt(d['high'])}",
            ]
        )
    print_table(
        f"Plan benefit (baseline − plan), cost EUR {result.cost:,.0f}",
        ["service", "outage h saved", "95 % CI", "people-h saved", "95 % CI"],
        rows,
    )


@app.command()
def explain(
    city: str = typer.Argument(..., help=CITY_HELP),
    target: str = typer.Argument(..., help="A district id or an asset id."),
    result: Path | None = typer.Option(None, "--result", help="A saved result (from run --out)."),
    scenario: int | None = typer.Option(
        None, "--scenario", help="Scenario number; default: picked from --result by --pick."
    ),
    pick: float = typer.Option(
        1.0,
        "--pick",
        help="With --result: the scenario at this quantile of the service's outage hours "
        "(1 = worst, 0.5 = median).",
    ),
    service: str | None = typer.Option(None, "--service", help="Only this service."),
    hazard: list[str] = _HZ,
    return_period: float | None = _RP,
    magnitude: float | None = _MAG,
    sets: list[str] = _SET,
    hazard_file: Path | None = _HF,
    outages: Path | None = _OUT,
    scenarios: int | None = _N,
    seed: int = _SEED,
    horizon_days: int = _DAYS,
    policy: str = _POLICY,
    as_json: bool = _JSON,
) -> None:
    """Tell the causal chain of a district's or an asset's outages in one scenario."""
    from crisis.simulation.explain import explain_scenario
    from crisis.simulation.results import EnsembleResult

    model = _city(city)
    if result is not None:
        ensemble = EnsembleResult.load(result)
    else:
        # Without a saved result, the ensemble is defined by its settings alone: replaying a
        # scenario needs the seed and hazards, not the other scenarios' results.
        hazards = _hazards(hazard, return_period, magnitude, sets, hazard_file, outages, model)
        count = _count(scenarios, hazards, 1000)
        ensemble = _definition(model, hazards, count, seed, horizon_days * 24, policy)
    if scenario is None:
        focus = service or _service_of(model, target)
        scenario = ensemble.representative(focus, pick) if result is not None else 0
    found = explain_scenario(ensemble, model, scenario, target, service)
    if as_json:
        print_json(
            {
                "target": target,
                "scenario": scenario,
                "intervals": found.intervals,
                "lines": found.lines,
            }
        )
    else:
        console.print(found.text(), highlight=False)


def _service_of(city: Any, target: str) -> str:
    """The service an asset's outage shows up in (power for districts and the rest)."""
    from crisis.simulation.city import SECTORS

    if target not in city.index:
        return "power"
    sector = SECTORS[city.sector[city.index[target]]]
    named = {
        "transport": "mobility",
        "water": "water",
        "telecom": "telecom",
        "health": "health",
        "emergency": "emergency",
    }
    return named.get(sector, "power")


def _definition(city: Any, hazards: list[Any], n: int, seed: int, horizon: int, policy: str) -> Any:
    import numpy as np

    from crisis.simulation.results import EnsembleResult

    empty = np.zeros(0)
    return EnsembleResult(
        city=city.name,
        hazards=[h.model_dump() for h in hazards],
        interventions=[],
        seed=seed,
        n_scenarios=n,
        chunk_size=50,
        horizon=horizon,
        policy=policy,
        served=empty.astype(np.float32),
        served_vulnerable=empty.astype(np.float32),
        probability=empty,
        damaged=empty.astype(np.int64),
        population=empty,
        vulnerable=empty,
    )


@app.command()
def optimise(
    city: str = typer.Argument(..., help=CITY_HELP),
    budget: float = typer.Option(..., "--budget", help="Budget in EUR."),
    hazard: list[str] = _HZ,
    return_period: float | None = _RP,
    magnitude: float | None = _MAG,
    sets: list[str] = _SET,
    hazard_file: Path | None = _HF,
    outages: Path | None = _OUT,
    scenarios: int | None = typer.Option(
        None, "--scenarios", help="Scenarios per evaluation (default 100; one per outage set)."
    ),
    seed: int = _SEED,
    horizon_days: int = _DAYS,
    policy: str = _POLICY,
    out: Path | None = typer.Option(None, "--out", help="Write the plan as YAML here."),
    as_json: bool = _JSON,
) -> None:
    """Propose interventions for a budget (greedy, best people-hours saved per euro)."""
    import yaml

    from crisis.simulation.optimise import optimise as run_optimise

    model = _city(city)
    hazards = _hazards(hazard, return_period, magnitude, sets, hazard_file, outages, model)
    scenarios = _count(scenarios, hazards, 100)
    proposal = run_optimise(
        model,
        hazards,
        budget,
        scenarios,
        seed,
        horizon=horizon_days * 24,
        policy=policy,
        scheduler=_scheduler(None),
    )
    plan = [s.intervention.model_dump(exclude_none=True) for s in proposal.steps]
    if out is not None:
        out.write_text(yaml.safe_dump({"interventions": plan}, sort_keys=False), "utf-8")
    if as_json:
        print_json(
            {
                "budget": budget,
                "cost": proposal.cost,
                "interventions": plan,
                "benefit": [s.benefit for s in proposal.steps],
            }
        )
        return
    rows = [
        [i + 1, s.intervention.describe(), f"{s.cost:,.0f}", _fmt(s.benefit)]
        for i, s in enumerate(proposal.steps)
    ]
    print_table(
        f"Plan for EUR {budget:,.0f} (spent {proposal.cost:,.0f})",
        ["#", "intervention", "cost EUR", "people-h saved / event"],
        rows,
    )
