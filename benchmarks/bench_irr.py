"""IRR and XIRR: ``programma.finance`` on a batch against numpy-financial and pyxirr in a loop.

The batch is 10,000 investor-like monthly series of 241 flows (fixed seed): draw-downs in each
of the first 12–36 months, then sparse positive receipts (each later month pays with a
probability of 5–30%), scaled so that each series returns 0.4–2.5 times what was drawn.

* ``programma.finance.irr(batch)``: one call on the whole ``(10000, 241)`` array.
* a plain batch Newton (the floor): Newton's method on every row at once from 10%, by Horner's
  rule, with no bracket, no check and no choice among roots, until every row's step is below
  1e-12 or 50 steps; it shows what a vectorised solver costs at least.
* ``pyxirr.irr``: called once per row in a Python loop, all 10,000 rows.
* ``numpy_financial.irr``: called once per row on the first 200 rows only (it finds the
  roots of a degree-240 polynomial by an eigenvalue solve, about 0.2–1 s a row on a loaded
  two-core machine); that loop is timed once and its time scaled by rows / 200
  (``--npf-rows`` changes the subset).

Every programma root is checked: ``|NPV(r)|`` relative to the discounted absolute flows
``Σ|f_t|(1+r)^-t`` must be below 1e-9; the same check is reported for the others. Rows where
two libraries differ by more than 1e-9 (absolute, on the monthly rate) are counted, with NaN
agreeing only with NaN.

XIRR uses the same flows on real dates: each monthly flow on a random day of its month (so
the spacing is irregular), ``programma.finance.xirr(values, dates)`` on the batch against
``pyxirr.xirr`` row by row.

Run: ``python benchmarks/bench_irr.py`` (``--rows`` and ``--repeats`` to change the size).
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

import numpy as np
import numpy_financial as npf  # type: ignore[import-untyped]
import pyxirr
from _common import best_time, machine_header, markdown_table, ratio, seconds

from programma.finance import irr, xirr

SEED = 20_210_101
MONTHS = 241
TOLERANCE = 1e-9


def investor_flows(rows: int, months: int = MONTHS, seed: int = SEED) -> np.ndarray:
    """Investor-like monthly flows ``(rows, months)``: draw-downs, then sparse receipts."""
    rng = np.random.default_rng(seed)
    month = np.arange(months)[None, :]
    drawing = rng.integers(12, 37, rows)[:, None]
    draws = rng.uniform(20_000, 120_000, (rows, months)) * (month < drawing)
    first_receipt = drawing + rng.integers(0, 25, (rows, 1))
    chance = rng.uniform(0.05, 0.30, (rows, 1))
    pays = (month >= first_receipt) & (rng.random((rows, months)) < chance)
    pays[:, -1] |= ~pays.any(axis=1)  # every series gets at least one receipt
    receipts = rng.lognormal(0.0, 0.8, (rows, months)) * pays
    multiple = rng.uniform(0.4, 2.5, (rows, 1))
    receipts *= multiple * draws.sum(axis=1, keepdims=True) / receipts.sum(axis=1, keepdims=True)
    return np.asarray(receipts - draws)


def flow_dates(rows: int, months: int = MONTHS, seed: int = SEED) -> np.ndarray:
    """For each monthly flow a real date: a random day (1–28) of its month from January 2021."""
    rng = np.random.default_rng(seed + 1)
    first_days = np.arange("2021-01", np.datetime64("2021-01") + months, dtype="datetime64[M]")
    days = first_days.astype("datetime64[D]")[None, :] + rng.integers(0, 28, (rows, months))
    return np.asarray(days)


def relative_npv(flows: np.ndarray, rates: np.ndarray, times: np.ndarray) -> np.ndarray:
    """``|NPV(r)| / Σ|f_t|(1+r)^-t`` per row (NaN where the rate is NaN)."""
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        factors = (1.0 + rates[:, None]) ** -times
        return np.asarray(
            np.abs((flows * factors).sum(axis=1)) / (np.abs(flows) * factors).sum(axis=1)
        )


def disagreements(a: np.ndarray, b: np.ndarray) -> int:
    """Rows where two answers differ by more than the tolerance (NaN agrees only with NaN)."""
    both_nan = np.isnan(a) & np.isnan(b)
    with np.errstate(invalid="ignore"):
        close = np.abs(a - b) <= TOLERANCE
    return int((~(both_nan | close)).sum())


def loop(function: Callable[[np.ndarray], float | None], rows: np.ndarray) -> np.ndarray:
    """``function`` on each row; None (no answer) becomes NaN."""
    out = np.empty(rows.shape[0])
    for i, row in enumerate(rows):
        value = function(row)
        out[i] = np.nan if value is None else value
    return out


def newton_floor(flows: np.ndarray, guess: float = 0.1, steps: int = 50) -> np.ndarray:
    """Plain batch Newton on the NPV times (1 + r)^(n − 1), all rows at once, from ``guess``:
    Horner's rule in place, no bracket, no check."""
    columns = np.ascontiguousarray(flows.T)
    rate = np.full(flows.shape[0], guess)
    value, slope = np.empty_like(rate), np.empty_like(rate)
    with np.errstate(all="ignore"):
        for _ in range(steps):
            growth = 1.0 + rate
            value[:] = 0.0
            slope[:] = 0.0
            for column in columns:
                slope *= growth
                slope += value
                value *= growth
                value += column
            step = value / slope
            rate -= step
            if not (np.abs(step) > 1e-12).any():
                break
    return rate


