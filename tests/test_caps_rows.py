"""Caps worked out only where they bind give what the plain rule gives everywhere (§4.4, §4.8.3).

The engine applies each cap stage only to the verification months where something is earned
and to the scenarios whose running total reaches the cap. This checks it, on chunks that mix
scenarios far below, exactly at and above each cap, against the rule written out one scenario
and one month at a time.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from programma.engine.caps import CapLimits, apply_caps


def cap_through(flow: float, limit: float, passed_so_far: float) -> float:
    """What of ``flow`` passes a limit on the running total that ``passed_so_far`` has used."""
    return min(flow, max(limit - passed_so_far, 0.0))


def metric_stage(
    v: np.ndarray, c: np.ndarray, j: int, limits: list[float], on_count: bool
) -> float:
    """One metric's cap on its running value (or count), month by month; what it cut."""
    total = cut = 0.0
    for m in range(v.shape[1]):
        flow = c[j, m] if on_count else v[j, m]
        passed = cap_through(flow, limits[m], total)
        total += passed
        share = passed / flow if flow > 0 else 1.0
        cut += v[j, m] - v[j, m] * share
        v[j, m] *= share
        c[j, m] *= share
    return cut


def pooled_stage(v: np.ndarray, c: np.ndarray, limits: list[float]) -> float:
    """A cap on the running value of all metrics together, month by month; what it cut."""
    total = cut = 0.0
    for m in range(v.shape[1]):
        flow = float(v[:, m].sum())
        passed = cap_through(flow, limits[m], total)
        total += passed
        share = passed / flow if flow > 0 else 1.0
        cut += flow - passed
        v[:, m] *= share
        c[:, m] *= share
    return cut


