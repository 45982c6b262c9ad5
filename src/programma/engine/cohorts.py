"""Enrolment and outcomes (DESIGN §4.3, with §4.8.1 for the time to outcome).

- Enrolment E[m] from the contract's windows, scaled or stopped by gates from the gate month on,
  with optional Poisson noise (§4.1).
- The cohort reaching its outcome time in month m is R[m] = Σ_k E[m−k]·P(k), where
  P(k) = Pr(k ≤ X < k+1) over whole months (a fixed x puts all its mass at ⌊x⌋).
- Achieved outcomes A[m] = s·R[m]; payable outcomes Q[m] = max(0, s − b)·R[m] if (s − b) ≥ τ,
  else 0 (τ with a relative tolerance of 1e-9).
- Verified in month v = m + lag; the value earned is Q[m] × price × index(v).

The single letters in formulas are DESIGN's notation.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import attrs
import numpy as np

from ..model.contracts import OutcomeContract
from ..model.distributions import Ref, Samples, Scalar, Yearly
from ..model.metrics import OutcomeMetric
from ..uncertainty.cdf import month_pmf
from ..uncertainty.sampling import Draws
from .timeline import Timeline

__all__ = [
    "THRESHOLD_TOLERANCE",
    "MetricDraws",
    "Outcomes",
    "base_enrolment",
    "cohort",
    "enrolled_by_verification",
    "enrolment",
    "metric_draws",
    "outcomes",
    "value_per_outcome",
]

THRESHOLD_TOLERANCE = 1e-9
"""Relative tolerance of threshold comparisons (``s − b ≥ τ``)."""


@attrs.frozen(eq=False)
class MetricDraws:
    """A metric's draws per scenario: share achieving s, baseline b, price."""

    key: str
    share: np.ndarray
    baseline: np.ndarray
    price: np.ndarray


class Outcomes(NamedTuple):
    """A metric's outcomes: achieved by outcome month, payable and their value by verification.

    ``achieved`` is ``(scenarios, months + 1)`` (month T: after the horizon). ``payable`` and
    ``value`` are ``(scenarios, w)``: the verification months ``first … first + w − 1``, the
    only ones in which anything is verified; every other extended month holds zero.
    """

    achieved: np.ndarray
    first: int
    payable: np.ndarray
    value: np.ndarray


def metric_draws(contract: OutcomeContract, metric: OutcomeMetric, draws: Draws) -> MetricDraws:
    """Draw a metric's share achieving, baseline and price."""
    key = f"contracts/{contract.id}/metrics/{metric.id}"
    return MetricDraws(
        key=key,
        share=draws.scalar(f"{key}/share_achieving", metric.share_achieving),
        baseline=draws.scalar(f"{key}/baseline", metric.baseline),
        price=draws.scalar(f"{key}/price", metric.price),
    )


def value_per_outcome(
    contract: OutcomeContract, metric: OutcomeMetric, draws: Draws
) -> np.ndarray | None:
    """Draw a metric's value per outcome (``None`` where it has none), from its own stream."""
    if metric.value_per_outcome is None:
        return None
    key = f"contracts/{contract.id}/metrics/{metric.id}/value_per_outcome"
    return draws.scalar(key, metric.value_per_outcome)


def base_enrolment(contract: OutcomeContract, draws: Draws, timeline: Timeline) -> np.ndarray:
    """Expected participants enrolled per scenario and month ``(scenarios, months)``, ungated."""
    key = f"contracts/{contract.id}/enrolment"
    enrolled = np.zeros((draws.size, timeline.months))
    for index, window in enumerate(contract.enrolment.windows):
        first = timeline.grid.index(window.start)
        months = slice(first, first + window.months)
        if window.per_month is not None:
            per_month = draws.scalar(f"{key}/windows/{index}/per_month", window.per_month)
        else:
            assert window.total is not None  # validated: one of the two is given
            total = draws.scalar(f"{key}/windows/{index}/total", window.total)
            per_month = total / window.months
        enrolled[:, months] += per_month[:, None]
    return enrolled


def enrolment(
    contract: OutcomeContract, base: np.ndarray, factor: np.ndarray, draws: Draws
) -> np.ndarray:
    """E: participants enrolled ``(scenarios, months)`` after the gates' factor, with any noise."""
    mean = np.asarray(base * factor)
    if contract.enrolment.poisson and not draws.expected:
        return draws.poisson(f"contracts/{contract.id}/enrolment/noise", mean)
    return mean