def traced_peak_mib(run: Callable[[], object]) -> float:
    """The peak memory numpy and Python allocate during ``run``, in MiB (tracemalloc)."""
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1] / 1024**2
    finally:
        tracemalloc.stop()


def bench_irr(flows: np.ndarray, repeats: int, npf_rows: int) -> list[list[str]]:
    """Time and check the periodic IRR; return the table rows."""
    rows = flows.shape[0]
    times = np.arange(flows.shape[1], dtype=float)
    ours = irr(flows)
    theirs = loop(lambda row: pyxirr.irr(row, silent=True), flows)
    subset = flows[:npf_rows]
    start = time.perf_counter()
    numpy_financial = loop(npf.irr, subset)  # timed once: it takes minutes
    t_npf = (time.perf_counter() - start) * rows / npf_rows

    floor = newton_floor(flows)
    t_ours = best_time(lambda: irr(flows), repeats)
    t_floor = best_time(lambda: newton_floor(flows), repeats)
    t_pyxirr = best_time(lambda: loop(lambda row: pyxirr.irr(row, silent=True), flows), repeats)
    peak = traced_peak_mib(lambda: irr(flows))

    check = {
        "programma": relative_npv(flows, ours, times),
        "Newton floor": relative_npv(flows, floor, times),
        "pyxirr": relative_npv(flows, theirs, times),
        "numpy-financial": relative_npv(subset, numpy_financial, times),
    }
    for name, residual in check.items():
        exact = int((residual < TOLERANCE).sum())
        print(f"irr {name}: {exact:,} of {residual.size:,} roots exact to 1e-9, "
              f"{int(np.isnan(residual).sum()):,} without an answer, "
              f"largest relative |NPV| {np.nanmax(residual):.1e}")  # fmt: skip
    print(f"irr: programma vs pyxirr differ on {disagreements(ours, theirs):,} of {rows:,} rows")
    print(
        f"irr: programma vs numpy-financial differ on "
        f"{disagreements(ours[:npf_rows], numpy_financial):,} of {npf_rows:,} rows"
    )
    print(f"irr: programma traced peak memory {peak:,.0f} MiB")
    ok = int((check["programma"] < TOLERANCE).sum())
    return [
        ["irr: programma (one batched call)", "1.00×", seconds(t_ours), f"{ok:,}/{rows:,}", "—"],
        [
            "irr: plain batch Newton (floor)",
            ratio(t_floor / t_ours),
            seconds(t_floor),
            f"{int((check['Newton floor'] < TOLERANCE).sum()):,}/{rows:,}",
            f"{disagreements(ours, floor):,}/{rows:,}",
        ],
        [
            "irr: pyxirr (loop, all rows)",
            ratio(t_pyxirr / t_ours),
            seconds(t_pyxirr),
            f"{int((check['pyxirr'] < TOLERANCE).sum()):,}/{rows:,}",
            f"{disagreements(ours, theirs):,}/{rows:,}",
        ],
        [
            f"irr: numpy-financial (loop, {npf_rows} rows, scaled ×{rows / npf_rows:g})",
            ratio(t_npf / t_ours),
            seconds(t_npf),
            f"{int((check['numpy-financial'] < TOLERANCE).sum()):,}/{npf_rows:,}",
            f"{disagreements(ours[:npf_rows], numpy_financial):,}/{npf_rows:,}",
        ],
    ]


