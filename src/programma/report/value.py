"""Readable tables of value for money, as ``programma value`` prints them."""

from __future__ import annotations

import math
from collections.abc import Sequence

from .._text import money, number, table
from ..analysis.value import ValueForMoney, ValueRow

__all__ = ["VALUE_PARTS", "value_report"]

VALUE_PARTS: tuple[str, ...] = ("head", "value", "exposure")
"""The parts of :func:`value_report`, in the order shown."""

_BASIS = {
    "additional": "additional outcomes (achieved above the baseline)",
    "achieved": "outcomes achieved (with those above and below the baseline)",
    "paid": "outcomes paid (after threshold and caps)",
}


def _cells(row: ValueRow, monte_carlo: bool) -> list[str]:
    nsv = row.spread("net_social_value")
    cells = [
        number(row.spread("outcomes").mean, 1),
        money(row.spread("value").mean),
        money(row.spread("cost").mean),
        money(nsv.mean),
    ]
    if monte_carlo:
        cells += [money(nsv.p10), money(nsv.p90)]
    cells += [
        number(row.spread("benefit_cost_ratio").p50, 2),
        money(row.spread("cost_per_outcome").mean),
    ]
    return cells


def value_report(vfm: ValueForMoney, *, parts: Sequence[str] = VALUE_PARTS) -> str:
    """Value for money as text tables: what was counted, the rows, and the maximum exposure.

    Amounts are rounded to whole units for reading (the records keep full precision).

    Args:
        vfm: What :func:`~programma.value_for_money` returned.
        parts: The parts to show, of :data:`VALUE_PARTS`, separated by a blank line.

    Raises:
        ValueError: An unknown part.
    """
    unknown = [part for part in parts if part not in VALUE_PARTS]
    if unknown:
        raise ValueError(f"parts: expected some of {', '.join(VALUE_PARTS)}, got {unknown!r}")
    monte_carlo = vfm.mode == "monte-carlo"
    shown = []
    if "head" in parts:
        kind = (
            f"{vfm.scenarios:,} scenarios (seed {vfm.seed}); means, and P10–P90 over scenarios"
            if monte_carlo
            else "expected mode (every distribution at its mean)"
        )
        terms = "real" if vfm.real else "nominal"
        lines = [
            f"Value for money of {vfm.programme}: {kind}",
            f"outcomes: {_BASIS[vfm.basis]}",
            f"present values at {vfm.discount} to {vfm.price_base}, {terms}; "
            f"amounts in {vfm.currency}",
        ]
        if vfm.metrics_without_value:
            lines.append(
                "no value per outcome (no value counted): " + ", ".join(vfm.metrics_without_value)
            )
        shown.append("\n".join(lines))
    if "value" in parts:
        headers = ["outcomes", "value", "cost", "NSV"]
        if monte_carlo:
            headers += ["NSV P10", "NSV P90"]
        headers += ["BCR P50" if monte_carlo else "BCR", "per outcome"]
        rows = [
            [row.id if row.level != "programme" else "(all contracts)", *_cells(row, monte_carlo)]
            for row in vfm
        ]
        first, areas = len(vfm.contracts), len(vfm.contracts) + len(vfm.areas)
        shown.append(
            "Present values of value and cost; NSV = value − cost; BCR = value / cost;\n"
            "per outcome: the cost as paid per outcome; an area gets an equal share of each of\n"
            "its contracts\n"
            + "\n\n".join(
                table([title, *headers], part)
                for title, part in (
                    ("contract", rows[:first]),
                    ("area", rows[first:areas]),
                    ("programme", rows[areas:]),
                )
            )
        )
    if "exposure" in parts:
        bounds = [
            [c.contract, money(c.bound), c.binding, number(c.participants, 0)]
            for c in vfm.contract_exposure
        ]
        years = [
            [e.level, e.id, e.year, money(e.amount) if math.isfinite(e.amount) else "unbounded"]
            for e in vfm.exposure
        ]
        shown.append(
            "Maximum outcome payments per contract over its life, under its caps\n"
            + table(["contract", "bound", "set by", "participants at most"], bounds)
            + "\n\nMaximum exposure per fiscal year: each contract's bound in one year, within\n"
            "the payer's fiscal-year cap\n" + table(["", "id", "year", "at most"], years)
        )
    return "\n\n".join(shown)
