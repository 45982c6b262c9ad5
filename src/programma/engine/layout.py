"""Which series a run produces, in which order, and how they are kept per period.

DESIGN §4.7: every flow is a non-negative amount with a flow name, a payer and a payee, a month,
and the contract or initiative it belongs to; the caller chooses the resolution kept per
scenario, and monthly arrays exist only inside a chunk. Series are therefore summed into their
kept periods as they are computed (:class:`Accumulator`): there is never a
scenarios × months × series array.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from ..model.contracts import OutcomeContract
from ..model.initiatives import Initiative
from ..model.programme import Programme
from ..periods.grid import Resolution, TimeGrid
from .series import SeriesKey

__all__ = [
    "DISCOUNTED",
    "FUND_OUTFLOWS",
    "Accumulator",
    "Entry",
    "InitiativeTargets",
    "Layout",
    "declare_series",
    "initiative_targets",
]

FUND_OUTFLOWS: tuple[str, ...] = (
    "grant",
    "outcome_payment",
    "advance",
    "step_in_funding",
    "prefinancing",
    "prefinancing_repayment",
    "guarantee_payment",
    "advance_refund",
)
"""The flows that make up a fund's cash outflow (an advance refund counts negatively, §4.8.10)."""

DISCOUNTED = frozenset({*FUND_OUTFLOWS, "advance_offset"})
"""The flows whose present values the run adds up."""


class Entry(NamedTuple):
    """One amount a rule hands the orchestrator to record in a series.

    ``values`` is monthly ``(scenarios, months)``; with ``month`` set it is ``(scenarios,)``,
    added in that month; with ``balance`` it is a monthly balance, kept at each period's end.
    """

    key: SeriesKey
    values: np.ndarray
    month: int | None = None
    balance: bool = False


class Layout:
    """The series a run produces, in a fixed order, with their positions."""

    def __init__(self) -> None:
        self.keys: list[SeriesKey] = []
        self.position: dict[SeriesKey, int] = {}

    def add(self, key: SeriesKey) -> int:
        """Add ``key`` if new; return its position."""
        if key not in self.position:
            self.position[key] = len(self.keys)
            self.keys.append(key)
        return self.position[key]


class InitiativeTargets(NamedTuple):
    """Where an initiative's cost is recorded, each series with the share of the cost it gets.

    ``inside`` takes the cost inside the horizon (grants from its funds and, unless a contract
    pays for it, its delivery cost); ``past_horizon`` what falls after it (§4.8.12).
    """

    inside: tuple[tuple[SeriesKey, float], ...]
    past_horizon: tuple[tuple[SeriesKey, float], ...]


def initiative_targets(
    initiative: Initiative, fund_owners: Mapping[str, str], paid: bool, individually: bool
) -> InitiativeTargets:
    """The series an initiative's cost goes to (DESIGN §4.7).

    Kept ``individually``, the initiative has its own series. Otherwise its cost is summed with
    the other initiatives' per fund and per area: each of its areas takes an equal share, and
    an initiative without areas goes to the series whose ``area`` is empty. A contract that
    pays for the initiative records its delivery cost, so ``paid`` leaves that out here.
    """
    owner = initiative.owner
    if individually:
        spread: tuple[tuple[str, float], ...] = (("", 1.0),)
        own = initiative.id
    else:
        areas = initiative.areas or ("",)
        spread = tuple((area, 1.0 / len(areas)) for area in areas)
        own = ""
    inside: list[tuple[SeriesKey, float]] = []
    for share in initiative.funds:
        payer = fund_owners[share.fund]
        for area, part in spread:
            key = SeriesKey("grant", payer, owner, "", own, share.fund, area=area)
            inside.append((key, share.share * part))
    if not paid:  # paid by its funds: the owner carries the cost
        for area, part in spread:
            inside.append(
                (SeriesKey("delivery_cost", owner, owner, initiative=own, area=area), part)
            )
    past = tuple(
        (SeriesKey("unpaid_after_end", "", owner, initiative=own, area=area), part)
        for area, part in spread
    )
    return InitiativeTargets(tuple(inside), past)


