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
from .windows import Window

__all__ = [
    "THRESHOLD_TOLERANCE",
    "MetricDraws",
    "Outcomes",
    "base_enrolment",
    "cohort",
    "enrolled_by_verification",
    "enrolment",
    "metric_draws",
    "most_months_to_outcome",
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

    ``achieved`` is by the cohort's outcome months (month T: after the horizon). ``payable`` and
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
    metric: OutcomeMetric,
    key: str,
    enrolled: np.ndarray,
    draws: Draws,
    timeline: Timeline,
    window: Window | None = None,
) -> np.ndarray:
    """R[m] = Σ_k E[m−k]·P(k), in each outcome month of ``window`` up to T (by default every
    month ``0…T``): ``(scenarios, min(end, T + 1) − start)``.

    ``enrolled`` holds the window's months inside the horizon. Month T holds everyone who
    reaches the outcome time after the horizon (a total over the enrolment months, by
    :meth:`Timeline.total`); a window that ends inside the horizon ends after the last month
    anyone reaches (see :func:`most_months_to_outcome`).
    """
    window = Window.whole(timeline) if window is None else window
    scenarios, enrolment_months = enrolled.shape
    start, months = window.start, timeline.months
    horizon = months - start  # the columns of R inside the horizon (R's column T − start is T)
    reached = np.zeros((scenarios, min(window.end, months + 1) - start))
    after_horizon = reached.shape[1] > horizon
    distribution = metric.time_to_outcome
    if isinstance(distribution, Ref | Samples):  # a value per scenario: all mass at its floor
        shift = _drawn_months_to_outcome(key, distribution, draws).astype(np.int64)
        month = np.arange(enrolment_months)[None, :] + shift[:, None]
        # Reached inside the horizon (and the window: outside it, nobody enrols).
        inside = month < min(horizon, reached.shape[1])
        rows = np.broadcast_to(np.arange(scenarios)[:, None], month.shape)
        np.add.at(reached, (rows[inside], month[inside]), enrolled[inside])
        if after_horizon:
            reached[:, horizon] = timeline.total(enrolled * ~inside, start)
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
            end = min(hi + k, horizon)
            if end > lo + k:
                reached[:, lo + k : end] += pmf[k] * enrolled[:, lo : end - k]
    if after_horizon:
        reached[:, horizon] = timeline.total(
            enrolled * tail[start : start + enrolment_months], start
        )
    return reached


def most_months_to_outcome(metric: OutcomeMetric, key: str, draws: Draws, months: int) -> int:
    """The most whole months anyone takes to reach the outcome, in any of the draws'
    scenarios; ``months`` (T) where the time may reach past the horizon."""
    distribution = metric.time_to_outcome
    if isinstance(distribution, Ref | Samples):
        return int(min(_drawn_months_to_outcome(key, distribution, draws).max(), months))
    assert not isinstance(distribution, Yearly)  # validated: a time to outcome is scalar
    return int(np.flatnonzero(_time_to_outcome(distribution, months)[0])[-1])


def _drawn_months_to_outcome(key: str, distribution: Ref | Samples, draws: Draws) -> np.ndarray:
    """Whole months to the outcome per scenario, for a time to outcome drawn per scenario
    (a parameter or given values): all the mass at the floor of the value."""
    return np.asarray(np.floor(draws.scalar(f"{key}/time_to_outcome", distribution)))


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


def enrolled_by_verification(enrolled: np.ndarray, lag: int, window: Window) -> np.ndarray:
    """Cumulative enrolment up to the outcome month m = v − lag of each verification month v.

    The per-participant caps' limit (§4.8.3); zero before the first outcome month. ``enrolled``
    holds the window's months inside the horizon; the result its months, ``(scenarios, w)``.
    """
    cumulative = np.cumsum(enrolled, axis=1)
    outcome_month = np.arange(window.width) - lag  # from the window's start
    before = outcome_month < 0  # nobody enrols before the window
    found = cumulative.take(np.clip(outcome_month, 0, enrolled.shape[1] - 1), axis=1)
    return np.where(before[None, :], 0.0, found)


def outcomes(
    metric: OutcomeMetric,
    drawn: MetricDraws,
    reached: np.ndarray,
    index: np.ndarray,
    lag: int,
    payable_until: np.ndarray | None,
    start: int = 0,
) -> Outcomes:
    """A metric's achieved outcomes A, payable outcomes Q and their value.

    Args:
        metric: The metric.
        drawn: Its draws.
        reached: R, the cohort by outcome month ``(scenarios, T + 1 − start)``, from ``start``.
        index: The metric's price index by extended month, from ``start``.
        lag: The contract's verification lag.
        payable_until: Per scenario, the first verification month no longer paid (a stopped
            contract that does not pay for cohorts enrolled before the stop); ``None``: all.
        start: The outcome month of ``reached``'s first column (its window's start).
    """
    achieved = drawn.share[:, None] * reached
    gain = drawn.share - drawn.baseline
    meets = gain >= metric.threshold * (1.0 - THRESHOLD_TOLERANCE)
    # Only the outcome months someone reaches: verified in v = m + lag.
    reaching = np.flatnonzero(reached.any(axis=0))
    if not reaching.size:
        empty = np.zeros((reached.shape[0], 0))
        return Outcomes(achieved, start + lag, empty, empty)
    reached_in = slice(int(reaching[0]), int(reaching[-1]) + 1)
    first = start + reached_in.start + lag
    payable = np.where(meets, np.maximum(gain, 0.0), 0.0)[:, None] * reached[:, reached_in]
    if payable_until is not None:
        verified = np.arange(first, first + payable.shape[1])
        payable *= verified[None, :] < payable_until[:, None]
    verified_in = slice(first - start, first - start + payable.shape[1])
    assert verified_in.stop <= index.shape[1], "the extended months hold every lag"
    unit = drawn.price[:, None] * index[:, verified_in]
    return Outcomes(achieved, first, payable, payable * unit)
