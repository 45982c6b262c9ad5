"""Run every benchmark and print its Markdown tables: ``python benchmarks/run.py [--quick]``.

Each benchmark runs as its own script (which starts a fresh interpreter for every run it
measures); their output is printed section by section, each with its machine header (date,
commit, machine, versions, load average at its start). ``--quick`` runs the small sizes of
each, a smoke pass of a few minutes; without it the full sizes run, which takes an hour or more
on two cores. ``--only capital example`` runs some of them; ``--with-outputs`` adds
``bench_outputs.py`` (about 25 minutes, not in the default set).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

from _common import HERE

BENCHMARKS = {
    "capital": ("bench_capital.py", [], ["--quick"]),
    "example": ("bench_example.py", [], ["--quick"]),
    "scaling": ("bench_scaling.py", [], ["--quick"]),
    "engine": ("bench_engine.py", [], ["--sizes", "1000", "--repeats", "5"]),
    "irr": ("bench_irr.py", [], ["--rows", "1000", "--npf-rows", "20"]),
}
OUTPUTS = ("bench_outputs.py", [], ["--cases", "2000:fiscal_year"])


def main() -> None:
    """Run the chosen benchmarks one after the other and print what each prints."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke pass")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--with-outputs", action="store_true", help="also bench_outputs.py")
    parser.add_argument("--runs", type=int, help="fresh-process runs per contender (≥ 5)")
    args = parser.parse_args()
    chosen = {name: BENCHMARKS[name] for name in args.only or BENCHMARKS}
    if args.with_outputs:
        chosen["outputs"] = OUTPUTS
    failed = []
    for name, (script, full, quick) in chosen.items():
        arguments = list(quick if args.quick else full)
        if args.runs and name in ("capital", "example", "scaling"):
            arguments += ["--runs", str(args.runs)]
        print(f"\n## {name} (`{script}{' ' if arguments else ''}{' '.join(arguments)}`)\n")
        sys.stdout.flush()
        start = time.perf_counter()
        done = subprocess.run([sys.executable, str(HERE / script), *arguments], check=False)
        print(f"\n({name}: {time.perf_counter() - start:,.0f} s)")
        if done.returncode != 0:
            failed.append(name)
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
