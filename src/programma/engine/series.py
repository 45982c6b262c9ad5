"""The names and keys of the series a projection holds: cash flows and non-cash measures."""

from __future__ import annotations

from typing import Literal

import attrs

__all__ = ["FLOWS", "KEY_FIELDS", "MEASURES", "SIGNED", "STOCKS", "SeriesKey"]

FLOWS: tuple[str, ...] = (
    "grant",
    "delivery_cost",
    "outcome_payment",
    "advance",
    "advance_refund",
    "investor_drawdown",
    "investor_distribution",
    "guarantee_payment",
    "prefinancing",
    "prefinancing_repayment",
    "step_in_funding",
    "provider_receipt",
)
"""Cash flows: a non-negative amount paid by ``payer`` to ``payee``."""

MEASURES: tuple[str, ...] = (
    "outcomes_achieved",
    "outcomes_paid",
    "earned",
    "earned_capped",
    "advance_offset",
    "advance_forgiven",
    "advance_used",
    "receipts_used",
    "provider_own_funds",
    "cap_forfeited",
    "unpaid_after_end",
    "budget",
    "budget_gap",
    "fund_outflow",
    "fund_earned",
    "investor_entitlement",
)
"""Non-cash measures, in the same shape as flows (``budget_gap`` and ``fund_outflow`` are
signed; ``investor_entitlement`` is a balance, see :data:`STOCKS`)."""

COUNTS: frozenset[str] = frozenset({"outcomes_achieved", "outcomes_paid"})
"""Measures that count outcomes rather than money."""

SIGNED: frozenset[str] = frozenset({"budget_gap", "fund_outflow"})
"""Measures that may be negative: a budget gap, and a fund's outflow in a month when an
advance refund flowing back exceeds what the fund pays."""

STOCKS: frozenset[str] = frozenset({"investor_entitlement"})
"""Balances rather than amounts per period: each period holds the balance at the end of its
last month, so regrouping keeps the last period's value instead of adding them up."""


@attrs.frozen(order=True)
class SeriesKey:
    """What one series of a projection is: a flow or measure, between whom, for what.

    Fields that do not apply are empty strings.

    >>> SeriesKey("outcome_payment", payer="gemeente", payee="werkfit", contract="werkfit").kind
    'flow'
    """

    flow: str
    payer: str = ""
    payee: str = ""
    contract: str = ""
    initiative: str = ""
    fund: str = ""
    metric: str = ""
    area: str = ""

    @property
    def kind(self) -> Literal["flow", "measure"]:
        """``flow`` for a cash flow, ``measure`` for anything else."""
        return "flow" if self.flow in FLOWS else "measure"

    def matches(self, **criteria: str | None) -> bool:
        """Whether every given criterion (``flow="grant"``, ``payer=…``) equals this key's.

        >>> SeriesKey("grant", payer="gemeente").matches(flow="grant", contract=None)
        True
        """
        return all(
            value is None or getattr(self, name) == value for name, value in criteria.items()
        )


KEY_FIELDS: tuple[str, ...] = tuple(field.name for field in attrs.fields(SeriesKey))
"""The fields of a :class:`SeriesKey`, in order: what a projection is selected by, and the key
columns of its tidy rows."""
