"""Lesson 7 of the design review: aim at system change."""

from __future__ import annotations

import math
from collections.abc import Iterator

from ...model.moments import mean_of
from ...model.programme import Programme
from .base import Hit, ReviewConfig, Severity, _rule


def concentration_of(programme: Programme) -> tuple[float, list[tuple[str, float]]]:
    """The Herfindahl–Hirschman index of expected commitments, and each initiative's share.

    The index is the sum of the squared shares of the initiatives' expected commitments (at
    price-base prices, before overrun and indexation): 1 when one initiative has all the money,
    1/n when n initiatives share it equally. Shares are sorted largest first; with no money
    the index is NaN.

    >>> from programma.examples import leeuwarden_oost
    >>> index, shares = concentration_of(leeuwarden_oost())
    >>> round(index, 3), shares[0][0]
    (0.201, 'structurele-aanpak')
    """
    parameters = programme.parameter_distributions
    amounts = [
        (
            i.id,
            mean_of(i.commitment, parameters, year=programme.fiscal_year(i.start)),
        )
        for i in programme.initiatives
    ]
    total = math.fsum(amount for _, amount in amounts)
    if total <= 0:
        return math.nan, []
    shares = sorted(((key, amount / total) for key, amount in amounts), key=lambda s: -s[1])
    return math.fsum(share * share for _, share in shares), shares


@_rule(
    "money-spread-thin",
    lesson=7,
    severity=Severity.WARNING,
    summary="Money spread thin over initiatives.",
    condition=(
        "The programme's initiatives have expected commitments that sum to more than 0, and "
        "with concentration 'hhi' (the default) their Herfindahl–Hirschman index (the sum of "
        "the squared shares) is below min_hhi (default 0.1, i.e. more spread than ten equal "
        "initiatives); with concentration 'top-k' the top_k (default 3) largest together have a"
        " share below min_top_k_share (default 0.5)."
    ),
    settings=("concentration", "min_hhi", "top_k", "min_top_k_share"),
)
def _money_spread_thin(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    index, shares = concentration_of(p)
    if not shares:
        return
    largest = ", ".join(f"{key!r} {share:.0%}" for key, share in shares[:3])
    advice = (
        "concentrate the money on fewer initiatives that serve the shared interest and can "
        "make a real difference, rather than a little of everything."
    )
    if config.concentration == "hhi":
        if index < config.min_hhi:
            yield (
                "initiatives",
                f"Money is spread thin over {len(shares)} initiatives: the Herfindahl–Hirschman "
                f"index of their expected commitments is {index:.3f}, below {config.min_hhi:g} "
                f"(as if {1 / index:.1f} initiatives shared it equally; largest: {largest}): "
                + advice,
            )
    else:
        top = math.fsum(share for _, share in shares[: config.top_k])
        if top < config.min_top_k_share:
            yield (
                "initiatives",
                f"Money is spread thin over {len(shares)} initiatives: the {config.top_k} "
                f"largest take {top:.0%} of the expected commitments, below "
                f"{config.min_top_k_share:.0%} (largest: {largest}): " + advice,
            )


@_rule(
    "serves-no-interest",
    lesson=7,
    severity=Severity.WARNING,
    summary="An initiative or contract serving no stated interest.",
    condition=(
        "An initiative (path initiatives[i].interests) or a contract (path "
        "contracts[j].interests) that lists no interest."
    ),
)
def _serves_no_interest(p: Programme, config: ReviewConfig) -> Iterator[Hit]:
    advice = (
        "serves no stated interest: name the interests it serves, or reconsider it — money "
        "that serves no one's stated interest does not change the system."
    )
    for i, initiative in enumerate(p.initiatives):
        if not initiative.interests:
            yield f"initiatives[{i}].interests", f"Initiative {initiative.id!r} {advice}"
    for j, contract in enumerate(p.contracts):
        if not contract.interests:
            yield f"contracts[{j}].interests", f"Contract {contract.id!r} {advice}"
