"""The domains a field's distribution must stay in: ``Domain``, ``within``, ``bounded``.

A field whose values are bounded (a share in [0, 1], an amount ≥ 0, a yearly rate > −1) refuses
a distribution whose support could leave its domain unless it is explicitly truncated: nothing
is clamped silently (DESIGN §3a).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping

import attrs

from .._errors import Problem, described
from .checks import MAX_MAGNITUDE, fmt_number
from .distributions import Discrete, Distribution, Fixed, Uniform, Yearly, describe
from .moments import is_yearly, mean_of, refers, support_of

__all__ = ["NON_NEGATIVE", "RATE", "SHARE", "Domain", "bounded", "within"]


@attrs.frozen
class Domain:
    """The values a field may take: ``[low, high]``, or ``(low, high]`` when ``open_low``.

    ``limit`` bounds the values a distribution with a finite support may reach (a fixed
    number, a uniform, a truncated normal); a distribution without an upper end (lognormal,
    Poisson) is judged by ``high`` alone, and the engine reports a run it drives past what
    floating point holds.
    """

    low: float
    high: float
    open_low: bool = False
    limit: float = MAX_MAGNITUDE

    @property
    def phrase(self) -> str:
        """The domain in words, as messages show it.

        >>> Domain(0.0, 1.0).phrase
        'in [0, 1]'
        >>> Domain(-1.0, math.inf, open_low=True).phrase
        '> −1'
        """
        if self.high == math.inf:
            return f"{'>' if self.open_low else '≥'} {fmt_number(self.low).replace('-', '−')}"
        bracket = "(" if self.open_low else "["
        return f"in {bracket}{fmt_number(self.low)}, {fmt_number(self.high)}]"

    def holds(self, low: float, high: float) -> bool:
        """Whether every value in ``[low, high]`` lies in the domain."""
        above = low > self.low if self.open_low else low >= self.low
        return above and high <= self.high

    def beyond_limit(self, high: float) -> bool:
        """Whether a finite upper end ``high`` lies past :attr:`limit`."""
        return math.isfinite(high) and high > self.limit


MAX_RATE = 1.0
"""The largest finite value a yearly rate (indexation, a price index) may take: 100% a year."""

NON_NEGATIVE = Domain(0.0, math.inf)
SHARE = Domain(0.0, 1.0)
RATE = Domain(-1.0, math.inf, open_low=True, limit=MAX_RATE)


def _mean_beyond(
    dist: Distribution, parameters: Mapping[str, Distribution] | None, limit: float
) -> bool:
    """Whether the mean of ``dist`` (of any year of a yearly path) exceeds ``limit``."""
    values = [value for _, value in dist.by_year] if isinstance(dist, Yearly) else [dist]
    try:
        return any(mean_of(value, parameters) > limit for value in values)
    except (KeyError, TypeError, ValueError):  # a reference the programme reports itself
        return False


def within(
    path: str,
    dist: Distribution,
    domain: Domain,
    parameters: Mapping[str, Distribution] | None = None,
    *,
    yearly: bool = False,
) -> Iterator[Problem]:
    """Problems if ``dist`` can take a value outside ``domain`` (or is yearly where not allowed).

    A reference to a parameter that is not given is not judged here (the programme reports it).

    >>> from programma import Normal
    >>> for problem in within("price", Normal(100, 10), NON_NEGATIVE):
    ...     print(problem)  # doctest: +NORMALIZE_WHITESPACE
    price: expected a distribution whose values stay ≥ 0 (truncate it explicitly with
    low/high), got normal(mean=100, sd=10), which ranges over (−∞, ∞)
    """
    if not yearly and is_yearly(dist, parameters):
        yield Problem(
            path,
            "a distribution of one value per scenario (yearly paths are for indexation rates)",
            described(describe(dist)),
        )
        return
    support = support_of(dist, parameters)
    if support is None or math.isnan(support[0]) or math.isnan(support[1]):
        return  # NaN in the distribution itself is its own field's problem
    if domain.holds(*support):
        # a number past the limit in the distribution itself is its own field's problem
        own = support[1] > MAX_MAGNITUDE and not refers(dist)
        rate = domain is RATE
        if domain.beyond_limit(support[1]) and not own:
            limit = fmt_number(domain.limit)
            given = dist.value if isinstance(dist, Fixed) else described(describe(dist))
            yield Problem(
                path,
                f"values of at most {limit}"
                + (" (100% a year)" if rate else " (the limit on any number in a programme)"),
                given,
            )
        elif rate and math.isinf(support[1]) and _mean_beyond(dist, parameters, domain.limit):
            limit = fmt_number(domain.limit)
            # Unbounded above, it may exceed the limit in a scenario; on average it may not,
            # as its expected mode (every distribution at its mean) would be refused.
            yield Problem(
                path,
                f"a distribution whose mean is at most {limit} (100% a year)",
                described(describe(dist)),
            )
        return
    if isinstance(dist, Fixed):
        yield Problem(path, f"a number {domain.phrase}", dist.value)
        return
    low, high = (fmt_number(bound) for bound in support)
    hint = "" if isinstance(dist, Discrete) else " (truncate it explicitly with low/high)"
    yield Problem(
        path,
        f"a distribution whose values stay {domain.phrase}{hint}",
        described(f"{describe(dist)}, which ranges over ({low}, {high})"),
    )


def bounded(domain: Domain, *, yearly: bool = False) -> dict[str, object]:
    """Field metadata for a distribution field whose values must stay in ``domain``.

    Use as ``attrs.field(converter=to_distribution, metadata=bounded(SHARE))``.
    """

    # within()'s answer for a fixed float or a uniform of floats inside the domain, found
    # without working out a support: a programme holds many of them, nearly all inside.
    low, high, open_low = domain.low, min(domain.high, domain.limit), domain.open_low

    def check(
        path: str, value: Distribution, parameters: Mapping[str, Distribution] | None
    ) -> Iterable[Problem]:
        kind = type(value)
        if kind is Fixed or kind is Uniform:
            first, last = (
                (value.value, value.value) if kind is Fixed else (value.low, value.high)  # type: ignore[union-attr]
            )
            if (
                type(first) is float
                and type(last) is float
                and last <= high
                and (low < first if open_low else low <= first)
            ):
                return ()
        return within(path, value, domain, parameters, yearly=yearly)

    return {"check": check, "domain": domain, "yearly": yearly}