def declare_series(
    programme: Programme,
    targets: Mapping[str, InitiativeTargets],
    financing_series: Callable[[OutcomeContract], list[SeriesKey]],
) -> Layout:
    """Every series a run of ``programme`` produces, in order.

    Args:
        programme: The programme.
        targets: Each initiative's series (see :func:`initiative_targets`).
        financing_series: The series a contract's financing mode adds.
    """
    layout = Layout()
    add = layout.add
    declared: set[int] = set()  # initiatives summed alike share one InitiativeTargets
    for initiative in programme.initiatives:
        chosen = targets[initiative.id]
        if id(chosen) in declared:
            continue
        declared.add(id(chosen))
        for key, _ in (*chosen.inside, *chosen.past_horizon):
            add(key)
    for contract in programme.contracts:
        c = contract.id
        for initiative_id in contract.initiatives:
            owner = programme.find("initiatives", initiative_id).owner
            add(SeriesKey("delivery_cost", contract.provider, owner, c, initiative_id))
        for metric in contract.metrics:
            for name in ("outcomes_achieved", "outcomes_paid", "earned", "earned_capped"):
                add(SeriesKey(name, contract=c, metric=metric.id))
        for payer in contract.payers:
            for name in ("outcome_payment", "cap_forfeited", "unpaid_after_end"):
                add(SeriesKey(name, payer.payer, c, c, fund=payer.fund))
        add(SeriesKey("provider_receipt", c, contract.provider, c))
        add(SeriesKey("provider_own_funds", contract.provider, "", c))
        add(SeriesKey("receipts_used", c, contract.provider, c))
        for key in financing_series(contract):
            add(key)
    for fund in programme.funds:
        add(SeriesKey("budget", fund.owner, "", fund=fund.id))
        add(SeriesKey("budget_gap", fund.owner, "", fund=fund.id))
        add(SeriesKey("fund_outflow", fund.owner, "", fund=fund.id))
        add(SeriesKey("fund_earned", fund.owner, "", fund=fund.id))
    return layout


class Accumulator:
    """Series summed into periods as they arrive: ``values[series, scenario, period]``."""

    def __init__(self, grid: TimeGrid, resolution: Resolution, series: int, scenarios: int):
        self.group, labels = grid.groups(resolution)
        self.starts = grid.starts(resolution)
        self.ends = np.r_[self.starts[1:] - 1, grid.months - 1]
        self.monthly = len(labels) == grid.months
        self.values = np.zeros((series, scenarios, len(labels)))

    def reduce(self, monthly: np.ndarray, start: int = 0) -> tuple[slice, np.ndarray]:
        """A monthly series ``(scenarios, w)`` summed into the kept periods: those periods, and
        the sums. The months are ``start … start + w − 1``: whole periods."""
        periods = self.periods(start, monthly.shape[1])
        if self.monthly:
            return periods, monthly
        return periods, np.add.reduceat(monthly, self.starts[periods] - start, axis=1)

    def add_last(self, column: int, monthly: np.ndarray, start: int = 0) -> None:
        """Add a monthly balance ``(scenarios, w)`` of the months ``start … start + w − 1``
        (whole periods), taken at each period's last month."""
        periods = self.periods(start, monthly.shape[1])
        self.values[column][:, periods] += monthly.take(self.ends[periods] - start, axis=1)

    def periods(self, start: int, months: int) -> slice:
        """The periods the months ``start … start + months − 1`` make up: whole periods."""
        first, last = int(self.group[start]), int(self.group[start + months - 1])
        assert self.starts[first] == start, "the months start a period"
        assert self.ends[last] == start + months - 1, "the months end a period"
        return slice(first, last + 1)

    def add_at(self, column: int, months: np.ndarray, values: np.ndarray) -> None:
        """Add ``values[:, j]`` ``(scenarios, len(months))`` in month ``months[j]``."""
        periods = self.group[months]
        if periods.size < 2 or (np.diff(periods) > 0).all():  # each period once: one add each
            self.values[column][:, periods] += values
        else:
            np.add.at(self.values[column].T, periods, values.T)
