"""Readable tables of two designs compared, as ``programma compare`` prints them."""

from __future__ import annotations

from collections.abc import Sequence

from .._text import fixed, money, plural, table
from ..analysis.compare import PROGRAMME_WIDE, TOTAL, DesignComparison, Difference
from ..analysis.summary import PERCENTILE_METHOD

__all__ = ["PARTS", "comparison_report"]

_FIGURES = {
    "outcome_payments": "outcome payments",
    "payments_npv": "  present value",
    "investor_irr": "IRR (annual, %)",
    "investor_net_return": "net return",
}


def _name(text: str, row: Difference) -> str:
    return text if row.present == "both" else f"{text} (only in {row.present.upper()})"


def _amounts(row: Difference, monte_carlo: bool, percent: bool = False) -> list[str]:
    """A's mean, B's mean, the difference's mean, and in Monte Carlo its spread and P(B > A)."""

    def show(value: float) -> str:
        return fixed(value * 100, 2) if percent else money(value)

    d = row.difference
    cells = [show(row.a.mean), show(row.b.mean), show(d.mean)]
    if monte_carlo:
        cells += [show(d.p10), show(d.p50), show(d.p90), fixed(row.p_b_higher, 3)]
    return cells


PARTS: tuple[str, ...] = ("head", "funds", "contracts", "investors", "areas")
"""The parts of :func:`comparison_report`, in the order shown."""


def comparison_report(
    comparison: DesignComparison,
    *,
    parts: Sequence[str] = PARTS,
    every_year: bool = False,
) -> str:
    """The comparison as text tables: funds, contracts, investors and areas, B − A.

    Amounts are rounded to whole units for reading (the records keep full precision). Fund
    years whose difference is 0 in every scenario are left out and counted, unless
    ``every_year``; each fund's total over the horizon is always shown.

    Args:
        comparison: What :func:`~programma.compare` returned.
        parts: The parts to show, of :data:`PARTS` (``head``: what was compared, and how),
            separated by a blank line; each part has no blank line of its own.
        every_year: Show every fund-year, also those without a difference.

    Raises:
        ValueError: A part that is not one of :data:`PARTS`.

    >>> from programma import compare
    >>> from programma.examples import leeuwarden_oost
    >>> a = leeuwarden_oost()
    >>> b = a.with_values({"contracts[sib-werkroute].metrics[uitstroom].price": 9000})
    >>> print(comparison_report(compare(a, b), parts=["contracts"]))
    Contracts over the horizon (outcome payments in cash and by advance offset; their present value)
    contract                 figure                    A          B   B − A
    -----------------------  ----------------  ---------  ---------  ------
    sib-werkroute            outcome payments    823,846    869,032  45,186
    sib-werkroute              present value     718,344    758,236  39,892
    schuldenvrij-oost        outcome payments  2,626,729  2,626,729       0
    schuldenvrij-oost          present value   2,182,649  2,182,649       0
    samen-kansrijk-bilgaard  outcome payments     23,040     23,040       0
    samen-kansrijk-bilgaard    present value      21,829     21,829       0
    vroeg-eropaf-oost        outcome payments    512,478    512,478       0
    vroeg-eropaf-oost          present value     430,495    430,495       0
    """
    unknown = [part for part in parts if part not in PARTS]
    if unknown:
        raise ValueError(
            f"parts: expected some of {', '.join(map(repr, PARTS))}, got "
            f"{', '.join(map(repr, unknown))}"
        )
    c = comparison
    monte_carlo = c.mode == "monte-carlo"
    if monte_carlo:
        head = [
            f"Design B − design A, paired over {c.scenarios:,} scenarios (seed {c.seed}):",
            "each scenario draws the same random numbers in A and B for everything they share",
        ]
        spread = ["P10", "P50", "P90", "P(B>A)"]
    else:
        head = ["Design B − design A in expected mode (every distribution at its mean): exact"]
        spread = []
    head += [f"A: {c.a_label}", f"B: {c.b_label}", f"amounts in {c.currency}"]
    if monte_carlo:
        head += [
            f"P10, P50, P90: of the paired difference (numpy's {PERCENTILE_METHOD!r} method)",
            "P(B>A): the share of scenarios in which B's figure is higher (for outflows and "
            "payments: B costs more)",
        ]
    columns = ["A mean", "B mean", "B − A", *spread] if monte_carlo else ["A", "B", "B − A"]

    out = {"head": "\n".join(head)}
    rows = []
    left_out = 0
    for row in c.funds:
        if row.year != TOTAL and not every_year and not _differs(row):
            left_out += 1
            continue
        rows.append([_name(row.fund, row), row.year, *_amounts(row, monte_carlo)])
    title = "Fund outflow per fiscal year and in total (cash paid out, less refunds)"
    if left_out:
        title += f"; {plural(left_out, 'fund-year')} with no difference in any scenario left out"
    out["funds"] = "\n".join([title, table(["fund", "year", *columns], rows)])

    rows = []
    for row in c.contracts:
        rows.append([_name(row.contract, row), _FIGURES[row.measure], *_amounts(row, monte_carlo)])
    out["contracts"] = "\n".join(
        [
            "Contracts over the horizon (outcome payments in cash and by advance offset; their "
            "present value)",
            table(["contract", "figure", *columns], rows),
        ]
    )

    if c.investors:
        rows = []
        for row in c.investors:
            percent = row.measure == "investor_irr"
            rows.append(
                [
                    _name(f"{row.investor} in {row.contract}", row),
                    _FIGURES[row.measure],
                    *_amounts(row, monte_carlo, percent),
                ]
            )
        lines = ["Investors", table(["investor", "figure", *columns], rows)]
        for row in c.investors:
            if row.difference.missing:
                lines.append(
                    f"  {row.investor} in {row.contract}: no IRR in A or B in "
                    f"{plural(row.difference.missing, 'scenario')}, left out of the difference"
                )
        out["investors"] = "\n".join(lines)

    rows = [[_name(row.area, row), *_amounts(row, monte_carlo)] for row in c.areas]
    out["areas"] = "\n".join(
        [
            "Areas: fund outflow over the horizon, by the areas of each payment's contract or "
            "initiative",
            f"(split equally where it has several; {PROGRAMME_WIDE}: where it names none)",
            table(["area", *columns], rows),
        ]
    )
    return "\n\n".join(out[part] for part in PARTS if part in parts and part in out)


def _differs(row: Difference) -> bool:
    """Whether B differs from A in some scenario (a missing difference counts as one)."""
    return bool(row.difference.missing) or bool((row.values != 0).any())
