"""Phases: the stretches of time a programme moves through."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import attrs

from .._errors import Problem, described
from .checks import Checked, first_of_month, identifier, month_index, text, vocabulary
from .vocabulary import PhaseKind

__all__ = ["Phase"]


@attrs.frozen
class Phase(Checked):
    """A phase of the programme, from the month ``start`` to the month ``end`` (inclusive).

    Phases may not overlap unless one of them is marked ``parallel``.

    >>> p = Phase("verkenning", "Exploration", PhaseKind.EXPLORATION,
    ...           dt.date(2021, 1, 1), dt.date(2021, 12, 1))
    >>> p.months
    12
    """

    id: str
    name: str
    kind: PhaseKind = attrs.field(**vocabulary(PhaseKind))
    start: dt.date
    end: dt.date
    parallel: bool = False

    @property
    def months(self) -> int:
        """The number of months in the phase."""
        return month_index(self.start, self.end) + 1

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        yield from text("name", self.name)
        start = list(first_of_month("start", self.start))
        end = list(first_of_month("end", self.end))
        yield from start
        yield from end
        if not start and not end and self.end < self.start:
            yield Problem(
                "end",
                f"a month on or after start ({self.start.isoformat()})",
                described(self.end.isoformat()),
            )
