"""Shared helpers of the benchmark scripts: timing, memory and the machine's description.

Not part of the library and never imported by the tests.
"""

from __future__ import annotations

import cProfile
import datetime as dt
import gc
import io
import json
import os
import platform
import pstats
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def best_time(run: Callable[[], object], repeats: int) -> float:
    """The best wall time of ``repeats`` calls of ``run``, in seconds (garbage collected first)."""
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def _status_kib(field: str) -> int | None:
    """A ``/proc/self/status`` field in KiB (Linux), or None where there is none."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def reset_peak_rss() -> bool:
    """Reset the process's peak RSS (Linux ``clear_refs``); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear:
            clear.write("5")
    except OSError:
        return False
    return True


def peak_rss_during(run: Callable[[], object]) -> dict[str, float]:
    """Run once and report memory in MiB (the RSS before, the peak RSS, the peak's rise, the
    largest peak RSS of any child process) and the run's wall time in ``seconds``.

    The peak is reset just before the run where Linux allows it, so imports and inputs built
    beforehand do not count in ``rise``; elsewhere the process's lifetime peak is used.
    """
    gc.collect()
    before = _status_kib("VmRSS")
    reset = reset_peak_rss()
    start = time.perf_counter()
    run()
    elapsed = time.perf_counter() - start
    peak = _status_kib("VmHWM") if reset else None
    scale = 1024 if sys.platform == "darwin" else 1  # ru_maxrss: KiB on Linux, bytes on macOS
    if peak is None:  # no /proc: the lifetime peak
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // scale
    before = before or 0
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // scale
    return {
        "rss_before_mib": before / 1024,
        "peak_rss_mib": peak / 1024,
        "rise_mib": max(peak - before, 0) / 1024,
        "child_peak_rss_mib": children / 1024,
        "seconds": elapsed,
    }


def measure_in_subprocess(script: Path, arguments: Sequence[str]) -> dict[str, Any]:
    """Run ``script --measure …`` in a fresh interpreter and return the JSON it prints last."""
    command = [sys.executable, str(script), "--measure", *arguments]
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def run_fresh(script: Path, arguments: Sequence[str], timeout: float) -> dict[str, Any]:
    """One measurement: ``script --measure …`` in a fresh interpreter, within ``timeout`` seconds.

    Returns the JSON the child prints last, or ``{"status": "timeout"}`` when it ran out of time
    (the child is killed), or ``{"status": "failed", "error": …}`` when it failed.
    """
    command = [sys.executable, str(script), "--measure", *arguments]
    try:
        done = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"status": "timeout", "timeout": timeout}
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        error = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "failed", "error": error}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def interleaved(
    script: Path,
    cases: Sequence[tuple[str, Sequence[str]]],
    runs: int,
    timeout: float,
    log: Callable[[str], object] = lambda line: print(line, file=sys.stderr, flush=True),
) -> dict[str, list[dict[str, Any]]]:
    """``runs`` fresh-process runs of each case, interleaved (A, B, C, A, B, C, …).

    A case whose run times out, fails or is refused is not run again: the one result says why.
    """
    results: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in cases}
    for _ in range(runs):
        for label, arguments in cases:
            done = results[label]
            if done and done[-1].get("status", "ok") != "ok":
                continue
            result = run_fresh(script, arguments, timeout)
            result.setdefault("status", "ok")
            done.append(result)
            log(f"{label}: {json.dumps(result)}")
    return results


def median_of(runs: Sequence[dict[str, Any]], field: str) -> float:
    """The median of ``field`` over the runs that finished."""
    return float(statistics.median(run[field] for run in runs if run.get("status") == "ok"))


def outcome(runs: Sequence[dict[str, Any]]) -> str:
    """``ok`` when every run finished, else why not (the last run's status)."""
    if runs and all(run.get("status") == "ok" for run in runs):
        return "ok"
    if not runs:
        return "not run"
    last = runs[-1]
    if last["status"] == "timeout":
        return f"timed out (> {last['timeout']:.0f} s)"
    if last["status"] == "refused":
        needed, allowed = last["needed"] / 1024**3, last["allowed"] / 1024**3
        return f"refused: needs {needed:,.1f} GiB, allowed {allowed:,.1f} GiB"
    return f"{last['status']}: {last.get('error', '')}"


def available_memory() -> int | None:
    """The machine's available memory in bytes (``MemAvailable``), or None where unknown."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def mib(value: float) -> str:
    """A size in MiB, with thousands separators."""
    return f"{value:,.1f} MiB" if value < 100 else f"{value:,.0f} MiB"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages, or 'n/a'."""
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def package_versions(names: Sequence[str]) -> str:
    """``name version`` for each installed distribution in ``names``."""
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


def source_revision() -> str:
    """The git commit of the source tree measured (with ``+changes`` if it has any), or 'n/a'."""
    try:
        revision = subprocess.run(
            ["git", "describe", "--always", "--dirty=+changes", "--exclude=*"],
            cwd=HERE,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "n/a"
    return revision or "n/a"


def machine_header(packages: Sequence[str]) -> str:
    """A few lines naming the date, machine, Python, packages and load: print before results."""
    return "\n".join(
        [
            f"date: {dt.datetime.now().astimezone().isoformat(timespec='minutes')}",
            f"source: commit {source_revision()}",
            f"machine: {platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
            f"python: {platform.python_version()} ({platform.python_implementation()})",
            f"packages: {package_versions(packages)}",
            f"load average (1, 5, 15 min) at start: {load_average()}",
        ]
    )


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def seconds(value: float) -> str:
    """A duration with a readable unit."""
    if value < 1e-3:
        return f"{value * 1e6:.0f} µs"
    if value < 1.0:
        return f"{value * 1e3:.1f} ms"
    return f"{value:.2f} s"


def ratio(value: float) -> str:
    """A ratio such as ``12.3×`` (two significant figures below 10)."""
    return f"{value:.2f}×" if value < 10 else f"{value:,.0f}×"


def profile_table(run: Callable[[], object], top: int) -> str:
    """cProfile of one call: the total, and the ``top`` functions by own time as Markdown."""
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    stats = pstats.Stats(profiler, stream=io.StringIO())
    entries = stats.stats  # type: ignore[attr-defined]
    total = sum(row[2] for row in entries.values())
    rows = []
    for (filename, line, name), (_, calls, own, cumulative, _) in sorted(
        entries.items(), key=lambda item: -item[1][2]
    )[:top]:
        where = name if filename == "~" else f"{Path(filename).name}:{line}({name})"
        rows.append(
            [
                f"`{where.replace('|', '/')}`",
                f"{calls:,}",
                f"{own:.2f} s",
                f"{own / total:.0%}",
                f"{cumulative:.2f} s",
            ]
        )
    header = ["function", "calls", "own time", "share of total", "cumulative"]
    return f"total {total:.2f} s (under cProfile)\n\n" + markdown_table(header, rows)
