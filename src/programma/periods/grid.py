"""The time layer: a monthly grid from the programme start, regrouped exactly into periods.

Months are indexed ``m = 0 … T−1`` from the programme's start. A flow "in month m" happens at
that month's end. Fiscal years are labelled by the calendar year in which they start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Literal, TypeAlias

import attrs
import numpy as np

from ..model.checks import add_months, month_index, month_number, year_and_month
from ..model.recurrence import occurrence_months

__all__ = ["RESOLUTIONS", "Resolution", "TimeGrid"]

Resolution: TypeAlias = Literal["month", "quarter", "year", "fiscal_year"]
RESOLUTIONS: tuple[Resolution, ...] = ("month", "quarter", "year", "fiscal_year")


@attrs.frozen
class TimeGrid:
    """The programme's months, with the fiscal year and period of each.

    Attributes:
        start: The first month.
        months: The number of months T.
        fiscal_year_start_month: The month fiscal years start in (1 = calendar years).

    >>> grid = TimeGrid(dt.date(2021, 1, 1), 24, fiscal_year_start_month=4)
    >>> grid.labels("fiscal_year")
    ('FY2020', 'FY2021', 'FY2022')
    >>> grid.labels("quarter")[:2]
    ('2021Q1', '2021Q2')
    """

    start: dt.date
    months: int
    fiscal_year_start_month: int = 1

    @property
    def dates(self) -> np.ndarray:
        """The months as ``datetime64[M]``."""
        first = np.datetime64(f"{self.start.year:04d}-{self.start.month:02d}", "M")
        return first + np.arange(self.months)

    def month(self, index: int) -> dt.date:
        """The first day of month ``index``."""
        return add_months(self.start, index)

    def index(self, month: dt.date) -> int:
        """The index of ``month`` (a first of month) on the grid (may lie outside it)."""
        return month_index(self.start, month)

    def fiscal_year_of(self, index: int | np.ndarray) -> np.ndarray:
        """The fiscal year of month ``index`` (works for indices beyond the grid too)."""
        year, month = year_and_month(month_number(self.start) + np.asarray(index))
        return np.where(month >= self.fiscal_year_start_month, year, year - 1)

    @property
    def fiscal_years(self) -> np.ndarray:
        """The fiscal year of each month of the grid."""
        return self.fiscal_year_of(np.arange(self.months))

    def groups(self, resolution: Resolution) -> tuple[np.ndarray, tuple[str, ...]]:
        """For each month the index of its period, and the period labels, in order."""
        absolute = month_number(self.start) + np.arange(self.months)
        year, month = year_and_month(absolute)
        if resolution == "month":
            keys = absolute
            label = [f"{y:04d}-{m:02d}" for y, m in map(year_and_month, np.unique(keys).tolist())]
        elif resolution == "quarter":
            keys = year * 4 + (month - 1) // 3
            label = [f"{k // 4:04d}Q{k % 4 + 1}" for k in np.unique(keys)]
        elif resolution == "year":
            keys = year
            label = [f"{k:04d}" for k in np.unique(keys)]
        elif resolution == "fiscal_year":
            keys = self.fiscal_years
            label = [f"FY{k:04d}" for k in np.unique(keys)]
        else:
            raise ValueError(
                f"resolution must be one of {', '.join(RESOLUTIONS)}, got {resolution!r}"
            )
        _, inverse = np.unique(keys, return_inverse=True)
        return inverse, tuple(label)

    def labels(self, resolution: Resolution) -> tuple[str, ...]:
        """The labels of the periods at ``resolution``."""
        return self.groups(resolution)[1]

    def starts(self, resolution: Resolution) -> np.ndarray:
        """The index of the first month (in the grid) of each period.

        >>> TimeGrid(dt.date(2021, 11, 1), 4).starts("year").tolist()
        [0, 2]
        """
        inverse, _ = self.groups(resolution)
        return np.flatnonzero(np.r_[True, inverse[1:] != inverse[:-1]])

    def last_months(self, resolution: Resolution) -> np.ndarray:
        """The index of the last month (in the grid) of each period."""
        inverse, labels = self.groups(resolution)
        last = np.zeros(len(labels), dtype=np.int64)
        last[inverse] = np.arange(self.months)  # later months overwrite earlier ones
        return last

    def regroup(self, values: np.ndarray, resolution: Resolution, axis: int = -1) -> np.ndarray:
        """Sum ``values`` over the months of each period along ``axis`` (exact: plain sums).

        >>> grid = TimeGrid(dt.date(2021, 11, 1), 4)
        >>> grid.regroup(np.array([1.0, 2.0, 3.0, 4.0]), "year")
        array([3., 7.])
        """
        moved = np.moveaxis(np.asarray(values, dtype=float), axis, -1)
        out = np.add.reduceat(moved, self.starts(resolution), axis=-1)
        return np.moveaxis(out, -1, axis)

    def schedule_months(self, kind: str, rule: str | None, first: int, extent: int) -> np.ndarray:
        """The month indices in ``[first, extent)`` that are payment months of a schedule.

        ``monthly`` is every month; ``quarterly`` the last month of each calendar quarter;
        ``yearly`` the last month of each fiscal year; ``rrule`` the months holding an
        occurrence of the RFC 5545 rule started at month ``first``.

        >>> grid = TimeGrid(dt.date(2021, 1, 1), 24)
        >>> grid.schedule_months("quarterly", None, 0, 12).tolist()
        [2, 5, 8, 11]
        >>> grid.schedule_months("rrule", "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=-1", 1, 24).tolist()
        [1, 7, 13, 19]
        """
        months = np.arange(first, extent)
        _, calendar_month = year_and_month(month_number(self.start) + months)
        if kind == "monthly":
            return months
        if kind == "quarterly":
            return np.asarray(months[calendar_month % 3 == 0])
        if kind == "yearly":
            last = (self.fiscal_year_start_month - 2) % 12 + 1
            return np.asarray(months[calendar_month == last])
        if kind == "rrule" and rule is not None:
            return self._rrule_months(rule, first, extent)
        raise ValueError(f"unknown payment schedule {kind!r}")

    def _rrule_months(self, rule: str, first: int, extent: int) -> np.ndarray:
        # Both bounds counted from the grid's start (firsts of months: nothing to clip).
        months = occurrence_months(rule, self.month(first), self.month(extent))
        indices = {self.index(month) for month in months}
        return np.array(sorted(i for i in indices if first <= i < extent), dtype=np.int64)


def next_payment_month(schedule: Sequence[int] | np.ndarray, extent: int) -> np.ndarray:
    """For each month ``v < extent``, the first schedule month ``p ≥ v`` (``extent`` if none).

    >>> next_payment_month([2, 5], 7).tolist()
    [2, 2, 2, 5, 5, 5, 7]
    """
    months = np.asarray(schedule, dtype=np.int64)
    out = np.full(extent, extent, dtype=np.int64)
    position = np.searchsorted(months, np.arange(extent), side="left")
    found = position < len(months)
    out[found] = months[position[found]]
    return out
