"""The public projection: the engine's result with its summary, and ``project`` returning it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec

import attrs

from ..engine import projection as engine
from ..engine.project import project as _project
from .summary import Summary, summarise

__all__ = ["Projection", "project"]

_P = ParamSpec("_P")


@attrs.frozen(eq=False, repr=False)
class Projection(engine.Projection):
    """The flows and measures of a programme, per scenario, period and series.

    ``values[s, p, n]`` is series ``series[n]`` in period ``periods[p]`` of scenario ``s``.
    In expected mode there is one scenario (every distribution at its mean).

    Attributes:
        programme: The programme projected.
        mode: ``"expected"`` or ``"monte-carlo"``.
        seed: The seed of a Monte Carlo run (``None`` in expected mode).
        resolution: The periods kept: month, quarter, year or fiscal_year.
        periods: The period labels (``2021-01``, ``2021Q1``, ``2021``, ``FY2021``).
        series: What each series is (flow or measure, payer, payee, contract, …).
        values: The numbers, ``(scenarios, periods, series)``; from :func:`programma.project`
            in Fortran order (the scenarios of each period and series side by side), with the
            memory of cells no scenario reaches not taken (see the engine's Memory section).
        scalars: Per-scenario figures by name (e.g. how much each cap cut), each ``(scenarios,)``.
    """

    @classmethod
    def of(cls, result: engine.Projection) -> Projection:
        """The engine's result as a public projection (its arrays shared, not copied)."""
        if isinstance(result, cls):
            return result
        return cls(**{field.name: getattr(result, field.name) for field in attrs.fields(cls)})

    def summary(self) -> Summary:
        """Per fund and fiscal year, per contract, gate and investor: means and spreads.

        Raises:
            ValueError: The kept periods do not regroup into fiscal years.
        """
        return summarise(self)


def _returning_public(run: Callable[_P, engine.Projection]) -> Callable[_P, Projection]:
    @functools.wraps(run)
    def returning(*args: _P.args, **kwargs: _P.kwargs) -> Projection:
        return Projection.of(run(*args, **kwargs))

    return returning


project = _returning_public(_project)
"""Project a programme (see :func:`programma.engine.project.project`), as a :class:`Projection`."""
