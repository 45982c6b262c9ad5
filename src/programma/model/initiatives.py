"""Initiatives: what is delivered, what it costs, and who pays for it."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator

import attrs

from .._errors import Problem, described
from .checks import (
    Checked,
    add_months,
    as_float,
    as_floats,
    as_tuple,
    at_least,
    between,
    first_of_month,
    identifier,
    identifiers,
    months_count,
    text,
    vocabulary,
)
from .distributions import Distribution, Fixed, to_distribution
from .domains import NON_NEGATIVE, RATE, bounded
from .vocabulary import CostProfile

__all__ = ["FundShare", "Initiative"]


@attrs.frozen
class FundShare(Checked):
    """The share of a cost that a fund pays.

    >>> FundShare("pilotfonds", 0.5).share
    0.5
    """

    fund: str
    share: float = attrs.field(converter=as_float)

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("fund", self.fund)
        yield from between("share", self.share, 0.0, 1.0)
        if self.share == 0.0:
            yield Problem("share", "a share > 0 (leave the fund out instead)", self.share)


@attrs.frozen
class Initiative(Checked):
    """An initiative: a commitment spread over months by a cost profile.

    Its cost in month m is ``commitment × overrun × weight(m − start − delay) × index(m)``,
    paid by its funds by their shares (``grant``), or by the financing of the contract that
    pays for it (then it lists no funds).

    Attributes:
        id: Unique among the programme's initiatives.
        name: The initiative's name.
        owner: The id of the stakeholder that owns (delivers) it.
        commitment: The total cost at price-base prices, before overrun (≥ 0).
        start: The planned first month.
        duration_months: How many months the cost is spread over.
        cost_profile: flat, front-loaded, s-curve, or explicit (``cost_weights``).
        cost_weights: For an explicit profile, one weight per month, summing to 1.
        delay: Months of delay before the cost starts (≥ 0; fractions split a month).
        overrun: A factor on the commitment (≥ 0; 1 is on budget).
        indexation: The yearly price rate (> −1), possibly a yearly path.
        pilot: Whether it is a pilot.
        quick_win: Whether it is a quick win (a visible short-term result).
        areas: The ids of the areas it works in.
        funds: The funds that pay for it, with shares summing to 1.
        interests: The ids of the interests it serves.
        description: What it is.

    >>> i = Initiative("werkfit", "Werkfit", "provider-a", 680_000, dt.date(2022, 1, 1), 24,
    ...                funds=[FundShare("pilotfonds", 1.0)])
    >>> i.end
    datetime.date(2023, 12, 1)
    """

    id: str
    name: str
    owner: str
    commitment: Distribution = attrs.field(
        converter=to_distribution, metadata=bounded(NON_NEGATIVE)
    )
    start: dt.date
    duration_months: int
    cost_profile: CostProfile = attrs.field(default=CostProfile.FLAT, **vocabulary(CostProfile))
    cost_weights: tuple[float, ...] | None = attrs.field(
        default=None, converter=attrs.converters.optional(as_floats)
    )
    delay: Distribution = attrs.field(
        default=Fixed(0.0), converter=to_distribution, metadata=bounded(NON_NEGATIVE)
    )
    overrun: Distribution = attrs.field(
        default=Fixed(1.0), converter=to_distribution, metadata=bounded(NON_NEGATIVE)
    )
    indexation: Distribution = attrs.field(
        default=Fixed(0.0), converter=to_distribution, metadata=bounded(RATE, yearly=True)
    )
    pilot: bool = False
    quick_win: bool = False
    areas: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    funds: tuple[FundShare, ...] = attrs.field(default=(), converter=as_tuple)
    interests: tuple[str, ...] = attrs.field(default=(), converter=as_tuple)
    description: str | None = None

    @property
    def end(self) -> dt.date:
        """The planned last month (before any delay)."""
        return add_months(self.start, self.duration_months - 1)

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        yield from text("name", self.name)
        yield from identifier("owner", self.owner)
        yield from first_of_month("start", self.start)
        yield from months_count("duration_months", self.duration_months)
        yield from self._weight_problems()
        yield from identifiers("areas", self.areas)
        yield from identifiers("interests", self.interests)
        funds = [share.fund for share in self.funds]
        for index, fund in enumerate(funds):
            if fund in funds[:index]:
                yield Problem(f"funds[{index}].fund", "each fund listed once", fund)
        if self.description is not None:
            yield from text("description", self.description)

    def _weight_problems(self) -> Iterator[Problem]:
        weights = self.cost_weights
        if self.cost_profile is not CostProfile.EXPLICIT:
            if weights is not None:
                yield Problem(
                    "cost_weights",
                    "no weights unless cost_profile is 'explicit'",
                    list(weights),
                )
            return
        if weights is None:
            yield Problem("cost_weights", "one weight per month for an explicit profile", None)
            return
        if isinstance(self.duration_months, int) and len(weights) != self.duration_months:
            yield Problem(
                "cost_weights",
                f"{self.duration_months} weights (one per month of duration_months)",
                described(f"{len(weights)} weights"),
            )
        problems = [
            problem
            for index, weight in enumerate(weights)
            for problem in at_least(f"cost_weights[{index}]", weight, 0.0)
        ]
        yield from problems
        if not problems and not math.isclose(math.fsum(weights), 1.0, rel_tol=0, abs_tol=1e-9):
            yield Problem("cost_weights", "weights that sum to 1", math.fsum(weights))
