"""Fan charts: what a fund pays out per fiscal year, with its spread, against its budget."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from .._errors import Problem
from .._text import run_kind
from ..engine.projection import Projection
from ._base import (
    DEFAULT_QUANTILES,
    Quantiles,
    check,
    choice_problems,
    draw_spread,
    money_axis,
    new_axes,
    quantile_problems,
)

__all__ = ["fan_chart", "fan_charts"]

PANEL_SIZE = (6.0, 3.4)
"""Inches per panel of :func:`fan_charts`."""


def fan_chart(
    projection: Projection,
    fund: str,
    *,
    budget: bool = True,
    ax: Axes | None = None,
    quantiles: Quantiles = DEFAULT_QUANTILES,
) -> Axes:
    """A fund's cash outflow per fiscal year: its spread over the scenarios, and its budget.

    The outflow is :meth:`~programma.Projection.outflow` summed per
    fiscal year. In Monte Carlo the chart shows a band from the low to the high quantile
    (P10–P90 by default), a line at the middle one (P50) and the mean as a marker per year; in
    expected mode a single line. With ``budget`` and a fund that lists amounts, the budget
    available per fiscal year (its amount plus what carried over; the scenarios' mean, as
    carry-over depends on what was spent) is a step line: a year whose outflow rises above it
    is a breach.

    Args:
        projection: A projection at any resolution that regroups into fiscal years.
        fund: The id of one of the programme's funds.
        budget: Whether to draw the fund's budget.
        ax: The axes to draw on; a new figure's when ``None``.
        quantiles: The band's low, the line's and the band's high quantile, as fractions.

    Returns:
        The axes drawn on.

    Raises:
        ValidationError: ``fund`` is not a fund of the programme, or ``quantiles`` are not
            three fractions low ≤ middle ≤ high.
        ValueError: The projection's periods do not regroup into fiscal years.

    >>> import programma
    >>> from programma.examples import leeuwarden_oost
    >>> runs = programma.project(leeuwarden_oost(), scenarios=64, seed=1)
    >>> ax = fan_chart(runs, "resultatenfonds")
    >>> ax.get_ylabel(), ax.get_xlabel()
    ('outflow per fiscal year (EUR)', 'fiscal year')
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['P10–P90', 'P50 (median)', 'mean', 'budget available']
    """
    programme = projection.programme
    funds = {f.id: f for f in programme.funds}
    check([*choice_problems("fund", "funds", list(funds), fund), *quantile_problems(quantiles)])
    chosen = funds[fund]
    yearly = projection.by("fiscal_year")
    years = [int(label.removeprefix("FY")) for label in yearly.periods]
    outflow = yearly.outflow(fund)
    expected = projection.mode == "expected"
    ax = new_axes(ax)
    draw_spread(ax, years, outflow, quantiles, expected=expected)
    if not expected:
        ax.plot(years, outflow.mean(axis=0), linestyle="none", marker="o", color="C1", label="mean")
    if budget and any(amount > 0 for _, amount in chosen.amounts):
        available = yearly.total(flow="budget", fund=fund).mean(axis=0)
        ax.step(years, available, where="mid", color="black", label="budget available")
    ax.set_title(f"{chosen.name}: outflow per fiscal year")
    ax.set_xlabel("fiscal year")
    money_axis(ax, "outflow per fiscal year", programme.currency)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="upper left", fontsize="small")
    return ax


def fan_charts(
    projection: Projection,
    funds: Sequence[str] | None = None,
    *,
    budget: bool = True,
    quantiles: Quantiles = DEFAULT_QUANTILES,
    figure: Figure | None = None,
    columns: int = 2,
) -> Figure:
    """A :func:`fan_chart` per fund, a panel each, on one figure: what ``--plot`` writes.

    Args:
        projection: A projection at any resolution that regroups into fiscal years.
        funds: The ids of the funds, a panel each in this order; every fund of the programme
            (in file order) when ``None``.
        budget: Whether to draw each fund's budget.
        quantiles: The band's low, the line's and the band's high quantile, as fractions.
        figure: The figure to draw on (its size is kept); a new pyplot figure, sized for the
            panels, when ``None``.
        columns: Panels per row (fewer when there are fewer funds).

    Returns:
        The figure, with its axes in ``figure.axes`` in the order of ``funds``.

    Raises:
        ValidationError: A fund is not one of the programme's, there are no funds to draw,
            ``columns`` is not a whole number ≥ 1, or ``quantiles`` are not three fractions
            low ≤ middle ≤ high.
        ValueError: The projection's periods do not regroup into fiscal years.

    >>> import programma
    >>> from programma.examples import leeuwarden_oost
    >>> figure = fan_charts(programma.project(leeuwarden_oost()))
    >>> len(figure.axes), figure.axes[3].get_title()
    (7, 'Results fund (resultatenfonds): outflow per fiscal year')
    """
    programme = projection.programme
    known = [f.id for f in programme.funds]
    chosen = list(known if funds is None else funds)
    problems: list[Problem] = []
    for index, fund in enumerate(chosen):
        problems += choice_problems(f"funds[{index}]", "funds", known, fund)
    if not chosen:
        problems.append(Problem("funds", "at least one fund", chosen))
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        problems.append(Problem("columns", "a whole number ≥ 1", columns))
    check([*problems, *quantile_problems(quantiles)])
    wide = min(columns, len(chosen))
    rows = math.ceil(len(chosen) / wide)
    if figure is None:
        import matplotlib.pyplot as plt  # only here: a given figure needs no pyplot

        figure = plt.figure(figsize=(PANEL_SIZE[0] * wide, PANEL_SIZE[1] * rows))
    figure.set_layout_engine("constrained")
    grid = np.atleast_2d(figure.subplots(rows, wide, sharex=True, squeeze=False))
    panels = list(grid.ravel())
    yearly = projection.by("fiscal_year")  # once, not once per panel
    for fund, ax in zip(chosen, panels, strict=False):
        fan_chart(yearly, fund, budget=budget, ax=ax, quantiles=quantiles)
    for spare in panels[len(chosen) :]:
        figure.delaxes(spare)
        # The panel above an empty place is the lowest of its column: it shows the years.
        panels[panels.index(spare) - wide].xaxis.set_tick_params(labelbottom=True)
    kind = run_kind(projection.mode, projection.scenarios, projection.seed)
    figure.suptitle(f"{programme.name}: outflow per fund and fiscal year ({kind})")
    return figure
