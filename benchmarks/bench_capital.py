"""A capital programme of C initiatives: a plain-numpy floor, heavylight and programma.

The model, the same for every contender: a 20-year programme (240 months, calendar fiscal
years, prices at January 2021) of C initiatives paid by one fund. Per initiative, drawn once
(the programme's design, the same in every scenario):

* start: a whole month, uniform on 0–179;
* duration: a whole number of months, uniform on 6–60;
* commitment: lognormal with μ = 13, σ = 1 (median €442,413), spent evenly (flat profile).

Per scenario and initiative:

* a start delay, Poisson(3) whole months;
* an overrun factor, lognormal with σ = 0.15 and **mean 1** (μ = −σ²/2);

and per scenario, **shared by all initiatives** (one price index of the programme):

* a yearly indexation path: each fiscal year's rate Normal(0.02, 0.005), drawn per year.

Initiative i spends ``commitment × overrun / duration`` in each month from ``start + delay`` for
``duration`` months, times the price index of that month (Π (1 + r(y)) over the fiscal years
after 2021 up to the month's), paid at the end of the month. What a delay pushes past month 239
is not spent inside the horizon and is not part of the outflow. The output is the fund's
monthly outflow ``(S, 240)``, its net present value at 3.5% a year (each month discounted from
its end to January 2021: ``1.035 ** -((m + 1) / 12)``, programma's convention), and the P50 and
P90 of the NPV over the scenarios.

The draws are made with numpy from a fixed seed, identically in every process, and handed to
every contender (to programma as ``Samples``):

* ``numpy``: the floor. A difference array per scenario (``np.bincount`` of the start and end
  positions), one ``cumsum`` along the months, times the index path: no Python loop.
* ``heavylight``: a ``heavylight.LightModel`` with one method per variable over the month ``t``
  (price index, spend, outflow, discount factor) and a present value, vectorised over the
  scenarios (and the initiatives inside ``spend``) with numpy, as heavylight models are; run by
  ``RunModel(239)``.
* ``programma-fy``: the same projection kept by fiscal year, the default of a Monte Carlo run,
  which gives the NPV (a per-scenario scalar) but not the monthly outflow: what keeping the
  monthly periods costs. Only its mean NPV is compared with the floor.
* ``programma``: ``project(programme, scenarios=S, resolution="month")`` of a programme with C
  initiatives funded by one fund (monthly periods are the output asked for; every other option
  at its default); the outflow is ``Projection.outflow(fund)`` and the NPV the scalar
  ``npv/fund/{fund}`` at the programme's discount rate of 3.5%. Building the programme (which
  validates it) is timed apart (the ``build`` column) and not in its time. When the default
  memory budget refuses the run, that refusal is the result, and ``programma (max_memory)``
  runs it again with ``max_memory`` raised to what the run needs, if the machine has that much
  available.

Every run of heavylight and programma is checked against the floor in every scenario and month
(to 1e-9 of the scenario's largest month) and on the mean NPV (1e-9 relative): all three
compute the same sums of the same products in another order, so they agree to rounding.

Each run is a fresh interpreter; the contenders take turns (A, B, C, A, B, C, …) and the median
of ``--runs`` runs (at least 5) is reported, with each run's peak RSS and its rise over the RSS
just before the timed call (imports and inputs do not count).

Run: ``python benchmarks/bench_capital.py`` (1,000 × 100, 10,000 × 100 and 10,000 × 1,000
initiatives × scenarios), ``--sizes 1000x100``, ``--quick`` for a small smoke pass.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _common import (
    available_memory,
    interleaved,
    machine_header,
    markdown_table,
    median_of,
    mib,
    outcome,
    peak_rss_during,
    ratio,
    seconds,
)

import programma as pg

SEED = 20_210_101
START = dt.date(2021, 1, 1)
HORIZON_YEARS = 20
T = 12 * HORIZON_YEARS
YEARS = HORIZON_YEARS  # fiscal years 2021–2040 (2021 is the price base: its rate is not used)
START_HIGH = 179
DURATION_LOW, DURATION_HIGH = 6, 60
COMMITMENT_MU, COMMITMENT_SIGMA = 13.0, 1.0
DELAY_MEAN = 3.0
OVERRUN_SIGMA = 0.15
RATE_MEAN, RATE_SD = 0.02, 0.005
DISCOUNT = 0.035
FUND = "capital"
TOLERANCE = 1e-9
KINDS = ("numpy", "heavylight", "programma", "programma-fy")
"""``programma-fy``: the same projection kept by fiscal year (the default), for its NPV only."""
SIZES = ((1_000, 100), (10_000, 100), (10_000, 1_000))
QUICK_SIZES = ((200, 50),)
TINY = (40, 20)
"""The size the test suite runs in-process."""


@dataclass(frozen=True)
class Draws:
    """Every input of the model, drawn once with numpy."""

    start: np.ndarray  # (C,) whole months
    duration: np.ndarray  # (C,) whole months
    commitment: np.ndarray  # (C,)
    delay: np.ndarray  # (S, C) whole months
    overrun: np.ndarray  # (S, C)
    rates: np.ndarray  # (S, YEARS): the rate of fiscal year 2021 + y


def draws(initiatives: int, scenarios: int, seed: int = SEED) -> Draws:
    """The model's inputs; the initiatives' own draws do not depend on ``scenarios``."""
    rng = np.random.default_rng(seed)
    start = rng.integers(0, START_HIGH + 1, initiatives)
    duration = rng.integers(DURATION_LOW, DURATION_HIGH + 1, initiatives)
    commitment = rng.lognormal(COMMITMENT_MU, COMMITMENT_SIGMA, initiatives)
    per_scenario = np.random.default_rng([seed, scenarios])
    delay = per_scenario.poisson(DELAY_MEAN, (scenarios, initiatives))
    overrun = per_scenario.lognormal(
        -(OVERRUN_SIGMA**2) / 2, OVERRUN_SIGMA, (scenarios, initiatives)
    )
    rates = per_scenario.normal(RATE_MEAN, RATE_SD, (scenarios, YEARS))
    return Draws(start, duration, commitment, delay, overrun, rates)


def discount_factors() -> np.ndarray:
    """Each month's flow, at its end, discounted to January 2021 at 3.5% a year."""
    return np.asarray((1.0 + DISCOUNT) ** -((np.arange(T) + 1.0) / 12.0))


