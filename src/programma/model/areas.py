"""Areas: the neighbourhoods a programme works in."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from .._errors import Problem
from .checks import Checked, identifier, integer_at_least, text

__all__ = ["Area"]


@attrs.frozen
class Area(Checked):
    """A neighbourhood (or other area) of the programme.

    Attributes:
        id: Unique among the programme's areas.
        name: The area's name.
        code: An official code, e.g. the CBS wijk code (``WK008001``).
        population: Residents, if known.

    >>> Area("bilgaard", "Bilgaard", population=5_000).population
    5000
    """

    id: str
    name: str
    code: str | None = None
    population: int | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        yield from text("name", self.name)
        if self.code is not None:
            yield from text("code", self.code)
        if self.population is not None:
            yield from integer_at_least("population", self.population, 0)
