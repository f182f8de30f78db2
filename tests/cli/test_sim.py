"""``crisis sim`` as a user runs it: a real process on real city files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import tasks_run_on


def crisis(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "crisis", "sim", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sim") / "city"
    out = crisis("generate", "--assets", "800", "--seed", "2", "--out", str(folder), "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["assets"] > 700
    return folder


def test_compile_prepares_the_engine_and_says_so() -> None:
    out = crisis("compile")
    assert out.returncode == 0, out.stderr
    assert "simulation engine ready" in out.stdout
    assert "compiled once per install" in out.stderr


def test_validate_prints_what_the_city_holds(city: Path) -> None:
    out = crisis("validate", str(city))
    assert out.returncode == 0, out.stderr
    assert "valid" in out.stdout and "power" in out.stdout and "districts" in out.stdout


@pytest.mark.slow
def test_run_prints_the_metrics_table_saves_and_explains(city: Path, tmp_path: Path) -> None:
    result = tmp_path / "flood"
    out = crisis(
        "run",
        str(city),
        "--hazard",
        "flood",
        "--return-period",
        "100",
        "--scenarios",
        "40",
        "--seed",
        "1",
        "--days",
        "4",
        "--out",
        str(result),
    )
    assert out.returncode == 0, out.stderr
    for service in ("power", "water", "mobility"):
        assert service in out.stdout
    assert "EOH" in out.stdout and (tmp_path / "flood.npz").is_file()
    summary = json.loads((tmp_path / "flood.json").read_text())
    assert summary["n_scenarios"] == 40 and summary["summary"]["power"]["eoh"]["mean"] >= 0
    again = crisis(
        "run",
        str(city),
        "--hazard",
        "flood",
        "--return-period",
        "100",
        "--scenarios",
        "40",
        "--seed",
        "1",
        "--days",
        "4",
        "--json",
    )
    assert json.loads(again.stdout)["summary"] == summary["summary"]
    told = crisis("explain", str(city), "D1", "--result", str(result), "--json")
    assert told.returncode == 0, told.stderr
    lines = json.loads(told.stdout)["lines"]
    assert lines[0].startswith("Scenario ") and len(lines) > 1


@pytest.mark.slow
def test_compare_prints_the_benefit_of_a_plan(city: Path, tmp_path: Path) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("interventions:\n  - kind: crews\n    sector: transport\n    local: 4\n")
    out = crisis(
        "compare",
        str(city),
        "--plan",
        str(plan),
        "--hazard",
        "flood",
        "--scenarios",
        "20",
        "--days",
        "3",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["cost"] == 480_000
    assert data["difference"]["eoh"]["mobility"]["mean"] >= 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "{city}", "--hazard", "flood", "--return-period", "-3"],
            "field 'return_period' = -3",
        ),
        (["run", "{city}", "--hazard", "meteor"], "field 'kind'"),
        (["run", "{city}", "--hazard", "flood", "--plan", "{plan}"], "plan.yaml:2: field 'kind'"),
        (["validate", "{broken}"], "assets.geojson: feature 3"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(
    city: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    plan = tmp_path / "plan.yaml"
    plan.write_text("interventions:\n  - kind: teleport\n")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "city.yaml").write_text((city / "city.yaml").read_text())
    features = json.loads((city / "assets.geojson").read_text())
    features["features"][3]["properties"]["repair"] = {"median_hours": -5}
    (broken / "assets.geojson").write_text(json.dumps(features))
    filled = [a.format(city=city, plan=plan, broken=broken) for a in args]
    out = crisis(*filled)
    assert out.returncode == 1
    assert message in out.stderr and "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1


def test_hazard_file_errors_name_the_line(city: Path, tmp_path: Path) -> None:
    hazards = tmp_path / "storm.yaml"
    hazards.write_text(
        "- kind: flood\n  return_period: 100\n- kind: blackout\n  outage_hours: -1\n"
    )
    out = crisis("run", str(city), "--hazard-file", str(hazards), "--scenarios", "2")
    assert out.returncode == 1
    assert "storm.yaml:3: field 'outage_hours' = -1" in out.stderr


@pytest.mark.slow
def test_ctrl_c_stops_cleanly_and_leaves_no_result(city: Path, tmp_path: Path) -> None:
    import signal
    import time

    env = {**os.environ, "COLUMNS": "200"}
    target = tmp_path / "long"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "crisis",
            "sim",
            "run",
            str(city),
            "--hazard",
            "earthquake",
            "--scenarios",
            "200000",
            "--out",
            str(target),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        assert "simulating 200,000 scenarios" in proc.stderr.readline()  # the run has begun
        time.sleep(1)
        proc.send_signal(signal.SIGINT)
        # A generous bound that only guards against a hang; a busy machine may be slow.
        _, err = proc.communicate(timeout=600)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == 130 and "Traceback" not in err
    assert "stopped by Ctrl-C: nothing was saved" in err
    assert list(tmp_path.iterdir()) == []


def test_an_outage_file_runs_from_the_command_line(city: Path, tmp_path: Path) -> None:
    # The generated city's first primary substation and, in the second set, a line as well.
    meta = json.loads((city / "assets.geojson").read_text())
    ids = [f["properties"]["id"] for f in meta["features"]]
    primary = next(
        i
        for i, f in zip(ids, meta["features"], strict=True)
        if f["properties"]["class"] == "primary substation"
    )
    line = next(
        i for i, f in zip(ids, meta["features"], strict=True) if f["properties"]["class"] == "line"
    )
    plan = tmp_path / "outages.yaml"
    plan.write_text(
        "sets:\n"
        "  - name: substation fire\n"
        "    outages:\n"
        f"      - {{asset: {primary}, hours: 30}}\n"
        "  - name: storm\n"
        "    outages:\n"
        f"      - {{asset: {primary}, hours: 30}}\n"
        f"      - {{asset: {line}, hours: 12, start: 2, crew: false}}\n"
    )
    out = crisis("run", str(city), "--outages", str(plan), "--days", "3", "--json")
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["n_scenarios"] == 2 and result["hazards"][0]["kind"] == "outages"
    assert result["summary"]["power"]["eoh"]["mean"] > 0
    csv = tmp_path / "outages.csv"
    csv.write_text(f"asset,hours\n{primary},30\n")
    out = crisis("run", str(city), "--outages", str(csv), "--days", "3", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["summary"]["power"]["eoh"]["mean"] > 0


def test_a_bad_outage_file_is_named_with_its_line(city: Path, tmp_path: Path) -> None:
    bad = tmp_path / "outages.yaml"
    bad.write_text("sets:\n  - outages:\n      - {asset: NOPE, hours: 3}\n")
    out = crisis("run", str(city), "--outages", str(bad), "--days", "1")
    assert out.returncode == 1
    assert "outages.yaml:3: asset 'NOPE' is not an asset of" in out.stderr + out.stdout
    bad.write_text("sets:\n  - outages:\n      - {asset: X, hours: -3}\n")
    out = crisis("run", str(city), "--outages", str(bad), "--days", "1")
    assert out.returncode == 1
    assert "outages.yaml:3: field 'hours' = -3" in out.stderr + out.stdout
    csv = tmp_path / "outages.csv"
    csv.write_text("asset,hours,crew\nX,3,maybe\n")
    out = crisis("run", str(city), "--outages", str(csv), "--days", "1")
    assert out.returncode == 1 and "outages.csv:2: field 'crew'" in out.stderr + out.stdout


def test_run_uses_the_dask_scheduler_of_the_settings(city: Path, dask_cluster: Any) -> None:
    before = tasks_run_on(dask_cluster, "run_chunk")
    env = {**os.environ, "COLUMNS": "200", "CRISIS_DASK_SCHEDULER": dask_cluster.scheduler_address}
    out = subprocess.run(
        [sys.executable, "-m", "crisis", "sim", "run", str(city), "--hazard", "flood",
         "--return-period", "100", "--scenarios", "60", "--seed", "1", "--json"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["n_scenarios"] == 60
    assert tasks_run_on(dask_cluster, "run_chunk") - before >= 2  # 60 scenarios, 50 a chunk


def test_commands_import_only_their_own_group() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from crisis.cli.main import app\n"
        "result = CliRunner().invoke(app, ['user', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "print(sorted(m for m in sys.modules if m.startswith(('crisis.simulation', "
        "'crisis.workbench', 'crisis.cli.sim', 'numpy'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
