"""What value for money needs per scenario, from the same keyed streams as a run.

A metric's ``value_per_outcome`` (its public value or saving) does not change any flow, so a
run does not draw it. It is drawn here, per scenario, from its own keyed stream
``contracts/{contract}/metrics/{metric}/value_per_outcome`` (DESIGN §4.1): scenario *i* of a
Monte Carlo run of *n* scenarios under a seed gets the draw it would get in any other run of
that seed, and a value that refers to a named parameter sees the parameter's draw in the run.
The metric's share achieving and baseline, and the programme's deflator, are drawn with the
run's own keys (so, bit for bit, the run's own draws).
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from ..model.programme import Programme
from ..uncertainty.sampling import BLOCK_SIZE, Draws
from . import cohorts
from .timeline import Timeline, price_index

__all__ = ["MetricValues", "ValueDraws", "value_draws"]


@attrs.frozen(eq=False)
class MetricValues:
    """One metric's draws per scenario, each ``(scenarios,)``.

    Attributes:
        contract: The contract's id.
        metric: The metric's id.
        value: The value per outcome, or ``None`` where the metric has none.
        share: The share achieving, s.
        baseline: The baseline, b.
    """

    contract: str
    metric: str
    value: np.ndarray | None
    share: np.ndarray
    baseline: np.ndarray


@attrs.frozen(eq=False)
class ValueDraws:
    """Every metric's draws, and the deflator's price index by month (``None``: nominal)."""

    metrics: tuple[MetricValues, ...]
    deflator: np.ndarray | None


def value_draws(programme: Programme, *, scenarios: int | None, seed: int) -> ValueDraws:
    """Draw each metric's value per outcome, share and baseline for a run's scenarios.

    Args:
        programme: The programme.
        scenarios: The run's Monte Carlo scenarios, or ``None`` for expected mode (every
            distribution at its mean).
        seed: The run's seed.

    Returns:
        The draws of scenarios 0 … ``scenarios`` − 1 (one "scenario" in expected mode); the
        deflator's index ``(scenarios, months)`` when the programme has one.

    >>> from programma.examples import leeuwarden_oost
    >>> drawn = value_draws(leeuwarden_oost(), scenarios=None, seed=0)
    >>> drawn.metrics[0].metric, drawn.metrics[0].value.tolist()
    ('uitstroom', [8442.0])
    """
    timeline = Timeline.of(programme)
    blocks = None if scenarios is None else math.ceil(scenarios / BLOCK_SIZE)
    draws = Draws(programme.parameter_distributions, timeline.years, seed=seed, blocks=blocks)
    size = 1 if scenarios is None else scenarios
    found = []
    for contract in programme.contracts:
        for metric in contract.metrics:
            drawn = cohorts.metric_draws(contract, metric, draws)
            value = cohorts.value_per_outcome(contract, metric, draws)
            found.append(
                MetricValues(
                    contract=contract.id,
                    metric=metric.id,
                    value=None if value is None else value[:size].copy(),
                    share=drawn.share[:size].copy(),
                    baseline=drawn.baseline[:size].copy(),
                )
            )
    deflator = None
    if programme.deflator is not None:
        index = price_index(draws.yearly("programme/deflator", programme.deflator), timeline)
        deflator = np.ascontiguousarray(index[:size, : timeline.months])
    return ValueDraws(tuple(found), deflator)