def bench_xirr(flows: np.ndarray, repeats: int) -> list[list[str]]:
    """Time and check the XIRR on real dates; return the table rows."""
    rows = flows.shape[0]
    dates = flow_dates(rows, flows.shape[1])
    days = dates.astype(np.int64)
    years = (days - days.min(axis=1, keepdims=True)) / 365.0
    ours = xirr(flows, dates)

    def theirs_loop() -> np.ndarray:
        out = np.empty(rows)
        for i in range(rows):
            value = pyxirr.xirr(dates[i], flows[i], silent=True)
            out[i] = np.nan if value is None else value
        return out

    theirs = theirs_loop()
    t_ours = best_time(lambda: xirr(flows, dates), repeats)
    t_theirs = best_time(theirs_loop, repeats)
    peak = traced_peak_mib(lambda: xirr(flows, dates))
    residual = {
        "programma": relative_npv(flows, ours, years),
        "pyxirr": relative_npv(flows, theirs, years),
    }
    for name, values in residual.items():
        print(f"xirr {name}: {int((values < TOLERANCE).sum()):,} of {rows:,} roots exact to "
              f"1e-9, largest relative |NPV| {np.nanmax(values):.1e}")  # fmt: skip
    differ = disagreements(ours, theirs)
    print(f"xirr: programma vs pyxirr differ on {differ:,} of {rows:,} rows")
    print(f"xirr: programma traced peak memory {peak:,.0f} MiB")
    return [
        [
            "xirr: programma (one batched call)",
            "1.00×",
            seconds(t_ours),
            f"{int((residual['programma'] < TOLERANCE).sum()):,}/{rows:,}",
            "—",
        ],
        [
            "xirr: pyxirr (loop, all rows)",
            ratio(t_theirs / t_ours),
            seconds(t_theirs),
            f"{int((residual['pyxirr'] < TOLERANCE).sum()):,}/{rows:,}",
            f"{differ:,}/{rows:,}",
        ],
    ]


def main() -> None:
    """Run both benchmarks and print a Markdown table of ratios to programma's time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="series in the batch")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats (best is kept)")
    parser.add_argument(
        "--npf-rows", type=int, default=200, help="rows numpy-financial is timed on (then scaled)"
    )
    args = parser.parse_args()
    print(machine_header(["programma", "numpy", "numpy-financial", "pyxirr"]))
    started = time.perf_counter()
    flows = investor_flows(args.rows)
    table = bench_irr(flows, args.repeats, min(args.npf_rows, args.rows)) + bench_xirr(
        flows, args.repeats
    )
    header = ["what", "time / programma's", "time", "exact roots (<1e-9)", "differ from programma"]
    print()
    print(markdown_table(header, table))
    print(f"\n(total {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
