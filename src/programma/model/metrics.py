"""Outcome metrics: what a contract pays for, at what price, and how often it is achieved."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from .._errors import Problem
from .checks import Checked, as_float, between, identifier, optional_at_least, text
from .distributions import Distribution, Fixed, to_distribution
from .domains import NON_NEGATIVE, RATE, SHARE, bounded

__all__ = ["OutcomeMetric"]


@attrs.frozen
class OutcomeMetric(Checked):
    """An outcome a contract pays for, per participant who achieves it.

    Of the participants who reach their time to outcome, ``share_achieving`` achieve it. Only
    the improvement over the ``baseline`` (what would have happened anyway) is payable, and only
    when it reaches the ``threshold`` (in absolute share points).

    Attributes:
        id: Unique among the contract's metrics.
        definition: What counts as the outcome, and how it is evidenced.
        price: The rate-card price per payable outcome, at price-base prices (≥ 0).
        share_achieving: The share of the cohort that achieves the outcome, in [0, 1].
        baseline: The share that would achieve it anyway, in [0, 1].
        threshold: The least improvement ``share_achieving − baseline`` that is paid, in [0, 1].
        time_to_outcome: Months from enrolment to the outcome (≥ 0).
        cap_per_participant: The most paid per enrolled participant (pooled over the cohort).
        cap_count: The most outcomes paid.
        cap_value: The most money paid.
        indexation: The yearly price rate (> −1), possibly a yearly path.
        value_per_outcome: The public value or saving of one outcome, for value for money.
        name: A short name.

    >>> m = OutcomeMetric("job", "Paid work for 6 months", price=8_000,
    ...                   share_achieving=0.4, baseline=0.1, time_to_outcome=12)
    >>> m.price
    Fixed(value=8000.0)
    """

    id: str
    definition: str
    price: Distribution = attrs.field(converter=to_distribution, metadata=bounded(NON_NEGATIVE))
    share_achieving: Distribution = attrs.field(converter=to_distribution, metadata=bounded(SHARE))
    baseline: Distribution = attrs.field(
        default=Fixed(0.0), converter=to_distribution, metadata=bounded(SHARE)
    )
    threshold: float = attrs.field(default=0.0, converter=as_float)
    time_to_outcome: Distribution = attrs.field(
        default=Fixed(0.0), converter=to_distribution, metadata=bounded(NON_NEGATIVE)
    )
    cap_per_participant: float | None = attrs.field(
        default=None, converter=attrs.converters.optional(as_float)
    )
    cap_count: float | None = attrs.field(
        default=None, converter=attrs.converters.optional(as_float)
    )
    cap_value: float | None = attrs.field(
        default=None, converter=attrs.converters.optional(as_float)
    )
    indexation: Distribution = attrs.field(
        default=Fixed(0.0), converter=to_distribution, metadata=bounded(RATE, yearly=True)
    )
    value_per_outcome: Distribution | None = attrs.field(
        default=None,
        converter=attrs.converters.optional(to_distribution),
        metadata=bounded(NON_NEGATIVE),
    )
    name: str | None = None

    def _problems(self) -> Iterator[Problem]:
        yield from identifier("id", self.id)
        yield from text("definition", self.definition)
        yield from between("threshold", self.threshold, 0.0, 1.0)
        yield from optional_at_least("cap_per_participant", self.cap_per_participant, 0.0)
        yield from optional_at_least("cap_count", self.cap_count, 0.0)
        yield from optional_at_least("cap_value", self.cap_value, 0.0)
        if self.name is not None:
            yield from text("name", self.name)
