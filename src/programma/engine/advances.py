"""Advance financing (DESIGN §4.5, with §4.8.5).

The payer pays ``advance`` by its schedule. Within a month the advance is credited first, then
that month's dues are offset against the open balance (``advance_offset``, no cash); dues met
by no balance are paid in cash (``outcome_payment``). At settlement the unearned balance,
advances − offsets, is refunded (``advance_refund``, provider → payer) or forgiven
(``advance_forgiven``, no cash). Costs are met first from advances not yet spent, then from the
provider's own funds.
"""

from __future__ import annotations

import attrs
import numpy as np

from ..model.contracts import OutcomeContract
from ..model.financing import AdvanceFinancing
from ..model.vocabulary import UnearnedAdvance
from .layout import Entry
from .payments import outcome_payments
from .series import SeriesKey
from .timeline import Timeline

__all__ = [
    "AdvanceFlows",
    "advance_schedule",
    "entries",
    "finance",
    "offsets",
    "series",
    "unearned_flow",
]


@attrs.frozen(eq=False)
class AdvanceFlows:
    """The flows of an advance-financed contract.

    Attributes:
        advances: Per payer, its advances by month ``(months,)``, the same in every scenario.
        offsets: Per payer, the dues offset against its advances ``(scenarios, months)``.
        unearned: Per payer, the balance unearned at settlement ``(scenarios,)``.
        cash: Each payer's outcome payment in cash, ``(payers, scenarios, months)``.
        used: Advances that paid the month's cost ``(scenarios, months)``.
        own_funds: The provider's own funds: cost − used.
        receipt: What the provider receives in cash.
        settlement: The settlement month.
    """

    advances: tuple[np.ndarray, ...]
    offsets: tuple[np.ndarray, ...]
    unearned: tuple[np.ndarray, ...]
    cash: np.ndarray
    used: np.ndarray
    own_funds: np.ndarray
    receipt: np.ndarray
    settlement: int


def unearned_flow(financing: AdvanceFinancing) -> str:
    """The series of an advance not earned at settlement: refunded, or forgiven."""
    if financing.unearned is UnearnedAdvance.REFUND:
        return "advance_refund"
    return "advance_forgiven"


def series(contract: OutcomeContract, financing: AdvanceFinancing) -> list[SeriesKey]:
    """The series advance financing adds."""
    c, provider = contract.id, contract.provider
    back = unearned_flow(financing)
    keys = [SeriesKey("advance_used", c, provider, c)]
    for payer in contract.payers:
        keys += [
            SeriesKey("advance", payer.payer, c, c, fund=payer.fund),
            SeriesKey("advance_offset", payer.payer, c, c, fund=payer.fund),
            SeriesKey(back, provider, payer.payer, c, fund=payer.fund),
        ]
    return keys


def advance_schedule(financing: AdvanceFinancing, timeline: Timeline) -> np.ndarray:
    """The advances paid in each month ``(months,)``, before the split over payers."""
    schedule = np.zeros(timeline.months)
    for advance in financing.advances:
        schedule[timeline.grid.index(advance.month)] += advance.amount
    for window in financing.windows:  # a monthly amount in each month of the window
        first = timeline.grid.index(window.start)
        schedule[first : first + window.months] += window.amount_per_month
    return schedule


def offsets(paid_in: np.ndarray, due: np.ndarray) -> np.ndarray:
    """Each month's dues offset against the open advance balance, credited first (§4.8.5).

    >>> offsets(np.array([10.0, 0.0, 0.0]), np.array([[4.0, 4.0, 4.0]])).tolist()
    [[4.0, 4.0, 2.0]]
    """
    offset = np.zeros_like(due)
    balance = np.zeros(due.shape[0])
    for month in range(due.shape[1]):
        balance = balance + paid_in[month]
        take = np.minimum(due[:, month], balance)
        offset[:, month] = take
        balance = balance - take
    return offset


def finance(
    contract: OutcomeContract,
    schedule: np.ndarray,
    gross: np.ndarray,
    cost: np.ndarray,
    settlement: int,
    timeline: Timeline,
    start: int = 0,
) -> AdvanceFlows:
    """Offset each payer's dues ``gross[i]`` against its advances; spend advances on cost.

    Args:
        contract: The contract (its payers' shares).
        schedule: The advances by month of the horizon, before the split over payers.
        gross: Each payer's outcome payment due, ``(payers, scenarios, w)``: nothing after
            settlement.
        cost: The delivery cost, ``(scenarios, w)``.
        settlement: The settlement month.
        timeline: The months (whose totals the unearned balances take).
        start: The month of the arrays' first column: no advance is paid before it.
    """
    scenarios, months = cost.shape
    cash = np.zeros_like(gross)
    advances, offset_by_payer, unearned_by_payer = [], [], []
    for i, payer in enumerate(contract.payers):
        all_paid_in = schedule * payer.share
        paid_in = all_paid_in[start : start + months]
        outside = np.r_[all_paid_in[:start], all_paid_in[start + months :]]
        assert not outside.any(), "the months hold every advance"
        offset = offsets(paid_in, gross[i])
        cash[i] = gross[i] - offset
        advances.append(paid_in)
        offset_by_payer.append(offset)
        unearned_by_payer.append(all_paid_in.sum() - timeline.total(offset, start))
    pool = np.zeros(scenarios)
    used = np.zeros((scenarios, months))
    for month in range(months):
        pool += schedule[start + month]
        take = np.minimum(cost[:, month], pool)
        used[:, month] = take
        pool -= take
    return AdvanceFlows(
        advances=tuple(advances),
        offsets=tuple(offset_by_payer),
        unearned=tuple(unearned_by_payer),
        cash=cash,
        used=used,
        own_funds=cost - used,
        receipt=np.asarray(cash.sum(axis=0)),
        settlement=settlement,
    )


def entries(
    contract: OutcomeContract, financing: AdvanceFinancing, flows: AdvanceFlows
) -> tuple[Entry, ...]:
    """The series the flows go to, in the order they are recorded."""
    c, provider = contract.id, contract.provider
    scenarios, months = flows.used.shape
    found: list[Entry] = []
    for i, payer in enumerate(contract.payers):
        who = (payer.payer, c, c)
        advance = np.broadcast_to(flows.advances[i], (scenarios, months))
        found += [
            Entry(SeriesKey("advance", *who, fund=payer.fund), advance),
            Entry(SeriesKey("advance_offset", *who, fund=payer.fund), flows.offsets[i]),
            Entry(
                SeriesKey(unearned_flow(financing), provider, payer.payer, c, fund=payer.fund),
                flows.unearned[i],
                month=flows.settlement,
            ),
        ]
    return (
        *found,
        *outcome_payments(contract, flows.cash),
        Entry(SeriesKey("advance_used", c, provider, c), flows.used),
        Entry(SeriesKey("provider_own_funds", provider, "", c), flows.own_funds),
        Entry(SeriesKey("provider_receipt", c, provider, c), flows.receipt),
    )
