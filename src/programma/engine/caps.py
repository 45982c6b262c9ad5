"""Caps on the value earned (DESIGN §4.4, in the order of §4.8.3).

Caps act on the value earned, cumulatively and in time order: the metric per-participant cap,
the metric count and value caps, the contract per-participant cap (pooled over the contract's
metrics; the limit is cap × enrolment up to the outcome month), the contract cap. Each stage
keeps its own running total of what passed it; a cut is lost for good (not restored when a
pooled limit later grows); a cut within one month is shared pro rata over metrics.

These functions loop over months (the rules are cumulative in time order) and vectorise over
every other axis.
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from ..model.contracts import OutcomeContract

__all__ = ["CAP_STAGES", "CapLimits", "apply_caps", "contract_limits"]

CAP_STAGES: tuple[str, ...] = (
    "metric_per_participant",
    "metric_count",
    "metric_value",
    "contract_per_participant",
    "contract",
)
"""The cap stages in the order they act (DESIGN §4.8.3)."""


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
    # Only the verification months where something is earned or counted matter (an outcome
    # may be counted at a price of zero): before the first and after the last, every stage
    # passes nothing and its running totals stand still.
    active = np.flatnonzero(value.any(axis=(0, 1)) | count.any(axis=(0, 1)))
    if not active.size:
        return value, count, cut
    window = slice(int(active[0]), int(active[-1]) + 1)
    passed_value, passed_count = value[..., window], count[..., window]
    enrolled = enrolled[:, window]
    per_participant = limits.metric_per_participant
    if np.isfinite(per_participant).any():
        # cap × cumulative enrolment; an unset cap is no limit (and inf × 0 must not be NaN).
        pooled = np.where(np.isfinite(per_participant), per_participant, 0.0)
        limit = pooled[None, :, None] * enrolled[:, None, :]
        limit = np.where(np.isfinite(per_participant)[None, :, None], limit, np.inf)
        passed = _running(passed_value, limit)
        if passed is not None:
            passed_value, passed_count = _stage(cut, 0, passed_value, passed_count, passed)
    if np.isfinite(limits.metric_count).any():
        count_new = _constant(
            passed_count, np.broadcast_to(limits.metric_count, passed_count.shape[:-1])
        )
        if count_new is not None:
            value_new = passed_value * _ratio(count_new, passed_count)
            cut[:, 1] = _in_order(passed_value - value_new)
            passed_value, passed_count = value_new, count_new
    if np.isfinite(limits.metric_value).any():
        passed = _constant(
            passed_value, np.broadcast_to(limits.metric_value, passed_value.shape[:-1])
        )
        if passed is not None:
            passed_value, passed_count = _stage(cut, 2, passed_value, passed_count, passed)
    for stage, cap in ((3, limits.contract_per_participant), (4, limits.contract)):
        if np.isfinite(cap):
            total = passed_value.sum(axis=1)
            if stage == 3:
                passed = _running(total, cap * enrolled)
            else:
                passed = _constant(total, np.full(scenarios, cap))
            if passed is None:
                continue
            ratio = _ratio(passed, total)[:, None, :]
            cut[:, stage] = _in_order(total - passed)
            passed_value, passed_count = passed_value * ratio, passed_count * ratio
    if passed_value.base is value and passed_count.base is count:
        return value, count, cut  # no cap bound anywhere: nothing was cut
    capped_value, capped_count = np.zeros_like(value), np.zeros_like(count)
    capped_value[..., window], capped_count[..., window] = passed_value, passed_count
    return capped_value, capped_count, cut


# A cap is taken to bind only where the running total comes within this share of it: far more
# than the rounding of a running sum, so that nothing it could cut is skipped.
_MARGIN = 1e-9


def _ratio(passed: np.ndarray, flow: np.ndarray) -> np.ndarray:
    """The share of ``flow`` that passed (1 where nothing came)."""
    return np.asarray(np.divide(passed, flow, out=np.ones_like(flow), where=flow > 0))


def _stage(
    cut: np.ndarray, stage: int, x: np.ndarray, c: np.ndarray, passed: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Record what a value stage cut; scale the counts by the share that passed."""
    cut[:, stage] = _in_order(x - passed)
    return passed, c * _ratio(passed, x)


def _in_order(cut: np.ndarray) -> np.ndarray:
    """Per scenario, the sum over the other axes, added strictly in order.

    The months a chunk works on depend on which scenarios share it; a sum in order gives each
    scenario the same total whatever zeros lie around its months (a pairwise sum would not).
    """
    flat = cut.reshape(cut.shape[0], -1)
    if not flat.shape[1]:
        return np.zeros(cut.shape[0])
    return np.asarray(np.cumsum(flat, axis=1)[:, -1])


def _constant(flow: np.ndarray, cap: np.ndarray) -> np.ndarray | None:
    """What passes a fixed cap on the running total (over the last axis), in time order.

    Below the cap everything passes exactly; the month that reaches it passes the rest.
    ``None`` where the cap binds nowhere (everything passes). Only the rows whose total
    reaches the cap are worked out.
    """
    binds = flow.sum(axis=-1) > cap * (1.0 - _MARGIN)
    if not binds.any():
        return None
    rows, limit = flow[binds], cap[binds][:, None]
    total = np.cumsum(rows, axis=-1)
    capped = np.minimum(total, limit)
    passed = np.diff(capped, axis=-1, prepend=0.0)
    out = flow.copy()
    out[binds] = np.where(total <= limit, rows, np.clip(passed, 0.0, rows))
    return out


def _running(flow: np.ndarray, limit: np.ndarray) -> np.ndarray | None:
    """What passes a limit that changes over time (the last axis); a cut is lost for good.

    ``None`` where the limit binds nowhere. Only the rows whose running total reaches the
    limit are worked out, month by month.
    """
    binds = (np.cumsum(flow, axis=-1) > limit * (1.0 - _MARGIN)).any(axis=-1)
    if not binds.any():
        return None
    rows, bound = flow[binds], np.broadcast_to(limit, flow.shape)[binds]
    passed = np.empty_like(rows)
    total = np.zeros(rows.shape[:-1])
    for v in range(rows.shape[-1]):
        passed[..., v] = np.minimum(rows[..., v], np.maximum(bound[..., v] - total, 0.0))
        total += passed[..., v]
    out = flow.copy()
    out[binds] = passed
    return out


def contract_limits(contract: OutcomeContract) -> CapLimits:
    """The caps of ``contract``; ``inf`` where one is not set."""

    def cap(value: float | None) -> float:
        return math.inf if value is None else value

    metrics = contract.metrics
    return CapLimits(
        metric_per_participant=np.array([cap(x.cap_per_participant) for x in metrics]),
        metric_count=np.array([cap(x.cap_count) for x in metrics]),
        metric_value=np.array([cap(x.cap_value) for x in metrics]),
        contract_per_participant=cap(contract.cap_per_participant),
        contract=cap(contract.cap),
    )
