"""Attributing amounts to areas: an entity's amount split equally over the areas it names.

An entity's areas say where it works, not how much in each, so an amount is split equally
over them; an amount whose entity names no area goes to :data:`PROGRAMME_WIDE`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from ..engine.layout import FUND_OUTFLOWS
from ..engine.projection import Projection

__all__ = ["PROGRAMME_WIDE", "area_outflows", "split_over_areas"]

PROGRAMME_WIDE = "(programme-wide)"
"""The area of money whose contract or initiative names no area (no id can take this name)."""


def split_over_areas(
    amounts: Iterable[tuple[Sequence[str], np.ndarray]], areas: Sequence[str], scenarios: int
) -> dict[str, np.ndarray]:
    """Each amount split equally over its areas, or given to :data:`PROGRAMME_WIDE`.

    Amounts are added one by one in the order given, so two runs that share an amount's
    terms get bit-identical totals for the areas they share.

    Args:
        amounts: Pairs of (the entity's areas, its amount per scenario ``(scenarios,)``).
        areas: Every area, in the order of the result; :data:`PROGRAMME_WIDE` comes last.
        scenarios: The number of scenarios.

    Returns:
        Per area (and :data:`PROGRAMME_WIDE`), the total per scenario.

    >>> split = split_over_areas([(("a", "b"), np.array([6.0])), ((), np.array([1.0]))],
    ...                          ["a", "b"], 1)
    >>> {area: total.tolist() for area, total in split.items()}
    {'a': [3.0], 'b': [3.0], '(programme-wide)': [1.0]}
    """
    out = {area: np.zeros(scenarios) for area in areas}
    out[PROGRAMME_WIDE] = np.zeros(scenarios)
    for named, amount in amounts:
        targets = tuple(named) or (PROGRAMME_WIDE,)
        share = amount / len(targets)
        for area in targets:
            out[area] += share
    return out


def area_outflows(projection: Projection) -> dict[str, np.ndarray]:
    """The funds' outflow over the horizon per area and scenario, each payment split over its areas.

    A payment for a contract goes to the contract's areas, a grant to its initiative's (or, with
    the initiatives summed per fund and area, to the area of its series); an advance refund
    counts against them.

    Series are added one by one in their order, so an area whose payments two designs share
    gets bit-identical totals in both.
    """
    p = projection.programme
    funds = {f.id for f in p.funds}
    areas_of = {c.id: tuple(c.areas) for c in p.contracts}
    areas_of_initiative = {i.id: tuple(i.areas) for i in p.initiatives}
    totals = projection.values.sum(axis=1)  # (scenarios, series): the horizon

    def payments() -> Iterator[tuple[tuple[str, ...], np.ndarray]]:
        for n, key in enumerate(projection.series):
            if key.flow not in FUND_OUTFLOWS or key.fund not in funds:
                continue
            sign = -1.0 if key.flow == "advance_refund" else 1.0
            if key.area:  # initiatives summed in the area's series: already split
                areas: tuple[str, ...] = (key.area,)
            elif key.contract:
                areas = areas_of.get(key.contract, ())
            else:
                areas = areas_of_initiative.get(key.initiative, ())
            yield areas, sign * totals[:, n]

    return split_over_areas(payments(), [area.id for area in p.areas], projection.scenarios)
