"""``project``: run a programme through the engine, in chunks, and collect a Projection."""

from __future__ import annotations

import concurrent.futures as cf
import math
from collections import deque
from collections.abc import Callable, Iterator

import attrs
import numpy as np

from ._distributions import Ref, Samples
from ._engine import ChunkResult, Model
from ._errors import ProgrammaError
from ._programme import Programme
from ._projection import Projection
from ._sampling import BLOCK_SIZE
from ._series import SeriesKey
from ._time import RESOLUTIONS, Resolution

__all__ = ["DEFAULT_MAX_MEMORY", "MemoryBudgetError", "ProjectionError", "project"]

DEFAULT_MAX_MEMORY = 4 * 1024**3
"""The memory a projection may use when ``max_memory`` is not given: 4 GiB."""

_MAX_CHUNK_BLOCKS = 16  # 4,096 scenarios: keeps progress responsive and chunks cache-friendly


class ProjectionError(ProgrammaError, ValueError):
    """The arguments of a projection do not fit the programme (e.g. too few samples)."""


class MemoryBudgetError(ProgrammaError, MemoryError):
    """A projection would need more memory than ``max_memory`` allows.

    Attributes:
        needed: The bytes the projection would need.
        allowed: The bytes allowed.
    """

    def __init__(self, message: str, needed: int, allowed: int) -> None:
        super().__init__(message)
        self.needed, self.allowed = needed, allowed


def _mib(size: float) -> str:
    return f"{size / 1024**2:,.1f} MiB"


def _all_samples(value: object, path: str = "") -> Iterator[tuple[str, Samples]]:
    """Every Samples distribution anywhere in a programme, with its path."""
    if isinstance(value, Samples):
        yield path, value
    elif isinstance(value, tuple):
        for index, item in enumerate(value):
            yield from _all_samples(item, f"{path}[{index}]")
    elif attrs.has(type(value)) and not isinstance(value, Ref):
        for field in attrs.fields(type(value)):  # type: ignore[arg-type]
            sub = f"{path}.{field.name}" if path else field.name
            yield from _all_samples(getattr(value, field.name), sub)


def _run_chunk(
    model: Model, seed: int, first_block: int, blocks: int | None, resolution: Resolution
) -> ChunkResult:
    # Validation bounds every input (docs/limits.md), but values drawn from long tails can
    # still compound past what floating point holds: report that as the input's problem.
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = model.run(
                seed=seed, first_block=first_block, blocks=blocks, resolution=resolution
            )
    except ProgrammaError:
        raise
    except (ArithmeticError, ValueError) as error:
        raise ProjectionError(
            f"the projection overflowed floating point ({error}): lower the amounts, counts "
            "or rates of the programme (see the limits in the documentation)"
        ) from None
    _check_finite(model, result)
    return result


def _check_finite(model: Model, result: ChunkResult) -> None:
    """Raise a ProjectionError naming the series that left floating point, if any."""
    bad = ~np.isfinite(result.values).all(axis=tuple(range(result.values.ndim - 1)))
    names = [_series_name(key) for key, broken in zip(model.series, bad, strict=True) if broken]
    names += [name for name, values in result.scalars.items() if np.isinf(values).any()]
    if names:
        shown = "; ".join(names[:5]) + (f"; and {len(names) - 5} more" if len(names) > 5 else "")
        raise ProjectionError(
            f"the projection overflowed floating point in {shown}: lower the amounts, counts "
            "or rates these depend on (see the limits in the documentation)"
        )


def _series_name(key: SeriesKey) -> str:
    """``outcome_payment (payer 'city', contract 'c')``: the flow and what it is between."""
    parts = [
        f"{field.name} {value!r}"
        for field in attrs.fields(SeriesKey)[1:]
        if (value := getattr(key, field.name))
    ]
    return key.flow + (f" ({', '.join(parts)})" if parts else "")


