"""The engine against a plain-numpy floor and heavylight, on one simple outcome contract.

The model, the same in all three implementations: a 20-year programme (240 months) from
January 2021 with one outcome contract over the whole horizon. Ten participants enrol each
month for the first 36 months (expected counts). Per scenario the share achieving the outcome
is drawn uniformly from 0.3–0.5 (once, with numpy, fixed seed, and handed to every
implementation: to programma as a ``Samples`` distribution); the baseline is 0.1, the time to
outcome a fixed 12 months and the verification lag 3 months. The price is €8,000 at the price
base (January 2021), indexed 2% a (calendar = fiscal) year at verification. A contract cap of
€1,000,000 binds in about a third of the scenarios. Payment is monthly. The output is the
monthly outcome payments ``(S, 240)`` per scenario.

* programma: ``project(programme, scenarios=S, resolution="month")`` then the
  ``outcome_payment`` total; the programme is built beforehand (not timed). The engine computes
  everything else it always computes (every series, caps, present values) as well.
* numpy floor: the fastest straightforward vectorised code for exactly this model.
* heavylight: a ``heavylight.Model`` subclass, one method per variable over ``t``, vectorised
  over scenarios by numpy arrays in ``data``; timed from construction (which runs it) to the
  stacked ``(S, 240)`` payments.

Before timing, the three are checked to give the same payments in every scenario and month
(to 1e-9 relative to the scenario's largest payment). Each measurement then runs in a fresh
interpreter: one run for memory (the rise of the peak RSS over the RSS before it, so imports
and inputs do not count), then the best wall time of ``--repeats`` runs.

Run: ``python benchmarks/bench_engine.py`` (``--sizes 1000 10000`` for fewer sizes);
``python benchmarks/bench_engine.py --profile 10000`` prints where programma spends its time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    best_time,
    machine_header,
    markdown_table,
    measure_in_subprocess,
    peak_rss_during,
    profile_table,
    ratio,
    seconds,
)

import programma as pg

SEED = 20_210_101
START = dt.date(2021, 1, 1)
HORIZON_YEARS = 20
T = 12 * HORIZON_YEARS
ENROL_MONTHS = 36
PER_MONTH = 10.0
SHARE_LOW, SHARE_HIGH = 0.3, 0.5
BASELINE = 0.1
TIME_TO_OUTCOME = 12
LAG = 3
OUTCOME = TIME_TO_OUTCOME + LAG  # the first month anything is verified
PRICE = 8_000.0
INDEXATION = 0.02
CAP = 1_000_000.0
TOLERANCE = 1e-9
IMPLEMENTATIONS = ("numpy", "programma", "heavylight")
HEAVYLIGHT_MAX = 10_000  # heavylight is measured up to this size


def shares(scenarios: int) -> np.ndarray:
    """The share achieving per scenario: uniform on 0.3–0.5, fixed seed."""
    return np.random.default_rng(SEED).uniform(SHARE_LOW, SHARE_HIGH, scenarios)


# -- (b) the plain-numpy floor ----------------------------------------------------------------


def numpy_payments(share: np.ndarray) -> np.ndarray:
    """The monthly outcome payments ``(S, T)``, written directly for this model."""
    month = np.arange(T)
    enrolled = np.where(month < ENROL_MONTHS, PER_MONTH, 0.0)
    reaching = np.zeros(T)  # the cohort reaching its outcome in each month
    reaching[TIME_TO_OUTCOME:] = enrolled[: T - TIME_TO_OUTCOME]
    verified = np.zeros(T)  # by verification month
    verified[LAG:] = reaching[: T - LAG]
    unit = PRICE * (1.0 + INDEXATION) ** (month // 12)  # indexed at verification
    earned = (share - BASELINE)[:, None] * (verified * unit)[None, :]
    paid_to_date = np.minimum(np.cumsum(earned, axis=1), CAP)
    return np.diff(paid_to_date, axis=1, prepend=0.0)


# -- (a) programma ----------------------------------------------------------------------------


def programma_programme(share: np.ndarray) -> pg.Programme:
    """The model as a programma ``Programme``."""
    # The collections below are typed ``Iterable[_T_co]`` by attrs' ``converter=tuple`` under
    # mypy, which no argument satisfies: hence the ignores.
    contract = pg.OutcomeContract(
        "contract",
        "Outcome contract",
        "provider",
        START,
        duration_months=T,
        enrolment=pg.Enrolment((pg.EnrolmentWindow(START, ENROL_MONTHS, per_month=PER_MONTH),)),  # type: ignore[arg-type]
        metrics=(  # type: ignore[arg-type]
            pg.OutcomeMetric(
                "outcome",
                "The outcome",
                price=PRICE,
                share_achieving=pg.Samples(share.tolist()),
                baseline=BASELINE,
                time_to_outcome=TIME_TO_OUTCOME,
                indexation=INDEXATION,
            ),
        ),
        payers=(pg.PayerShare("city", "budget", 1.0),),  # type: ignore[arg-type]
        payment_schedule="monthly",
        verification_lag_months=LAG,
        cap=CAP,
    )
    return pg.Programme(
        "bench",
        "Benchmark",
        "EUR",
        START,
        HORIZON_YEARS,
        stakeholders=(  # type: ignore[arg-type]
            pg.Stakeholder("city", "City", "municipality"),
            pg.Stakeholder("provider", "Provider", "provider"),
        ),
        funds=(pg.Fund("budget", "Budget", "municipal-budget", "city"),),  # type: ignore[arg-type]
        contracts=(contract,),  # type: ignore[arg-type]
    )


def programma_payments(programme: pg.Programme, scenarios: int) -> np.ndarray:
    """Project the programme and return its monthly outcome payments ``(S, T)``."""
    projection = pg.project(programme, scenarios=scenarios, resolution="month")
    return np.asarray(projection.total(flow="outcome_payment"))


# -- (c) heavylight ---------------------------------------------------------------------------


def heavylight_class() -> type:
    """The model as a ``heavylight.Model`` subclass (imported lazily: heavylight needs pandas)."""
    import heavylight  # type: ignore[import-untyped]

    class OutcomeContract(heavylight.Model):  # type: ignore[misc]
        """One method per variable over the month ``t``; arrays over scenarios in ``data``."""

        data: dict[str, np.ndarray]

        def gain(self, t: int) -> np.ndarray:
            return self.data["share"] - BASELINE

        def enrolled(self, t: int) -> float:
            return PER_MONTH if t < ENROL_MONTHS else 0.0

        def reaching(self, t: int) -> float:
            return self.enrolled(t - TIME_TO_OUTCOME) if t >= TIME_TO_OUTCOME else 0.0

        def payable(self, t: int) -> np.ndarray:
            return self.gain(t) * self.reaching(t)

        def verified(self, t: int) -> np.ndarray:
            return self.payable(t - LAG) if t >= LAG else self.gain(t) * 0.0

        def price_index(self, t: int) -> float:
            return float((1.0 + INDEXATION) ** (t // 12))

        def earned(self, t: int) -> np.ndarray:
            return self.verified(t) * (PRICE * self.price_index(t))

        def earned_to_date(self, t: int) -> np.ndarray:
            before = self.earned_to_date(t - 1) if t > 0 else 0.0
            return before + self.earned(t)

        def paid_to_date(self, t: int) -> np.ndarray:
            return np.asarray(np.minimum(self.earned_to_date(t), CAP))

        def payment(self, t: int) -> np.ndarray:
            before = self.paid_to_date(t - 1) if t > 0 else 0.0
            return self.paid_to_date(t) - before

    return OutcomeContract


def heavylight_payments(model_class: type, share: np.ndarray) -> np.ndarray:
    """Build and run the heavylight model; return the payments ``(S, T)``."""
    model = model_class(data={"share": share}, proj_len=T)
    return np.asarray(np.stack([model.payment(t) for t in range(T)], axis=1))


# -- checking and measuring -------------------------------------------------------------------


def runner(kind: str, scenarios: int) -> Callable[[], np.ndarray]:
    """A call that computes the payments of ``scenarios`` scenarios by one implementation."""
    share = shares(scenarios)
    if kind == "numpy":
        return lambda: numpy_payments(share)
    if kind == "programma":
        programme = programma_programme(share)
        return lambda: programma_payments(programme, scenarios)
    if kind == "heavylight":
        model_class = heavylight_class()
        return lambda: heavylight_payments(model_class, share)
    raise ValueError(f"unknown implementation {kind!r}")


def check(scenarios: int, kinds: tuple[str, ...]) -> str:
    """Compare every implementation with the floor; raise on any difference."""
    floor = numpy_payments(shares(scenarios))
    for kind in kinds:
        if kind == "numpy":
            continue
        got = runner(kind, scenarios)()
        scale = np.abs(floor).max(axis=1, keepdims=True)
        worst = float((np.abs(got - floor) / scale).max())
        if got.shape != floor.shape or worst > TOLERANCE:
            raise SystemExit(f"{kind} differs from the numpy floor at S={scenarios}: {worst:.1e}")
        print(f"S={scenarios:,}: {kind} equals the numpy floor (largest difference {worst:.1e})")
    month = np.arange(T)
    verified = np.where((month >= OUTCOME) & (month < OUTCOME + ENROL_MONTHS), PER_MONTH, 0.0)
    unit = PRICE * (1.0 + INDEXATION) ** (month // 12)
    earned = (shares(scenarios) - BASELINE) * float((verified * unit).sum())
    binding = int((floor.sum(axis=1) < earned - 1e-6).sum())
    return f"S={scenarios:,}: the cap binds in {binding:,} scenarios ({binding / scenarios:.0%})"


def measure(kind: str, scenarios: int, repeats: int) -> dict[str, Any]:
    """Inside a fresh interpreter: memory of one run, then the best of ``repeats`` runs."""
    run = runner(kind, scenarios)
    memory = peak_rss_during(run)
    return {"kind": kind, "scenarios": scenarios, "time": best_time(run, repeats), **memory}


def main() -> None:
    """Check the implementations agree, then measure each size and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (best is kept)")
    parser.add_argument(
        "--profile", type=int, metavar="S", help="instead profile programma at S scenarios"
    )
    parser.add_argument(
        "--measure", nargs=3, metavar=("KIND", "S", "REPEATS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:  # the child process of one measurement
        kind, size, repeats = args.measure
        print(json.dumps(measure(kind, int(size), int(repeats))))
        return
    print(machine_header(["programma", "numpy", "heavylight", "pandas"]))
    if args.profile:
        print(profile_table(runner("programma", args.profile), 10))
        return
    for size in args.sizes:
        kinds = tuple(k for k in IMPLEMENTATIONS if k != "heavylight" or size <= HEAVYLIGHT_MAX)
        print(check(size, kinds))
    rows = []
    for size in args.sizes:
        results = {}
        for kind in IMPLEMENTATIONS:
            if kind == "heavylight" and size > HEAVYLIGHT_MAX:
                continue
            repeats = args.repeats if size < 100_000 else max(3, args.repeats // 2)
            results[kind] = measure_in_subprocess(Path(__file__), [kind, str(size), str(repeats)])
            print(json.dumps(results[kind]), file=sys.stderr)
        floor = results["numpy"]
        for kind, result in results.items():
            rows.append(
                [
                    f"{size:,}",
                    kind,
                    ratio(result["time"] / floor["time"]),
                    ratio(result["rise_mib"] / max(floor["rise_mib"], 0.1)),
                    seconds(result["time"]),
                    f"{result['rise_mib']:,.1f} MiB",
                    f"{result['peak_rss_mib']:,.0f} MiB",
                ]
            )
    header = [
        "S",
        "implementation",
        "time / floor",
        "memory rise / floor",
        "time (best)",
        "memory rise",
        "peak RSS (process)",
    ]
    print()
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
