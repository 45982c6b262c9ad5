"""Investor financing (DESIGN §4.5, with §4.8.6).

Month by month, with c the delivery cost and O the outcome cash received:
used = min(O, c); the shortfall c − used is drawn from the investor up to its undrawn commitment
(no draw-down after the contract's end); any rest is the provider's own funds. The entitlement
accrues at the return cap r: E ← E·(1 + r)^(1/12) + drawdown. The surplus O − used goes to the
investor up to E (``investor_distribution``, E reduced accordingly); ``provider_receipt`` =
O − distribution. At settlement a guarantor pays max(0, protection × drawn − distributed). There
is no reserve: surplus released past the cap goes to the provider, and a later shortfall is drawn
again. (E, O, c, r: DESIGN's notation.)
"""

from __future__ import annotations

import attrs
import numpy as np

from ..finance import irr
from ..model.contracts import OutcomeContract
from ..model.financing import InvestorFinancing
from .layout import Entry
from .payments import outcome_payments
from .series import SeriesKey

__all__ = ["INVESTOR_FIGURES", "InvestorFlows", "entries", "figures", "finance", "series"]

INVESTOR_FIGURES: tuple[str, ...] = (
    "drawn",
    "distributed",
    "guarantee",
    "multiple",
    "irr",
    "return_cap_bound",
)
"""The per-scenario figures of each investor-financed contract."""


@attrs.frozen(eq=False)
class InvestorFlows:
    """The flows of an investor-financed contract, ``(scenarios, months)`` unless noted.

    Attributes:
        cash: Each payer's outcome payment, ``(payers, scenarios, months)``.
        used: Outcome cash that paid the month's cost.
        drawdown: Drawn from the investor.
        own_funds: The provider's own funds: cost − used − drawdown.
        distribution: Paid to the investor.
        entitlement: The investor's entitlement at each month's end (it lapses after settlement).
        receipt: What the provider keeps: O − distribution.
        guarantee: The guarantee, per scenario, paid at settlement (with a guarantor).
        settlement: The settlement month.
        figures: The per-scenario figures of :data:`INVESTOR_FIGURES`.
    """

    cash: np.ndarray
    used: np.ndarray
    drawdown: np.ndarray
    own_funds: np.ndarray
    distribution: np.ndarray
    entitlement: np.ndarray
    receipt: np.ndarray
    guarantee: np.ndarray
    settlement: int
    figures: dict[str, np.ndarray]


def series(contract: OutcomeContract, financing: InvestorFinancing) -> list[SeriesKey]:
    """The series investor financing adds."""
    c, provider, investor = contract.id, contract.provider, financing.investor
    keys = [
        SeriesKey("investor_drawdown", investor, provider, c),
        SeriesKey("investor_distribution", c, investor, c),
        SeriesKey("investor_entitlement", c, investor, c),
    ]
    if financing.guarantor is not None:
        fund = financing.guarantor_fund or ""
        keys.append(SeriesKey("guarantee_payment", financing.guarantor, investor, c, fund=fund))
    return keys