def cohort(
    metric: OutcomeMetric, key: str, enrolled: np.ndarray, draws: Draws, timeline: Timeline
) -> np.ndarray:
    """R[m] = Σ_k E[m−k]·P(k), in each outcome month ``0…T``: ``(scenarios, T + 1)``.

    Month T holds everyone who reaches the outcome time after the horizon (a total over the
    enrolment months, by :meth:`Timeline.total`).
    """
    scenarios, months = enrolled.shape
    reached = np.zeros((scenarios, months + 1))
    distribution = metric.time_to_outcome
    if isinstance(distribution, Ref | Samples):  # a value per scenario: all mass at its floor
        shift = np.floor(draws.scalar(f"{key}/time_to_outcome", distribution)).astype(np.int64)
        month = np.arange(months)[None, :] + shift[:, None]
        inside = month < months
        rows = np.broadcast_to(np.arange(scenarios)[:, None], month.shape)
        np.add.at(reached, (rows[inside], month[inside]), enrolled[inside])
        reached[:, months] = timeline.total(enrolled * ~inside)
        return reached
    assert not isinstance(distribution, Yearly)  # validated: a time to outcome is scalar
    pmf, steps, tail = _time_to_outcome(distribution, months)
    # Shifted sums over the months anyone enrols in, element by element (no matrix product,
    # whose rounding could depend on how many scenarios share the chunk): a slice for each run
    # of months in which anyone enrols (an enrolment window).
    active = np.flatnonzero(enrolled.any(axis=0))
    breaks = np.flatnonzero(np.diff(active) > 1) + 1
    runs = [(int(run[0]), int(run[-1]) + 1) for run in np.split(active, breaks) if run.size]
    for k in steps:
        for lo, hi in runs:
            end = min(hi + k, months)
            if end > lo + k:
                reached[:, lo + k : end] += pmf[k] * enrolled[:, lo : end - k]
    reached[:, months] = timeline.total(enrolled * tail[None, :])
    return reached


@functools.lru_cache(maxsize=256)
def _time_to_outcome(distribution: Scalar, months: int) -> tuple[np.ndarray, list[int], np.ndarray]:
    """A time to outcome over ``months`` months, worked out once for every chunk: its
    probability ``P(k)`` for k = 0…T (read-only), the months ``k < T`` it can take, and
    ``Pr(X ≥ T − m')`` for each enrolment month ``m'``: the part reached after the horizon."""
    pmf = month_pmf(distribution, months + 1)
    pmf.setflags(write=False)
    tail = np.cumsum(pmf[::-1])[::-1][months - np.arange(months)]
    tail.setflags(write=False)
    return pmf, [int(k) for k in np.flatnonzero(pmf[:months])], tail


def enrolled_by_verification(enrolled: np.ndarray, lag: int, extended_months: int) -> np.ndarray:
    """Cumulative enrolment up to the outcome month m = v − lag of each verification month v.

    The per-participant caps' limit (§4.8.3); zero before the first outcome month.
    """
    months = enrolled.shape[1]
    cumulative = np.cumsum(enrolled, axis=1)
    outcome_month = np.clip(np.arange(extended_months) - lag, -1, months - 1)
    return np.where(outcome_month[None, :] >= 0, cumulative[:, outcome_month], 0.0)


def outcomes(
    metric: OutcomeMetric,
    drawn: MetricDraws,
    reached: np.ndarray,
    index: np.ndarray,
    lag: int,
    payable_until: np.ndarray | None,
) -> Outcomes:
    """A metric's achieved outcomes A, payable outcomes Q and their value.

    Args:
        metric: The metric.
        drawn: Its draws.
        reached: R, the cohort by outcome month ``(scenarios, T + 1)``.
        index: The metric's price index by extended month.
        lag: The contract's verification lag.
        payable_until: Per scenario, the first verification month no longer paid (a stopped
            contract that does not pay for cohorts enrolled before the stop); ``None``: all.
    """
    extended_months = index.shape[1]
    achieved = drawn.share[:, None] * reached
    gain = drawn.share - drawn.baseline
    meets = gain >= metric.threshold * (1.0 - THRESHOLD_TOLERANCE)
    # Only the outcome months someone reaches: verified in v = m + lag.
    reaching = np.flatnonzero(reached.any(axis=0))
    if not reaching.size:
        empty = np.zeros((reached.shape[0], 0))
        return Outcomes(achieved, lag, empty, empty)
    window = slice(int(reaching[0]), int(reaching[-1]) + 1)
    first = window.start + lag
    payable = np.where(meets, np.maximum(gain, 0.0), 0.0)[:, None] * reached[:, window]
    if payable_until is not None:
        verified = np.arange(first, first + payable.shape[1])
        payable *= verified[None, :] < payable_until[:, None]
    unit = drawn.price[:, None] * index[:, first : first + payable.shape[1]]
    assert first + payable.shape[1] <= extended_months, "the extended months hold every lag"
    return Outcomes(achieved, first, payable, payable * unit)
