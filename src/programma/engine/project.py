"""``project``: run a programme through the engine, in chunks, and collect a Projection."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import math
import mmap
import os
from collections import deque
from collections.abc import Callable, Collection
from pathlib import Path

import attrs
import numpy as np

from .._errors import ProgrammaError
from ..model.checks import path_of, some_ids
from ..model.programme import Programme, samples_in
from ..periods.grid import RESOLUTIONS, Resolution
from ..uncertainty.sampling import BLOCK_SIZE
from . import ChunkResult, Model
from .projection import Projection
from .series import SeriesKey

__all__ = [
    "DEFAULT_MAX_MEMORY",
    "MEMORY_SHARE",
    "MemoryBudgetError",
    "ProjectionError",
    "default_max_memory",
    "project",
]

DEFAULT_MAX_MEMORY = 4 * 1024**3
"""The memory budget when the machine's free memory cannot be read: 4 GiB."""

MEMORY_SHARE = 0.75
"""The share of the memory still available that a projection may use by default."""

# Where Linux tells how much memory is left: the whole machine, and the control group (v2, then
# v1) as a container sees it. Module attributes so that tests can point them at a fake machine.
_MEMINFO = Path("/proc/meminfo")
_CGROUP_LIMITS = (
    (Path("/sys/fs/cgroup/memory.max"), Path("/sys/fs/cgroup/memory.current")),
    (
        Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),
        Path("/sys/fs/cgroup/memory/memory.usage_in_bytes"),
    ),
)
_STATUS = Path("/proc/self/status")
_UNLIMITED = 2**60  # cgroup v1 writes "no limit" as a number near 2**63


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None  # "max" (cgroup v2) means no limit