def price_index(rates: np.ndarray) -> np.ndarray:
    """``(S, T)``: Π (1 + r(y)) over the fiscal years after 2021 up to each month's."""
    by_year = np.ones_like(rates)
    by_year[:, 1:] = np.cumprod(1.0 + rates[:, 1:], axis=1)
    return np.asarray(by_year[:, np.arange(T) // 12])


# -- (a) the numpy floor ------------------------------------------------------------------------


def numpy_outflow(d: Draws) -> np.ndarray:
    """The monthly outflow ``(S, T)``: a difference array per scenario, one cumsum."""
    scenarios = d.delay.shape[0]
    begin = d.start + d.delay  # (S, C)
    amount = (d.commitment / d.duration) * d.overrun  # spent each month, before indexation
    rows = np.arange(scenarios)[:, None] * (T + 1)  # a column T collects what lies past the end
    size = scenarios * (T + 1)
    steps = np.bincount((rows + np.minimum(begin, T)).ravel(), amount.ravel(), size)
    steps -= np.bincount((rows + np.minimum(begin + d.duration, T)).ravel(), amount.ravel(), size)
    level = np.cumsum(steps.reshape(scenarios, T + 1), axis=1)[:, :T]
    return np.asarray(level * price_index(d.rates))


# -- (b) heavylight -----------------------------------------------------------------------------


def heavylight_class() -> type:
    """The model as a ``heavylight.LightModel`` (imported lazily: heavylight needs pandas)."""
    from heavylight import LightModel  # type: ignore[import-untyped]

    class CapitalProgramme(LightModel):  # type: ignore[misc]
        """One method per variable over the month ``t``; arrays over scenarios."""

        def __init__(self, d: Draws) -> None:
            self.begin = d.start + d.delay  # (S, C): each initiative's first month
            self.end = self.begin + d.duration
            self.monthly = (d.commitment / d.duration) * d.overrun
            self.rates = d.rates
            super().__init__(agg_function=None)

        def price_index(self, t: int) -> np.ndarray:
            if t == 0:
                return np.ones(self.rates.shape[0])
            if t % 12 == 0:  # a new fiscal year
                return self.price_index(t - 1) * (1.0 + self.rates[:, t // 12])
            return self.price_index(t - 1)

        def spend(self, t: int) -> np.ndarray:
            active = (self.begin <= t) & (t < self.end)
            return np.asarray((self.monthly * active).sum(axis=1))

        def outflow(self, t: int) -> np.ndarray:
            return np.asarray(self.spend(t) * self.price_index(t))

        def discount_factor(self, t: int) -> float:
            return float((1.0 + DISCOUNT) ** -((t + 1) / 12))

        def npv(self) -> np.ndarray:
            return np.asarray(sum(self.outflow(t) * self.discount_factor(t) for t in range(T)))

    return CapitalProgramme


def heavylight_run(model_class: type, d: Draws) -> tuple[np.ndarray, np.ndarray]:
    """Run the heavylight model: the outflow ``(S, T)`` and the NPV per scenario."""
    model = model_class(d)
    model.RunModel(T - 1)  # runs t = 0 … T − 1
    outflow = np.stack([model.outflow(t) for t in range(T)], axis=1)
    return outflow, model.npv()


# -- (c) programma ------------------------------------------------------------------------------


def programme(d: Draws) -> pg.Programme:
    """The model as a programma ``Programme``: C initiatives funded by one fund."""
    scenarios = d.delay.shape[0]
    indexation = pg.Yearly(
        {2021 + y: pg.Samples(d.rates[:, y]) for y in range(YEARS)}
    )  # one path per scenario, the same object for every initiative
    initiatives = [
        pg.Initiative(
            f"i{i}",
            f"Initiative {i}",
            "city",
            float(d.commitment[i]),
            _month(int(d.start[i])),
            int(d.duration[i]),
            delay=pg.Samples(d.delay[:, i]),
            overrun=pg.Samples(d.overrun[:, i]),
            indexation=indexation,
            funds=(pg.FundShare(FUND, 1.0),),
        )
        for i in range(d.start.size)
    ]
    assert scenarios > 0
    return pg.Programme(
        "capital",
        "Capital programme",
        "EUR",
        START,
        HORIZON_YEARS,
        discount_rate=DISCOUNT,
        stakeholders=(pg.Stakeholder("city", "City", "municipality"),),  # type: ignore[arg-type]
        funds=(pg.Fund(FUND, "Capital fund", "municipal-budget", "city"),),  # type: ignore[arg-type]
        initiatives=initiatives,  # type: ignore[arg-type]
    )


def _month(offset: int) -> dt.date:
    """The first of the month ``offset`` months after ``START``."""
    return dt.date(START.year + offset // 12, offset % 12 + 1, 1)


def programma_run(
    built: pg.Programme, scenarios: int, max_memory: int | None = None, monthly: bool = True
) -> tuple[np.ndarray | None, np.ndarray]:
    """Project the programme: the fund's outflow ``(S, T)`` (None by fiscal year) and its NPV
    per scenario."""
    resolution = "month" if monthly else "fiscal_year"
    projection = pg.project(
        built, scenarios=scenarios, resolution=resolution, max_memory=max_memory
    )
    outflow = projection.outflow(FUND) if monthly else None
    return outflow, np.asarray(projection.scalars[f"npv/fund/{FUND}"])


# -- checking and measuring ---------------------------------------------------------------------


def statistics_of(npv: np.ndarray) -> dict[str, float]:
    """Mean, P50 and P90 of the NPV over the scenarios."""
    p50, p90 = np.percentile(npv, [50, 90])
    return {"mean_npv": float(npv.mean()), "p50_npv": float(p50), "p90_npv": float(p90)}


def compare(outflow: np.ndarray | None, npv: np.ndarray, d: Draws) -> dict[str, float]:
    """How far a contender is from the floor: on the mean NPV (relative) and, where it gives
    the monthly outflow, in every month (relative to each scenario's largest month)."""
    floor = numpy_outflow(d)
    floor_npv = floor @ discount_factors()
    found = {"mean_npv_difference": float(abs(npv.mean() / floor_npv.mean() - 1.0))}
    if outflow is None:
        return found
    if outflow.shape != floor.shape:
        return {"worst_monthly": float("inf"), "mean_npv_difference": float("inf")}
    scale = np.maximum(np.abs(floor).max(axis=1, keepdims=True), 1e-300)
    return found | {"worst_monthly": float((np.abs(outflow - floor) / scale).max())}


def contender(kind: str, d: Draws, max_memory: int | None = None) -> Callable[[], Any]:
    """A call that computes ``(outflow, npv)`` by one contender (inputs prepared, untimed)."""
    if kind == "numpy":
        factors = discount_factors()

        def floor() -> tuple[np.ndarray, np.ndarray]:
            outflow = numpy_outflow(d)
            return outflow, outflow @ factors

        return floor
    if kind == "heavylight":
        model_class = heavylight_class()
        return lambda: heavylight_run(model_class, d)
    if kind in ("programma", "programma-fy"):
        built = programme(d)
        scenarios = d.delay.shape[0]
        return lambda: programma_run(built, scenarios, max_memory, kind == "programma")
    raise ValueError(f"unknown contender {kind!r}")


def measure(kind: str, initiatives: int, scenarios: int, max_memory: int | None) -> dict[str, Any]:
    """Inside a fresh interpreter: one timed run, its memory, and its distance from the floor."""
    d = draws(initiatives, scenarios)
    start = time.perf_counter()
    run = contender(kind, d, max_memory)
    build = time.perf_counter() - start
    got: list[tuple[np.ndarray, np.ndarray]] = []
    try:
        memory = peak_rss_during(lambda: got.append(run()))
    except pg.MemoryBudgetError as error:
        return {"status": "refused", "needed": error.needed, "allowed": error.allowed}
    outflow, npv = got[0]
    result = {"build": build, **memory, **statistics_of(npv)}
    if kind != "numpy":
        result.update(compare(outflow, npv, d))
    return result


def max_memory_for(needed: int) -> int | None:
    """A raised ``max_memory`` for a refused run, or None when the machine lacks the room."""
    available = available_memory()
    if available is None or needed * 1.1 > 0.8 * available:
        return None
    return int(needed * 1.1)


def agreement(result: dict[str, Any]) -> str:
    """Whether a contender agrees with the floor, as a table cell."""
    if "mean_npv_difference" not in result:
        return "—"
    monthly = result.get("worst_monthly", 0.0)
    worst = max(monthly, result["mean_npv_difference"])
    mark = "yes" if worst <= TOLERANCE else "**NO**"
    shown = f"{monthly:.0e}" if "worst_monthly" in result else "n/a"
    return f"{mark} ({result['mean_npv_difference']:.0e} / {shown})"


def benchmark(sizes: tuple[tuple[int, int], ...], runs: int, timeout: float) -> str:
    """Measure every size, interleaved, and return the Markdown table."""
    rows = []
    script = Path(__file__)
    for initiatives, scenarios in sizes:
        size = [str(initiatives), str(scenarios)]
        cases = [(kind, [kind, *size, "0"]) for kind in KINDS]
        results = interleaved(script, cases, runs, timeout)
        for kind in ("programma", "programma-fy"):
            refused = results[kind][-1] if results[kind] else {}
            if refused.get("status") != "refused":
                continue
            raised = max_memory_for(int(refused["needed"]))
            label = f"{kind} (max_memory raised)"
            if raised is None:
                available = (available_memory() or 0) / 1024**3
                error = f"needs {refused['needed'] / 1024**3:,.1f} GiB, {available:,.1f} available"
                results[label] = [{"status": "not run", "error": error}]
            else:
                args = [kind, *size, str(raised)]
                results |= interleaved(script, [(label, args)], runs, timeout)
        floor = results["numpy"]
        for kind, done in results.items():
            status = outcome(done)
            label = f"{initiatives:,} × {scenarios:,}"
            if status != "ok":
                rows.append([label, kind, status, "", "", "", "", "", "", "", ""])
                continue
            time_, rise = median_of(done, "seconds"), median_of(done, "rise_mib")
            floor_time = median_of(floor, "seconds")
            floor_rise = median_of(floor, "rise_mib")
            rows.append(
                [
                    label,
                    kind,
                    seconds(time_),
                    ratio(time_ / floor_time),
                    mib(rise),
                    ratio(rise / max(floor_rise, 0.1)),
                    mib(max(run["peak_rss_mib"] for run in done)),
                    seconds(median_of(done, "build")),
                    f"{median_of(done, 'mean_npv') / 1e6:,.2f} M",
                    f"{median_of(done, 'p50_npv') / 1e6:,.2f} M / "
                    f"{median_of(done, 'p90_npv') / 1e6:,.2f} M",
                    agreement(done[-1]),
                ]
            )
    header = [
        "C × S",
        "contender",
        "time (median)",
        "time / floor",
        "memory rise",
        "rise / floor",
        "peak RSS",
        "build",
        "mean NPV",
        "P50 / P90 NPV",
        "agrees (mean NPV / monthly)",
    ]
    return markdown_table(header, rows)


def parse_size(text: str) -> tuple[int, int]:
    """``1000x100`` → (1000, 100): initiatives × scenarios."""
    initiatives, _, scenarios = text.lower().partition("x")
    return int(initiatives), int(scenarios)


def main() -> None:
    """Measure the sizes and print the machine and a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_size, nargs="+", help="e.g. 1000x100 10000x100")
    parser.add_argument("--runs", type=int, default=5, help="fresh-process runs per contender")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--quick", action="store_true", help="a small smoke pass")
    parser.add_argument("--measure", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child process of one run
        kind, initiatives, scenarios, max_memory = args.measure
        result = measure(kind, int(initiatives), int(scenarios), int(max_memory) or None)
        print(json.dumps(result))
        return
    if args.runs < 5:
        print("note: fewer than 5 runs per contender", file=sys.stderr)
    sizes = tuple(args.sizes or (QUICK_SIZES if args.quick else SIZES))
    print(machine_header(["programma", "numpy", "heavylight", "pandas"]))
    print()
    print(benchmark(sizes, args.runs, args.timeout))


if __name__ == "__main__":
    main()
