"""The embedded example against the per-scenario oracle of the tests: time, memory, profile.

Two programmes:

* ``example``: ``leeuwarden_oost()`` as shipped (4 outcome contracts, one per financing mode);
* ``example × 25``: the example with its 4 contracts copied 25 times (100 contracts), each copy
  with new ids for the contract, the initiatives it pays for and the gates that act on it or
  read it (see :func:`replicate`); the funds, their budgets and the initiatives the funds pay
  for are the example's, once.

Contenders, each in a fresh interpreter, taking turns (A, B, A, B, …), the median of ``--runs``
runs (at least 5):

* ``programma``: ``project(programme, scenarios=N)`` in this process, kept by fiscal year (the
  default of a Monte Carlo run, what ``programma simulate --scenarios N`` runs);
* ``oracle``: ``tests/oracle.py``, the plain reference implementation the tests compare the
  engine with (one scenario and one month at a time, in Python), on the first n scenarios only
  (n = ``--oracle-scenarios``, divided by the number of copies; at least 4): it takes tens of
  milliseconds a scenario. Its time is reported per scenario and compared per scenario.

Each oracle run also checks the engine: ``project(programme, scenarios=n, resolution="month")``
must give the oracle's value in every series, scenario and month (to 1e-9 relative or 1e-6
absolute, the tolerance of ``tests/test_oracle.py``); the first n scenarios of a run are the
same in every run with the same seed, so this checks the first n of the timed runs too.

``--profile`` instead runs cProfile on the projection of 10,000 scenarios; ``--chunks`` times
10,000 scenarios for several ``chunk_size`` values; ``--pool`` adds a contender that runs on
``ProcessPoolExecutor(2)``. The table gives each contender's CPU time beside its wall time
(for the pool: this process's, + its workers'): on a shared machine the wall time depends on
what the scheduler gives a run, its CPU time much less.

Run: ``python benchmarks/bench_example.py`` (1,000, 10,000 and 100,000 scenarios of the example;
1,000 and 10,000 of the 100 contracts), ``--quick`` for a small smoke pass.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from _common import (
    HERE,
    best_time,
    interleaved,
    machine_header,
    markdown_table,
    median_of,
    mib,
    outcome,
    peak_rss_during,
    profile_table,
    ratio,
    seconds,
)

from programma import MemoryBudgetError, Programme, project
from programma.examples import leeuwarden_oost

sys.path.insert(0, str(HERE.parent / "tests"))  # the oracle lives with the tests

SEED = 1
WORKERS = 2
CASES = ((1, (1_000, 10_000, 100_000)), (25, (1_000, 10_000)))
"""(copies of the example's contracts, scenario counts) measured by default."""
QUICK_CASES = ((1, (300,)), (25, (300,)))
TINY = (1, 3)
"""(copies, scenarios) the test suite runs in-process."""
ORACLE_SCENARIOS = 100
QUICK_ORACLE_SCENARIOS = 20
REL_TOL, ABS_TOL = 1e-9, 1e-6


def _suffixed(name: str, copy: int) -> str:
    return name if copy == 0 else f"{name}.{copy}"


def replicate(programme: Programme, copies: int, contracts: tuple[str, ...] = ()) -> Programme:
    """The programme with ``copies`` copies of its contracts (of ``contracts`` only, if given).

    Copy k > 0 of a contract gets the id ``{id}.{k}``, and so do the initiatives it pays for
    (an initiative is paid by one contract only) and the gates that act on it or read it (a
    pre-financing names its own gate). Contracts left out take their initiatives and gates
    with them; everything else (funds and their budgets, the initiatives the funds pay for,
    stakeholders, parameters) stays as it is, once.
    """
    chosen = [c for c in programme.contracts if not contracts or c.id in contracts]
    chosen_ids = {c.id for c in chosen}
    paid_by = {i for c in programme.contracts for i in c.initiatives}
    chosen_initiatives = {i for c in chosen for i in c.initiatives}
    initiatives = [i for i in programme.initiatives if i.id not in paid_by]
    contract_list, gates = [], []
    by_id = {i.id: i for i in programme.initiatives}
    for copy in range(copies):
        for contract in chosen:
            financing = contract.financing
            gate = getattr(financing, "gate", None)
            if gate is not None:
                financing = attrs.evolve(financing, gate=_suffixed(gate, copy))  # type: ignore[misc]
            contract_list.append(
                attrs.evolve(
                    contract,
                    id=_suffixed(contract.id, copy),
                    initiatives=tuple(_suffixed(i, copy) for i in contract.initiatives),
                    financing=financing,
                )
            )
            initiatives += [
                attrs.evolve(by_id[i], id=_suffixed(i, copy)) for i in contract.initiatives
            ]
        for gate in programme.gates:
            target = gate.contract or ""
            if target not in chosen_ids and gate.initiative not in chosen_initiatives:
                continue
            condition = gate.condition
            if condition.contract in chosen_ids:
                condition = attrs.evolve(condition, contract=_suffixed(condition.contract, copy))
            gates.append(
                attrs.evolve(
                    gate,
                    id=_suffixed(gate.id, copy),
                    contract=_suffixed(gate.contract, copy) if gate.contract else None,
                    initiative=(_suffixed(gate.initiative, copy) if gate.initiative else None),
                    condition=condition,
                )
            )
    return attrs.evolve(
        programme,
        contracts=tuple(contract_list),
        initiatives=tuple(initiatives),
        gates=tuple(gates),
    )


def oracle_scenarios(copies: int, scenarios: int, budget: int = ORACLE_SCENARIOS) -> int:
    """How many scenarios the oracle runs: ``budget / copies``, at least 4, at most N."""
    return min(scenarios, max(4, budget // copies))


def mismatches(programme: Programme, expected: dict[Any, list[list[float]]]) -> tuple[int, int]:
    """(values that differ, values compared) between the oracle's series and the engine's, by
    month, over the scenarios the oracle ran."""
    scenarios = len(next(iter(expected.values())))
    projection = project(
        programme, scenarios=scenarios, seed=SEED, resolution="month", initiatives=True
    )
    differ = compared = 0
    index = {key: n for n, key in enumerate(projection.series)}
    differ += len(set(expected) ^ set(index))
    for key, rows in expected.items():
        if key not in index:
            continue
        want = np.asarray(rows)
        got = projection.values[:, :, index[key]]
        differ += int((~np.isclose(got, want, rtol=REL_TOL, atol=ABS_TOL)).sum())
        compared += want.size
    return differ, compared


def measure(
    kind: str, copies: int, scenarios: int, oracle_budget: int, contract: str = "-"
) -> dict[str, Any]:
    """Inside a fresh interpreter: one timed run and its memory (of ``copies`` copies of the
    example's contracts, or of its ``contract`` alone unless that is ``-``)."""
    programme = leeuwarden_oost()
    if contract != "-":
        programme = replicate(programme, copies, (contract,))
    elif copies > 1:
        programme = replicate(programme, copies)
    run: Callable[[], object]
    counted = scenarios
    if kind == "programma":
        run = partial(project, programme, scenarios=scenarios, seed=SEED)
    elif kind == "pool":

        def run() -> object:
            with ProcessPoolExecutor(WORKERS) as executor:
                return project(programme, scenarios=scenarios, seed=SEED, executor=executor)

    elif kind == "oracle":
        from oracle import oracle  # type: ignore[import-not-found]

        counted = oracle_scenarios(copies, scenarios, oracle_budget)
        run = partial(oracle, programme, scenarios=counted, seed=SEED)
    else:
        raise ValueError(f"unknown contender {kind!r}")
    got: list[Any] = []
    before = os.times()
    try:
        memory = peak_rss_during(lambda: got.append(run()))
    except MemoryBudgetError as error:
        return {"status": "refused", "needed": error.needed, "allowed": error.allowed}
    after = os.times()
    # CPU time of this process and of the workers it waited for: on a busy machine, where the
    # wall time depends on what the scheduler gives, this shows what the pool costs in work.
    cpu = {
        "cpu_seconds": after.user - before.user + after.system - before.system,
        "worker_cpu_seconds": after.children_user
        - before.children_user
        + after.children_system
        - before.children_system,
    }
    result = {"counted": counted, "per_scenario": memory["seconds"] / counted, **memory, **cpu}
    if kind == "oracle":
        differ, compared = mismatches(programme, got[0])
        result |= {"differ": differ, "compared": compared}
    return result


def profile(scenarios: int, top: int) -> str:
    """cProfile of the in-process projection: the ``top`` functions by own time."""
    programme = leeuwarden_oost()
    return profile_table(partial(project, programme, scenarios=scenarios), top)


def chunk_sweep(scenarios: int, sizes: list[int], repeats: int) -> str:
    """In-process wall time of the projection for several ``chunk_size`` values."""
    programme = leeuwarden_oost()
    rows = []
    times = {
        size: best_time(partial(project, programme, scenarios=scenarios, chunk_size=size), repeats)
        for size in sizes
    }
    default = times.get(4_096, max(times.values()))
    for size, elapsed in times.items():
        rows.append([f"{size:,}", ratio(elapsed / default), seconds(elapsed)])
    header = ["chunk_size", "time / chunk_size 4,096", "time (best)"]
    return f"{scenarios:,} scenarios in this process\n\n" + markdown_table(header, rows)


def benchmark(
    cases: tuple[tuple[int, tuple[int, ...]], ...],
    runs: int,
    timeout: float,
    oracle_budget: int,
    pool: bool = False,
) -> str:
    """Measure every case, the contenders interleaved, and return the Markdown table."""
    script = Path(__file__)
    rows = []
    kinds = ("programma", "pool", "oracle") if pool else ("programma", "oracle")
    for copies, sizes in cases:
        name = "example" if copies == 1 else f"example × {copies} ({4 * copies} contracts)"
        for size in sizes:
            arguments = [str(copies), str(size), str(oracle_budget), "-"]
            results = interleaved(script, [(k, [k, *arguments]) for k in kinds], runs, timeout)
            engine = results["programma"]
            for kind, done in results.items():
                status = outcome(done)
                if status != "ok":
                    rows.append([name, f"{size:,}", kind, status, "", "", "", "", "", ""])
                    continue
                per = median_of(done, "per_scenario")
                base = median_of(engine, "per_scenario") if outcome(engine) == "ok" else math.nan
                checked = "—"
                if kind == "oracle":
                    last = done[-1]
                    checked = f"{last['compared'] - last['differ']:,} / {last['compared']:,}"
                rows.append(
                    [
                        name,
                        f"{size:,}",
                        kind,
                        f"{done[-1]['counted']:,}",
                        seconds(median_of(done, "seconds")),
                        seconds(median_of(done, "cpu_seconds"))
                        + (
                            f" + {seconds(median_of(done, 'worker_cpu_seconds'))}"
                            if kind == "pool"
                            else ""
                        ),
                        f"{per * 1e6:,.0f} µs",
                        ratio(per / base) if base == base else "—",
                        mib(median_of(done, "rise_mib")),
                        checked,
                    ]
                )
    header = [
        "programme",
        "N",
        "contender",
        "scenarios run",
        "time (median)",
        "CPU (median; + workers')",
        "per scenario",
        "per scenario / programma",
        "memory rise",
        "values equal to the engine's",
    ]
    return markdown_table(header, rows)


def main() -> None:
    """Measure each case and print a Markdown table; or print the profile or chunk sweep."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", help="scenario counts of the example")
    parser.add_argument("--copies", type=int, default=25, help="copies for the larger programme")
    parser.add_argument("--runs", type=int, default=5, help="fresh-process runs per contender")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--oracle-scenarios", type=int, default=ORACLE_SCENARIOS)
    parser.add_argument("--pool", action="store_true", help="also on ProcessPoolExecutor(2)")
    parser.add_argument("--quick", action="store_true", help="a small smoke pass")
    parser.add_argument("--profile", action="store_true", help="profile 10,000 scenarios")
    parser.add_argument("--top", type=int, default=10, help="functions shown by --profile")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of --chunks (best)")
    parser.add_argument(
        "--chunks",
        type=int,
        nargs="+",
        metavar="SIZE",
        help="instead time 10,000 scenarios in this process with each chunk_size",
    )
    parser.add_argument("--measure", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child process of one run
        kind, copies, size, budget, contract = args.measure
        print(json.dumps(measure(kind, int(copies), int(size), int(budget), contract)))
        return
    print(machine_header(["programma", "numpy", "scipy"]))
    if args.profile:
        print(profile(10_000, args.top))
        return
    if args.chunks:
        print(chunk_sweep(10_000, args.chunks, args.repeats))
        return
    start = time.perf_counter()
    leeuwarden_oost()
    print(f"loading the example: {seconds(time.perf_counter() - start)}")
    cases = QUICK_CASES if args.quick else CASES
    budget = QUICK_ORACLE_SCENARIOS if args.quick else args.oracle_scenarios
    if args.sizes:
        cases = ((1, tuple(args.sizes)),)
    cases = tuple((args.copies if c > 1 else 1, s) for c, s in cases)
    print()
    print(benchmark(cases, args.runs, args.timeout, budget, args.pool))


if __name__ == "__main__":
    main()
