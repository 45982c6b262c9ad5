"""How programma's time and memory grow: with scenarios, initiatives and contracts.

Three series of runs of programma alone, each run in a fresh interpreter, the median of
``--runs`` runs (at least 5), interleaved across the sizes of a series:

* **scenarios**: the embedded example (``bench_example.py``), N = 1,000, 10,000, 100,000,
  kept by fiscal year;
* **initiatives**: the capital programme of ``bench_capital.py`` at S = 100 scenarios with
  C = 100, 1,000 and 10,000 initiatives, kept by fiscal year (the default; by month, 10,000
  initiatives need more memory than the machine has: see the capital benchmark);
* **contracts**: 1, 10 and 100 copies of the example's contract ``sib-werkroute`` (investor
  financing, with the initiative it pays for; the funds and their initiatives once) at
  N = 1,000 scenarios, kept by fiscal year.

Each row gives the median time, the time per unit (scenario, initiative or contract), the
growth of the time and of the memory rise against the smallest size, and the peak RSS.

Run: ``python benchmarks/bench_scaling.py``, ``--quick`` for a small smoke pass.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from _common import (
    HERE,
    interleaved,
    machine_header,
    markdown_table,
    median_of,
    mib,
    outcome,
    ratio,
    seconds,
)

CONTRACT = "sib-werkroute"
FULL = {
    "scenarios": (1_000, 10_000, 100_000),
    "initiatives": (100, 1_000, 10_000),
    "contracts": (1, 10, 100),
}
QUICK = {"scenarios": (300, 1_000), "initiatives": (50, 200), "contracts": (1, 10)}
CAPITAL_SCENARIOS = {False: 100, True: 50}
CONTRACT_SCENARIOS = {False: 1_000, True: 300}


def cases(axis: str, size: int, quick: bool) -> tuple[Path, list[str], str]:
    """The script, the child's arguments and the unit of one size of one series."""
    if axis == "scenarios":
        return HERE / "bench_example.py", ["programma", "1", str(size), "0", "-"], "scenario"
    if axis == "initiatives":
        scenarios = str(CAPITAL_SCENARIOS[quick])
        return HERE / "bench_capital.py", ["programma-fy", str(size), scenarios, "0"], "initiative"
    scenarios = str(CONTRACT_SCENARIOS[quick])
    return HERE / "bench_example.py", ["programma", str(size), scenarios, "0", CONTRACT], "contract"


def benchmark(quick: bool, runs: int, timeout: float) -> str:
    """Every series, as one Markdown table."""
    rows = []
    for axis, sizes in (QUICK if quick else FULL).items():
        script, _, unit = cases(axis, sizes[0], quick)
        labelled = [(f"{size:,}", cases(axis, size, quick)[1]) for size in sizes]
        results = interleaved(script, labelled, runs, timeout)
        first = results[labelled[0][0]]
        fixed = {
            "scenarios": "example, by fiscal year",
            "initiatives": f"capital, S = {CAPITAL_SCENARIOS[quick]}",
            "contracts": f"{CONTRACT} copies, N = {CONTRACT_SCENARIOS[quick]:,}",
        }[axis]
        for (label, _), size in zip(labelled, sizes, strict=True):
            done = results[label]
            status = outcome(done)
            if status != "ok":
                rows.append([axis, fixed, label, status, "", "", "", "", ""])
                continue
            time_, rise = median_of(done, "seconds"), median_of(done, "rise_mib")
            rows.append(
                [
                    axis,
                    fixed,
                    label,
                    seconds(time_),
                    f"{seconds(time_ / size)} per {unit}",
                    ratio(time_ / median_of(first, "seconds")),
                    mib(rise),
                    ratio(rise / max(median_of(first, "rise_mib"), 0.1)),
                    mib(max(run["peak_rss_mib"] for run in done)),
                ]
            )
    header = [
        "against",
        "fixed",
        "size",
        "time (median)",
        "per unit",
        "time / smallest",
        "memory rise",
        "rise / smallest",
        "peak RSS",
    ]
    return markdown_table(header, rows)


def main() -> None:
    """Measure every series and print the machine and a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh-process runs per size")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    parser.add_argument("--quick", action="store_true", help="a small smoke pass")
    args = parser.parse_args()
    print(machine_header(["programma", "numpy"]))
    print()
    print(benchmark(args.quick, args.runs, args.timeout))


if __name__ == "__main__":
    main()
