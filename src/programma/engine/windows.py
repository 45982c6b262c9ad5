"""The months a contract's arrays span in a chunk: its window.

A contract acts over a few of the horizon's months (enrolment, its initiatives' costs, outcomes
and their verification, payments up to settlement), so in a chunk its arrays span only those
months, widened to whole blocks: a window starts where a kept period and a fiscal year both
start, and ends where they both end, or at the end of the months the engine tracks (every
month after the horizon is folded into its last month, §4.8.12).

Which months a window takes depends on the chunk's scenarios (how far a delay pushes a cost, say),
yet a scenario's results never do. Inside a window every rule works month by month or element by
element; sums into kept periods add whole periods; totals over months add whole fiscal years
(:meth:`.Timeline.total`); so the months outside it, all zeros, change no bit.
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs
import numpy as np

from .timeline import Timeline

__all__ = ["Bounds", "Window", "months_used"]


@attrs.frozen
class Window:
    """The months ``start … end − 1`` of the months the engine tracks (the extended months).

    Attributes:
        start: The first month; it starts a kept period and a fiscal year.
        end: One past the last month: the end of a kept period and a fiscal year inside the
            horizon, or the end of the extended months.
        months: T, the months of the horizon.
    """

    start: int
    end: int
    months: int

    @classmethod
    def whole(cls, timeline: Timeline) -> Window:
        """Every month the engine tracks."""
        return cls(0, timeline.extended_months, timeline.months)

    @property
    def width(self) -> int:
        """How many months the window spans."""
        return self.end - self.start

    @property
    def tracked(self) -> slice:
        """Its months, as a slice of the extended months."""
        return slice(self.start, self.end)

    @property
    def inside(self) -> int:
        """How many of its months lie inside the horizon."""
        return min(self.end, self.months) - self.start

    def of_horizon(self, values: np.ndarray) -> np.ndarray:
        """The window's months of an array over the horizon's months (the last axis)."""
        return values[..., self.start : self.start + self.inside]


@attrs.frozen(eq=False)
class Bounds:
    """The months a window may start at: those that start a kept period and a fiscal year.

    Attributes:
        timeline: The months.
        starts: The horizon's months that start a kept period and a fiscal year, ascending,
            then T.
    """

    timeline: Timeline
    starts: np.ndarray

    @classmethod
    def of(cls, timeline: Timeline, period_starts: np.ndarray) -> Bounds:
        """The bounds of windows whose months are kept in periods that start in the months
        ``period_starts``."""
        common = np.intersect1d(period_starts, timeline.year_starts)
        return cls(timeline, np.r_[common, timeline.months])

    def window(self, first: int, last: int) -> Window:
        """The narrowest window that holds the months ``first … last`` (extended months)."""
        timeline = self.timeline
        assert 0 <= first <= last < timeline.extended_months, (first, last)
        start = int(self.starts[np.searchsorted(self.starts, first, side="right") - 1])
        if last >= timeline.months:
            end = timeline.extended_months
        else:
            end = int(self.starts[np.searchsorted(self.starts, last, side="right")])
        return Window(start, end, timeline.months)


def months_used(values: Iterable[np.ndarray]) -> tuple[int, int] | None:
    """The first and last month (the last axis) in which any of ``values`` is not zero.

    ``None`` where all are zero everywhere.

    >>> months_used([np.array([[0.0, 2.0, 0.0]]), np.array([[0.0, 0.0, 0.0]])])
    (1, 1)
    """
    first = last = None
    for array in values:
        used = np.flatnonzero(array.reshape(-1, array.shape[-1]).any(axis=0))
        if used.size:
            first = int(used[0]) if first is None else min(first, int(used[0]))
            last = int(used[-1]) if last is None else max(last, int(used[-1]))
    return None if first is None or last is None else (first, last)