def _machine_available() -> int | None:
    """The machine's available memory: MemAvailable, else the free pages."""
    try:
        for line in _MEMINFO.read_text(encoding="ascii").splitlines():
            name, _, rest = line.partition(":")
            if name == "MemAvailable" and rest.split() and rest.split()[0].isdigit():
                return int(rest.split()[0]) * 1024  # always in kB
    except (OSError, UnicodeDecodeError):
        pass
    try:
        pages, size = os.sysconf("SC_AVPHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None
    return pages * size if pages > 0 and size > 0 else None


def _address_space_available() -> int | None:
    """What a limit on this process's address space (``ulimit -v``) still leaves, if set."""
    try:
        import resource  # not on Windows
    except ImportError:  # pragma: no cover
        return None
    limit, _ = resource.getrlimit(resource.RLIMIT_AS)
    if limit == resource.RLIM_INFINITY or limit <= 0:
        return None
    used = 0
    try:
        for line in _STATUS.read_text(encoding="ascii").splitlines():
            name, _, rest = line.partition(":")
            if name == "VmSize" and rest.split() and rest.split()[0].isdigit():
                used = int(rest.split()[0]) * 1024
    except (OSError, UnicodeDecodeError):
        pass
    return max(limit - used, 0)


def _cgroup_available() -> int | None:
    """What the control group's memory limit still leaves, if it has one."""
    for limit_path, usage_path in _CGROUP_LIMITS:
        limit = _read_int(limit_path)
        if limit is not None and limit < _UNLIMITED:
            return max(limit - (_read_int(usage_path) or 0), 0)
    return None


def default_max_memory() -> int:
    """The memory budget a projection gets when ``max_memory`` is not given.

    :data:`MEMORY_SHARE` of the memory still available: the least of the machine's available
    memory (``MemAvailable`` in ``/proc/meminfo``, else ``os.sysconf("SC_AVPHYS_PAGES")``),
    what a control group's memory limit leaves (a container's), and what a limit on the
    process's address space (``ulimit -v``) leaves. Where none can be read, the fixed
    :data:`DEFAULT_MAX_MEMORY`. Read anew at each call: it follows the machine.

    >>> default_max_memory() > 0
    True
    """
    sizes = (_machine_available(), _cgroup_available(), _address_space_available())
    known = [size for size in sizes if size is not None]
    if not known:
        return DEFAULT_MAX_MEMORY
    return max(int(min(known) * MEMORY_SHARE), 1)


_POLL_SECONDS = 0.2
# 512 scenarios. A chunk's monthly arrays then stay small enough to be reused from the heap;
# chunks of 4,096 had theirs mapped afresh, page by page, and took a tenth (100,000 scenarios
# of the example) to a half (8,192) more CPU time per scenario, most of it in the kernel.
# Chunks of 512 run as fast as chunks of 1,024 (the example by fiscal year, the capital
# programme of 10,000 initiatives by month), monthly runs of the example 30% faster, and work
# in half the memory: 100,000 scenarios of the example take 922 MiB instead of 971 MiB.
_MAX_CHUNK_BLOCKS = 2
# And no more than this many bytes of kept series per chunk, so that a chunk's running sums
# are reused from the heap too: a programme with thousands of series (100 contracts) runs in
# chunks of 256 scenarios, 16% faster than in chunks of 1,024 (measured in 3fe6db6).
_MAX_CHUNK_KEPT_BYTES = 32 * 1024**2
# With an executor: at least this many chunks per worker where the scenarios allow, so that
# the workers finish close together instead of one idling while another runs the last chunk.
_CHUNKS_PER_WORKER = 4


class ProjectionError(ProgrammaError, ValueError):
    """The arguments of a projection do not fit the programme (e.g. too few samples)."""


class MemoryBudgetError(ProgrammaError, MemoryError):
    """A projection would need more memory than ``max_memory`` allows.

    Attributes:
        needed: The bytes the projection would need.
        allowed: The bytes allowed.
        levers: What would lower the need or raise the budget, most effective first, as the
            names of :func:`project`'s arguments (``"workers"``: a smaller executor).
    """

    def __init__(
        self, message: str, needed: int, allowed: int, levers: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.needed, self.allowed, self.levers = needed, allowed, levers


def _mib(size: float) -> str:
    return f"{size / 1024**2:,.1f} MiB"


@attrs.frozen
class _Scenarios:
    """Which scenarios a chunk runs: ``blocks`` blocks from ``first_block``, the first ``count``
    of them (the last chunk of a run may end inside its last block)."""

    first_block: int
    blocks: int
    count: int


def _run_chunk(
    model: Model, seed: int, resolution: Resolution, which: _Scenarios | None
) -> ChunkResult:
    """Run one chunk (``None``: expected mode), its overflows reported as the input's."""
    # Validation bounds every input (docs/limits.md), but values drawn from long tails can
    # still compound past what floating point holds: report that as the input's problem.
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = model.run(
                seed=seed,
                first_block=0 if which is None else which.first_block,
                blocks=None if which is None else which.blocks,
                resolution=resolution,
                scenarios=None if which is None else which.count,
            )
    except ProgrammaError:
        raise
    except (ArithmeticError, ValueError) as error:
        raise ProjectionError(
            f"the projection overflowed floating point ({error}): lower the amounts, counts "
            "or rates of the programme (see the limits in the documentation)"
        ) from None
    return result


@attrs.frozen
class _Packed:
    """A chunk's result as it is kept, or travels back from an executor: only the cells that
    hold a value.

    Most (period, series) cells of a chunk are +0.0 in every scenario (most flows happen in a
    few years only): the example's chunks hold a value in about a quarter of their cells by
    fiscal year and a seventh by month. Only those are sent (four to seven times less to
    pickle, send and unpickle) and written into the projection's values, whose other cells
    are never touched. Cells are chosen by their bits, so -0.0 and NaN count: written, the
    values are the chunk's bit for bit.

    Attributes:
        shape: The chunk's ``(scenarios, periods, series)``.
        cells: The flat ``period × series`` indices of the cells kept, ascending.
        values: ``(cells, scenarios)``: the values of those cells.
        scalars: Per-scenario figures by name, as the chunk gave them.
    """

    shape: tuple[int, int, int]
    cells: np.ndarray
    values: np.ndarray
    scalars: dict[str, np.ndarray]

    @classmethod
    def of(cls, result: ChunkResult) -> _Packed:
        """Pack a chunk's result (its values in any memory layout)."""
        scenarios, periods, series = result.values.shape
        held = np.bitwise_or.reduce(result.values.view(np.uint64), axis=0) != 0
        cells = np.flatnonzero(held)
        by_cell = np.moveaxis(result.values, 0, -1)  # (periods, series, scenarios)
        period, column = np.unravel_index(cells, (periods, series))
        return cls((scenarios, periods, series), cells, by_cell[period, column], result.scalars)

    def write(self, store: np.ndarray, start: int) -> int:
        """Write the values into ``store`` ``(series, periods, scenarios)`` from scenario
        ``start``, as far as it reaches; return the scenario after the last one written.
        The cells not kept are not written: +0.0 in a store made by :func:`_untouched_zeros`."""
        stop = min(start + self.shape[0], int(store.shape[2]))
        period, column = np.unravel_index(self.cells, self.shape[1:])
        store[column, period, start:stop] = self.values[:, : stop - start]
        return stop


def _untouched_zeros(shape: tuple[int, ...]) -> np.ndarray:
    """A float64 array of +0.0 whose memory is taken from the system page by page, as each
    page is first written: pages never written cost nothing.

    Private anonymous memory mapped for the array alone, in small pages: numpy asks Linux for
    huge pages (2 MiB) for a large array, so that one value written brings in 2 MiB around
    it; and a shared mapping (``mmap``'s default) would take a page for every page read, where
    a private one reads the pages never written as the system's one page of zeros.
    """
    size = math.prod(shape) * np.dtype(np.float64).itemsize
    if size == 0:
        return np.zeros(shape)
    private = (
        {"flags": mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS} if hasattr(mmap, "MAP_PRIVATE") else {}
    )
    try:
        pages = mmap.mmap(-1, size, **private)  # anonymous: zero-filled on first touch
    except OSError as error:  # ENOMEM: past the address space the process may have
        raise MemoryError(
            f"Unable to allocate {_mib(size)} for an array with shape {shape} and data type "
            f"float64 ({error.strerror})"
        ) from None
    if hasattr(mmap, "MADV_NOHUGEPAGE"):  # Linux
        pages.madvise(mmap.MADV_NOHUGEPAGE)
    return np.frombuffer(pages, dtype=np.float64).reshape(shape)


def _run_packed(
    model: Model, seed: int, resolution: Resolution, which: _Scenarios | None
) -> _Packed:
    """:func:`_run_chunk`, its result packed (to keep, or to send back from an executor) and
    checked for values that left floating point."""
    packed = _Packed.of(_run_chunk(model, seed, resolution, which))
    _check_finite(model, packed)
    return packed


def _check_finite(model: Model, packed: _Packed) -> None:
    """Raise a ProjectionError naming the series that left floating point, if any (the cells
    not kept are +0.0)."""
    bad_cells = packed.cells[~np.isfinite(packed.values).all(axis=1)]
    bad = set(np.unravel_index(bad_cells, packed.shape[1:])[1].tolist())
    names = [_series_name(key) for n, key in enumerate(model.series) if n in bad]
    names += [name for name, values in packed.scalars.items() if np.isinf(values).any()]
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


def _result(future: cf.Future[_Packed]) -> _Packed:
    """A chunk's result from an executor, waited for in short steps.

    A wait without a timeout can hold off Ctrl-C until the chunk is done, when the signal
    reaches another thread; each step gives the interrupt a chance to be raised.
    """
    while True:
        try:
            return future.result(timeout=_POLL_SECONDS)
        except cf.TimeoutError:
            continue


def _kept_individually(programme: Programme, initiatives: object) -> frozenset[str]:
    """The ids of the initiatives kept in series of their own (see :func:`project`)."""
    ids = [i.id for i in programme.initiatives]
    if isinstance(initiatives, bool):
        return frozenset(ids if initiatives else ())
    if isinstance(initiatives, str) or not isinstance(initiatives, Collection):
        raise ProjectionError(
            f"initiatives: expected True, False or a collection of initiative ids, "
            f"got {initiatives!r}"
        )
    unknown = [i for i in initiatives if i not in ids]
    if unknown:
        raise ProjectionError(
            f"initiatives: expected ids of the programme's initiatives ({some_ids(ids)}), "
            f"got {some_ids([str(i) for i in unknown])}"
        )
    return frozenset(initiatives)


def project(
    programme: Programme,
    *,
    scenarios: int | None = None,
    seed: int = 0,
    resolution: Resolution | None = None,
    chunk_size: int | None = None,
    executor: cf.Executor | None = None,
    max_memory: int | None = None,
    progress: Callable[[int, int], object] | bool | None = None,
    workers: int | None = None,
    variant: str | None = None,
    initiatives: bool | Collection[str] = False,
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
            512 and at most what keeps a chunk's kept series within 32 MiB (monthly runs
            and programmes with thousands of series take smaller chunks); with an
            ``executor``, also small enough to give each worker four chunks.
        executor: Where chunks run, e.g. a :class:`concurrent.futures.ProcessPoolExecutor`;
            by default in this process. Chunks are reduced in scenario order.
        max_memory: The bytes the projection may use (default: :func:`default_max_memory`, a
            share of the memory still available). The need is estimated before running; past
            the budget a :class:`MemoryBudgetError` says how much is needed and how to lower it.
        progress: Called as ``progress(done, total)`` with scenario counts as the run goes:
            after each block of :data:`~programma.BLOCK_SIZE` scenarios when chunks run in this
            process (a chunk is then run a block at a time, with the same results), after each
            chunk with an ``executor``. ``True`` shows a ``tqdm`` bar (``tqdm.auto``: a widget
            in a notebook, text on a terminal), which needs ``pip install 'programma[progress]'``.
        workers: How many chunks ``executor`` runs at once, for the memory estimate and the
            number of chunks kept in flight (twice this). Default: the CPUs this process may
            use, which is what a :class:`~concurrent.futures.ProcessPoolExecutor` created
            without ``max_workers`` runs; pass it when the pool is smaller, or the estimate
            is larger than needed. Only with an ``executor``.
        variant: The name of one of the programme's variants, to project the programme with
            its values (see :meth:`Programme.variant`); default: the programme as it is.
        initiatives: Which initiatives keep series of their own: ``True`` for all, or their
            ids. By default (``False``) the initiatives' grants, delivery costs and costs past
            the horizon are summed per fund and per area (an initiative in several areas
            gives each an equal share; one without areas goes to the series with an empty
            ``area``), so that what is kept does not grow with the number of initiatives
            (DESIGN §4.7). An initiative a contract pays for has its delivery cost in the
            contract's series either way.

    Raises:
        ProjectionError: The arguments do not fit (bad values, too few ``Samples``, a
            variant the programme does not have).
        MemoryBudgetError: The projection would exceed ``max_memory``.

    >>> from programma.examples import leeuwarden_oost
    >>> expected = project(leeuwarden_oost())
    >>> expected.mode, expected.resolution, expected.scenarios
    ('expected', 'month', 1)
    """
    if not isinstance(programme, Programme):
        raise TypeError(f"project() needs a Programme, got {type(programme).__name__}")
    if variant is not None:
        if not isinstance(variant, str) or variant not in programme.variants:
            known = ", ".join(map(repr, programme.variants)) or "the programme has none"
            raise ProjectionError(
                f"variant: expected one of the programme's variants ({known}), got {variant!r}"
            )
        programme = programme.variant(variant)
    _check_arguments(scenarios, seed, resolution, chunk_size, max_memory)
    _check_workers(workers, executor)
    if not (progress is None or isinstance(progress, bool) or callable(progress)):
        raise TypeError(
            f"progress: expected a callable, True or None, got {type(progress).__name__}"
        )
    expected = scenarios is None
    kept: Resolution = resolution or ("month" if expected else "fiscal_year")
    budget = default_max_memory() if max_memory is None else max_memory
    fewest = programme.fewest_samples  # counted when the programme was checked
    if scenarios is not None and fewest is not None and fewest < scenarios:
        # Only now the walk that finds where they are.
        too_short = [
            (node, len(s.values)) for node, s in samples_in(programme) if len(s.values) < scenarios
        ]
        node, size = too_short[0]
        more = f" (and {len(too_short) - 1} more)" if len(too_short) > 1 else ""
        raise ProjectionError(
            f"{path_of(node)}: a Samples distribution has {size} values but {scenarios} "
            f"scenarios were asked for{more}: give at least one value per scenario, or fewer "
            "scenarios"
        )
    model = Model(programme, _kept_individually(programme, initiatives))
    periods = model.grid.labels(kept)
    series = model.series
    count = 1 if expected else int(scenarios)  # type: ignore[arg-type]
    names = model.scalar_names
    kept_bytes = count * (len(periods) * len(series) + len(names)) * 8
    per_scenario = model.working_bytes_per_scenario(kept)
    total_blocks = 0 if expected else math.ceil(count / BLOCK_SIZE)
    if executor is None:
        workers = 1
    elif workers is None:
        workers = _usable_cpus()
    # Each worker works on one chunk at a time; a few more chunks wait, already reduced.
    if chunk_size is not None:
        chunk_blocks = max(1, min(math.ceil(chunk_size / BLOCK_SIZE), max(total_blocks, 1)))
    else:
        room = max(budget - kept_bytes, 0) // (per_scenario * BLOCK_SIZE * workers)
        kept_per_block = BLOCK_SIZE * len(periods) * len(series) * 8
        lean = max(_MAX_CHUNK_KEPT_BYTES // max(kept_per_block, 1), 1)
        chunk_blocks = int(min(max(room, 1), _MAX_CHUNK_BLOCKS, lean, max(total_blocks, 1)))
        if executor is not None:
            several = math.ceil(total_blocks / (workers * _CHUNKS_PER_WORKER))
            chunk_blocks = min(chunk_blocks, max(several, 1))
    in_flight = 1 if executor is None else 2 * workers
    working = per_scenario * (1 if expected else chunk_blocks * BLOCK_SIZE)
    needed = kept_bytes + working * min(workers, max(1, math.ceil(total_blocks / chunk_blocks)))
    if needed > budget:
        # What lowers the need here, with its words in the message; a lever that cannot help
        # (one block is the smallest chunk there is; one worker is the fewest) is not offered.
        offered = {"scenarios": "fewer scenarios"}
        if kept != "fiscal_year":
            offered["resolution"] = "a coarser resolution ('fiscal_year')"
        if chunk_blocks > 1:
            offered["chunk_size"] = "a smaller chunk_size"
        if workers > 1:
            offered["workers"] = "fewer workers"
        remedies = list(offered.values())
        each_worker = "the one worker" if workers == 1 else f"each of {workers:,} workers"
        levers = (*offered, "max_memory")
        raise MemoryBudgetError(
            f"this projection needs about {_mib(needed)} but max_memory allows {_mib(budget)}: "
            f"{count:,} scenarios × {len(periods)} {kept} periods × {len(series)} series "
            f"keep {_mib(kept_bytes)}, and {each_worker} works on chunks of "
            f"{chunk_blocks * BLOCK_SIZE:,} scenarios in {_mib(working)}. Lower it with "
            f"{', '.join(remedies[:-1])}{' or ' if len(remedies) > 1 else ''}{remedies[-1]}, "
            "or raise max_memory",
            needed,
            budget,
            levers,
        )
    # Series-major, scenarios innermost: each (period, series) cell's scenarios lie together,
    # so the cells no scenario reaches (most of them) are never written, and the memory
    # behind them is never touched; statistics across scenarios read contiguous memory.
    store = _untouched_zeros((len(series), len(periods), count))
    scalars = {name: np.empty(count) for name in names}

    def keep(first_block: int, packed: _Packed) -> None:
        start = first_block * BLOCK_SIZE
        stop = packed.write(store, start)
        for name in names:
            scalars[name][start:stop] = packed.scalars[name][: stop - start]
        if report_progress is not None:
            report_progress(stop, count)

    def scenarios_of(first_block: int, blocks: int) -> _Scenarios:
        """The scenarios of these blocks the run keeps: the last block may be cut."""
        return _Scenarios(
            first_block, blocks, min(blocks * BLOCK_SIZE, count - first_block * BLOCK_SIZE)
        )

    # A bar asked for with True is open while the chunks run, and closed after.
    bar = _TqdmBar(count) if progress is True else None
    with bar if bar is not None else contextlib.nullcontext():
        report_progress = bar if bar is not None else progress if callable(progress) else None
        if expected:
            keep(0, _run_packed(model, seed, kept, None))
        else:
            chunks = [
                (first, min(chunk_blocks, total_blocks - first))
                for first in range(0, total_blocks, chunk_blocks)
            ]
            if executor is None:
                for first, blocks in chunks:
                    if report_progress is None:
                        keep(first, _run_packed(model, seed, kept, scenarios_of(first, blocks)))
                    else:
                        # A block at a time, so that progress moves within a chunk: each block
                        # draws from its own keyed streams, so the results are the same.
                        for block in range(first, first + blocks):
                            keep(block, _run_packed(model, seed, kept, scenarios_of(block, 1)))
            else:
                pending: deque[tuple[int, cf.Future[_Packed]]] = deque()
                try:
                    for first, blocks in chunks:
                        pending.append(
                            (
                                first,
                                executor.submit(
                                    _run_packed, model, seed, kept, scenarios_of(first, blocks)
                                ),
                            )
                        )
                        if len(pending) >= in_flight:
                            done_first, future = pending.popleft()
                            keep(done_first, _result(future))
                    while pending:
                        done_first, future = pending.popleft()
                        keep(done_first, _result(future))
                except BaseException:
                    # A failed chunk or an interrupt: chunks not yet started are dropped, so the
                    # executor is not left working for a projection that is no longer wanted.
                    for _, future in pending:
                        future.cancel()
                    raise
    return Projection(
        programme=programme,
        mode="expected" if expected else "monte-carlo",
        seed=None if expected else seed,
        resolution=kept,
        periods=periods,
        series=series,
        values=store.transpose(2, 1, 0),
        scalars=scalars,
    )


class _TqdmBar:
    """A ``tqdm.auto`` bar over ``total`` scenarios, as a ``progress(done, total)`` callback."""

    def __init__(self, total: int) -> None:
        try:
            from tqdm.auto import tqdm  # type: ignore[import-untyped, unused-ignore]
        except ImportError:
            raise ImportError(
                "progress=True needs tqdm: pip install 'programma[progress]'"
            ) from None
        self.bar = tqdm(total=total, unit="scenario", desc="projecting")

    def __call__(self, done: int, total: int) -> None:
        self.bar.update(done - self.bar.n)

    def __enter__(self) -> _TqdmBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.close()


def _usable_cpus() -> int:
    """The CPUs this process may run on (its affinity where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)  # pragma: no cover - systems without affinity


def _check_workers(workers: object, executor: object) -> None:
    if workers is None:
        return
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ProjectionError(f"workers: expected None or an integer ≥ 1, got {workers!r}")
    if executor is None and workers > 1:
        raise ProjectionError(
            f"workers: {workers} given without an executor; chunks then run one at a time "
            "in this process: pass an executor, or leave workers out"
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
