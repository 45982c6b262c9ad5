"""Attributing amounts to areas: an entity's amount split equally over the areas it names.

An entity's areas say where it works, not how much in each, so an amount is split equally
over them; an amount whose entity names no area goes to :data:`PROGRAMME_WIDE`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["PROGRAMME_WIDE", "split_over_areas"]

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
