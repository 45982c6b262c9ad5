"""What the charts share: checked arguments, spread bands, money and time axes, new axes.

A spread is drawn the same way in every chart: a band between the low and high quantiles over
the scenarios, a line at the middle one; in expected mode (one scenario, every distribution at
its mean) a single line. Later charts draw their spreads with :func:`draw_spread` too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any, Literal, cast

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator, StrMethodFormatter

from .._errors import Problem, ValidationError
from ..analysis.summary import PERCENTILE_METHOD
from ..engine.projection import Projection
from ..model.checks import add_months, is_number, some_ids

__all__ = [
    "DEFAULT_QUANTILES",
    "Quantiles",
    "check",
    "choice_problems",
    "cumulative",
    "draw_spread",
    "money_axis",
    "money_x_axis",
    "new_axes",
    "period_ends",
    "quantile_label",
    "quantile_problems",
    "spread",
    "whole_ticks",
]

Quantiles = tuple[float, float, float]

DEFAULT_QUANTILES: Quantiles = (0.1, 0.5, 0.9)
"""The band's low and high quantiles and the line's middle one: P10, P50 and P90."""

METHOD = PERCENTILE_METHOD
"""How quantiles are computed: as the summary's percentiles (numpy's ``linear``), so that a
chart's P10 and P90 are the summary's."""

BAND_ALPHA = 0.3
"""How opaque a band is: light enough that lines drawn over it stay readable."""


def quantile_problems(quantiles: object) -> list[Problem]:
    """A problem unless ``quantiles`` is three fractions, low ≤ middle ≤ high, in [0, 1].

    >>> quantile_problems((0.1, 0.5, 0.9))
    []
    >>> print(quantile_problems((0.9, 0.5, 0.1))[0].expected)
    three fractions low ≤ middle ≤ high in [0, 1], such as (0.1, 0.5, 0.9)
    """
    values = tuple(quantiles) if isinstance(quantiles, Sequence | np.ndarray) else None
    fine = (
        values is not None
        and len(values) == 3
        and all(is_number(q) and 0.0 <= float(q) <= 1.0 for q in values)
        and float(values[0]) <= float(values[1]) <= float(values[2])
    )
    if fine:
        return []
    expected = "three fractions low ≤ middle ≤ high in [0, 1], such as (0.1, 0.5, 0.9)"
    return [Problem("quantiles", expected, quantiles)]


def choice_problems(
    name: str, collection: str, known: Sequence[str], given: object
) -> list[Problem]:
    """A problem unless ``given`` is one of the ``known`` ids of ``collection``."""
    if given in known:
        return []
    listing = some_ids(known) if known else "there are none"
    return [Problem(name, f"the id of one of the programme's {collection} ({listing})", given)]


def check(problems: Iterable[Problem]) -> None:
    """Raise every problem found in a chart's arguments at once.

    Raises:
        ValidationError: There is at least one problem.
    """
    found = list(problems)
    if found:
        raise ValidationError(found)


def spread(values: np.ndarray, quantiles: Quantiles) -> np.ndarray:
    """The quantiles over scenarios (the first axis), by the summary's percentile method.

    >>> spread(np.arange(11.0)[:, None], (0.1, 0.5, 0.9)).ravel().tolist()
    [1.0, 5.0, 9.0]
    """
    return np.asarray(
        np.quantile(np.asarray(values, dtype=float), quantiles, axis=0, method=cast(Any, METHOD))
    )


def quantile_label(q: float) -> str:
    """``P10`` for 0.1, ``P2.5`` for 0.025.

    >>> quantile_label(0.1), quantile_label(0.025)
    ('P10', 'P2.5')
    """
    return f"P{round(q * 100, 6):g}"


def draw_spread(
    ax: Axes,
    x: Sequence[Any] | np.ndarray,
    values: np.ndarray,
    quantiles: Quantiles,
    *,
    expected: bool,
    colour: str = "C0",
    what: str = "",
) -> None:
    """Draw a band between the low and high quantiles of ``values`` and a line at the middle.

    ``values`` is ``(scenarios, points)``. In expected mode a single line labelled
    ``expected`` is drawn instead. Labels start with ``what`` when given (``"outflow P50"``).
    """
    lead = f"{what} " if what else ""
    if expected:
        ax.plot(x, values[0], color=colour, label=f"{lead}expected")
        return
    low, middle, high = spread(values, quantiles)
    band = f"{lead}{quantile_label(quantiles[0])}–{quantile_label(quantiles[2])}"
    ax.fill_between(x, low, high, color=colour, alpha=BAND_ALPHA, linewidth=0, label=band)
    median = " (median)" if quantiles[1] == 0.5 else ""
    ax.plot(x, middle, color=colour, label=f"{lead}{quantile_label(quantiles[1])}{median}")


def money_axis(ax: Axes, label: str, currency: str) -> None:
    """Label the y axis as an amount in ``currency``, its ticks with thousands separators."""
    ax.set_ylabel(f"{label} ({currency})")
    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def money_x_axis(ax: Axes, label: str, currency: str) -> None:
    """Label the x axis as an amount in ``currency``, with few ticks: amounts are wide."""
    ax.set_xlabel(f"{label} ({currency})")
    ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    ax.xaxis.set_major_locator(whole_ticks(nbins=5))


def whole_ticks(nbins: int | Literal["auto"] = "auto") -> MaxNLocator:
    """Ticks as matplotlib's default places them, but only at whole amounts.

    Where every value is 0 the axis would otherwise tick at ±0.02 and show "-0".
    """
    return MaxNLocator(nbins=nbins, steps=[1, 2, 2.5, 5, 10], integer=True)


def period_ends(projection: Projection) -> list[dt.date]:
    """The programme's start, then the end of each period (the first of the next month).

    A cumulative amount is 0 at the start and reaches its value at each period's end.
    """
    grid = projection.grid
    lasts = grid.last_months(projection.resolution).tolist()
    return [grid.start, *(add_months(grid.start, last + 1) for last in lasts)]


def cumulative(values: np.ndarray) -> np.ndarray:
    """Running totals over periods (the second axis), with a 0 before the first period.

    >>> cumulative(np.array([[1.0, 2.0, 3.0]])).tolist()
    [[0.0, 1.0, 3.0, 6.0]]
    """
    running = np.cumsum(np.asarray(values, dtype=float), axis=1)
    return np.concatenate([np.zeros((running.shape[0], 1)), running], axis=1)


def new_axes(ax: Axes | None, size: tuple[float, float] = (8.0, 4.5)) -> Axes:
    """``ax``, or the axes of a new pyplot figure of ``size`` inches (shown as any would be)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only here: drawing on given axes needs no pyplot

    figure = plt.figure(figsize=size)
    created: Axes = figure.add_subplot()
    return created
