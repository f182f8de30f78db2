"""Ensemble results and their file format.

A result is saved as two files side by side, each written to a temporary file and renamed
into place, so an interrupted run never leaves a half-written result:

``NAME.npz`` (numpy archive)
    ``served``, ``served_vulnerable`` (``float32``, services × hours × scenarios: Q(t));
    ``probability`` (scenarios: annual probability); ``damaged`` (scenarios: assets damaged
    at the start); ``population``, ``vulnerable`` (services: people served); and one
    ``metric_<name>`` array (services × scenarios) per metric of
    :data:`~crisis.simulation.metrics.METRICS`.
``NAME.json`` (summary)
    ``format`` (``crisis-ensemble/1``), ``city``, ``hazards`` and ``interventions`` (as
    data), ``seed``, ``n_scenarios``, ``chunk_size``, ``horizon``, ``policy``, ``services``
    and ``summary``: ``{service: {metric: {mean, p5, p50, p95, annual, not_recovered}}}``;
    ``district_ids`` and ``districts``: ``{service: {district id: {mean, p95}}}`` outage
    hours.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from crisis.exceptions import FormatError
from crisis.simulation.city import SERVICES
from crisis.simulation.metrics import METRICS, summarise

if TYPE_CHECKING:
    from crisis.simulation.city import City
    from crisis.simulation.explain import Explanation

FORMAT = "crisis-ensemble/1"


@dataclass
class EnsembleResult:
    """Everything an ensemble run produced; see the module docstring for the fields."""

    city: str
    hazards: list[dict[str, Any]]
    interventions: list[dict[str, Any]]
    seed: int
    n_scenarios: int
    chunk_size: int
    horizon: int
    policy: str
    served: npt.NDArray[np.float32]
    served_vulnerable: npt.NDArray[np.float32]
    probability: npt.NDArray[np.float64]
    damaged: npt.NDArray[np.int64]
    population: npt.NDArray[np.float64]
    vulnerable: npt.NDArray[np.float64]
    metrics: dict[str, npt.NDArray[np.float64]] = field(default_factory=dict)
    districts: list[str] = field(default_factory=list)
    district_eoh: npt.NDArray[np.float32] | None = None

    def district_summary(self) -> dict[str, dict[str, dict[str, float]]]:
        """``{service: {district: {mean, p95}}}`` outage hours, for maps and tables."""
        if self.district_eoh is None:
            return {}
        out: dict[str, dict[str, dict[str, float]]] = {}
        for service in self.services:
            k = SERVICES.index(service)
            hours = self.district_eoh[k].astype(np.float64)  # (D, S)
            mean, p95 = hours.mean(axis=1), np.percentile(hours, 95, axis=1)
            out[service] = {
                d: {"mean": float(mean[i]), "p95": float(p95[i])}
                for i, d in enumerate(self.districts)
            }
        return out

    @property
    def services(self) -> list[str]:
        """Services the city models (those with people to serve)."""
        return [s for k, s in enumerate(SERVICES) if self.population[k] > 0]

    def summary(self) -> dict[str, dict[str, dict[str, float | None]]]:
        """Distribution of every metric per modelled service (see :func:`summarise`)."""
        full = summarise(self.metrics, self.probability)
        return {s: full[s] for s in self.services}

    def representative(self, service: str = "power", quantile: float = 0.5) -> int:
        """The scenario whose loss of ``service`` is nearest the ensemble ``quantile``."""
        eoh = self.metrics["eoh"][SERVICES.index(service)]
        target = np.quantile(eoh, quantile)
        return int(np.argmin(np.abs(eoh - target)))

    def explain(
        self, city: City, scenario: int, target: str, service: str | None = None
    ) -> Explanation:
        """Causal chain of ``target``'s outages in ``scenario`` (re-run from the seed)."""
        from crisis.simulation.explain import explain_scenario

        return explain_scenario(self, city, scenario, target, service)

    def to_json(self) -> dict[str, Any]:
        """The JSON summary document."""
        return {
            "format": FORMAT,
            "city": self.city,
            "hazards": self.hazards,
            "interventions": self.interventions,
            "seed": self.seed,
            "n_scenarios": self.n_scenarios,
            "chunk_size": self.chunk_size,
            "horizon": self.horizon,
            "policy": self.policy,
            "services": self.services,
            "summary": self.summary(),
            "district_ids": self.districts,
            "districts": self.district_summary(),
        }

    def save(self, path: str | os.PathLike[str]) -> tuple[Path, Path]:
        """Write ``path.npz`` and ``path.json`` atomically; return both paths."""
        base = Path(path)
        if base.suffix in {".npz", ".json"}:
            base = base.with_suffix("")
        base.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            "served": self.served,
            "served_vulnerable": self.served_vulnerable,
            "probability": self.probability,
            "damaged": self.damaged,
            "population": self.population,
            "vulnerable": self.vulnerable,
        }
        arrays.update({f"metric_{k}": v for k, v in self.metrics.items()})
        if self.district_eoh is not None:
            arrays["district_eoh"] = self.district_eoh
        npz, js = base.with_suffix(".npz"), base.with_suffix(".json")
        _atomic(npz, lambda handle: np.savez_compressed(handle, **arrays), binary=True)
        text = json.dumps(self.to_json(), indent=2, allow_nan=False, default=_nan_safe)
        _atomic(js, lambda handle: handle.write(text), binary=False)
        return npz, js

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> EnsembleResult:
        """Read a result saved by :meth:`save` (give either file or the common stem)."""
        base = Path(path)
        if base.suffix in {".npz", ".json"}:
            base = base.with_suffix("")
        try:
            meta = json.loads(base.with_suffix(".json").read_text(encoding="utf-8"))
            data = np.load(base.with_suffix(".npz"))
        except (OSError, ValueError) as exc:
            raise FormatError(f"{base}: not a readable ensemble result ({exc})") from None
        if meta.get("format") != FORMAT:
            raise FormatError(f"{base}.json: field 'format' is not {FORMAT!r}")
        with data:
            return cls(
                city=meta["city"],
                hazards=meta["hazards"],
                interventions=meta["interventions"],
                seed=meta["seed"],
                n_scenarios=meta["n_scenarios"],
                chunk_size=meta["chunk_size"],
                horizon=meta["horizon"],
                policy=meta["policy"],
                served=data["served"],
                served_vulnerable=data["served_vulnerable"],
                probability=data["probability"],
                damaged=data["damaged"],
                population=data["population"],
                vulnerable=data["vulnerable"],
                metrics={m: data[f"metric_{m}"] for m in METRICS},
                districts=list(meta.get("district_ids", [])),
                district_eoh=data["district_eoh"] if "district_eoh" in data.files else None,
            )


def _nan_safe(value: Any) -> Any:
    return None


def _atomic(path: Path, write: Any, binary: bool) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
