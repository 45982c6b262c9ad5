"""A contract's window: the months its arrays span in a chunk (``programma.engine.windows``).

The window is an optimisation and nothing else: a projection with every contract worked over
all the months the engine tracks must be the same bit for bit. Totals over months are taken
fiscal year by fiscal year, so whole years of zeros around the values change no bit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import programma as pg
from builders import D, base_programme, contract
from profiles import examples
from programma import Initiative, Normal, Programme
from programma.engine import run
from programma.engine.timeline import Timeline
from programma.engine.windows import Bounds, Window, months_used
from programma.examples import leeuwarden_oost
from programma.periods.grid import RESOLUTIONS, Resolution
from test_invariants import (
    WITHOUT_SAMPLES,
    assert_identical,
    scenario_counts,
    seeds,
    small_programmes,
)


@contextlib.contextmanager
def whole_windows() -> Iterator[list[Window]]:
    """Every contract worked over all the months the engine tracks; yields the windows the
    engine would have chosen."""
    chosen: list[Window] = []
    narrow = run._Chunk.window

    def whole(chunk: run._Chunk, contract: pg.OutcomeContract, enrolled: np.ndarray) -> Window:
        chosen.append(narrow(chunk, contract, enrolled))
        return Window.whole(chunk.timeline)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(run._Chunk, "window", whole)
        yield chosen


def timeline(start_month: int = 1, years: int = 5) -> Timeline:
    """The timeline of a programme from January 2021 with its fiscal year from ``start_month``."""
    programme = attrs.evolve(
        base_programme(contracts=[contract()]),
        horizon_years=years,
        fiscal_year_start_month=start_month,
    )
    return Timeline.of(programme)


class TestTheWindowChangesNothing:
    """A projection is the same whatever months the contracts' arrays span."""

    @settings(max_examples=examples(40))
    @given(
        small_programmes(kinds=WITHOUT_SAMPLES, min_contracts=1, max_years=8, delivered=True),
        scenario_counts,
        seeds,
        st.sampled_from(RESOLUTIONS),
    )
    def test_small_programmes(
        self, programme: Programme, scenarios: int | None, seed: int, resolution: Resolution
    ) -> None:
        """Generated programmes, every financing mode, every resolution."""
        narrow = pg.project(programme, scenarios=scenarios, seed=seed, resolution=resolution)
        with whole_windows():
            whole = pg.project(programme, scenarios=scenarios, seed=seed, resolution=resolution)
        assert_identical(whole, narrow)

    @pytest.mark.parametrize("resolution", RESOLUTIONS)
    def test_the_example(self, resolution: Resolution) -> None:
        """The example's four contracts, each financed another way; and its windows are
        narrower than the months the engine tracks, so this compares something."""
        programme = leeuwarden_oost()
        narrow = pg.project(programme, scenarios=300, seed=4, resolution=resolution)
        with whole_windows() as chosen:
            whole = pg.project(programme, scenarios=300, seed=4, resolution=resolution)
        assert_identical(whole, narrow)
        tracked = Timeline.of(programme).extended_months
        assert chosen
        assert all(window.width < tracked / 2 for window in chosen)

    def test_chunks_that_see_other_months(self) -> None:
        """A delay that spreads a contract's cost over years: each chunk takes the months its
        own scenarios reach, and every scenario's results are those of any other chunking."""
        work = Initiative(
            "work",
            "Work",
            "city",
            commitment=10_000.0,
            start=D(2021, 3, 1),
            duration_months=4,
            delay=Normal(1.0, 6.0, low=0.0),
        )
        programme = base_programme(
            horizon_years=6, initiatives=[work], contracts=[contract(initiatives=["work"])]
        )
        runs = [
            pg.project(programme, scenarios=700, seed=3, chunk_size=size, resolution="month")
            for size in (256, None)
        ]
        assert_identical(*runs)
        with whole_windows() as chosen:
            whole = pg.project(programme, scenarios=700, seed=3, chunk_size=256, resolution="month")
        assert_identical(whole, runs[0])
        assert len({window.end for window in chosen}) > 1  # the chunks' windows differ


class TestBounds:
    """Where a window may start and end."""

    def test_fiscal_years_that_start_in_january(self) -> None:
        """Kept by month or by fiscal year, windows are whole fiscal years."""
        months = timeline()
        for resolution in ("month", "year", "quarter", "fiscal_year"):
            bounds = Bounds.of(months, months.grid.starts(resolution))
            assert bounds.starts.tolist() == [0, 12, 24, 36, 48, 60]
        bounds = Bounds.of(months, months.grid.starts("month"))
        assert bounds.window(13, 30) == Window(12, 36, 60)
        assert bounds.window(12, 12) == Window(12, 24, 60)
        assert bounds.window(0, 59) == Window(0, 60, 60)

    def test_past_the_horizon(self) -> None:
        """A window that reaches past the horizon takes every month the engine tracks."""
        months = timeline()
        bounds = Bounds.of(months, months.grid.starts("month"))
        assert bounds.window(30, 60) == Window(24, months.extended_months, 60)
        assert Window(24, months.extended_months, 60).inside == 36

    def test_kept_years_and_fiscal_years_that_never_meet(self) -> None:
        """Calendar years kept, fiscal years from July: only the whole horizon is both."""
        months = timeline(start_month=7)
        bounds = Bounds.of(months, months.grid.starts("year"))
        assert bounds.starts.tolist() == [0, 60]
        assert bounds.window(20, 30) == Window(0, 60, 60)
        by_quarter = Bounds.of(months, months.grid.starts("quarter"))
        assert by_quarter.starts.tolist() == [0, 6, 18, 30, 42, 54, 60]

    def test_months_used(self) -> None:
        """The months in which any array holds something; None where none does."""
        assert months_used([np.zeros((2, 5))]) is None
        assert months_used([]) is None
        values = np.zeros((2, 5))
        values[1, 3] = -0.5
        assert months_used([values, np.eye(2, 5)]) == (0, 3)


class TestTotals:
    """Totals over months, fiscal year by fiscal year."""

    @settings(max_examples=examples(50))
    @given(
        st.lists(st.floats(-1e9, 1e9, allow_nan=False), min_size=1, max_size=36).map(np.array),
        st.integers(0, 2),
        st.integers(1, 12),
    )
    def test_zero_years_around_change_no_bit(
        self, values: np.ndarray, first_year: int, start_month: int
    ) -> None:
        """The same total over the values' own years as over the whole horizon."""
        months = timeline(start_month=start_month, years=6)
        first = int(months.year_starts[first_year])
        end = int(months.year_starts[np.searchsorted(months.year_starts, first + len(values))])
        whole = np.zeros((1, months.months))
        whole[0, first : first + len(values)] = values
        own = whole[:, first:end]
        assert np.array_equal(months.total(own, first), months.total(whole))
        assert months.total(whole)[0] == pytest.approx(
            float(np.sum(values)), rel=1e-12, abs=1e-12 * float(np.abs(values).sum())
        )

    def test_starts_a_fiscal_year(self) -> None:
        """A total must start where a fiscal year does."""
        with pytest.raises(AssertionError, match="starts with a fiscal year"):
            timeline().total(np.ones((1, 3)), 5)
