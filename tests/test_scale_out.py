"""Chunks run elsewhere: a process pool, and a Dask cluster when ``distributed`` is installed.

Whatever runs the chunks, a projection is the in-process one bit for bit (DESIGN §4.1: chunks
are reduced in scenario order); only what travels and how the scenarios are cut change.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import programma
from programma import Projection
from programma.engine.project import _Packed, _untouched_zeros
from programma.engine.run import ChunkResult, Model
from programma.examples import leeuwarden_oost


def assert_bits_equal(expected: Projection, actual: Projection) -> None:
    """Same series and periods, and every value and scalar the same bits (-0.0 and NaN too)."""
    assert expected.series == actual.series
    assert expected.periods == actual.periods
    assert expected.values.shape == actual.values.shape
    assert np.array_equal(expected.values.view(np.uint64), actual.values.view(np.uint64))
    assert expected.scalars.keys() == actual.scalars.keys()
    for name, values in expected.scalars.items():
        assert np.array_equal(values.view(np.uint64), actual.scalars[name].view(np.uint64)), name


class _Recording(cf.Executor):
    """Runs each call at once in this thread; records the calls and their pickled results."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.sent: list[int] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> cf.Future[Any]:
        future: cf.Future[Any] = cf.Future()
        result = fn(*args, **kwargs)
        # What a process pool would send back: the result pickled and read again.
        wire = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
        self.calls.append(args)
        self.sent.append(len(wire))
        future.set_result(pickle.loads(wire))
        return future


class TestProcessPool:
    def test_bit_identical_to_in_process(self) -> None:
        """Two worker processes with the default chunks give the in-process values, bit for bit."""
        programme = leeuwarden_oost()
        # 1,300 scenarios: several chunks per worker and a last block cut short.
        alone = programma.project(programme, scenarios=1300, seed=5)
        with cf.ProcessPoolExecutor(2) as pool:
            pooled = programma.project(programme, scenarios=1300, seed=5, executor=pool)
        assert_bits_equal(alone, pooled)

    def test_by_month_bit_identical(self) -> None:
        """By month, where most cells of a chunk are empty, the pool gives the same bits too."""
        programme = leeuwarden_oost()
        kwargs: dict[str, Any] = {"scenarios": 520, "seed": 3, "resolution": "month"}
        alone = programma.project(programme, **kwargs)
        with cf.ProcessPoolExecutor(2) as pool:
            pooled = programma.project(programme, executor=pool, workers=2, **kwargs)
        assert_bits_equal(alone, pooled)


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A client of a local Dask cluster: two worker processes of one thread each."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


class TestDask:
    def test_bit_identical_to_in_process(self, dask_client: Any) -> None:
        """Chunks run on a Dask cluster give the in-process values, bit for bit."""
        programme = leeuwarden_oost()
        workers = sum(dask_client.nthreads().values())
        assert 2 == workers
        pooled = programma.project(
            programme,
            scenarios=1300,
            seed=5,
            executor=dask_client.get_executor(),
            workers=workers,
        )
        assert_bits_equal(programma.project(programme, scenarios=1300, seed=5), pooled)


class TestWhatTravels:
    def test_results_sent_small(self) -> None:
        """A chunk sends back its cells that hold a value: under half the kept values' bytes."""
        executor = _Recording()
        projection = programma.project(leeuwarden_oost(), scenarios=512, executor=executor)
        assert sum(executor.sent) < projection.values.nbytes / 2
        assert_bits_equal(programma.project(leeuwarden_oost(), scenarios=512), projection)

    def test_packing_keeps_every_bit(self) -> None:
        """-0.0, NaN, infinities and subnormals travel; only cells +0.0 in every scenario stay."""
        values = np.zeros((2, 2, 3))
        values[0, 0, 1] = -0.0
        values[1, 0, 2] = np.nan
        values[0, 1, 0] = np.inf
        values[1, 1, 2] = 5e-324
        result = ChunkResult(values, {"npv": np.array([-0.0, np.nan])})
        packed = _Packed.of(result)
        # Flat cells (period × 3 + series): (0, 1) = 1, (0, 2) = 2, (1, 0) = 3, (1, 2) = 5.
        assert [1, 2, 3, 5] == packed.cells.tolist()
        store = np.zeros((3, 2, 5))  # (series, periods, scenarios), the chunk from scenario 2
        assert 4 == packed.write(store, 2)
        assert not store[:, :, [0, 1, 4]].any()
        back = store[:, :, 2:4].transpose(2, 1, 0)
        assert np.array_equal(values.view(np.uint64), back.view(np.uint64))
        assert packed.scalars is result.scalars

    @given(
        cells=st.lists(st.sampled_from([0.0, -0.0, 1.5, -2.0, np.nan, np.inf, 5e-324]), min_size=1),
        shape=st.tuples(*(st.integers(1, 4),) * 3),
        layout=st.permutations([0, 1, 2]),
        start=st.integers(0, 3),
    )
    def test_any_chunk_is_written_bit_for_bit(
        self,
        cells: list[float],
        shape: tuple[int, int, int],
        layout: list[int],
        start: int,
    ) -> None:
        """Whatever its memory layout, a chunk written from any scenario is its values' bits
        where the store reaches, and the store is untouched +0.0 elsewhere."""
        scenarios, periods, series = shape
        values = np.resize(np.array(cells), shape)  # repeats the cells to fill the shape
        laid = np.ascontiguousarray(values.transpose(layout)).transpose(np.argsort(layout))
        packed = _Packed.of(ChunkResult(laid, {}))
        store = _untouched_zeros((series, periods, start + scenarios - 1))
        stop = packed.write(store, start)
        assert stop == min(start + scenarios, store.shape[2])
        written = store[:, :, start:stop].transpose(2, 1, 0)
        assert np.array_equal(values[: stop - start].view(np.uint64), written.view(np.uint64))
        assert not store[:, :, :start].view(np.uint64).any()

    def test_packing_a_transposed_chunk(self) -> None:
        """A chunk's values in another memory layout (the engine's, series-major) pack alike."""
        rng = np.random.default_rng(3)
        major = rng.random((4, 6, 5)) * (rng.random((4, 1, 5)) < 0.5)  # (N, S, P), +0.0 or > 0
        values = major.transpose(1, 2, 0)  # (S, P, N), not contiguous
        packed = _Packed.of(ChunkResult(values, {}))
        store = np.zeros((4, 5, 6))
        assert 6 == packed.write(store, 0)
        assert np.array_equal(store.transpose(2, 1, 0), values)
        assert packed.cells.size == np.count_nonzero(values.any(axis=0))