def project(
    programme: Programme,
    *,
    scenarios: int | None = None,
    seed: int = 0,
    resolution: Resolution | None = None,
    chunk_size: int | None = None,
    executor: cf.Executor | None = None,
    max_memory: int | None = None,
    progress: Callable[[int, int], object] | None = None,
) -> Projection:
    """Project a programme's flows and measures, in expected mode or by Monte Carlo.

    Args:
        programme: The programme.
        scenarios: ``None`` for expected mode (every distribution at its mean), or the number
            of Monte Carlo scenarios.
        seed: The seed (an integer ≥ 0). The same programme and seed give the same results for
            any chunk size and executor; the first n scenarios of any run are the same.
        resolution: The periods kept per scenario: ``"month"``, ``"quarter"``, ``"year"`` or
            ``"fiscal_year"``. Default: months in expected mode, fiscal years in Monte Carlo.
        chunk_size: Scenarios per chunk, rounded up to whole blocks of
            :data:`~programma.BLOCK_SIZE`. Default: as many as fit the memory budget, at most
            4,096.
        executor: Where chunks run, e.g. a :class:`concurrent.futures.ProcessPoolExecutor`;
            by default in this process. Chunks are reduced in scenario order.
        max_memory: The bytes the projection may use (default 4 GiB). The need is estimated
            before running; past the budget a :class:`MemoryBudgetError` says how much is
            needed and how to lower it.
        progress: Called as ``progress(done, total)`` with scenario counts after each chunk.

    Raises:
        ProjectionError: The arguments do not fit (bad values, too few ``Samples``).
        MemoryBudgetError: The projection would exceed ``max_memory``.

    >>> from programma.examples import leeuwarden_oost
    >>> expected = project(leeuwarden_oost())
    >>> expected.mode, expected.resolution, expected.scenarios
    ('expected', 'month', 1)
    """
    if not isinstance(programme, Programme):
        raise TypeError(f"project() needs a Programme, got {type(programme).__name__}")
    _check_arguments(scenarios, seed, resolution, chunk_size, max_memory)
    expected = scenarios is None
    kept: Resolution = resolution or ("month" if expected else "fiscal_year")
    budget = DEFAULT_MAX_MEMORY if max_memory is None else max_memory
    if not expected:
        assert scenarios is not None
        too_short = [
            (path, len(s.values))
            for path, s in _all_samples(programme)
            if len(s.values) < scenarios
        ]
        if too_short:
            path, size = too_short[0]
            more = f" (and {len(too_short) - 1} more)" if len(too_short) > 1 else ""
            raise ProjectionError(
                f"{path}: a Samples distribution has {size} values but {scenarios} scenarios "
                f"were asked for{more}: give at least one value per scenario, or fewer scenarios"
            )
    model = Model(programme)
    periods = model.grid.labels(kept)
    series = model.series
    count = 1 if expected else int(scenarios)  # type: ignore[arg-type]
    names = model.scalar_names
    kept_bytes = count * (len(periods) * len(series) + len(names)) * 8
    per_scenario = model.working_bytes_per_scenario(kept)
    total_blocks = 0 if expected else math.ceil(count / BLOCK_SIZE)
    workers = 1 if executor is None else max(1, getattr(executor, "_max_workers", 1) or 1)
    # Each worker works on one chunk at a time; a few more chunks wait, already reduced.
    if chunk_size is not None:
        chunk_blocks = max(1, min(math.ceil(chunk_size / BLOCK_SIZE), max(total_blocks, 1)))
    else:
        room = max(budget - kept_bytes, 0) // (per_scenario * BLOCK_SIZE * workers)
        chunk_blocks = int(min(max(room, 1), _MAX_CHUNK_BLOCKS, max(total_blocks, 1)))
    in_flight = 1 if executor is None else 2 * workers
    working = per_scenario * (1 if expected else chunk_blocks * BLOCK_SIZE)
    needed = kept_bytes + working * min(workers, max(1, math.ceil(total_blocks / chunk_blocks)))
    if needed > budget:
        raise MemoryBudgetError(
            f"this projection needs about {_mib(needed)} but max_memory allows {_mib(budget)}: "
            f"{count:,} scenarios × {len(periods)} {kept} periods × {len(series)} series "
            f"keep {_mib(kept_bytes)}, and each of {workers} worker(s) works on chunks of "
            f"{chunk_blocks * BLOCK_SIZE:,} scenarios in {_mib(working)}. Lower it with fewer "
            "scenarios"
            + ("" if kept == "fiscal_year" else ", a coarser resolution ('fiscal_year')")
            + ", a smaller chunk_size or fewer workers, or raise max_memory",
            needed,
            budget,
        )
    values = np.empty((count, len(periods), len(series)))
    scalars = {name: np.empty(count) for name in names}

    def keep(first_block: int, result: ChunkResult) -> None:
        start = first_block * BLOCK_SIZE
        stop = min(start + result.values.shape[0], count)
        values[start:stop] = result.values[: stop - start]
        for name in names:
            scalars[name][start:stop] = result.scalars[name][: stop - start]
        if progress is not None:
            progress(stop, count)

    if expected:
        keep(0, _run_chunk(model, seed, 0, None, kept))
    else:
        chunks = [
            (first, min(chunk_blocks, total_blocks - first))
            for first in range(0, total_blocks, chunk_blocks)
        ]
        if executor is None:
            for first, blocks in chunks:
                keep(first, _run_chunk(model, seed, first, blocks, kept))
        else:
            pending: deque[tuple[int, cf.Future[ChunkResult]]] = deque()
            for first, blocks in chunks:
                pending.append(
                    (first, executor.submit(_run_chunk, model, seed, first, blocks, kept))
                )
                if len(pending) >= in_flight:
                    done_first, future = pending.popleft()
                    keep(done_first, future.result())
            while pending:
                done_first, future = pending.popleft()
                keep(done_first, future.result())
    return Projection(
        programme=programme,
        mode="expected" if expected else "monte-carlo",
        seed=None if expected else seed,
        resolution=kept,
        periods=periods,
        series=series,
        values=values,
        scalars=scalars,
    )


def _check_arguments(
    scenarios: object,
    seed: object,
    resolution: object,
    chunk_size: object,
    max_memory: object,
) -> None:
    problems = []

    def whole(value: object) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    if scenarios is not None and not (whole(scenarios) and scenarios >= 1):  # type: ignore[operator]
        problems.append(f"scenarios: expected None or an integer ≥ 1, got {scenarios!r}")
    if not (whole(seed) and seed >= 0):  # type: ignore[operator]
        problems.append(f"seed: expected an integer ≥ 0, got {seed!r}")
    if resolution is not None and resolution not in RESOLUTIONS:
        problems.append(f"resolution: expected one of {', '.join(RESOLUTIONS)}, got {resolution!r}")
    if chunk_size is not None and not (whole(chunk_size) and chunk_size >= 1):  # type: ignore[operator]
        problems.append(f"chunk_size: expected None or an integer ≥ 1, got {chunk_size!r}")
    if max_memory is not None and not (whole(max_memory) and max_memory >= 1):  # type: ignore[operator]
        problems.append(f"max_memory: expected None or a number of bytes ≥ 1, got {max_memory!r}")
    if problems:
        raise ProjectionError("; ".join(problems))
