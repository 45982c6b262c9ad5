"""Funds: the pots money is paid from, with their amounts per fiscal year."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from .._errors import Problem
from .checks import (
    Checked,
    YearAmounts,
    identifier,
    text,
    to_year_amounts,
    vocabulary,
    year_amounts,
)
from .vocabulary import FundKind

__all__ = ["Fund"]


@attrs.frozen
class Fund(Checked):
    """A fund (or budget line) owned by a stakeholder, with an amount per fiscal year.

    A fiscal year not listed in ``amounts`` has no budget (0). With ``carry_over``, what is left
    of a year's available budget is added to the next year's.

    Attributes:
        id: Unique among the programme's funds.
        name: The fund's name.
        kind: Where its money comes from.
        owner: The id of the stakeholder that owns it.
        amounts: The budget per fiscal year (labelled by the calendar year it starts in).
        carry_over: Whether unspent budget carries to the next fiscal year.

    >>> f = Fund("resultatenfonds", "Results fund", FundKind.RESULTS, "gemeente",
    ...          {2023: 400_000, 2024: 400_000}, carry_over=True)
    >>> f.amount(2024), f.amount(2030)
    (400000.0, 0.0)
    """

    id: str
    name: str
    kind: FundKind = attrs.field(**vocabulary(FundKind))
    owner: str
    amounts: YearAmounts = attrs.field(default=(), converter=to_year_amounts)
    carry_over: bool = False

    def amount(self, year: int) -> float:
        """The budget for fiscal ``year`` (0 when not listed)."""
        return dict(self.amounts).get(year, 0.0)

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        yield from text("name", self.name)
        yield from identifier("owner", self.owner)
        yield from year_amounts("amounts", self.amounts)