def reference(
    value: np.ndarray, count: np.ndarray, enrolled: np.ndarray, limits: CapLimits
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The five stages for one scenario at a time, month by month, in plain Python."""
    scenarios, metrics, months = value.shape
    out_value, out_count = value.copy(), count.copy()
    cut = np.zeros((scenarios, 5))
    for s in range(scenarios):
        v, c, people = out_value[s], out_count[s], enrolled[s]
        for j in range(metrics):
            cap = limits.metric_per_participant[j]
            if math.isfinite(cap):
                cut[s, 0] += metric_stage(v, c, j, [cap * n for n in people], on_count=False)
        for j in range(metrics):
            if math.isfinite(limits.metric_count[j]):
                cut[s, 1] += metric_stage(v, c, j, [limits.metric_count[j]] * months, True)
            if math.isfinite(limits.metric_value[j]):
                cut[s, 2] += metric_stage(v, c, j, [limits.metric_value[j]] * months, False)
        if math.isfinite(limits.contract_per_participant):
            per = limits.contract_per_participant
            cut[s, 3] += pooled_stage(v, c, [per * n for n in people])
        if math.isfinite(limits.contract):
            cut[s, 4] += pooled_stage(v, c, [limits.contract] * months)
    return out_value, out_count, cut


@st.composite
def chunks(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, CapLimits]:
    """Value and counts with quiet months at both ends; caps set from some scenario's total."""
    scenarios = draw(st.integers(1, 6))
    metrics = draw(st.integers(1, 3))
    months = draw(st.integers(1, 12))
    first = draw(st.integers(0, months - 1))
    last = draw(st.integers(first, months - 1))
    amounts = st.sampled_from([0.0, 1.0, 2.5, 3.0, 10.0, 100.0])
    value = np.zeros((scenarios, metrics, months))
    for index in np.ndindex(scenarios, metrics, last - first + 1):
        value[index[0], index[1], first + index[2]] = draw(amounts)
    count = value / draw(st.sampled_from([1.0, 2.0, 5.0]))
    if draw(st.booleans()):  # outcomes counted at a price of zero, in months of their own
        free = draw(st.integers(0, months - 1))
        count[:, 0, free] += draw(st.sampled_from([1.0, 4.0]))
    enrolled = np.cumsum(draw(st.sampled_from([0.0, 1.0, 2.0])) + np.zeros((scenarios, months)), 1)
    totals = value.sum(axis=2)  # per scenario and metric
    counted = count.sum(axis=2)

    def some_cap(of: np.ndarray) -> float:
        """Unset, or a scenario's own total (the cap reached exactly), a little less or more."""
        choice = draw(st.sampled_from(["none", "exact", "below", "above", "zero"]))
        pick = float(of.flat[draw(st.integers(0, of.size - 1))])
        return {
            "none": math.inf,
            "exact": pick,
            "below": pick * 0.9,
            "above": pick * 1.1 + 1.0,
            "zero": 0.0,
        }[choice]

    limits = CapLimits(
        metric_per_participant=np.array([some_cap(np.array([1.0, 5.0])) for _ in range(metrics)]),
        metric_count=np.array([some_cap(counted[:, j]) for j in range(metrics)]),
        metric_value=np.array([some_cap(totals[:, j]) for j in range(metrics)]),
        contract_per_participant=some_cap(np.array([2.0, 20.0])),
        contract=some_cap(totals.sum(axis=1)),
    )
    return value, count, enrolled, limits


class TestCapsWhereTheyBind:
    """Caps applied only to the months and scenarios they reach agree with the plain rule."""

    @given(chunks())
    def test_agrees_with_the_rule_scenario_by_scenario(
        self, case: tuple[np.ndarray, np.ndarray, np.ndarray, CapLimits]
    ) -> None:
        """Capped value, counts and each stage's cut equal the reference in every scenario."""
        value, count, enrolled, limits = case
        expected = reference(value, count, enrolled, limits)
        got = apply_caps(value.copy(), count.copy(), enrolled, limits)
        for want, have in zip(expected, got, strict=True):
            np.testing.assert_allclose(want, have, rtol=1e-12, atol=1e-9)

    @given(chunks())
    def test_a_scenario_is_capped_alike_in_any_chunk(
        self, case: tuple[np.ndarray, np.ndarray, np.ndarray, CapLimits]
    ) -> None:
        """Each scenario alone gets, bit for bit, what it gets in the chunk (other months)."""
        value, count, enrolled, limits = case
        together = apply_caps(value.copy(), count.copy(), enrolled, limits)
        for s in range(value.shape[0]):
            alone = apply_caps(
                value[s : s + 1].copy(), count[s : s + 1].copy(), enrolled[s : s + 1], limits
            )
            for whole, one in zip(together, alone, strict=True):
                assert whole[s : s + 1].tobytes() == one.tobytes()

    def test_outcomes_counted_at_no_price_are_capped(self) -> None:
        """A count cap cuts outcomes verified in months that earn nothing (a price of zero)."""
        value = np.array([[[0.0, 5.0, 0.0, 0.0]]])
        count = np.array([[[0.0, 1.0, 0.0, 3.0]]])
        limits = CapLimits(np.array([np.inf]), np.array([2.0]), np.array([np.inf]), np.inf, np.inf)
        _, counted, _ = apply_caps(value, count, np.ones((1, 4)), limits)
        assert [[0.0, 1.0, 0.0, 1.0]] == counted[:, 0].tolist()

    def test_nothing_earned_passes_through(self) -> None:
        """A chunk that earns nothing comes back unchanged, with nothing cut."""
        value = np.zeros((2, 1, 4))
        limits = CapLimits(np.array([1.0]), np.array([1.0]), np.array([1.0]), 1.0, 1.0)
        capped, counted, cut = apply_caps(value, value, np.ones((2, 4)), limits)
        assert 0 == capped.sum() == counted.sum() == cut.sum()

    def test_one_scenario_at_its_cap_among_others_below(self) -> None:
        """Only the scenario that reaches the contract cap is cut, in the month it reaches it."""
        value = np.array([[[0.0, 4.0, 4.0, 0.0]], [[0.0, 1.0, 1.0, 0.0]]])
        limits = CapLimits(np.array([np.inf]), np.array([np.inf]), np.array([np.inf]), np.inf, 6.0)
        capped, _, cut = apply_caps(value, value / 2, np.ones((2, 4)), limits)
        assert [[0.0, 4.0, 2.0, 0.0], [0.0, 1.0, 1.0, 0.0]] == capped[:, 0].tolist()
        assert [2.0, 0.0] == cut[:, 4].tolist()
