"""Payment timing, settlement of dues and fiscal-year caps (DESIGN §4.4, §4.8.2, §4.8.4).

- The amount earned after caps is split over payers by their shares.
- It is paid in the first month p ≥ v that is in the contract's payment schedule.
- Per-payer fiscal-year caps act next, on the gross amount due (before advance offsets): the
  excess is forfeited, or carried to the first schedule month of a later fiscal year, capped
  again there and forfeited at settlement; a year missing from a cap table is uncapped.
- Nothing is paid after settlement L = end + run-off: what would have been is reported as
  ``unpaid_after_end``, in min(payment month, T − 1).
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np

from ..model.contracts import OutcomeContract
from ..model.vocabulary import CapExcess
from ..periods.grid import next_payment_month
from .layout import Entry
from .series import SeriesKey
from .timeline import Timeline, settlement_month
from .windows import Window

__all__ = [
    "Dues",
    "PaymentTiming",
    "fiscal_year_caps",
    "outcome_payments",
    "payer_dues",
    "settle_dues",
]


@attrs.frozen(eq=False)
class Dues:
    """What each payer of a contract pays and does not, by month: the months of the
    contract's window inside the horizon (``months`` below).

    Attributes:
        paid: Gross outcome payments due per payer, ``(payers, scenarios, months)``, before
            advance offsets.
        forfeited: Per payer, what the fiscal-year caps forfeited ``(scenarios, months)``;
            ``None`` where the payer has no fiscal-year cap (nothing can be forfeited).
        unpaid: Per payer, what fell after settlement ``(scenarios, months)``; ``None`` where
            nothing did.
    """

    paid: np.ndarray
    forfeited: tuple[np.ndarray | None, ...]
    unpaid: tuple[np.ndarray | None, ...]


@attrs.frozen(eq=False)
class PaymentTiming:
    """When a contract pays what is verified in each month: the same in every chunk.

    Attributes:
        schedule: The payment months up to settlement, ascending.
        pay_month: For each extended month, the first payment month on or after it.
        settlement: The settlement month L (DESIGN §4.8.2).
    """

    schedule: np.ndarray
    pay_month: np.ndarray
    settlement: int

    @classmethod
    def of(cls, contract: OutcomeContract, timeline: Timeline) -> PaymentTiming:
        """The payment months of ``contract`` from its start, from its schedule or rule."""
        settlement = settlement_month(contract, timeline)
        extended_months = timeline.extended_months
        first = timeline.grid.index(contract.start)
        schedule = timeline.grid.schedule_months(
            contract.payment_schedule.value, contract.payment_rrule, first, extended_months
        )
        pay_month = next_payment_month(schedule, extended_months)
        return cls(schedule[schedule <= settlement], pay_month, settlement)


def payer_dues(
    contract: OutcomeContract,
    earned: np.ndarray,
    timeline: Timeline,
    timing: PaymentTiming,
    window: Window,
) -> Dues:
    """Split ``earned`` ``(scenarios, w)``, the window's months, over payers; time and cap it.

    The window holds every month anything of ``earned`` is paid in, and the settlement month;
    the dues are its months inside the horizon.
    """
    start, inside = window.start, window.inside
    paid = np.zeros((len(contract.payers), earned.shape[0], inside))
    forfeited: list[np.ndarray | None] = []
    unpaid: list[np.ndarray | None] = []
    years = timeline.horizon_years
    pay_month = timing.pay_month[start : window.end] - start
    settlement = timing.settlement - start
    schedule = timing.schedule[timing.schedule >= start] - start
    for i, payer in enumerate(contract.payers):
        share = earned if payer.share == 1.0 else earned * payer.share
        due, late = settle_dues(share, pay_month, settlement, inside)
        caps = {year: cap for year in years if (cap := payer.cap_in(year)) is not None}
        if caps:
            due, lost = fiscal_year_caps(
                due,
                schedule,
                timeline.fiscal_year[start : start + inside],
                caps,
                carry=payer.cap_excess is CapExcess.CARRY,
                settlement=settlement,
            )
            forfeited.append(lost)
        else:
            forfeited.append(None)
        unpaid.append(late)
        paid[i] = due
    return Dues(paid, tuple(forfeited), tuple(unpaid))


def settle_dues(
    due: np.ndarray, pay_month: np.ndarray, last_payable: int, months: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Move amounts from the month they are verified to the month they are due.

    Args:
        due: Amounts by verification month, shape ``(..., V)``.
        pay_month: For each verification month, the first payment month on or after it
            (non-decreasing).
        last_payable: The last month anything may be paid (the settlement month).
        months: The number of months in the horizon (T).

    Returns:
        Amounts due by payment month, shape ``(..., months)`` (zero after ``last_payable``),
        and amounts that fall after it, recorded in ``min(payment month, T − 1)``: ``None``
        where nothing does.

    >>> due, unpaid = settle_dues(np.array([1.0, 2.0, 4.0, 8.0]), np.array([1, 1, 3, 4]), 3, 4)
    >>> due.tolist(), unpaid.tolist()
    ([0.0, 3.0, 0.0, 4.0], [0.0, 0.0, 0.0, 8.0])
    """
    target = np.minimum(pay_month, months - 1)
    # The months paid by settlement come first: pay_month does not decrease.
    payable = int(np.searchsorted(pay_month, last_payable, side="right"))
    shape = (*due.shape[:-1], months)
    paid = np.zeros(shape)
    _gather(due[..., :payable], target[:payable], paid)
    late = due[..., payable:]
    if not late.any():  # nothing verified after settlement (the usual case)
        return paid, None
    unpaid = np.zeros(shape)
    _gather(late, target[payable:], unpaid)
    return paid, unpaid


