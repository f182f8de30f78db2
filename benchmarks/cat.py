"""The adaptive knowledge test on simulated examinees, with catsim side by side.

1,000 simulated examinees (by default) take the real adaptive test on the bundled item bank,
one after another, each test selecting with the exposure rates of the tests before it (as the
web app does). Abilities per competence area are standard normal, correlated 0.64 between
areas (a general factor of 0.8). Each examinee answers by the item's model:

* **guessing 0.25**: ``P = 0.25 + 0.75 / (1 + exp(-a (θ - b)))`` — a learner who does not know
  picks one of four options at random; the bank's items have ``c = 1/4``;
* **no guessing**: ``P = 1 / (1 + exp(-a (θ - b)))``, scored with the items' ``c`` set to 0,
  as a calibration on such learners would leave it.

Two more rows show what a wrong lower asymptote costs: learners who guess scored without one
(the first edition's 2PL), and learners who never guess scored with one.

Reported per area: correlation of estimate and truth, RMSE, bias (mean estimate − truth),
exact-level and within-one-level agreement (the level reported is the most probable one
under the posterior, as the test reports it; "θ̂ cut" is exact agreement of the band the
posterior mean falls in, for comparison; true levels by the cut scores), mean test length,
the share of area estimates with SE ≤ 0.45, and the largest share of tests any item
appeared in. With catsim installed (``pip install -e '.[bench]'``), catsim runs the same
examinees area by area: maximum-information selection with its own exposure limit
(``r_max = 0.25``), an EAP estimator written to catsim's estimator interface (catsim itself
ships maximum-likelihood search only), stopping at SE ≤ 0.45 or the same number of items per
area, its levels by the same most-probable-level rule. Run from the repository root::

    python benchmarks/cat.py                 # --examinees 1000 --seed 2024
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass

import numpy as np

from crisis.competences import load_bundled
from crisis.learners.cat import (
    AdaptiveTest,
    CatConfig,
    level_of,
    most_probable_level,
    simulate_answers,
)
from crisis.learners.irt import eap
from crisis.learners.items import Irt, ItemBank, load_bundled_items

AREA_LOADING = 0.8


@dataclass
class Row:
    engine: str
    condition: str
    true: np.ndarray
    estimate: np.ndarray
    se: np.ndarray
    levels: np.ndarray
    lengths: np.ndarray
    max_exposure: float
    seconds: float

    def figures(self) -> dict[str, float]:
        true_levels = np.array([level_of(t) for t in self.true])
        levels = self.levels
        point = np.array([level_of(t) for t in self.estimate])
        return {
            "r": float(np.corrcoef(self.true, self.estimate)[0, 1]),
            "rmse": float(np.sqrt(np.mean((self.estimate - self.true) ** 2))),
            "bias": float(np.mean(self.estimate - self.true)),
            "exact": float(np.mean(levels == true_levels)),
            "within1": float(np.mean(np.abs(levels - true_levels) <= 1)),
            "exact_point": float(np.mean(point == true_levels)),
            "length": float(np.mean(self.lengths)),
            "se_ok": float(np.mean(self.se <= 0.45)),
            "max_exposure": self.max_exposure,
        }


def with_guessing(bank: ItemBank, c: float | None) -> ItemBank:
    """The bank with every item's lower asymptote set to ``c`` (``None``: unchanged)."""
    if c is None:
        return bank
    return ItemBank(
        tuple(
            item.model_copy(update={"irt": Irt(a=item.irt.a, b=item.irt.b, c=c)}) for item in bank
        )
    )


