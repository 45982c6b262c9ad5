"""Prefinancing (DESIGN §4.5, with §4.8.8).

The partner funds the delivery cost c (``prefinancing``) in the months before the gate month.
From the gate month, per scenario: where the payer steps in, it funds c (``step_in_funding``)
and pays, in the gate month, the repayment = repay share × pre-financing to date
(``prefinancing_repayment``); where it does not, the gate has stopped enrolment and costs.
Without a gate, ``months`` ends the pre-financing and the provider funds the rest.
"""

from __future__ import annotations

import attrs
import numpy as np

from ..model.contracts import OutcomeContract
from ..model.financing import Prefinancing
from .layout import Entry
from .payments import outcome_payments
from .series import SeriesKey
from .timeline import Timeline

__all__ = ["PrefinancingFlows", "entries", "finance", "series"]


@attrs.frozen(eq=False)
class PrefinancingFlows:
    """The flows of a prefinanced contract, ``(scenarios, months)`` unless noted.

    Attributes:
        cash: Each payer's outcome payment, ``(payers, scenarios, months)``.
        partner: What the partner funds.
        step_in: What the stepping-in payer funds (``None`` without a gate).
        repayment: The repayment per scenario, in ``gate_month`` (``None`` without a gate).
        gate_month: The gate's month (``None`` without a gate).
        own_funds: The provider's own funds: cost − partner − step-in.
        receipt: What the provider receives: every payer's payment.
    """

    cash: np.ndarray
    partner: np.ndarray
    step_in: np.ndarray | None
    repayment: np.ndarray | None
    gate_month: int | None
    own_funds: np.ndarray
    receipt: np.ndarray


def series(contract: OutcomeContract, financing: Prefinancing) -> list[SeriesKey]:
    """The series prefinancing adds."""
    c, provider, partner = contract.id, contract.provider, financing.partner
    keys = [SeriesKey("prefinancing", partner, provider, c, fund=financing.partner_fund or "")]
    if financing.gate is not None:
        stepper, fund = financing.step_in_payer or "", financing.step_in_fund or ""
        keys += [
            SeriesKey("step_in_funding", stepper, provider, c, fund=fund),
            SeriesKey("prefinancing_repayment", stepper, partner, c, fund=fund),
        ]
    return keys


def finance(
    financing: Prefinancing,
    gross: np.ndarray,
    cost: np.ndarray,
    *,
    end: int | None,
    gate_month: int | None,
    steps_in: np.ndarray | None,
    timeline: Timeline,
    start: int = 0,
) -> PrefinancingFlows:
    """Split the cost between the partner, the stepping-in payer and the provider.

    Args:
        financing: The contract's financing.
        gross: Each payer's outcome payment, ``(payers, scenarios, months)``.
        cost: The delivery cost, ``(scenarios, months)``.
        end: Without a gate: the first month the partner no longer funds.
        gate_month: With a gate: its month.
        steps_in: With a gate: where the payer steps in ``(scenarios,)``.
        timeline: The months (whose totals the repayment takes).
        start: The month of the arrays' first column.
    """
    month = start + np.arange(cost.shape[1])[None, :]
    received = np.asarray(gross.sum(axis=0))
    if gate_month is None:
        assert end is not None  # validated: months or a gate
        partner = np.where(month < end, cost, 0.0)
        return PrefinancingFlows(gross, partner, None, None, None, cost - partner, received)
    assert steps_in is not None  # the financing gate decided where the payer steps in
    stepping = steps_in[:, None]
    partner = np.where(month < gate_month, cost, 0.0)
    step_in = np.where((month >= gate_month) & stepping, cost, 0.0)
    repayment = financing.repay_share * timeline.total(partner, start) * stepping[:, 0]
    own_funds = cost - partner - step_in
    return PrefinancingFlows(gross, partner, step_in, repayment, gate_month, own_funds, received)


def entries(
    contract: OutcomeContract, financing: Prefinancing, flows: PrefinancingFlows
) -> tuple[Entry, ...]:
    """The series the flows go to, in the order they are recorded."""
    c, provider, partner = contract.id, contract.provider, financing.partner
    found = list(outcome_payments(contract, flows.cash))
    if flows.step_in is not None:
        assert flows.repayment is not None
        assert flows.gate_month is not None
        payer, fund = financing.step_in_payer or "", financing.step_in_fund or ""
        found += [
            Entry(SeriesKey("step_in_funding", payer, provider, c, fund=fund), flows.step_in),
            Entry(
                SeriesKey("prefinancing_repayment", payer, partner, c, fund=fund),
                flows.repayment,
                month=flows.gate_month,
            ),
        ]
    fund = financing.partner_fund or ""
    return (
        *found,
        Entry(SeriesKey("provider_own_funds", provider, "", c), flows.own_funds),
        Entry(SeriesKey("prefinancing", partner, provider, c, fund=fund), flows.partner),
        Entry(SeriesKey("provider_receipt", c, provider, c), flows.receipt),
    )
