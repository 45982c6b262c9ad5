"""Provider financing (DESIGN §4.5): the provider pays the delivery cost c from its own funds;
all outcome cash O received is ``provider_receipt``."""

from __future__ import annotations

import attrs
import numpy as np

from ..model.contracts import OutcomeContract
from .layout import Entry
from .payments import outcome_payments
from .series import SeriesKey

__all__ = ["ProviderFlows", "entries", "finance"]


@attrs.frozen(eq=False)
class ProviderFlows:
    """The flows of a provider-financed contract, ``(scenarios, months)`` each.

    Attributes:
        cash: Each payer's outcome payment, ``(payers, scenarios, months)``.
        own_funds: What the provider pays from its own funds: the cost.
        receipt: What the provider receives: O, every payer's payment.
    """

    cash: np.ndarray
    own_funds: np.ndarray
    receipt: np.ndarray


def finance(gross: np.ndarray, cost: np.ndarray) -> ProviderFlows:
    """The provider carries the cost ``(scenarios, months)``; it receives the payments ``gross``."""
    return ProviderFlows(gross, cost, np.asarray(gross.sum(axis=0)))


def entries(contract: OutcomeContract, flows: ProviderFlows) -> tuple[Entry, ...]:
    """The series the flows go to, in the order they are recorded."""
    c, provider = contract.id, contract.provider
    return (
        *outcome_payments(contract, flows.cash),
        Entry(SeriesKey("provider_own_funds", provider, "", c), flows.own_funds),
        Entry(SeriesKey("provider_receipt", c, provider, c), flows.receipt),
    )