def abilities(n: int, areas: list[str], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    general = rng.normal(size=(n, 1))
    spread = np.sqrt(1 - AREA_LOADING**2)
    return AREA_LOADING * general + spread * rng.normal(size=(n, len(areas)))


def run_crisis(
    bank: ItemBank,
    truth: np.ndarray,
    guessing: float,
    seed: int,
    label: str,
    config: CatConfig,
) -> Row:
    catalogue = load_bundled()
    areas = [a.id for a in catalogue.framework.areas]
    rng = np.random.default_rng(seed)
    seen = np.zeros(len(bank))
    index = {item.id: k for k, item in enumerate(bank)}
    est, ses, levels, lengths = [], [], [], []
    start = time.perf_counter()
    for person, row in enumerate(truth):
        rates = {item.id: seen[k] / person for k, item in enumerate(bank)} if person else None
        test = AdaptiveTest.start(bank, catalogue, seed=person, config=config, exposure=rates)
        lengths.append(
            simulate_answers(test, dict(zip(areas, row, strict=True)), rng, guessing=guessing)
        )
        for iid in test.state.asked:
            seen[index[iid]] += 1
        result = {a.area: a for a in test.result().areas}
        est.append([result[a].theta for a in areas])
        ses.append([result[a].se for a in areas])
        levels.append([result[a].level for a in areas])
    seconds = time.perf_counter() - start
    return Row(
        "CRISIS",
        label,
        truth.ravel(),
        np.array(est).ravel(),
        np.array(ses).ravel(),
        np.array(levels).ravel(),
        np.array(lengths),
        float(seen.max() / len(truth)),
        seconds,
    )


def run_catsim(
    bank: ItemBank, truth: np.ndarray, seed: int, label: str, max_items: int
) -> Row | None:
    try:
        from catsim.estimation.base import BaseEstimator
        from catsim.initialization.initialization import FixedPointInitializer
        from catsim.item_bank import ItemBank as CatsimBank
        from catsim.selection.selection import MaxInfoSelector
        from catsim.simulation import Simulator
        from catsim.stopping.stopping import MinErrorStopper
    except ImportError:
        return None

    class EAP(BaseEstimator):  # type: ignore[misc]
        """Expected a posteriori ability with a standard-normal prior, for catsim."""

        def estimate(
            self,
            index=None,
            item_bank=None,
            administered_items=None,  # type: ignore[no-untyped-def]
            response_vector=None,
            est_theta=None,
        ):
            item_bank, items, answers, _ = self._prepare_args(
                return_item_bank=True,
                return_administered_items=True,
                return_response_vector=True,
                return_est_theta=True,
                index=index,
                item_bank=item_bank,
                administered_items=administered_items,
                response_vector=response_vector,
                est_theta=est_theta,
            )
            params = item_bank.items[items]
            return eap(answers, params[:, 0], params[:, 1], params[:, 2]).theta

    catalogue = load_bundled()
    areas = [a.id for a in catalogue.framework.areas]
    area_of = {c.id: c.area for c in catalogue.framework.competences}
    per_area = max_items // len(areas)
    est = np.zeros_like(truth)
    ses = np.zeros_like(truth)
    levels = np.zeros(truth.shape, dtype=int)
    lengths = np.zeros(len(truth))
    max_exposure = 0.0
    start = time.perf_counter()
    for j, area in enumerate(areas):
        items = [item for item in bank if area_of[item.competence] == area]
        params = np.array([[i.irt.a, i.irt.b, i.irt.c, 1.0] for i in items])
        simulator = Simulator(CatsimBank(params), truth[:, j], seed=seed + j)
        simulator.simulate(
            FixedPointInitializer(0.0),
            MaxInfoSelector(r_max=0.25),
            EAP(),
            MinErrorStopper(0.45, max_items=per_area),
        )
        for person in range(len(truth)):
            given = simulator.administered_items[person]
            answers = simulator.response_vectors[person]
            result = eap(answers, params[given, 0], params[given, 1], params[given, 2])
            est[person, j], ses[person, j] = result.theta, result.se
            levels[person, j] = most_probable_level(result)[0]
            lengths[person] += len(given)
        counts = np.bincount(
            np.concatenate([np.asarray(g, dtype=int) for g in simulator.administered_items]),
            minlength=len(items),
        )
        max_exposure = max(max_exposure, float(counts.max() / len(truth)))
    seconds = time.perf_counter() - start
    return Row(
        "catsim",
        label,
        truth.ravel(),
        est.ravel(),
        ses.ravel(),
        levels.ravel(),
        lengths,
        max_exposure,
        seconds,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examinees", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-mismatch", action="store_true", help="Skip the mismatch rows.")
    parser.add_argument("--no-peer", action="store_true", help="Skip catsim.")
    parser.add_argument(
        "--max-items", type=int, default=CatConfig().max_items, help="The test's item limit."
    )
    args = parser.parse_args(argv)
    config = CatConfig(max_items=args.max_items)
    catalogue = load_bundled()
    areas = [a.id for a in catalogue.framework.areas]
    bank = load_bundled_items()
    truth = abilities(args.examinees, areas, args.seed)
    conditions = [
        ("guessing 0.25", with_guessing(bank, None), 0.25),
        ("no guessing", with_guessing(bank, 0.0), 0.0),
    ]
    rows: list[Row] = []
    for label, scored, guess in conditions:
        rows.append(run_crisis(scored, truth, guess, args.seed, label, config))
        peer = None if args.no_peer else run_catsim(scored, truth, args.seed, label, args.max_items)
        if peer is not None:
            rows.append(peer)
    if not args.no_mismatch:
        unguessed = with_guessing(bank, 0.0)
        mismatches = [
            (unguessed, 0.25, "guessing, scored c=0"),
            (bank, 0.0, "no guessing, scored c=1/4"),
        ]
        for scored, guess, label in mismatches:
            rows.append(run_crisis(scored, truth, guess, args.seed, label, config))
    print(
        f"{len(bank)} items, {args.examinees} examinees, {len(areas)} areas, "
        f"test limit {args.max_items} items"
    )
    header = (
        f"{'engine':8} {'condition':26} {'r':>6} {'RMSE':>6} {'bias':>7} {'exact':>6} {'θ̂ cut':>6} "
        f"{'±1':>6} {'length':>7} {'SE≤.45':>7} {'max exp':>8} {'s':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        f = row.figures()
        print(
            f"{row.engine:8} {row.condition:26} {f['r']:6.3f} {f['rmse']:6.3f} "
            f"{f['bias']:+7.3f} {f['exact']:6.3f} {f['exact_point']:6.3f} {f['within1']:6.3f} "
            f"{f['length']:7.1f} "
            f"{f['se_ok']:7.2f} {f['max_exposure']:8.3f} {row.seconds:6.1f}"
        )
    if not args.no_peer and not any(row.engine == "catsim" for row in rows):
        print("catsim is not installed (pip install -e '.[bench]'): CRISIS figures only")
    ours = {row.condition: row for row in rows if row.engine == "CRISIS"}
    peers = {row.condition: row for row in rows if row.engine == "catsim"}
    for condition, peer in peers.items():
        a, b = ours[condition].figures(), peer.figures()
        print(
            f"{condition}: RMSE ratio CRISIS/catsim {a['rmse'] / b['rmse']:.2f}, "
            f"exact-level {a['exact']:.3f} vs {b['exact']:.3f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
