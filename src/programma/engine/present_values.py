"""Present values of what each payer and fund pays out, and of each contract's payments.

Present values are at the programme's discount rate, in real terms when it has a deflator, to
the start of the price-base month, with each month's flows at the month's end (DESIGN §4):
PV = Σ_m flow(m) · d(m), d(m) = discount factor over (m + 1 − base) / 12 years ÷ deflator
index(m). An advance refund is money back to the payer, into its fund: it counts against both.
"""

from __future__ import annotations

import numpy as np

from ..finance import discount_factors
from ..model.programme import Programme
from .layout import FUND_OUTFLOWS
from .series import SeriesKey
from .timeline import Timeline

__all__ = ["monthly_discount", "present_value", "present_value_at", "targets"]


def monthly_discount(
    programme: Programme, timeline: Timeline, prices: np.ndarray | None, scenarios: int
) -> np.ndarray:
    """d(m): each month's discount factor, ``(scenarios, months)``.

    Args:
        programme: The programme (its discount rate and price base).
        timeline: The months.
        prices: The deflator's price index by extended month, or ``None`` (nominal terms).
        scenarios: The scenarios.
    """
    months = timeline.months
    base = timeline.grid.index(programme.price_base)
    years = (np.arange(months) + 1 - base) / 12.0
    factors = discount_factors(programme.discount_rate, years)[None, :]
    if prices is None:
        return np.broadcast_to(factors, (scenarios, months))
    return np.asarray(factors / prices[:, :months])


def present_value(
    values: np.ndarray, discount: np.ndarray, timeline: Timeline, first: int = 0
) -> np.ndarray:
    """Σ_m flow(m) · d(m) per scenario, for a monthly flow ``(scenarios, w)`` in the months
    ``first … first + w − 1`` (``first`` starts a fiscal year; see :meth:`Timeline.total`)."""
    return timeline.total(values * discount[:, first : first + values.shape[1]], first)


def present_value_at(values: np.ndarray, discount: np.ndarray, month: int) -> np.ndarray:
    """flow · d(month) per scenario, for a flow ``(scenarios,)`` in one month."""
    return np.asarray(values * discount[:, month])


def targets(key: SeriesKey) -> tuple[tuple[str, bool], ...]:
    """The figures a flow's present value goes to, each with whether it counts against them.

    >>> targets(SeriesKey("advance_refund", "provider", "city", "c", fund="budget"))
    (('npv/payer/city', True), ('npv/fund/budget', True))
    """
    if key.flow == "advance_refund":  # money back to the payer, into its fund
        return ((f"npv/payer/{key.payee}", True), (f"npv/fund/{key.fund}", True))
    found: list[tuple[str, bool]] = []
    if key.flow in FUND_OUTFLOWS:
        found.append((f"npv/payer/{key.payer}", False))
        if key.fund:
            found.append((f"npv/fund/{key.fund}", False))
    if key.flow in ("outcome_payment", "advance_offset"):
        found.append((f"pv/contract/{key.contract}/payments", False))
    return tuple(found)
