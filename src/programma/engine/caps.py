"""Caps and payment timing: the recursive rules, vectorised over scenarios.

These functions loop over months (the rules are cumulative in time order) and vectorise over
every other axis. They know nothing of programmes: the engine hands them arrays.
"""

from __future__ import annotations

from collections.abc import Mapping

import attrs
import numpy as np

__all__ = ["CapLimits", "apply_caps", "fiscal_year_caps", "settle_dues"]


@attrs.frozen
class CapLimits:
    """The caps of one contract; ``inf`` where a cap is not set.

    Attributes:
        metric_per_participant: Per metric, the most paid per enrolled participant (pooled).
        metric_count: Per metric, the most outcomes paid.
        metric_value: Per metric, the most money paid.
        contract_per_participant: The most paid per enrolled participant over all metrics.
        contract: The most paid under the contract.
    """

    metric_per_participant: np.ndarray
    metric_count: np.ndarray
    metric_value: np.ndarray
    contract_per_participant: float
    contract: float


def apply_caps(
    value: np.ndarray,
    count: np.ndarray,
    enrolled: np.ndarray,
    limits: CapLimits,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Apply a contract's caps, cumulatively in time order, stage by stage.

    The stages (DESIGN §4.8.3): the metric per-participant cap, the metric count and value
    caps, the contract per-participant cap (pooled over metrics), the contract cap. Each stage
    keeps its own running total of what passed it; a cut is lost for good; a cut within one
    month is shared pro rata over metrics. A per-participant limit is ``cap × enrolled``,
    where ``enrolled`` is the cumulative enrolment up to each value's outcome month.

    Args:
        value: Value earned, shape ``(S, J, V)`` (scenarios, metrics, verification months).
        count: Payable outcomes behind that value, same shape.
        enrolled: Cumulative enrolment up to each verification month's outcome month, ``(S, V)``.
        limits: The caps.

    Returns:
        The capped value and count (shape of ``value``), and the amount each stage cut per
        scenario, shape ``(S, 5)``: metric per participant, metric count, metric value,
        contract per participant, contract.

    >>> limits = CapLimits(np.array([np.inf]), np.array([np.inf]), np.array([np.inf]),
    ...                    np.inf, 25.0)
    >>> value = np.array([[[10.0, 10.0, 10.0]]])
    >>> capped, _, cut = apply_caps(value, value / 5, np.ones((1, 3)), limits)
    >>> capped.tolist(), float(cut[0, 4])
    ([[[10.0, 10.0, 5.0]]], 5.0)
    """
    scenarios = value.shape[0]
    cut = np.zeros((scenarios, 5))
    x, c = value, count
    per_participant = limits.metric_per_participant
    if np.isfinite(per_participant).any():
        # cap × cumulative enrolment; an unset cap is no limit (and inf × 0 must not be NaN).
        pooled = np.where(np.isfinite(per_participant), per_participant, 0.0)
        limit = pooled[None, :, None] * enrolled[:, None, :]
        limit = np.where(np.isfinite(per_participant)[None, :, None], limit, np.inf)
        x, c = _stage(cut, 0, x, c, _running(x, limit))
    if np.isfinite(limits.metric_count).any():
        c_new = _constant(c, np.broadcast_to(limits.metric_count, c.shape[:-1]))
        x_new = x * _ratio(c_new, c)
        cut[:, 1] = (x - x_new).sum(axis=(1, 2))
        x, c = x_new, c_new
    if np.isfinite(limits.metric_value).any():
        x, c = _stage(
            cut, 2, x, c, _constant(x, np.broadcast_to(limits.metric_value, x.shape[:-1]))
        )
    for stage, cap in ((3, limits.contract_per_participant), (4, limits.contract)):
        if np.isfinite(cap):
            total = x.sum(axis=1)
            if stage == 3:
                passed = _running(total, cap * enrolled)
            else:
                passed = _constant(total, np.full(scenarios, cap))
            ratio = _ratio(passed, total)[:, None, :]
            cut[:, stage] = (total - passed).sum(axis=1)
            x, c = x * ratio, c * ratio
    return x, c, cut


def _ratio(passed: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """The share of ``flow`` that passed (1 where nothing came)."""
    return np.asarray(np.divide(passed, flow, out=np.ones_like(flow), where=flow > 0))


def _stage(
    cut: np.ndarray, stage: int, x: np.ndarray, c: np.ndarray, passed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Record what a value stage cut; scale the counts by the share that passed."""
    cut[:, stage] = (x - passed).sum(axis=(1, 2))
    return passed, c * _ratio(passed, x)


def _constant(flow: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """What passes a fixed cap on the running total (over the last axis), in time order.

    Below the cap everything passes exactly; the month that reaches it passes the rest.
    """
    total = np.cumsum(flow, axis=-1)
    capped = np.minimum(total, cap[..., None])
    passed = np.diff(capped, axis=-1, prepend=0.0)
    return np.where(total <= cap[..., None], flow, np.clip(passed, 0.0, flow))


def _running(flow: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """What passes a limit that changes over time (the last axis); a cut is lost for good."""
    passed = np.empty_like(flow)
    total = np.zeros(flow.shape[:-1])
    for v in range(flow.shape[-1]):
        passed[..., v] = np.minimum(flow[..., v], np.maximum(limit[..., v] - total, 0.0))
        total += passed[..., v]
    return passed


def settle_dues(
    due: np.ndarray, pay_month: np.ndarray, last_payable: int, months: int
) -> tuple[np.ndarray, np.ndarray]:
    """Move amounts from the month they are verified to the month they are due.

    Args:
        due: Amounts by verification month, shape ``(..., V)``.
        pay_month: For each verification month, the first payment month on or after it.
        last_payable: The last month anything may be paid (the settlement month).
        months: The number of months in the horizon (T).

    Returns:
        Amounts due by payment month, shape ``(..., months)`` (zero after ``last_payable``),
        and amounts that fall after it, recorded in ``min(payment month, T − 1)``.

    >>> due, unpaid = settle_dues(np.array([1.0, 2.0, 4.0, 8.0]), np.array([1, 1, 3, 4]), 3, 4)
    >>> due.tolist(), unpaid.tolist()
    ([0.0, 3.0, 0.0, 4.0], [0.0, 0.0, 0.0, 8.0])
    """
    target = np.minimum(pay_month, months - 1)
    payable = pay_month <= last_payable
    shape = (*due.shape[:-1], months)
    paid = np.zeros(shape)
    unpaid = np.zeros(shape)
    for mask, out in ((payable, paid), (~payable, unpaid)):
        columns = np.flatnonzero(mask)
        if columns.size:
            months_due = target[columns]  # non-decreasing: each payment month is one run
            starts = np.flatnonzero(np.r_[True, months_due[1:] != months_due[:-1]])
            out[..., months_due[starts]] += np.add.reduceat(due[..., columns], starts, axis=-1)
    return paid, unpaid


def fiscal_year_caps(
    due: np.ndarray,
    schedule: np.ndarray,
    fiscal_year: np.ndarray,
    caps: Mapping[int, float],
    *,
    carry: bool,
    settlement: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Cap what a payer pays in each fiscal year; forfeit the excess or carry it on.

    A carried excess joins the first schedule month of a later fiscal year, is capped again
    there and may carry again; what is still carried after the settlement month's payments is
    forfeited then. A fiscal year not in ``caps`` is uncapped.

    Args:
        due: Amounts due by payment month, ``(S, T)``.
        schedule: The payment months up to the settlement month, ascending.
        fiscal_year: The fiscal year of each month, ``(T,)``.
        caps: The cap per fiscal year.
        carry: Carry the excess (else forfeit it).
        settlement: The settlement month.

    Returns:
        The amounts paid ``(S, T)`` and the amounts forfeited ``(S, T)``.

    >>> due = np.array([[60.0, 60.0, 0.0, 30.0]])
    >>> paid, lost = fiscal_year_caps(due, np.array([0, 1, 3]), np.array([0, 0, 1, 1]),
    ...                               {0: 100.0, 1: 40.0}, carry=True, settlement=3)
    >>> paid.tolist(), lost.tolist()
    ([[60.0, 40.0, 0.0, 40.0]], [[0.0, 0.0, 0.0, 10.0]])
    """
    paid = np.zeros_like(due)
    lost = np.zeros_like(due)
    if not caps:
        paid[:] = due
        return paid, lost
    pending = np.zeros(due.shape[0])
    paid_in_year = np.zeros(due.shape[0])
    year: int | None = None
    for month in schedule:
        amount = due[:, month].copy()
        if int(fiscal_year[month]) != year:
            year = int(fiscal_year[month])
            paid_in_year[:] = 0.0
            amount += pending
            pending = np.zeros_like(pending)
        room = np.maximum(caps.get(year, np.inf) - paid_in_year, 0.0)
        pay = np.minimum(amount, room)
        excess = amount - pay
        paid[:, month] = pay
        paid_in_year += pay
        if carry:
            pending += excess
        else:
            lost[:, month] += excess
    lost[:, settlement] += pending
    return paid, lost
