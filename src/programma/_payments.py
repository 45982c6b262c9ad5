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


def _take(flow: np.ndarray, room: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What passes a limit with ``room`` left, and the ratio passed (1 where nothing came)."""
    passed = np.minimum(flow, np.maximum(room, 0.0))
    ratio = np.divide(passed, flow, out=np.ones_like(flow), where=flow > 0)
    return passed, ratio


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
    scenarios, metrics, months = value.shape
    out_value = np.empty_like(value)
    out_count = np.empty_like(count)
    cut = np.zeros((scenarios, 5))
    pp = limits.metric_per_participant[None, :]
    pp_set = np.isfinite(pp)
    pp_finite = np.where(pp_set, pp, 0.0)  # inf × 0 would be NaN: keep unset caps out of products
    stage_on = (
        bool(np.isfinite(limits.metric_per_participant).any()),
        bool(np.isfinite(limits.metric_count).any()),
        bool(np.isfinite(limits.metric_value).any()),
        bool(np.isfinite(limits.contract_per_participant)),
        bool(np.isfinite(limits.contract)),
    )
    passed_pp = np.zeros((scenarios, metrics))
    passed_count = np.zeros((scenarios, metrics))
    passed_value = np.zeros((scenarios, metrics))
    passed_contract_pp = np.zeros(scenarios)
    passed_contract = np.zeros(scenarios)
    for v in range(months):
        x = value[:, :, v]
        c = count[:, :, v]
        if stage_on[0]:
            limit = np.where(pp_set, pp_finite * enrolled[:, v : v + 1], np.inf)
            x_new, ratio = _take(x, limit - passed_pp)
            cut[:, 0] += (x - x_new).sum(axis=1)
            passed_pp += x_new
            x, c = x_new, c * ratio
        if stage_on[1]:
            c_new, ratio = _take(c, limits.metric_count[None, :] - passed_count)
            x_new = x * ratio
            cut[:, 1] += (x - x_new).sum(axis=1)
            passed_count += c_new
            x, c = x_new, c_new
        if stage_on[2]:
            x_new, ratio = _take(x, limits.metric_value[None, :] - passed_value)
            cut[:, 2] += (x - x_new).sum(axis=1)
            passed_value += x_new
            x, c = x_new, c * ratio
        for stage, passed in ((3, passed_contract_pp), (4, passed_contract)):
            if stage_on[stage]:
                if stage == 3:
                    limit = limits.contract_per_participant * enrolled[:, v]
                else:
                    limit = np.full(scenarios, limits.contract)
                total = x.sum(axis=1)
                total_new, ratio = _take(total, limit - passed)
                cut[:, stage] += total - total_new
                passed += total_new
                x, c = x * ratio[:, None], c * ratio[:, None]
        out_value[:, :, v] = x
        out_count[:, :, v] = c
    return out_value, out_count, cut


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
            np.add.at(
                np.moveaxis(out, -1, 0), target[columns], np.moveaxis(due[..., columns], -1, 0)
            )
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
