"""The engine's months: the horizon, the months outcomes reach past it, fiscal years, prices.

Months are indexed m = 0 … T − 1 from the programme start (DESIGN §4); outcome months run to T
(which holds every outcome reached after the horizon) and values are verified up to
T + largest verification lag, so the engine's arrays reach ``extended_months`` = T + 1 + lag.
Prices are indexed once per fiscal year (§4.8.9); amounts past the horizon are recorded in month
T − 1 (§4.8.12); a contract settles in month L = end + run-off (§4.8.2).

A total over months (a present value, a balance to settle) is added fiscal year by fiscal year
(:meth:`Timeline.total`): zeros in whole fiscal years around the months that hold values then
change no bit of it, so a rule may work on any months that start a fiscal year and take the
same totals as over the whole horizon.
"""

from __future__ import annotations

import attrs
import numpy as np

from ..model.contracts import OutcomeContract
from ..model.programme import Programme
from ..periods.grid import TimeGrid

__all__ = ["Timeline", "fold_into_horizon", "price_index", "settlement_month"]


@attrs.frozen(eq=False)
class Timeline:
    """The months and fiscal years a programme's arrays run over.

    Attributes:
        grid: The programme's monthly grid over the horizon.
        months: T, the months of the horizon.
        extended_months: T + 1 + the largest verification lag: the months values are verified in.
        years: The fiscal years the extended months and the price base touch, ascending.
        year_of_month: Per extended month, its fiscal year's position in ``years``.
        base_year_position: The price base's fiscal year's position in ``years``.
        fiscal_year: Per extended month, its fiscal year.
        year_starts: The months of the horizon that start a fiscal year, ascending (0 first).
    """

    grid: TimeGrid
    months: int
    extended_months: int
    years: tuple[int, ...]
    year_of_month: np.ndarray
    base_year_position: int
    fiscal_year: np.ndarray
    year_starts: np.ndarray

    @classmethod
    def of(cls, programme: Programme) -> Timeline:
        """The timeline of ``programme``."""
        grid = TimeGrid(programme.start, programme.months, programme.fiscal_year_start_month)
        largest_lag = max((c.verification_lag_months for c in programme.contracts), default=0)
        extended_months = programme.months + 1 + largest_lag
        base = grid.index(programme.price_base)
        fiscal = grid.fiscal_year_of(np.arange(extended_months))
        base_year = int(grid.fiscal_year_of(base))
        first_year = min(base_year, int(fiscal[0]))
        last_year = max(base_year, int(fiscal[-1]))
        return cls(
            grid=grid,
            months=programme.months,
            extended_months=extended_months,
            years=tuple(range(first_year, last_year + 1)),
            year_of_month=fiscal - first_year,
            base_year_position=base_year - first_year,
            fiscal_year=fiscal,
            year_starts=grid.starts("fiscal_year"),
        )

    @property
    def horizon_years(self) -> list[int]:
        """The fiscal years the horizon's months touch, ascending."""
        return [int(year) for year in np.unique(self.fiscal_year[: self.months])]

    def total(self, values: np.ndarray, first: int = 0) -> np.ndarray:
        """The sum over months of ``values`` ``(scenarios, w)``, the months ``first … first +
        w − 1`` of the horizon: each fiscal year's sum, then the years' sums in order.

        ``first`` starts a fiscal year, so the result is the same bit for bit as over any
        months that add whole fiscal years of zeros before or after.
        """
        scenarios, width = values.shape
        if not width:
            return np.zeros(scenarios)
        assert first + width <= self.months, "a total is over the horizon's months"
        position = int(np.searchsorted(self.year_starts, first))
        assert self.year_starts[position] == first, "a total starts with a fiscal year"
        end = int(np.searchsorted(self.year_starts, first + width))
        by_year = np.add.reduceat(values, self.year_starts[position:end] - first, axis=1)
        return np.asarray(np.cumsum(by_year, axis=1)[:, -1])


def price_index(rates: np.ndarray, timeline: Timeline, months: slice = slice(None)) -> np.ndarray:
    """The price index per scenario and extended month from a rate per fiscal year.

    index(m) = Π (1 + rate of fiscal year y) over the fiscal years after the price base's up
    to m's; before the base, the inverse (DESIGN §4.8.9).

    Args:
        rates: The rate of each fiscal year of ``timeline.years``, ``(scenarios, years)``.
        timeline: The months.
        months: The extended months wanted (all by default).

    Returns:
        The index, ``(scenarios, months)``; a read-only view of one row where every scenario
        has the same rates.
    """
    scenarios = rates.shape[0]
    if scenarios > 1 and (rates == rates[:1]).all():
        # One path for every scenario (a fixed rate): worked out once, read by every row.
        one = price_index(rates[:1], timeline, months)
        return np.broadcast_to(one, (scenarios, one.shape[1]))
    growth = np.cumprod(1.0 + rates, axis=1)
    base = timeline.base_year_position
    by_year = growth / growth[:, base : base + 1]
    # Taken row by row, laid out row by row (fancy indexing along the months would lay it
    # out column by column, and later sums over months would then add in an order that
    # depends on the number of scenarios).
    return by_year.take(timeline.year_of_month[months], axis=1)


def fold_into_horizon(values: np.ndarray, months: int, start: int = 0) -> np.ndarray:
    """Months past the horizon folded into its last month, T − 1 (DESIGN §4.8.12).

    ``values`` ``(scenarios, w)`` are the months ``start … start + w − 1``; the result holds
    those inside the horizon.

    >>> fold_into_horizon(np.array([[1.0, 2.0, 4.0, 8.0]]), 2).tolist()
    [[1.0, 14.0]]
    """
    inside = values[:, : months - start].copy()
    if values.shape[1] > months - start:
        inside[:, -1] += values[:, months - start :].sum(axis=1)
    return inside


def settlement_month(contract: OutcomeContract, timeline: Timeline) -> int:
    """L = end + run-off: the month everything is settled (DESIGN §4.8.2).

    The programme refuses a contract that settles after the horizon, so L ≤ T − 1.
    """
    settlement = timeline.grid.index(contract.last_month) + contract.run_off_months
    assert settlement <= timeline.months - 1, "validated: every contract settles inside the horizon"
    return settlement
