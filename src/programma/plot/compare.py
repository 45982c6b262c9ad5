"""Two designs compared: the paired difference B − A of a fund's outflow, and of every fund's."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.ticker import MaxNLocator

from .._errors import Problem
from .._text import run_kind
from ..analysis.compare import TOLERANCE, DesignComparison, Difference
from ..model.checks import some_ids
from ._base import BAND_ALPHA, check, money_axis, money_x_axis, new_axes, whole_ticks

__all__ = ["comparison", "comparison_funds", "differing_funds"]

TOTAL = "total"
"""The ``year`` of a fund's difference over the horizon."""


def _funds(design_comparison: DesignComparison) -> list[str]:
    """The funds compared: A's first, then those of B only."""
    return list(dict.fromkeys(row.fund for row in design_comparison.funds))


def _name(design_comparison: DesignComparison, fund: str) -> str:
    """The fund's name, from A, or from B for a fund of B only."""
    for projection in (design_comparison.a, design_comparison.b):
        for candidate in projection.programme.funds:
            if candidate.id == fund:
                return candidate.name
    return fund  # pragma: no cover - every compared fund is in one of the designs


def differing_funds(design_comparison: DesignComparison) -> list[str]:
    """The funds whose outflow differs in some fiscal year of some scenario, in compared order.

    A difference counts as :func:`~programma.compare` counts one: beyond
    :data:`~programma.analysis.compare.TOLERANCE` × max(1, |A|, |B|), so that the last bits of
    a sum added in another order do not.

    >>> from programma import compare
    >>> from programma.examples import leeuwarden_oost
    >>> a = leeuwarden_oost()
    >>> b = a.with_values({"contracts[sib-werkroute].metrics[uitstroom].price": 9000})
    >>> differing_funds(compare(a, b))
    ['resultatenfonds']
    """
    pa, pb = design_comparison.a, design_comparison.b
    ids_a = {f.id for f in pa.programme.funds}
    ids_b = {f.id for f in pb.programme.funds}
    shape = (pa.scenarios, len(pa.periods))
    found = []
    for fund in _funds(design_comparison):
        a = pa.outflow(fund) if fund in ids_a else np.zeros(shape)
        b = pb.outflow(fund) if fund in ids_b else np.zeros(shape)
        scale = np.maximum(1.0, np.maximum(np.abs(a), np.abs(b)))
        if bool((np.abs(b - a) > TOLERANCE * scale).any()):
            found.append(fund)
    return found


def _check_fund(design_comparison: DesignComparison, fund: object) -> None:
    known = _funds(design_comparison)
    if fund not in known:
        listing = some_ids(known) if known else "there are none"
        check([Problem("fund", f"the id of a fund of design A or B ({listing})", fund)])


def _all_zero(rows: list[Difference]) -> bool:
    """Whether every difference is 0 in every scenario: the axis then spans ±1, not ±0.05,
    whose ticks would all read 0."""
    return all(not np.any(row.values) for row in rows)


def kind(design_comparison: DesignComparison) -> str:
    """How the designs were projected: ``expected mode``, or the scenarios and the seed."""
    d = design_comparison
    return run_kind(d.mode, d.scenarios, d.seed, "paired scenarios")


