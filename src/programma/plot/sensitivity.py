"""Sensitivity charts: a tornado of the one-way analysis, the shares of the variance."""

from __future__ import annotations

import math
from typing import Any

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from .._errors import Problem
from ..analysis.outputs import InvestorIRR, Output
from ..analysis.outputs import label as output_label
from ..analysis.sensitivity import GlobalSensitivity, OneWayRow, OneWaySensitivity
from ..analysis.sensitivity import _input as input_value  # the table's form of an input
from ._base import check, money_x_axis, new_axes

__all__ = ["DIRECTION_COLOURS", "tornado", "variance_shares"]

DIRECTION_COLOURS: dict[str, str] = {
    "rises": "C0",
    "falls": "C1",
}
"""The colour of a bar whose output rises with its parameter, and of one whose output falls."""

BAR_HEIGHT = 0.6
"""The height of a bar, where the rows are 1 apart."""

LEGEND_BESIDE: dict[str, Any] = {
    "loc": "upper left",
    "bbox_to_anchor": (1.01, 1.0),
    "fontsize": "small",
}
"""A legend to the right of the axes: bars and their labels fill the axes' corners."""


def _top_problems(top: object) -> list[Problem]:
    if top is None or (isinstance(top, int) and not isinstance(top, bool) and top >= 1):
        return []
    return [Problem("top", "a whole number ≥ 1, or None for every parameter", top)]


def _output_axis(ax: Axes, output: Output, currency: str, what: str = "") -> None:
    """Label the x axis with the output's name and unit: percent for an IRR, else currency."""
    label = f"{what}{output_label(output)}"
    if isinstance(output, InvestorIRR):
        ax.set_xlabel(f"{label} (%)")
        ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    else:
        money_x_axis(ax, label, currency)


def _rows_axis(ax: Axes, names: list[str]) -> None:
    """A row per name, the first at the top."""
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names)
    ax.set_ylim(max(len(names), 1) - 0.5, -0.5)
    ax.set_ylabel("parameter")


def _swing_order(row: OneWayRow) -> float:
    """Largest swing first, a swing that does not exist last (as the analysis sorts)."""
    return -row.swing if not math.isnan(row.swing) else math.inf


def tornado(
    sensitivity: OneWaySensitivity, *, ax: Axes | None = None, top: int | None = None
) -> Axes:
    """A tornado chart of a one-way sensitivity: a bar per parameter, the widest on top.

    Each bar reaches from the output with the parameter at its low value to the output with
    it at its high value (:class:`~programma.OneWayRow`'s ``output_low`` and
    ``output_high``), so its length is the row's swing; the rows are sorted by swing, a swing
    that does not exist last. The parameter's low and high values label the bar's two ends.
    A bar is coloured by direction: the output rises as the parameter goes from low to high,
    or falls. A vertical line marks the base, the output with every input at its mean; a bar
    need not straddle it (a cap, a threshold or a gate can make both ends lie on one side).
    Where the output does not exist at a value (an IRR), the row says so instead of a bar.

    Args:
        sensitivity: A one-way sensitivity (:func:`~programma.one_way_sensitivity`).
        ax: The axes to draw on; a new figure's when ``None``.
        top: Keep only the ``top`` rows with the largest swing; every row when ``None``.

    Returns:
        The axes drawn on. Each bar's ``gid`` is its parameter's path.

    Raises:
        ValidationError: ``top`` is not a whole number ≥ 1.

    >>> from programma import one_way_sensitivity
    >>> from programma.examples import leeuwarden_oost
    >>> paths = ["parameters[labour_market].distribution", "parameters[referral].distribution"]
    >>> result = one_way_sensitivity(
    ...     leeuwarden_oost(), "fund:resultatenfonds:total", parameters=paths
    ... )
    >>> ax = tornado(result)
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['parameters[referral].distribution', 'parameters[labour_market].distribution']
    >>> ax.get_xlabel()
    "total cash outflow of fund 'resultatenfonds' over the horizon (EUR)"
    """
    check(_top_problems(top))
    rows = sorted(sensitivity.rows, key=_swing_order)[:top]
    ax = new_axes(ax, size=(13.0, 0.45 * len(rows) + 1.8))
    seen: set[str] = set()
    for y, row in enumerate(rows):
        ends = (row.output_low, row.output_high)
        if not all(math.isfinite(end) for end in ends):
            at = [name for name, end in zip(("low", "high"), ends, strict=True) if math.isnan(end)]
            ax.text(
                0.01,
                y,
                f"no value with the parameter at its {' or '.join(at)}",
                transform=ax.get_yaxis_transform(),
                va="center",
                fontsize="small",
                color="grey",
            )
            continue
        direction = "rises" if row.output_high >= row.output_low else "falls"
        seen.add(direction)
        (bar,) = ax.barh(
            y,
            abs(row.output_high - row.output_low),
            left=min(ends),
            height=BAR_HEIGHT,
            color=DIRECTION_COLOURS[direction],
        )
        bar.set_gid(row.parameter)
        # Each value at its own end, written outwards: the low value's end is the left one
        # when the output rises with the parameter.
        for value, end, outwards in (
            (row.low, row.output_low, -1 if direction == "rises" else 1),
            (row.high, row.output_high, 1 if direction == "rises" else -1),
        ):
            ax.annotate(
                input_value(value),
                (end, y),
                xytext=(3 * outwards, 0),
                textcoords="offset points",
                ha="left" if outwards > 0 else "right",
                va="center",
                fontsize="small",
            )
    handles: list[Patch | Line2D] = []
    if math.isfinite(sensitivity.base):
        ax.axvline(sensitivity.base, color="black", linewidth=1.0, label="base")
        handles.append(Line2D([], [], color="black", label="base: every input at its mean"))
    handles += [
        Patch(facecolor=colour, label=f"output {direction} as the parameter goes low → high")
        for direction, colour in DIRECTION_COLOURS.items()
        if direction in seen
    ]
    _rows_axis(ax, [row.parameter for row in rows])
    _output_axis(ax, sensitivity.output, sensitivity.currency)
    # Room for the values written beyond the bars' ends: bars would hold the limits at their
    # ends (sticky edges), so margins apply only once those are off.
    ax.use_sticky_edges = False
    ax.margins(x=0.25)
    low, high = (f"P{q * 100:g}" for q in sensitivity.quantiles)
    ax.set_title(
        f"One-way sensitivity of {sensitivity.output}\neach parameter at its {low} and {high} "
        "(or the bounds given), the others at their means",
        fontsize="medium",
    )
    if handles:
        ax.legend(handles=handles, **LEGEND_BESIDE)
    return ax


