"""The embedded example, as ``programma simulate --scenarios N`` runs it: time, memory, profile.

``project(leeuwarden_oost(), scenarios=N)`` (Monte Carlo, kept by fiscal year, the default)
for N = 10,000 and 100,000, in this process and with ``ProcessPoolExecutor(2)`` (created
and shut down inside the timed call, as the command line does with ``--workers 2``), then
``summary()`` of the projection. The programme is loaded beforehand (its load time is
printed once). Every run passes ``max_memory=8 GiB``: with the default 4 GiB, 100,000
scenarios on two workers are refused (the estimate counts two chunks in flight per worker),
while in this process the default is enough.

Each measurement runs in a fresh interpreter: its first run gives the memory (the rise of
the peak RSS over the RSS before the run, and the largest peak RSS of a worker process), and
the wall time is the best of ``--repeats`` runs, that first one included.

``--profile`` instead runs cProfile on the in-process projection of 10,000 scenarios and
prints the functions with the most own time.

Run: ``python benchmarks/bench_example.py`` (``--sizes 10000`` for one size),
``python benchmarks/bench_example.py --profile``,
``python benchmarks/bench_example.py --chunks 512 1024 2048 4096`` (the effect of the chunk size,
10,000 scenarios in this process).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

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

from programma import Projection, project
from programma.examples import leeuwarden_oost

WORKERS = 2
MAX_MEMORY = 8 * 1024**3
"""The ``max_memory`` of every run: the default 4 GiB refuses 100,000 scenarios on 2 workers."""
MODES = ("in-process", "process-pool")


def measure(mode: str, scenarios: int, repeats: int) -> dict[str, Any]:
    """Inside a fresh interpreter: memory and time of the projection, then of its summary."""
    programme = leeuwarden_oost()
    kept: list[Projection] = []

    def run() -> None:
        kept.clear()  # let the previous projection go before the next is made
        if mode == "in-process":
            kept.append(project(programme, scenarios=scenarios, max_memory=MAX_MEMORY))
        else:
            with ProcessPoolExecutor(WORKERS) as executor:
                kept.append(
                    project(
                        programme, scenarios=scenarios, executor=executor, max_memory=MAX_MEMORY
                    )
                )

    memory = peak_rss_during(run)
    best = min(memory["seconds"], best_time(run, repeats - 1)) if repeats > 1 else memory["seconds"]
    projection = kept[0]
    summary_time = best_time(projection.summary, 3)
    return {
        "mode": mode,
        "scenarios": scenarios,
        "time": best,
        "summary_time": summary_time,
        "kept_mib": projection.values.nbytes / 1024**2,
        **memory,
    }


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


def main() -> None:
    """Measure each size and mode, print a Markdown table; or print the profile."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (best is kept)")
    parser.add_argument("--profile", action="store_true", help="profile 10,000 scenarios")
    parser.add_argument("--top", type=int, default=10, help="functions shown by --profile")
    parser.add_argument(
        "--chunks",
        type=int,
        nargs="+",
        metavar="SIZE",
        help="instead time 10,000 scenarios in this process with each chunk_size",
    )
    parser.add_argument(
        "--measure", nargs=3, metavar=("MODE", "N", "REPEATS"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:  # the child process of one measurement
        mode, size, repeats = args.measure
        print(json.dumps(measure(mode, int(size), int(repeats))))
        return
    print(machine_header(["programma", "numpy"]))
    if args.profile:
        print(profile(10_000, args.top))
        return
    if args.chunks:
        print(chunk_sweep(10_000, args.chunks, args.repeats))
        return
    start = time.perf_counter()
    leeuwarden_oost()
    print(f"loading the example: {seconds(time.perf_counter() - start)}")
    rows = []
    for size in args.sizes:
        results = {}
        for mode in MODES:
            results[mode] = measure_in_subprocess(
                Path(__file__), [mode, str(size), str(args.repeats)]
            )
            print(json.dumps(results[mode]), file=sys.stderr)
        base = results["in-process"]["time"]
        for mode, result in results.items():
            workers = f"{result['child_peak_rss_mib']:,.0f} MiB" if mode != "in-process" else "—"
            rows.append(
                [
                    f"{size:,}",
                    mode,
                    ratio(result["time"] / base),
                    seconds(result["time"]),
                    f"{result['time'] / size * 1e6:,.0f} µs",
                    f"{result['rise_mib']:,.0f} MiB",
                    workers,
                    f"{result['kept_mib']:,.0f} MiB",
                    seconds(result["summary_time"]),
                ]
            )
    header = [
        "N",
        "mode",
        "time / in-process",
        "time (best)",
        "per scenario",
        "memory rise (main)",
        "peak RSS per worker",
        "kept values",
        "summary()",
    ]
    print()
    print(markdown_table(header, rows))


if __name__ == "__main__":
    main()
