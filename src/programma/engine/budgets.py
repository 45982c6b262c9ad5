"""Funds and budgets (DESIGN §4.6, with §4.8.10).

Per fund and fiscal year: the cash outflow = grant + outcome_payment + advance + step_in_funding
+ prefinancing + prefinancing_repayment + guarantee_payment − advance_refund, for the payments
it makes; available = amount + carry-over (if enabled), carry-over = max(0, last year's
available − outflow); ``budget_gap`` = outflow − available (signed), breached when > 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..model.funds import Fund
from .layout import FUND_OUTFLOWS
from .series import SeriesKey

__all__ = ["YearBudget", "outflow_weights", "weighted_sum", "year_budgets"]


def outflow_weights(keys: Sequence[SeriesKey], fund: str) -> tuple[np.ndarray, np.ndarray]:
    """Which series are ``fund``'s, and each one's sign in its outflow (+1, −1 or 0)."""
    signs = dict.fromkeys(FUND_OUTFLOWS, 1.0)
    signs["advance_refund"] = -1.0
    weights = np.array([signs.get(key.flow, 0.0) for key in keys])
    mine = np.array([key.fund == fund for key in keys], dtype=bool)
    return mine, weights[mine]


def weighted_sum(weights: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Σ weights[i] · values[i], series by series: the same rounding for any chunk size.

    A BLAS product (tensordot) sums in an order that depends on how many scenarios the chunk
    holds, which changes the rounding.
    """
    total = np.zeros(values.shape[1:])
    for weight, series in zip(weights, values, strict=True):
        if weight:
            total += weight * series
    return total


class YearBudget(NamedTuple):
    """A fund's fiscal year: what was available and the gap (outflow − available)."""

    available: np.ndarray
    gap: np.ndarray


def year_budgets(fund: Fund, years: Sequence[int], outflow: np.ndarray) -> list[YearBudget]:
    """Each fiscal year's available budget and gap, carrying over year to year.

    Args:
        fund: The fund.
        years: The fiscal years of the horizon, ascending.
        outflow: The fund's outflow per scenario and year, ``(scenarios, years)``.
    """
    scenarios = outflow.shape[0]
    carry = np.zeros(scenarios)
    found = []
    for position, year in enumerate(years):
        available = fund.amount(year) + carry
        spent = outflow[:, position]
        found.append(YearBudget(np.broadcast_to(available, (scenarios,)), spent - available))
        carry = np.maximum(available - spent, 0.0) if fund.carry_over else np.zeros(scenarios)
    return found
