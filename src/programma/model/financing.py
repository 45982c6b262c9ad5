"""How a contract's delivery cost is carried before outcomes are paid.

Four modes, each its own type, told apart in files by ``mode``:

* :class:`ProviderFinancing` — the provider carries the cost from its own funds.
* :class:`InvestorFinancing` — an investor pre-finances, repaid from outcome payments up to a
  capped return, with optional capital protection by a guarantor (a social impact bond).
* :class:`AdvanceFinancing` — the payers pay advances, reconciled against outcomes due.
* :class:`Prefinancing` — an external partner funds a pilot for some months; at a gate the
  municipality steps in (and repays part), or the initiative stops.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import ClassVar, TypeAlias

import attrs

from .._errors import Problem
from .checks import (
    Checked,
    add_months,
    as_float,
    as_tuple,
    at_least,
    between,
    first_of_month,
    identifier,
    is_number,
    months_count,
    optional_at_least,
    per_month_or_total,
)
from .vocabulary import FinancingMode, UnearnedAdvance

__all__ = [
    "Advance",
    "AdvanceFinancing",
    "AdvanceWindow",
    "Financing",
    "InvestorFinancing",
    "Prefinancing",
    "ProviderFinancing",
]


@attrs.frozen
class ProviderFinancing(Checked):
    """The provider pays the delivery cost from its own funds and receives every payment.

    >>> ProviderFinancing().mode
    <FinancingMode.PROVIDER: 'provider'>
    """

    mode: ClassVar[FinancingMode] = FinancingMode.PROVIDER


@attrs.frozen
class InvestorFinancing(Checked):
    """An investor pre-finances the delivery cost (a social impact bond).

    Each month outcome receipts first cover the month's cost; the shortfall is drawn from the
    investor up to its undrawn ``commitment``. The investor is entitled to what it drew plus a
    return accruing at ``return_cap`` a year; surplus receipts go to it up to that entitlement.
    At the contract's end the ``guarantor`` pays up to ``capital_protection`` × drawn capital
    that was not returned.

    Attributes:
        investor: The id of the investing stakeholder.
        commitment: The most the investor will draw (≥ 0).
        return_cap: The annual return the entitlement accrues at (≥ 0).
        capital_protection: The share of drawn capital the guarantor protects, in [0, 1].
        guarantor: The id of the guarantor; required when capital_protection > 0.
        guarantor_fund: The id of the fund a guarantee is paid from, if it is one of the
            programme's (so that it counts in that fund's budget).

    >>> InvestorFinancing("impactfonds", 680_000, return_cap=0.12).mode
    <FinancingMode.INVESTOR: 'investor'>
    """

    mode: ClassVar[FinancingMode] = FinancingMode.INVESTOR
    investor: str
    commitment: float = attrs.field(converter=as_float)
    return_cap: float = attrs.field(converter=as_float)
    capital_protection: float = attrs.field(default=0.0, converter=as_float)
    guarantor: str | None = None
    guarantor_fund: str | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("investor", self.investor)
        yield from at_least("commitment", self.commitment, 0.0)
        yield from at_least("return_cap", self.return_cap, 0.0)
        yield from between("capital_protection", self.capital_protection, 0.0, 1.0)
        if self.guarantor_fund is not None:
            yield from identifier("guarantor_fund", self.guarantor_fund)
            if self.guarantor is None:
                yield Problem("guarantor", "a guarantor when a guarantor_fund is given", None)
        if self.guarantor is not None:
            yield from identifier("guarantor", self.guarantor)
        elif is_number(self.capital_protection) and self.capital_protection > 0:
            yield Problem(
                "guarantor", "a guarantor when capital_protection is above 0", self.guarantor
            )


@attrs.frozen
class Advance(Checked):
    """An advance of ``amount`` paid in ``month`` by the contract's payers (by their shares).

    >>> Advance(dt.date(2023, 1, 1), 50_000).amount
    50000.0
    """

    month: dt.date
    amount: float = attrs.field(converter=as_float)

    def _problems(self) -> Iterator[Problem]:
        yield from first_of_month("month", self.month)
        yield from at_least("amount", self.amount, 0.0)


@attrs.frozen
class AdvanceWindow(Checked):
    """Advances paid every month of a window: ``months`` months from ``start``.

    Give either ``per_month`` (the amount paid each month) or ``total`` (spread evenly over
    the window's months), as for an enrolment window.

    >>> w = AdvanceWindow(dt.date(2023, 1, 1), 12, per_month=5_000)
    >>> w.end, w.amount_per_month
    (datetime.date(2023, 12, 1), 5000.0)
    """

    start: dt.date
    months: int
    per_month: float | None = attrs.field(
        default=None, converter=attrs.converters.optional(as_float)
    )
    total: float | None = attrs.field(default=None, converter=attrs.converters.optional(as_float))

    @property
    def end(self) -> dt.date:
        """The window's last month."""
        return add_months(self.start, self.months - 1)

    @property
    def amount_per_month(self) -> float:
        """What is paid in each month of the window."""
        if self.per_month is not None:
            return self.per_month
        assert self.total is not None  # validated: one of the two is given
        return self.total / self.months

    @property
    def amount(self) -> float:
        """What the window pays in all."""
        return self.total if self.total is not None else self.amount_per_month * self.months

    def _problems(self) -> Iterator[Problem]:
        yield from first_of_month("start", self.start)
        yield from months_count("months", self.months)
        yield from optional_at_least("per_month", self.per_month, 0.0)
        yield from optional_at_least("total", self.total, 0.0)
        yield from per_month_or_total(self.per_month, self.total)


@attrs.frozen
class AdvanceFinancing(Checked):
    """The payers pay advances; each outcome payment due is first offset against them.

    Advances are dated amounts (``advances``), windows of a monthly amount (``windows``), or
    both; in a month they add up. At the contract's settlement the advance not earned is
    refunded to the payers or forgiven.

    Attributes:
        advances: Amounts paid in single months.
        unearned: What happens to the advance not earned at settlement: refund or forgive.
        windows: Amounts paid every month of a window.

    >>> f = AdvanceFinancing([Advance(dt.date(2023, 1, 1), 50_000)],
    ...                      unearned=UnearnedAdvance.FORGIVE)
    >>> f.total
    50000.0
    >>> AdvanceFinancing(windows=[AdvanceWindow(dt.date(2023, 1, 1), 12, per_month=5_000)]).total
    60000.0
    """

    mode: ClassVar[FinancingMode] = FinancingMode.ADVANCES
    advances: tuple[Advance, ...] = attrs.field(default=(), converter=as_tuple)
    unearned: UnearnedAdvance = attrs.field(
        default=UnearnedAdvance.REFUND, converter=UnearnedAdvance
    )
    windows: tuple[AdvanceWindow, ...] = attrs.field(default=(), converter=as_tuple)

    @property
    def total(self) -> float:
        """The sum of all advances, dated and in windows."""
        return sum(advance.amount for advance in self.advances) + sum(
            window.amount for window in self.windows
        )

    def _problems(self) -> Iterator[Problem]:
        if not self.advances and not self.windows:
            yield Problem("advances", "at least one advance or advance window", [])


@attrs.frozen
class Prefinancing(Checked):
    """An external partner pre-finances the delivery cost, and a payer may step in at a gate.

    The partner funds each month's cost before the gate month. At the gate, per scenario: if
    its condition holds the ``step_in_payer`` funds the cost from the gate month on (from
    ``step_in_fund``) and repays ``repay_share`` of the pre-financing to date; if not, enrolment
    and cost stop. Without a gate the partner funds ``months`` months and the provider the rest.

    Attributes:
        partner: The id of the pre-financing stakeholder.
        months: How many months the partner funds (required without a gate; with a gate it
            must end at the gate month).
        gate: The id of the gate that decides on stepping in.
        partner_fund: The id of the fund the partner pays from, if it is one of the programme's.
        step_in_payer: The id of the stakeholder that steps in (with a gate).
        step_in_fund: The id of the fund it steps in from (with a gate).
        repay_share: The share of the pre-financing repaid to the partner on step-in, in [0, 1].

    >>> Prefinancing("fonds-x", months=6).mode
    <FinancingMode.PREFINANCING: 'prefinancing'>
    """

    mode: ClassVar[FinancingMode] = FinancingMode.PREFINANCING
    partner: str
    months: int | None = None
    gate: str | None = None
    partner_fund: str | None = None
    step_in_payer: str | None = None
    step_in_fund: str | None = None
    repay_share: float = attrs.field(default=0.0, converter=as_float)

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("partner", self.partner)
        if self.months is not None:
            yield from months_count("months", self.months)
        for name in ("gate", "partner_fund", "step_in_payer", "step_in_fund"):
            value = getattr(self, name)
            if value is not None:
                yield from identifier(name, value)
        yield from between("repay_share", self.repay_share, 0.0, 1.0)
        if self.gate is None:
            if self.months is None:
                yield Problem("months", "the months pre-financed, or a gate", None)
            for name in ("step_in_payer", "step_in_fund"):
                if getattr(self, name) is not None:
                    yield Problem(name, "no step-in without a gate", getattr(self, name))
            if self.repay_share:
                yield Problem("repay_share", "no repayment without a gate", self.repay_share)
        else:
            for name in ("step_in_payer", "step_in_fund"):
                if getattr(self, name) is None:
                    yield Problem(name, "who steps in at the gate", None)


Financing: TypeAlias = ProviderFinancing | InvestorFinancing | AdvanceFinancing | Prefinancing
"""A contract's financing, one of the four modes."""

FINANCING_TYPES: dict[FinancingMode, type[Financing]] = {
    FinancingMode.PROVIDER: ProviderFinancing,
    FinancingMode.INVESTOR: InvestorFinancing,
    FinancingMode.ADVANCES: AdvanceFinancing,
    FinancingMode.PREFINANCING: Prefinancing,
}
