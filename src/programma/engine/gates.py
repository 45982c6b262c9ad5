"""Gates (DESIGN §4.6, with §4.8.7).

A gate tests verified outcomes only (outcome month + lag ≤ gate month) of the named contract's
metric, per scenario: ``count`` counts achieved outcomes verified by the gate month, ``rate`` is
verified achieved / verified cohort (0/0 is "not met"); comparisons allow 1e-9 relative
tolerance. The condition is read before the gate's own decision changes anything. The decision
applies from the gate month on: continue, scale enrolment and cost by a factor, stop (enrolment
and cost end; enrolled cohorts stay payable unless the contract says otherwise), or step in. A
gate on an initiative scales or stops its cost only.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import attrs
import numpy as np

from ..model.gates import Gate
from ..model.vocabulary import Action, Comparison, GateMeasure

__all__ = ["GATE_TOLERANCE", "Factors", "Reading", "compare", "decide", "read", "verified_months"]

GATE_TOLERANCE = 1e-9
"""Relative tolerance of gate comparisons (§4.8.7)."""


class Reading(NamedTuple):
    """A gate's condition per scenario: whether it held, and what was compared (NaN: nothing)."""

    met: np.ndarray
    measure: np.ndarray


@attrs.frozen(eq=False)
class Factors:
    """What the gates decided so far, per scenario.

    Attributes:
        cost: Per initiative, the factor on its cost ``(scenarios, extended months)``.
        enrolment: Per contract, the factor on its enrolment ``(scenarios, months)``.
        stopped_from: Per contract, the month it was stopped in (else the extended months).
        steps_in: Per prefinanced contract, where its payer steps in ``(scenarios,)``.
    """

    cost: Mapping[str, np.ndarray]
    enrolment: Mapping[str, np.ndarray]
    stopped_from: Mapping[str, np.ndarray]
    steps_in: Mapping[str, np.ndarray]


def verified_months(gate_month: int, lag: int, months: int) -> int:
    """How many outcome months are verified by the gate month: those with m + lag ≤ gate month."""
    return max(0, min(gate_month - lag + 1, months))


def compare(measure: np.ndarray, comparison: Comparison, target: float) -> np.ndarray:
    """A gate comparison with 1e-9 relative tolerance (§4.8.7).

    >>> compare(np.array([0.9999999999, 0.99]), Comparison.AT_LEAST, 1.0).tolist()
    [True, False]
    """
    slack = GATE_TOLERANCE * abs(target)
    if comparison is Comparison.AT_LEAST:
        return measure >= target - slack
    if comparison is Comparison.MORE_THAN:
        return measure > target + slack
    if comparison is Comparison.AT_MOST:
        return measure <= target + slack
    return measure < target - slack


def read(gate: Gate, reached: np.ndarray, share: np.ndarray, verified: int) -> Reading:
    """Read the gate's condition on the cohort ``reached`` ``(scenarios, T + 1)``.

    Verified achieved = s · Σ R[m] over the verified outcome months; the rate divides it by
    the verified cohort Σ R[m].
    """
    condition = gate.condition
    cohort = reached[:, :verified].sum(axis=1)
    achieved = share * cohort
    if condition.measure is GateMeasure.COUNT:
        measure, defined = achieved, np.ones(len(share), dtype=bool)
    else:
        defined = cohort > 0
        measure = np.divide(achieved, cohort, out=np.zeros(len(share)), where=defined)
    met = defined & compare(measure, condition.comparison, condition.target)
    return Reading(met, np.where(defined, measure, np.nan))


def decide(
    gate: Gate,
    gate_month: int,
    met: np.ndarray,
    factors: Factors,
    initiatives_of: Mapping[str, tuple[str, ...]],
) -> Factors:
    """The factors after the gate's decisions, from its month on, where met and where not.

    Args:
        gate: The gate.
        gate_month: Its month.
        met: Where its condition held.
        factors: The factors decided by earlier gates (left unchanged).
        initiatives_of: The initiatives each contract pays for.
    """
    cost = dict(factors.cost)
    enrolment = dict(factors.enrolment)
    stopped_from = dict(factors.stopped_from)
    steps_in = dict(factors.steps_in)
    for decision, where in ((gate.if_met, met), (gate.if_not_met, ~met)):
        if decision.action is Action.STEP_IN:
            assert gate.contract is not None  # validated: step-in acts on a contract
            steps_in[gate.contract] = where
            continue
        if decision.action is Action.CONTINUE:
            continue
        factor = 0.0 if decision.action is Action.STOP else float(decision.factor or 0.0)
        scale = np.where(where, factor, 1.0)[:, None]
        if gate.contract is not None:
            enrolment[gate.contract] = _scaled_from(enrolment[gate.contract], gate_month, scale)
            for initiative_id in initiatives_of[gate.contract]:
                cost[initiative_id] = _scaled_from(cost[initiative_id], gate_month, scale)
            if decision.action is Action.STOP:
                stopped = stopped_from[gate.contract].copy()
                stopped[where] = np.minimum(stopped[where], gate_month)
                stopped_from[gate.contract] = stopped
        else:
            assert gate.initiative is not None  # validated: exactly one target
            cost[gate.initiative] = _scaled_from(cost[gate.initiative], gate_month, scale)
    return Factors(cost, enrolment, stopped_from, steps_in)


def _scaled_from(factor: np.ndarray, month: int, scale: np.ndarray) -> np.ndarray:
    """``factor`` with every month from ``month`` on multiplied by ``scale`` ``(scenarios, 1)``."""
    scaled = factor.copy()
    scaled[:, month:] *= scale
    return scaled
