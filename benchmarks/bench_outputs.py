"""The example's outputs: ``to_pandas()``, ``to_csv()`` and ``to_json()``, before and after.

The projection is ``project(leeuwarden_oost(), scenarios=N, seed=1)`` kept by fiscal year (the
default) for N = 2,000 and 10,000, and by month for N = 2,000; it is made before the
measurement and does not count. Each output is measured in a fresh interpreter: its first call
gives the memory (the rise of the peak RSS over the RSS before the call), and the wall time is
the best of ``--repeats`` calls, that first one included; one more call under tracemalloc gives
the peak of what the call allocated (the RSS rise misses memory the allocator kept from
``project()`` and hands out again). Files are written to a temporary
directory (on disk) and removed after each call.

"after" is this source tree; "before" is ``src/programma/_projection.py`` as of another
commit (``--before``, default: where this branch left ``main``), loaded beside the installed
package and handed the same arrays. A "before" run that would need more than
``--before-limit`` GiB (``to_pandas()`` built a dict per row, about 430 bytes per row) is not
run: the table says so.

Run: ``python benchmarks/bench_outputs.py`` (about 10 minutes),
``python benchmarks/bench_outputs.py --cases 2000:fiscal_year --repeats 5``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

from _common import (
    HERE,
    best_time,
    load_average,
    machine_header,
    markdown_table,
    measure_in_subprocess,
    peak_rss_during,
    ratio,
    seconds,
)

from programma import Projection, project
from programma.examples import leeuwarden_oost

OUTPUTS = ("to_pandas", "to_csv", "to_json")
CASES = ("2000:fiscal_year", "10000:fiscal_year", "2000:month")
BYTES_PER_RECORD_BEFORE = 430
"""What the row-by-row ``to_pandas()`` of ``before`` held per row at its peak (measured: 2.2 GB
for the 5.25 million rows of 2,000 scenarios by fiscal year)."""


def before_source(ref: str) -> Path:
    """``_projection.py`` as of ``ref``, in a temporary file."""
    text = subprocess.run(
        ["git", "show", f"{ref}:src/programma/_projection.py"],
        cwd=HERE,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    handle, name = tempfile.mkstemp(suffix="_projection_before.py")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    return Path(name)


FLAT_MODULES = {
    "programma._atomic": "programma._atomic",
    "programma._programme": "programma.model.programme",
    "programma._series": "programma.engine.series",
    "programma._summary": "programma.analysis.summary",
    "programma._time": "programma.periods.grid",
}
"""The modules an older ``_projection.py`` imports by their flat names, and where they are now."""


def as_before(projection: Projection, source: Path) -> Any:
    """The same projection as an instance of the ``before`` class."""
    for flat, now in FLAT_MODULES.items():  # an older file imports ``from ._programme …``
        sys.modules.setdefault(flat, importlib.import_module(now))
    spec = importlib.util.spec_from_file_location("programma._projection_before", source)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    p = projection
    return module.Projection(
        p.programme, p.mode, p.seed, p.resolution, p.periods, p.series, p.values, p.scalars
    )


def measure(output: str, case: str, version: str, source: str, repeats: int) -> dict[str, Any]:
    """Inside a fresh interpreter: memory of one call of ``output``, then the best time."""
    scenarios, resolution = case.split(":")
    projection: Any = project(
        leeuwarden_oost(), scenarios=int(scenarios), seed=1, resolution=resolution
    )
    if version == "before":
        projection = as_before(projection, Path(source))
    folder = Path(tempfile.mkdtemp())
    size = [0]

    def run() -> None:
        if output == "to_pandas":
            projection.to_pandas()
            return
        target = folder / ("rows.csv" if output == "to_csv" else "p.json")
        getattr(projection, output)(target)
        size[0] = target.stat().st_size
        target.unlink()

    memory = peak_rss_during(run)
    best = min(memory["seconds"], best_time(run, repeats - 1)) if repeats > 1 else memory["seconds"]
    # The RSS rise undercounts what a call allocates when it reuses memory the allocator kept
    # from project(); tracemalloc (which numpy reports to) counts every allocation.
    tracemalloc.start()
    run()
    traced = tracemalloc.get_traced_memory()[1] / 1024**2
    tracemalloc.stop()
    folder.rmdir()
    return {
        "traced_mib": traced,
        "output": output,
        "case": case,
        "version": version,
        "time": best,
        "rows": int(projection.values.size),
        "file_mib": size[0] / 1024**2,
        "load": load_average(),
        **memory,
    }


def main() -> None:
    """Measure each output, case and version; print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES), help="N:resolution")
    parser.add_argument("--outputs", nargs="+", default=list(OUTPUTS), choices=OUTPUTS)
    parser.add_argument("--repeats", type=int, default=5, help="timed calls (best is kept)")
    parser.add_argument("--before", default=None, help="commit of 'before' (default: merge base)")
    parser.add_argument("--before-limit", type=float, default=4.0, help="GiB; larger: not run")
    parser.add_argument("--measure", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child process of one measurement
        output, case, version, source, repeats = args.measure
        print(json.dumps(measure(output, case, version, source, int(repeats))))
        return
    ref = (
        args.before
        or subprocess.run(
            ["git", "merge-base", "HEAD", "main"],
            cwd=HERE,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    print(machine_header(["programma", "numpy", "pandas"]))
    print(f"before: src/programma/_projection.py at {ref[:7]}")
    source = before_source(ref)
    rows = []
    try:
        for case in args.cases:
            scenarios, resolution = case.split(":")
            periods = {"fiscal_year": 21, "month": 240}.get(resolution, 0)
            for output in args.outputs:
                results: dict[str, dict[str, Any] | None] = {}
                for version in ("before", "after"):
                    estimate = int(scenarios) * periods * 125 * BYTES_PER_RECORD_BEFORE / 1024**3
                    if (
                        version == "before"
                        and output == "to_pandas"
                        and estimate > args.before_limit
                    ):
                        results[version] = None
                        continue
                    measured = [output, case, version, str(source), str(args.repeats)]
                    results[version] = measure_in_subprocess(Path(__file__), measured)
                    print(json.dumps(results[version]), file=sys.stderr)
                old = results["before"]
                for version, result in results.items():
                    label = f"{int(scenarios):,} by {resolution.replace('_', ' ')}"
                    if result is None:
                        skipped = f"not run (~{estimate:,.0f} GiB)"
                        rows.append([label, f"`{output}()`", version, skipped, *["—"] * 5])
                        continue
                    rows.append(
                        [
                            label,
                            f"`{output}()`",
                            version,
                            seconds(result["time"]),
                            f"{result['rise_mib']:,.0f} MiB",
                            f"{result['traced_mib']:,.0f} MiB",
                            ratio(old["time"] / result["time"]) if old else "—",
                            f"{result['file_mib']:,.0f} MiB" if result["file_mib"] else "—",
                            result["load"].split(",")[0],
                        ]
                    )
    finally:
        source.unlink()
    header = [
        "projection",
        "output",
        "version",
        "time (best)",
        "memory rise",
        "allocated (peak)",
        "speed-up",
        "file",
        "load (1 min)",
    ]
    print()
    print(markdown_table(header, rows))
    print(f"\nload average (1, 5, 15 min) at the end: {load_average()}")


if __name__ == "__main__":
    main()