def comparison(design_comparison: DesignComparison, fund: str, *, ax: Axes | None = None) -> Axes:
    """The paired difference B − A of a fund's outflow per fiscal year, with its spread.

    For each fiscal year, the difference's P10 to P90 over the scenarios as a band, its P50
    (median) as a line and its mean as a dot: the :class:`~programma.Difference` of
    :meth:`~programma.DesignComparison.fund_outflow` for the fund and the year. Both designs
    drew the same random numbers in each scenario, so the band is the spread of what B
    changes, not of two runs' noise; where B changes nothing the band closes on the zero
    line. In expected mode, a single line (the exact difference at the means).

    Args:
        design_comparison: Two designs compared (:func:`~programma.compare`).
        fund: The id of a fund of either design.
        ax: The axes to draw on; a new figure's when ``None``.

    Returns:
        The axes drawn on.

    Raises:
        ValidationError: ``fund`` is not a fund of either design.

    >>> from programma import compare
    >>> from programma.examples import leeuwarden_oost
    >>> a = leeuwarden_oost()
    >>> b = a.with_values({"contracts[sib-werkroute].metrics[uitstroom].price": 9000})
    >>> ax = comparison(compare(a, b, scenarios=64, seed=1), "resultatenfonds")
    >>> ax.get_title()
    'Results fund (resultatenfonds): B − A per fiscal year'
    >>> ax.get_ylabel()
    'B − A, outflow per fiscal year (EUR)'
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['P10–P90', 'P50 (median)', 'mean', 'no difference']
    """
    _check_fund(design_comparison, fund)
    rows = [row for row in design_comparison.funds if row.fund == fund and row.year != TOTAL]
    years = [int(row.year.removeprefix("FY")) for row in rows]
    ax = new_axes(ax)
    if design_comparison.mode == "expected":
        ax.plot(years, [row.difference.mean for row in rows], color="C0", label="expected")
    else:
        low, middle, high, mean = (
            [getattr(row.difference, name) for row in rows]
            for name in ("p10", "p50", "p90", "mean")
        )
        ax.fill_between(
            years, low, high, color="C0", alpha=BAND_ALPHA, linewidth=0, label="P10–P90"
        )
        ax.plot(years, middle, color="C0", label="P50 (median)")
        ax.plot(years, mean, linestyle="none", marker="o", color="C1", label="mean")
    ax.axhline(0.0, color="grey", linewidth=0.8, label="no difference")
    if _all_zero(rows):
        ax.set_ylim(-1.0, 1.0)
    ax.set_title(f"{_name(design_comparison, fund)}: B − A per fiscal year", fontsize="medium")
    ax.set_xlabel("fiscal year")
    money_axis(ax, "B − A, outflow per fiscal year", design_comparison.currency)
    ax.yaxis.set_major_locator(whole_ticks())
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="best", fontsize="small")
    return ax


def comparison_funds(design_comparison: DesignComparison, *, ax: Axes | None = None) -> Axes:
    """The paired difference B − A of each fund's outflow over the horizon, a row per fund.

    Per fund (in the comparison's order, the first at the top), the difference's P10 to P90
    over the scenarios as a horizontal bar, its P50 (median) and its mean as markers: the
    ``total`` :class:`~programma.Difference` of
    :meth:`~programma.DesignComparison.fund_outflow`. A vertical line marks no difference. In
    expected mode, a marker per fund at the exact difference.

    Args:
        design_comparison: Two designs compared (:func:`~programma.compare`).
        ax: The axes to draw on; a new figure's when ``None``.

    Returns:
        The axes drawn on.

    >>> from programma import compare
    >>> from programma.examples import leeuwarden_oost
    >>> a = leeuwarden_oost()
    >>> b = a.with_values({"contracts[sib-werkroute].metrics[uitstroom].price": 9000})
    >>> ax = comparison_funds(compare(a, b, scenarios=64, seed=1))
    >>> ax.get_xlabel()
    'B − A, outflow over the horizon (EUR)'
    >>> ax.get_yticklabels()[3].get_text()
    'resultatenfonds'
    """
    rows: list[Difference] = [row for row in design_comparison.funds if row.year == TOTAL]
    ax = new_axes(ax, size=(8.0, 0.45 * len(rows) + 1.8))
    ys = list(range(len(rows)))
    spreads = [row.difference for row in rows]
    if design_comparison.mode == "expected":
        ax.plot([d.mean for d in spreads], ys, linestyle="none", marker="o", label="expected")
    else:
        ax.hlines(
            ys,
            [d.p10 for d in spreads],
            [d.p90 for d in spreads],
            linewidth=3,
            color="C0",
            alpha=0.6,
            label="P10–P90",
        )
        ax.plot(
            [d.p50 for d in spreads],
            ys,
            linestyle="none",
            marker="o",
            color="C0",
            label="P50 (median)",
        )
        ax.plot(
            [d.mean for d in spreads], ys, linestyle="none", marker="x", color="C1", label="mean"
        )
    ax.axvline(0.0, color="grey", linewidth=0.8, label="no difference")
    if _all_zero(rows):
        ax.set_xlim(-1.0, 1.0)
    ax.set_yticks(ys)
    ax.set_yticklabels([row.fund for row in rows])
    ax.set_ylim(max(len(rows), 1) - 0.5, -0.5)
    ax.set_ylabel("fund")
    money_x_axis(ax, "B − A, outflow over the horizon", design_comparison.currency)
    ax.set_title("Outflow per fund over the horizon, B − A")
    ax.legend(loc="best", fontsize="small")
    return ax