class TestKeptValues:
    def test_scenarios_of_a_cell_side_by_side(self) -> None:
        """The values are in Fortran order: a cell's scenarios are contiguous."""
        projection = programma.project(leeuwarden_oost(), scenarios=300)
        assert projection.values.flags.f_contiguous
        assert 8 == projection.values.strides[0]

    def test_untouched_zeros(self) -> None:
        """+0.0 everywhere, writable, in the shape asked for; empty shapes too."""
        store = _untouched_zeros((3, 4, 5))
        assert ((3, 4, 5), np.dtype(np.float64)) == (store.shape, store.dtype)
        assert not store.view(np.uint64).any()
        store[2, 3, 4] = 1.5
        assert 1.5 == store.sum()
        assert (0, 4) == _untouched_zeros((0, 4)).shape

    @pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="reads Linux's RSS")
    def test_memory_taken_only_where_written(self) -> None:
        """Reading untouched cells takes no memory; writing one value a page takes that page."""

        def resident() -> int:
            return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")

        store = _untouched_zeros((64, 1024, 1024 // 8))  # 64 MiB
        before = resident()
        assert 0.0 == store.sum()
        read = resident() - before
        store[:8, 0, 0] = 1.0  # 8 pages
        written = resident() - before - read
        assert read < 4 * 1024**2
        assert written < 4 * 1024**2

    def test_no_memory_is_a_memory_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The system refusing the mapping is a MemoryError that says how much was asked."""

        def refuse(*args: object, **kwargs: object) -> None:
            raise OSError(12, "Cannot allocate memory")

        monkeypatch.setattr("programma.engine.project.mmap.mmap", refuse)
        with pytest.raises(MemoryError, match=r"Unable to allocate 0.2 MiB .*\(3, 4, 2000\)"):
            _untouched_zeros((3, 4, 2000))


class TestChunkSize:
    @pytest.mark.parametrize(
        ("scenarios", "workers", "chunks"), [(2048, 2, 8), (4096, 2, 8), (2048, 1, 4)]
    )
    def test_several_chunks_per_worker(self, scenarios: int, workers: int, chunks: int) -> None:
        """With an executor the default chunk leaves each worker four chunks where it can."""
        executor = _Recording()
        programma.project(
            leeuwarden_oost(), scenarios=scenarios, executor=executor, workers=workers
        )
        blocks = [call[3].blocks for call in executor.calls]
        assert chunks == len(blocks)
        assert [256 * block for block in blocks] == [scenarios // chunks] * chunks

    def test_chunk_size_given_is_kept(self) -> None:
        """A chunk_size given is used as it is."""
        executor = _Recording()
        programma.project(
            leeuwarden_oost(), scenarios=2048, chunk_size=1024, executor=executor, workers=2
        )
        assert [4, 4] == [call[3].blocks for call in executor.calls]


class TestDefaultChunk:
    def test_in_process_chunks_of_512(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """In this process the default chunk is 2 blocks (512 scenarios), the last one cut."""
        seen: list[int | None] = []
        run = Model.run

        def recording(self: Model, **kwargs: Any) -> ChunkResult:
            seen.append(kwargs["blocks"])
            return run(self, **kwargs)

        monkeypatch.setattr(Model, "run", recording)
        programma.project(leeuwarden_oost(), scenarios=1300)  # 6 blocks: 2 + 2 + 2
        assert [2, 2, 2] == seen