def variance_shares(
    sensitivity: GlobalSensitivity, *, ax: Axes | None = None, top: int | None = None
) -> Axes:
    """Each parameter's share of the output's variance, a bar each, the largest on top.

    The shares are those of a global sensitivity (:func:`~programma.global_sensitivity`):
    squared standardised regression coefficients, summing to about the R² in the title. A
    bar is coloured by the sign of the parameter's rank correlation with the output: the
    output rises with the parameter, or falls (grey where the correlation does not exist).

    Args:
        sensitivity: A global sensitivity.
        ax: The axes to draw on; a new figure's when ``None``.
        top: Keep only the ``top`` rows with the largest share; every row when ``None``.

    Returns:
        The axes drawn on. Each bar's ``gid`` is its parameter's path.

    Raises:
        ValidationError: ``top`` is not a whole number ≥ 1.

    >>> from programma import global_sensitivity
    >>> from programma.examples import leeuwarden_oost
    >>> result = global_sensitivity(leeuwarden_oost(), "payer:gemeente:npv", scenarios=200)
    >>> ax = variance_shares(result, top=3)
    >>> len(ax.patches), ax.get_xlabel()
    (3, "share of the variance of the present value of what 'gemeente' pays out (%)")
    """
    check(_top_problems(top))
    rows = sorted(sensitivity.rows, key=lambda row: -row.share)[:top]
    ax = new_axes(ax, size=(13.0, 0.45 * len(rows) + 1.8))
    seen: set[str] = set()
    for y, row in enumerate(rows):
        sign = row.rank_correlation
        direction = "" if math.isnan(sign) else "rises" if sign >= 0 else "falls"
        seen.add(direction)
        (bar,) = ax.barh(
            y, row.share, height=BAR_HEIGHT, color=DIRECTION_COLOURS.get(direction, "grey")
        )
        bar.set_gid(row.parameter)
    _rows_axis(ax, [row.parameter for row in rows])
    ax.set_xlabel(f"share of the variance of the {output_label(sensitivity.output)} (%)")
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0))
    ax.set_title(
        f"Global sensitivity of {sensitivity.output}\n{sensitivity.scenarios:,} scenarios, "
        f"seed {sensitivity.seed}; R² of the linear model {sensitivity.r_squared:.2f}",
        fontsize="medium",
    )
    handles = [
        Patch(facecolor=colour, label=f"output {direction} with the parameter")
        for direction, colour in DIRECTION_COLOURS.items()
        if direction in seen
    ]
    if "" in seen:
        handles.append(Patch(facecolor="grey", label="no rank correlation"))
    if handles:
        ax.legend(handles=handles, **LEGEND_BESIDE)
    return ax