def finance(
    financing: InvestorFinancing,
    gross: np.ndarray,
    cost: np.ndarray,
    *,
    last: int,
    settlement: int,
    first: int,
    start: int = 0,
) -> InvestorFlows:
    """Run the investor's account month by month.

    Args:
        financing: The contract's financing.
        gross: Each payer's outcome payment, ``(payers, scenarios, w)``.
        cost: The delivery cost, ``(scenarios, w)``.
        last: The contract's last month: no draw-down after it.
        settlement: The settlement month: the guarantee is paid in it.
        first: The first month any cost of the contract can fall in: the investor's months
            run from it to settlement, the same months for every scenario (its IRR's).
        start: The month of the arrays' first column: ``first`` or earlier.
    """
    scenarios, months = cost.shape
    # The months as columns of the arrays.
    first, last, close = max(first, 0) - start, last - start, settlement - start
    assert first >= 0, "the arrays start by the investor's first month"
    assert close < months, "the arrays hold the settlement month"
    received = np.asarray(gross.sum(axis=0))
    growth = (1.0 + financing.return_cap) ** (1.0 / 12.0)
    entitlement = np.zeros(scenarios)
    drawn = np.zeros(scenarios)
    distributed = np.zeros(scenarios)
    bound = np.zeros(scenarios, dtype=bool)
    used = np.minimum(received, cost)
    drawdown = np.zeros((scenarios, months))
    distribution = np.zeros((scenarios, months))
    owed = np.zeros((scenarios, months))  # the entitlement at each month's end; it lapses after L
    # Before ``first`` nothing is spent or received; after settlement nothing is drawn, paid
    # or kept: the account moves only in between.
    for month in range(first, close + 1):
        short = cost[:, month] - used[:, month]
        if month <= last:  # no draw-down after the contract's end
            take = np.minimum(short, np.maximum(financing.commitment - drawn, 0.0))
            drawdown[:, month] = take
            drawn += take
        entitlement = entitlement * growth + drawdown[:, month]
        surplus = received[:, month] - used[:, month]
        paid = np.minimum(surplus, entitlement)
        # The cap binds when capital is in and the investor would have taken more.
        bound |= (drawn > 0) & (surplus > paid * (1.0 + 1e-12) + 1e-9)
        entitlement -= paid
        distribution[:, month] = paid
        distributed += paid
        owed[:, month] = entitlement
    guarantee = np.maximum(financing.capital_protection * drawn - distributed, 0.0)
    flows = distribution - drawdown
    flows[:, close] += guarantee if financing.guarantor is not None else 0.0
    months_invested = flows[:, first : close + 1]
    return InvestorFlows(
        cash=gross,
        used=used,
        drawdown=drawdown,
        own_funds=cost - used - drawdown,
        distribution=distribution,
        entitlement=owed,
        receipt=received - distribution,
        guarantee=guarantee,
        settlement=settlement,
        figures=figures(months_invested, drawn, distributed, guarantee, bound),
    )


def figures(
    flows: np.ndarray,
    drawn: np.ndarray,
    distributed: np.ndarray,
    guarantee: np.ndarray,
    bound: np.ndarray,
) -> dict[str, np.ndarray]:
    """The investor's figures: multiple = (distributed + guarantee) / drawn; IRR annualised.

    Args:
        flows: The investor's monthly net flows over its window.
        drawn: Drawn in all.
        distributed: Distributed in all.
        guarantee: The guarantee received.
        bound: Where the return cap bound.
    """
    returned = distributed + guarantee
    invested = drawn > 0
    monthly = irr(flows)
    return {
        "drawn": drawn,
        "distributed": distributed,
        "guarantee": guarantee,
        "multiple": np.divide(returned, drawn, out=np.full(len(drawn), np.nan), where=invested),
        "irr": np.where(invested, (1.0 + monthly) ** 12 - 1.0, np.nan),
        "return_cap_bound": bound.astype(float),
    }


def entries(
    contract: OutcomeContract, financing: InvestorFinancing, flows: InvestorFlows
) -> tuple[Entry, ...]:
    """The series the flows go to, in the order they are recorded."""
    c, provider, investor = contract.id, contract.provider, financing.investor
    found = [
        *outcome_payments(contract, flows.cash),
        Entry(SeriesKey("receipts_used", c, provider, c), flows.used),
        Entry(SeriesKey("investor_drawdown", investor, provider, c), flows.drawdown),
        Entry(SeriesKey("provider_own_funds", provider, "", c), flows.own_funds),
        Entry(SeriesKey("investor_distribution", c, investor, c), flows.distribution),
        Entry(SeriesKey("investor_entitlement", c, investor, c), flows.entitlement, balance=True),
        Entry(SeriesKey("provider_receipt", c, provider, c), flows.receipt),
    ]
    if financing.guarantor is not None:
        fund = financing.guarantor_fund or ""
        key = SeriesKey("guarantee_payment", financing.guarantor, investor, c, fund=fund)
        found.append(Entry(key, flows.guarantee, month=flows.settlement))
    return tuple(found)
