"""Contracts over time: cumulative outcome payments against the caps, an investor's cash."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from .._errors import Problem
from ..analysis.coverage import OUTCOME_FLOWS
from ..engine.projection import Projection
from ..model.contracts import OutcomeContract
from ..model.financing import InvestorFinancing
from ._base import (
    DEFAULT_QUANTILES,
    Quantiles,
    check,
    choice_problems,
    cumulative,
    draw_spread,
    money_axis,
    new_axes,
    period_ends,
    quantile_problems,
)

__all__ = ["caps_drawn", "cumulative_payments", "investor_cash"]


def caps_drawn(contract: OutcomeContract) -> list[tuple[str, float]]:
    """The caps that bound a contract's cumulative outcome payments, as (label, amount).

    The contract's ``cap``; and the sum of its metrics' value caps (``cap_value``) when every
    metric has one, for the payments of all metrics together cannot pass it. The other caps
    are not fixed amounts of the whole: a per-participant cap grows with enrolment, a count
    cap is a number of outcomes, and a payer's fiscal-year cap limits one year's payments.

    >>> from programma.examples import leeuwarden_oost
    >>> caps_drawn(leeuwarden_oost().contracts[0])
    [('contract cap', 955000.0)]
    """
    drawn = []
    if contract.cap is not None:
        drawn.append(("contract cap", contract.cap))
    values = [metric.cap_value for metric in contract.metrics]
    if values and all(value is not None for value in values):
        total = float(sum(value for value in values if value is not None))
        if len(values) == 1:
            drawn.append((f"value cap of {contract.metrics[0].id}", total))
        else:
            drawn.append(("metric value caps, summed", total))
    return drawn


def _contract(projection: Projection, contract: str, quantiles: object) -> OutcomeContract:
    """The contract named, once it and ``quantiles`` are checked."""
    contracts = {c.id: c for c in projection.programme.contracts}
    check(
        [
            *choice_problems("contract", "contracts", list(contracts), contract),
            *quantile_problems(quantiles),
        ]
    )
    return contracts[contract]


def cumulative_payments(
    projection: Projection,
    contract: str,
    *,
    caps: bool = True,
    ax: Axes | None = None,
    quantiles: Quantiles = DEFAULT_QUANTILES,
) -> Axes:
    """A contract's outcome payments added up over time, against the caps that bound them.

    The payments are what the contract's payers paid for outcomes: in cash
    (``outcome_payment``) or by offsetting advances paid earlier (``advance_offset``), summed
    over payers and added up period by period from 0 at the programme's start. In Monte Carlo
    the chart shows a band from the low to the high quantile (P10–P90 by default) and a line
    at the middle one (P50); in expected mode a single line. Each point is a period's end, so
    projections kept by month, quarter or fiscal year draw on the same time axis.

    The caps are read from the projection's programme (``projection.programme``), so the
    programme is not passed separately: with ``caps``, each cap of :func:`caps_drawn` is a
    dashed horizontal line. A cap bounds what is earned before payment timing; payments
    reach it later, or not at all when fiscal-year caps forfeit part.

    Args:
        projection: A projection at any resolution.
        contract: The id of one of the programme's contracts.
        caps: Whether to draw the caps.
        ax: The axes to draw on; a new figure's when ``None``.
        quantiles: The band's low, the line's and the band's high quantile, as fractions.

    Returns:
        The axes drawn on.

    Raises:
        ValidationError: ``contract`` is not a contract of the programme, or ``quantiles``
            are not three fractions low ≤ middle ≤ high.

    >>> import programma
    >>> from programma.examples import leeuwarden_oost
    >>> runs = programma.project(leeuwarden_oost(), scenarios=64, seed=1)
    >>> ax = cumulative_payments(runs, "sib-werkroute")
    >>> ax.get_ylabel()
    'cumulative outcome payments (EUR)'
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['P10–P90', 'P50 (median)', 'contract cap']
    """
    chosen = _contract(projection, contract, quantiles)
    paid = sum(projection.total(flow=flow, contract=contract) for flow in OUTCOME_FLOWS)
    ax = new_axes(ax)
    ends = period_ends(projection)
    draw_spread(
        ax, ends, cumulative(np.asarray(paid)), quantiles, expected=projection.mode == "expected"
    )
    if caps:
        for (label, amount), style in zip(caps_drawn(chosen), ("--", ":"), strict=False):
            ax.axhline(amount, color="C3", linestyle=style, label=label)
    ax.set_title(f"{chosen.name}: cumulative outcome payments")
    ax.set_xlabel("date (end of each period)")
    money_axis(ax, "cumulative outcome payments", projection.programme.currency)
    ax.legend(loc="upper left", fontsize="small")
    return ax


def investor_cash(
    projection: Projection,
    contract: str,
    *,
    ax: Axes | None = None,
    quantiles: Quantiles = DEFAULT_QUANTILES,
) -> Axes:
    """An investor's cash position over time: what came back less what was drawn.

    Per scenario, added up from 0 at the programme's start: the investor's distributions
    (``investor_distribution``) and the guarantee payments it received
    (``guarantee_payment``), less its drawdowns (``investor_drawdown``). The position dips
    while the provider draws capital and climbs as outcome payments come back; it ends above
    the break-even line (0) when the investor got back more than it put in. In Monte Carlo a
    band from the low to the high quantile (P10–P90 by default) and a line at the middle one
    (P50); in expected mode a single line. Each point is a period's end.

    Args:
        projection: A projection at any resolution.
        contract: The id of a contract financed by an investor.
        ax: The axes to draw on; a new figure's when ``None``.
        quantiles: The band's low, the line's and the band's high quantile, as fractions.

    Returns:
        The axes drawn on.

    Raises:
        ValidationError: ``contract`` is not a contract of the programme financed by an
            investor, or ``quantiles`` are not three fractions low ≤ middle ≤ high.

    >>> import programma
    >>> from programma.examples import leeuwarden_oost
    >>> ax = investor_cash(programma.project(leeuwarden_oost()), "sib-werkroute")
    >>> ax.get_ylabel(), [line.get_label() for line in ax.get_lines()]
    ("investor's cash position (EUR)", ['expected', 'break-even'])
    """
    programme = projection.programme
    financed = [c.id for c in programme.contracts if isinstance(c.financing, InvestorFinancing)]
    problems: list[Problem] = []
    if contract not in financed:
        listing = ", ".join(map(repr, financed)) or "there are none"
        what = f"the id of a contract financed by an investor ({listing})"
        problems.append(Problem("contract", what, contract))
    check([*problems, *quantile_problems(quantiles)])
    chosen = next(c for c in programme.contracts if c.id == contract)
    assert isinstance(chosen.financing, InvestorFinancing)  # checked above
    investor = next(s for s in programme.stakeholders if s.id == chosen.financing.investor)
    cash = (
        projection.total(flow="investor_distribution", contract=contract)
        + projection.total(flow="guarantee_payment", contract=contract)
        - projection.total(flow="investor_drawdown", contract=contract)
    )
    ax = new_axes(ax)
    draw_spread(
        ax,
        period_ends(projection),
        cumulative(cash),
        quantiles,
        expected=projection.mode == "expected",
    )
    ax.axhline(0.0, color="grey", linewidth=0.8, label="break-even")
    ax.set_title(f"{investor.name} in {chosen.name}: cash position")
    ax.set_xlabel("date (end of each period)")
    money_axis(ax, "investor's cash position", programme.currency)
    ax.legend(loc="lower left", fontsize="small")
    return ax