def _gather(due: np.ndarray, months_due: np.ndarray, out: np.ndarray) -> None:
    """Add each run of equal ``months_due`` (non-decreasing) of ``due`` into that month.

    A run is added month after month, so months of zeros before it change no bit of its sum.
    """
    if not months_due.size:
        return
    starts = np.flatnonzero(np.r_[True, months_due[1:] != months_due[:-1]])
    for start, end in zip(starts.tolist(), [*starts[1:].tolist(), months_due.size], strict=True):
        run = due[..., start].copy()
        for month in range(start + 1, end):
            run += due[..., month]
        out[..., months_due[start]] += run


def fiscal_year_caps(
    due: np.ndarray,
    schedule: np.ndarray,
    fiscal_year: np.ndarray,
    caps: Mapping[int, float],
    *,
    carry: bool,
    settlement: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Cap what a payer pays in each fiscal year; forfeit the excess or carry it on.

    A carried excess joins the first schedule month of a later fiscal year, is capped again
    there and may carry again; what is still carried after the settlement month's payments is
    forfeited then. A fiscal year not in ``caps`` is uncapped.

    Args:
        due: Amounts due by payment month, ``(S, T)``.
        schedule: The payment months up to the settlement month, ascending.
        fiscal_year: The fiscal year of each month, ``(T,)``.
        caps: The cap per fiscal year.
        carry: Carry the excess (else forfeit it).
        settlement: The settlement month.

    Returns:
        The amounts paid ``(S, T)`` and the amounts forfeited ``(S, T)``.

    >>> due = np.array([[60.0, 60.0, 0.0, 30.0]])
    >>> paid, lost = fiscal_year_caps(due, np.array([0, 1, 3]), np.array([0, 0, 1, 1]),
    ...                               {0: 100.0, 1: 40.0}, carry=True, settlement=3)
    >>> paid.tolist(), lost.tolist()
    ([[60.0, 40.0, 0.0, 40.0]], [[0.0, 0.0, 0.0, 10.0]])
    """
    paid = np.zeros_like(due)
    lost = np.zeros_like(due)
    if not caps:
        paid[:] = due
        return paid, lost
    pending = np.zeros(due.shape[0])
    paid_in_year = np.zeros(due.shape[0])
    year: int | None = None
    for month in schedule:
        amount = due[:, month].copy()
        if int(fiscal_year[month]) != year:
            year = int(fiscal_year[month])
            paid_in_year[:] = 0.0
            amount += pending
            pending = np.zeros_like(pending)
        room = np.maximum(caps.get(year, np.inf) - paid_in_year, 0.0)
        pay = np.minimum(amount, room)
        excess = amount - pay
        paid[:, month] = pay
        paid_in_year += pay
        if carry:
            pending += excess
        else:
            lost[:, month] += excess
    lost[:, settlement] += pending
    return paid, lost


def outcome_payments(contract: OutcomeContract, cash: np.ndarray) -> tuple[Entry, ...]:
    """Each payer's outcome payment in cash ``(payers, scenarios, months)``, to the contract."""
    c = contract.id
    return tuple(
        Entry(SeriesKey("outcome_payment", payer.payer, c, c, fund=payer.fund), cash[i])
        for i, payer in enumerate(contract.payers)
    )
