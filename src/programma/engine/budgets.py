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

__all__ = ["YearBudgets", "outflow_weights", "weighted_sum", "year_budgets"]


def outflow_weights(keys: Sequence[SeriesKey], fund: str) -> tuple[np.ndarray, np.ndarray]:
    """The positions of ``fund``'s outflows among ``keys``, and each one's sign in the fund's
    outflow (+1, or −1 for an advance refund)."""
    signs = dict.fromkeys(FUND_OUTFLOWS, 1.0)
    signs["advance_refund"] = -1.0
    mine = [n for n, key in enumerate(keys) if key.fund == fund and key.flow in signs]
    return np.array(mine, dtype=np.int64), np.array([signs[keys[n].flow] for n in mine])


def weighted_sum(values: np.ndarray, positions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Σ weights[i] · values[positions[i]], series by series: the same rounding for any chunk
    size.

    A BLAS product (tensordot) sums in an order that depends on how many scenarios the chunk
    holds, which changes the rounding.
    """
    total = np.zeros(values.shape[1:])
    for position, weight in zip(positions.tolist(), weights.tolist(), strict=True):
        total += weight * values[position]
    return total


class YearBudgets(NamedTuple):
    """A fund's fiscal years: what was available and the gap (outflow − available), each
    ``(scenarios, years)``."""

    available: np.ndarray
    gap: np.ndarray


def year_budgets(fund: Fund, years: Sequence[int], outflow: np.ndarray) -> YearBudgets:
    """Each fiscal year's available budget and gap, carrying over year to year.

    Args:
        fund: The fund.
        years: The fiscal years of the horizon, ascending.
        outflow: The fund's outflow per scenario and year, ``(scenarios, years)``.
    """
    amounts = np.array([fund.amount(year) for year in years], dtype=np.float64)
    if not fund.carry_over:
        available = np.broadcast_to(amounts, outflow.shape)
        return YearBudgets(available, outflow - available)
    available = np.empty(outflow.shape)
    carry = np.zeros(outflow.shape[0])
    for position, amount in enumerate(amounts):
        available[:, position] = amount + carry
        carry = np.maximum(available[:, position] - outflow[:, position], 0.0)
    return YearBudgets(available, outflow - available)
