"""The short answer ``programma simulate`` prints first: per fund, contract and investor.

Per fund that pays anything in some scenario: what it pays over the horizon and in its peak
fiscal year (the year with the highest mean outflow), with their spread, and how often its
budget is breached; per contract, the cost per outcome paid; per investor, the IRR. Every line
fits the width given; rows that are zero in every scenario are left out and counted.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .._text import clip, fixed, money, plural
from ..analysis.summary import BREACH_TOLERANCE, Spread, Summary
from ..engine.projection import Projection

__all__ = ["DEFAULT_WIDTH", "answer"]

DEFAULT_WIDTH = 80
"""The width of the answer when the terminal's cannot be told."""

_Row = tuple[str, ...]  # (label, cells...); a row of one cell is a heading spanning the table


def _render(headers: Sequence[str], rows: Sequence[_Row], width: int) -> list[str]:
    """Aligned lines: the label left, the figures right; headings and labels cut to ``width``."""
    cells = [row for row in rows if len(row) > 1]
    figures = [
        max([len(headers[i]), *(len(row[i]) for row in cells)]) for i in range(1, len(headers))
    ]
    room = width - sum(figures) - 2 * len(figures)
    label = min(max([len(headers[0]), *(len(row[0]) for row in cells)]), max(room, 1))

    def line(row: Sequence[str]) -> str:
        parts = [clip(row[0], label).ljust(label)]
        parts += [value.rjust(w) for value, w in zip(row[1:], figures, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(headers)]
    out += [line(row) if len(row) > 1 else row[0] for row in rows]
    return [clip(text, width) for text in out]


def answer(projection: Projection, summary: Summary, *, width: int = DEFAULT_WIDTH) -> str:
    """The short answer of a projection, every line at most ``width`` characters wide.

    Args:
        projection: The projection; its periods must regroup into fiscal years.
        summary: Its summary (:meth:`Projection.summary`).
        width: The most characters a line may have.

    Raises:
        ValueError: The projection's periods do not regroup into fiscal years.

    >>> from programma import project
    >>> from programma.examples import leeuwarden_oost
    >>> projection = project(leeuwarden_oost(), resolution="fiscal_year")
    >>> text = answer(projection, projection.summary(), width=60)
    >>> max(len(line) for line in text.splitlines()) <= 60
    True
    """
    by_year = projection.by("fiscal_year")
    programme = by_year.programme
    monte_carlo = by_year.mode == "monte-carlo"
    spread_heads = ("mean", "P10", "P90") if monte_carlo else ("expected",)

    def spread(s: Spread, show: object = money) -> tuple[str, ...]:
        render = show if callable(show) else money
        values = (s.mean, s.p10, s.p90) if monte_carlo else (s.mean,)
        return tuple(str(render(v)) for v in values)

    def share(p: float) -> str:
        if not monte_carlo:
            return "yes" if p > 0 else "no"
        return f"{fixed(p * 100, 1)}%"

    if monte_carlo:
        kind = f"{plural(by_year.scenarios, 'Monte Carlo scenario')}, seed {by_year.seed}"
    else:
        kind = "expected mode, every distribution at its mean"
    lines = [
        clip(f"{programme.name} ({programme.id})", width),
        clip(f"{kind}; amounts in {programme.currency}", width),
    ]
    if monte_carlo:
        lines.append(clip("P10, P90: a tenth of the scenarios fall below, a tenth above", width))
    lines.append(
        clip("breach: of the fund's budget, in any year (total) or in that year (peak)", width)
    )

    fund_rows: list[_Row] = []
    quiet_funds = 0
    for fund in programme.funds:
        outflow = np.asarray(by_year.outflow(fund.id))
        if not outflow.any():
            quiet_funds += 1
            continue
        peak = int(np.argmax(outflow.mean(axis=0)))
        breached = np.asarray(by_year.total(flow="budget_gap", fund=fund.id)) > BREACH_TOLERANCE
        has_budget = bool(fund.amounts)
        fund_rows += [
            (f"{fund.id}",),
            (
                "  total",
                *spread(Spread.of(outflow.sum(axis=1))),
                share(float(breached.any(axis=1).mean())) if has_budget else "no budget",
            ),
            (
                f"  peak {by_year.periods[peak]}",
                *spread(Spread.of(outflow[:, peak])),
                share(float(breached[:, peak].mean())) if has_budget else "",
            ),
        ]
    breach_head = "P(breach)" if monte_carlo else "breach"
    if fund_rows:
        lines += ["", *_render(("Fund outflows", *spread_heads, breach_head), fund_rows, width)]
    if not fund_rows:
        lines += ["", "No fund pays anything, in any scenario."]
    elif quiet_funds:
        lines.append(clip(f"({plural(quiet_funds, 'fund')} paying nothing left out)", width))

    contract_rows: list[_Row] = []
    quiet_contracts = 0
    for figures in summary.contracts:
        if figures.cost_per_outcome.missing == summary.scenarios:  # no outcome ever paid
            quiet_contracts += 1
            continue
        paid = figures.paid_outcomes
        contract_rows.append(
            (figures.contract, *spread(figures.cost_per_outcome), fixed(paid.mean, 1))
        )
    if contract_rows:
        heads = ("Cost per outcome paid", *spread_heads, "outcomes")
        lines += ["", *_render(heads, contract_rows, width)]
    if quiet_contracts:
        note = f"({plural(quiet_contracts, 'contract')} paying for no outcome left out)"
        lines.append(clip(note, width))

    def percent(value: float) -> str:
        return f"{fixed(value * 100, 1)}%" if np.isfinite(value) else fixed(value, 1)

    investor_rows: list[_Row] = [
        (
            f"{i.investor} in {i.contract}",
            *spread(i.irr, percent),
            share(i.loss_probability),
        )
        for i in summary.investors
        if i.drawn.mean > 0
    ]
    if investor_rows:
        loss_head = "P(loss)" if monte_carlo else "loss"
        heads = ("Investor IRR (annual)", *spread_heads, loss_head)
        lines += ["", *_render(heads, investor_rows, width)]
    lines += ["", clip("--detail: every table; --format csv: every scenario", width)]
    return "\n".join(lines) + "\n"
