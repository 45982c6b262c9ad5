"""The engine's invariants (DESIGN §4, "Invariants") as properties of generated programmes.

Each class states one invariant. Properties run in expected mode and by Monte Carlo (a few
scenarios, kept per month, so that every rule can be checked month by month). Amounts are
compared with a relative tolerance of 1e-9 and an absolute floor of 1e-9 times the largest
amount involved, which covers the checks summing in another order than the engine.
"""

from __future__ import annotations

import concurrent.futures as cf
import datetime as dt
import math
from collections.abc import Callable, Iterable
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import programma as pg
from builders import COST_SOURCES, D, base_programme
from builders import contract as hand_contract
from profiles import examples
from programma import (
    SIGNED,
    STOCKS,
    Action,
    CapExcess,
    Discrete,
    Distribution,
    Enrolment,
    EnrolmentWindow,
    Financing,
    FinancingMode,
    Fixed,
    Fund,
    FundShare,
    GateMeasure,
    Initiative,
    InvestorFinancing,
    Normal,
    OutcomeContract,
    OutcomeMetric,
    Pert,
    Programme,
    Projection,
    Ref,
    Samples,
    Schedule,
    Stakeholder,
    Triangular,
    Uniform,
    Yearly,
)
from programma.examples import leeuwarden_oost
from strategies import ALL_KINDS, numbers, programmes

RTOL = 1e-9
MAX_SCENARIOS = 20

SMALL: dict[str, Any] = {
    "max_years": 3,
    "max_parameters": 2,
    "max_areas": 0,
    "max_phases": 1,
    "max_stakeholders": 4,
    "max_interests": 0,
    "max_engagements": 0,
    "max_funds": 2,
    "max_initiatives": 2,
    "max_contracts": 2,
    "samples_size": MAX_SCENARIOS,
}
"""Knobs that keep generated programmes small: what the engine does not read is left out."""

WITHOUT_SAMPLES = tuple(kind for kind in ALL_KINDS if kind != "samples")
"""Every distribution kind but ``samples``, for runs with more scenarios than samples."""

UNGATED = (FinancingMode.PROVIDER, FinancingMode.INVESTOR, FinancingMode.ADVANCES)
"""The financing modes that never bring a gate with them."""

scenario_counts = st.none() | st.integers(3, MAX_SCENARIOS)
"""Expected mode (``None``) or a small Monte Carlo run."""

seeds = st.integers(0, 2**32 - 1)


def small_programmes(*, delivered: bool = False, **knobs: Any) -> st.SearchStrategy[Programme]:
    """Generated programmes with the ``SMALL`` knobs (overridden by ``knobs``), made lively.

    With ``delivered``, every contract also carries the cost of an initiative.
    """
    strategy = programmes(**(SMALL | knobs)).flatmap(lively)
    return strategy.flatmap(with_delivery) if delivered else strategy


def amounts(low: float, high: float) -> st.SearchStrategy[Distribution]:
    """Fixed or uniform amounts in ``[low, high]``."""
    uniform = st.tuples(numbers(low, high), numbers(low, high)).map(
        lambda ends: Uniform(min(ends), max(ends))
    )
    return numbers(low, high).map(Fixed) | uniform


@st.composite
def lively(draw: st.DrawFn, programme: Programme) -> Programme:
    """The programme with something happening: people enrolled, outcomes paid, costs spent.

    Left to itself a generated programme often enrols no one or pays nothing (hypothesis
    favours zeros and short contracts), and an invariant about payments then holds trivially.
    So each enrolment window, metric, initiative, investor commitment and contract run-off
    gets sizeable values, except a quarter of them, which stay as generated (and keep every
    distribution kind in play).
    """

    def busy() -> bool:
        return draw(st.sampled_from([True, True, True, False]))

    def window(window: EnrolmentWindow) -> EnrolmentWindow:
        if not busy():
            return window
        return attrs.evolve(window, per_month=draw(amounts(1.0, 40.0)), total=None)

    def metric(metric: OutcomeMetric) -> OutcomeMetric:
        if not busy():
            return metric
        return attrs.evolve(
            metric,
            price=draw(amounts(100.0, 20_000.0)),
            share_achieving=draw(amounts(0.2, 0.9)),
            baseline=Fixed(draw(numbers(0.0, 0.15))),
            threshold=min(metric.threshold, 0.05),
        )

    def financing(financing: Financing) -> Financing:
        if not (isinstance(financing, InvestorFinancing) and busy()):
            return financing
        return attrs.evolve(financing, commitment=draw(numbers(10_000.0, 2_000_000.0)))

    def run_off(contract: OutcomeContract) -> int:
        if not busy():
            return contract.run_off_months
        # Up to two years, but settled inside the horizon (DESIGN §4.8.2).
        room = programme.months - 1 - programme.month_index(contract.last_month)
        months = draw(st.integers(min(6, room), min(24, room)))
        if contract.payment_schedule is Schedule.RRULE:
            # Never shorter: the rule was drawn to pay at least once before settlement.
            return max(months, contract.run_off_months)
        return months

    contracts = [
        attrs.evolve(
            contract,
            enrolment=attrs.evolve(
                contract.enrolment, windows=[window(w) for w in contract.enrolment.windows]
            ),
            metrics=[metric(m) for m in contract.metrics],
            financing=financing(contract.financing),
            run_off_months=run_off(contract),
        )
        for contract in programme.contracts
    ]
    initiatives = [
        attrs.evolve(initiative, commitment=draw(amounts(10_000.0, 1_000_000.0)))
        if busy()
        else initiative
        for initiative in programme.initiatives
    ]
    return attrs.evolve(programme, contracts=contracts, initiatives=initiatives)


def run(
    programme: Programme, scenarios: int | None, seed: int = 0, resolution: str = "month"
) -> Projection:
    """A projection kept per ``resolution`` (months by default), expected or Monte Carlo."""
    return pg.project(programme, scenarios=scenarios, seed=seed, resolution=resolution)  # type: ignore[arg-type]


def total(projection: Projection, flows: Iterable[str], **criteria: str) -> np.ndarray:
    """The sum of the named flows (or measures) matching ``criteria``, ``(scenarios, periods)``."""
    return sum(
        (projection.total(flow=flow, **criteria) for flow in flows),
        np.zeros((projection.scenarios, len(projection.periods))),
    )


def floor(*arrays: np.ndarray | float) -> float:
    """The absolute tolerance: 1e-9 times the largest magnitude involved (at least 1)."""
    return RTOL * max([1.0, *(float(np.max(np.abs(a), initial=0.0)) for a in arrays)])


def assert_close(expected: np.ndarray, actual: np.ndarray, *scale: np.ndarray) -> None:
    """``actual`` equals ``expected`` to 1e-9 relative, with the floor of ``floor``."""
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=floor(expected, actual, *scale))


def assert_at_most(limit: np.ndarray | float, amount: np.ndarray, *scale: np.ndarray) -> None:
    """Every ``amount`` is at most ``limit`` (broadcast), to 1e-9 relative and the floor."""
    limit_, amount_ = np.broadcast_arrays(np.asarray(limit, float), np.asarray(amount, float))
    finite = np.where(np.isfinite(limit_), limit_, 0.0)
    slack = RTOL * np.abs(finite) + floor(finite, amount_, *scale)
    over = amount_ > limit_ + slack
    if over.any():
        where = np.argwhere(over)[0]
        raise AssertionError(
            f"{int(over.sum())} amount(s) above their limit; first at index {tuple(where)}: "
            f"{amount_[tuple(where)]!r} > {limit_[tuple(where)]!r}"
        )


def assert_identical(expected: Projection, actual: Projection) -> None:
    """Two projections hold exactly the same series, values and scalars."""
    assert expected.series == actual.series
    assert expected.periods == actual.periods
    assert np.array_equal(expected.values, actual.values)
    assert expected.scalars.keys() == actual.scalars.keys()
    for name, values in expected.scalars.items():
        assert np.array_equal(values, actual.scalars[name], equal_nan=True), name


def settlement(programme: Programme, contract: OutcomeContract) -> int:
    """L = min(last month + run-off, T − 1) (DESIGN §4.8.2)."""
    last = programme.month_index(contract.last_month)
    return min(last + contract.run_off_months, programme.months - 1)


def expected_enrolment(programme: Programme, contract: OutcomeContract) -> np.ndarray:
    """The contract's enrolment per month in expected mode, without gates ``(T,)``."""
    parameters = programme.parameter_distributions
    enrolled = np.zeros(programme.months)
    for window in contract.enrolment.windows:
        first = programme.month_index(window.start)
        if window.per_month is not None:
            per_month = pg.mean_of(window.per_month, parameters)
        else:
            assert window.total is not None
            per_month = pg.mean_of(window.total, parameters) / window.months
        enrolled[first : first + window.months] += per_month
    return enrolled


def change_metrics(
    programme: Programme, change: Callable[[OutcomeContract, OutcomeMetric], OutcomeMetric]
) -> Programme:
    """The programme with ``change`` applied to every metric of every contract."""
    contracts = [
        attrs.evolve(contract, metrics=[change(contract, metric) for metric in contract.metrics])
        for contract in programme.contracts
    ]
    return attrs.evolve(programme, contracts=contracts)


def map_distributions(value: Any, change: Callable[[Distribution], Distribution]) -> Any:
    """``value`` with every distribution in it replaced by ``change(dist)``.

    References to parameters are kept (the parameters themselves are changed), a yearly path
    keeps its years, and Poisson enrolment noise is switched off.
    """
    if isinstance(value, Yearly):
        return Yearly(tuple((year, map_distributions(d, change)) for year, d in value.by_year))
    if isinstance(value, Ref):
        return value
    if isinstance(value, pg.Scalar):  # type: ignore[misc, arg-type]
        return change(value)
    if isinstance(value, tuple):
        return tuple(map_distributions(item, change) for item in value)
    if attrs.has(type(value)):
        changes = {
            field.alias: map_distributions(getattr(value, field.name), change)
            for field in attrs.fields(type(value))
            if field.init
        }
        if isinstance(value, Enrolment):
            changes["poisson"] = False
        return attrs.evolve(value, **changes)
    return value


def point(dist: Distribution) -> float:
    """The one value a degenerate stand-in for ``dist`` takes: its mean (a sample, if equal)."""
    if isinstance(dist, Samples):
        return dist.values[0]
    return pg.mean_of(dist)


def fixed_mean(dist: Distribution) -> Distribution:
    """``dist`` at its mean; ``Samples`` become all-equal samples (one per scenario)."""
    if isinstance(dist, Samples):
        return Samples((point(dist),) * len(dist.values))
    return Fixed(point(dist))


@st.composite
def with_delivery(draw: st.DrawFn, programme: Programme) -> Programme:
    """The programme with a costly initiative for each contract that carries none.

    The initiative runs over the contract's months, so that its financing has costs to meet
    while outcomes come in (an investor draws down, then receives distributions).
    """
    added: list[Initiative] = []
    contracts = []
    for number, contract in enumerate(programme.contracts):
        if contract.initiatives:
            contracts.append(contract)
            continue
        first = programme.month_index(contract.start)
        months = programme.month_index(contract.last_month) - first + 1
        initiative = Initiative(
            f"zz-delivery-{number}",
            "Delivery",
            contract.provider,
            commitment=draw(amounts(10_000.0, 500_000.0)),
            start=contract.start,
            duration_months=months,
        )
        added.append(initiative)
        contracts.append(attrs.evolve(contract, initiatives=[initiative.id]))
    return attrs.evolve(
        programme, initiatives=[*programme.initiatives, *added], contracts=contracts
    )


# -- invariant 1 ------------------------------------------------------------------------------


class TestCashConservation:
    """Invariant 1: per contract, scenario and month, cash in equals cash out."""

    @settings(max_examples=examples(25))
    @given(small_programmes(min_contracts=1), scenario_counts, seeds)
    def test_outcome_payments(self, programme: Programme, scenarios: int | None, seed: int):
        """The payers' outcome payments = investor distributions + provider receipts."""
        projection = run(programme, scenarios, seed)
        for contract in programme.contracts:
            paid = total(projection, ["outcome_payment"], contract=contract.id)
            passed_on = total(
                projection, ["investor_distribution", "provider_receipt"], contract=contract.id
            )
            assert_close(paid, passed_on)

    @settings(max_examples=examples(25))
    @given(small_programmes(min_contracts=1, delivered=True), scenario_counts, seeds)
    def test_delivery_cost(self, programme: Programme, scenarios: int | None, seed: int):
        """Delivery cost = draw-down + advances used + pre-financing + step-in + receipts + own."""
        projection = run(programme, scenarios, seed)
        for contract in programme.contracts:
            cost = total(projection, ["delivery_cost"], contract=contract.id)
            assert_close(cost, total(projection, COST_SOURCES, contract=contract.id))

    @settings(max_examples=examples(25))
    @given(
        small_programmes(min_contracts=1, financing_modes=["investor"], delivered=True),
        scenario_counts,
        seeds,
    )
    def test_distributions_within_entitlement(
        self, programme: Programme, scenarios: int | None, seed: int
    ):
        """At the return cap, distributions to date never exceed draw-downs to date (in PV)."""
        projection = run(programme, scenarios, seed)
        for contract in programme.contracts:
            financing = contract.financing
            assert isinstance(financing, InvestorFinancing)
            growth = (1.0 + financing.return_cap) ** (1.0 / 12.0)
            discount = growth ** -np.arange(programme.months, dtype=float)
            drawn = total(projection, ["investor_drawdown"], contract=contract.id) * discount
            paid = total(projection, ["investor_distribution"], contract=contract.id) * discount
            assert_at_most(np.cumsum(drawn, axis=1), np.cumsum(paid, axis=1), drawn.sum(axis=1))

    @settings(max_examples=examples(25))
    @given(small_programmes(min_contracts=1), scenario_counts, seeds)
    def test_earned_is_accounted_for(self, programme: Programme, scenarios: int | None, seed: int):
        """All earned after caps is paid (in cash or offset), forfeited or reported unpaid."""
        projection = run(programme, scenarios, seed)
        fates = ("outcome_payment", "advance_offset", "cap_forfeited", "unpaid_after_end")
        for contract in programme.contracts:
            earned = total(projection, ["earned_capped"], contract=contract.id).sum(axis=1)
            assert_close(earned, total(projection, fates, contract=contract.id).sum(axis=1))


# -- invariant 2 ------------------------------------------------------------------------------

FAR_TAIL = base_programme(
    contracts=[
        hand_contract(
            metrics=[
                OutcomeMetric(
                    "job",
                    "A job",
                    price=1000,
                    share_achieving=Normal(0.5, 0.0078125, low=0.0, high=0.5),
                    time_to_outcome=6,
                )
            ]
        )
    ]
)
"""A share truncated 64 standard deviations below its mean (found by ``programmes()``)."""


class TestCapsAndSigns:
    """Invariant 2: caps are never exceeded; flows are ≥ 0; nothing is NaN or infinite."""

    @settings(max_examples=examples(25))
    @given(small_programmes(min_contracts=1), scenario_counts, seeds)
    def test_contract_and_metric_caps(self, programme: Programme, scenarios: int | None, seed: int):
        """Value paid never exceeds the contract cap, nor a metric's count or value cap."""
        projection = run(programme, scenarios, seed)
        for contract in programme.contracts:
            c = contract.id
            if contract.cap is not None:
                capped = total(projection, ["earned_capped"], contract=c).sum(axis=1)
                assert_at_most(contract.cap, capped)
            for metric in contract.metrics:
                if metric.cap_count is not None:
                    count = total(projection, ["outcomes_paid"], contract=c, metric=metric.id)
                    assert_at_most(metric.cap_count, count.sum(axis=1))
                if metric.cap_value is not None:
                    value = total(projection, ["earned_capped"], contract=c, metric=metric.id)
                    assert_at_most(metric.cap_value, value.sum(axis=1))

    @settings(max_examples=examples(25))
    @given(small_programmes(min_contracts=1, max_gates=0, financing_modes=UNGATED))
    def test_per_participant_caps(self, programme: Programme):
        """Value verified to date ≤ a per-participant cap × enrolment to its outcome month."""
        projection = pg.project(programme)
        T = programme.months
        for contract in programme.contracts:
            enrolled = np.cumsum(expected_enrolment(programme, contract))
            outcome_month = np.arange(T) - contract.verification_lag_months
            enrolled_by = np.where(outcome_month >= 0, enrolled[np.maximum(outcome_month, 0)], 0)
            enrolled_by[-1] = enrolled[-1]  # the last month also holds what lies past the horizon
            values = []
            for metric in contract.metrics:
                value = total(projection, ["earned_capped"], contract=contract.id, metric=metric.id)
                values.append(value[0])
                if metric.cap_per_participant is not None:
                    limit = metric.cap_per_participant * enrolled_by
                    assert_at_most(limit, np.cumsum(value[0]))
            if contract.cap_per_participant is not None:
                limit = contract.cap_per_participant * enrolled_by
                assert_at_most(limit, np.cumsum(np.sum(values, axis=0)))

    @settings(max_examples=examples(25))
    @given(small_programmes(min_contracts=1), scenario_counts, seeds)
    def test_fiscal_year_caps(self, programme: Programme, scenarios: int | None, seed: int):
        """A payer's gross payments (cash + advance offsets) in a fiscal year ≤ its cap."""
        projection = run(programme, scenarios, seed, resolution="fiscal_year")
        years = [int(label.removeprefix("FY")) for label in projection.periods]
        for contract in programme.contracts:
            for payer in contract.payers:
                caps = [payer.cap_in(year) for year in years]
                limit = np.array([math.inf if cap is None else cap for cap in caps])
                gross = total(
                    projection,
                    ["outcome_payment", "advance_offset"],
                    contract=contract.id,
                    payer=payer.payer,
                    fund=payer.fund,
                )
                assert_at_most(limit[None, :], gross)

    @settings(max_examples=examples(25))
    @given(small_programmes(), scenario_counts, seeds)
    def test_flows_and_measures_non_negative(
        self, programme: Programme, scenarios: int | None, seed: int
    ):
        """Every series but the signed budget gap and fund outflow is ≥ 0 everywhere."""
        projection = run(programme, scenarios, seed)
        signed = np.array([key.flow in SIGNED for key in projection.series], dtype=bool)
        for scenario in projection.values:
            assert_at_most(0.0, -scenario[:, ~signed], scenario)

    @settings(max_examples=examples(25))
    @given(small_programmes(), scenario_counts, seeds)
    @example(programme=FAR_TAIL, scenarios=None, seed=0)
    def test_finite(self, programme: Programme, scenarios: int | None, seed: int):
        """No NaN or infinity anywhere; an investor's IRR or multiple, or a gate's rate, is NaN
        only when undefined."""
        projection = run(programme, scenarios, seed)
        assert np.isfinite(projection.values).all()
        figures = {"irr", "multiple"}
        for name, values in projection.scalars.items():
            if name.startswith("gate_measure/"):  # a rate of 0/0 is NaN, and not met
                gate = programme.find("gates", name.split("/", 1)[1])
                undefined = np.isnan(values)
                assert gate.condition.measure is GateMeasure.RATE or not undefined.any()
                assert not projection.scalars[f"gate_met/{gate.id}"][undefined].any()
                assert not np.isinf(values).any()
            elif not (name.startswith("investor/") and name.rsplit("/", 1)[1] in figures):
                assert np.isfinite(values).all(), name
        for contract in programme.contracts:
            if not isinstance(contract.financing, InvestorFinancing):
                continue
            c = contract.id
            drawn = projection.scalars[f"investor/{c}/drawn"] > 0
            multiple = projection.scalars[f"investor/{c}/multiple"]
            irr = projection.scalars[f"investor/{c}/irr"]
            assert np.array_equal(drawn, np.isfinite(multiple))
            assert not np.isinf(irr).any()
            flows = total(projection, ["investor_distribution", "guarantee_payment"], contract=c)
            flows = flows - total(projection, ["investor_drawdown"], contract=c)
            for s, row in enumerate(flows):
                moving = row[row != 0]
                if not drawn[s]:
                    assert np.isnan(irr[s])
                elif not (moving > 0).any():
                    assert -1.0 == irr[s]  # a total loss is −100 %
                elif moving[0] * moving[-1] < 0:  # the NPV changes sign: an IRR exists
                    assert np.isfinite(irr[s]), f"scenario {s}: flows {row.tolist()}"


# -- invariant 3 ------------------------------------------------------------------------------


class TestTiming:
    """Invariant 3: nothing is paid before it is verified or after settlement; stops stop."""

    @settings(max_examples=examples(25))
    @given(small_programmes(min_contracts=1), scenario_counts, seeds)
    def test_no_payment_before_verification(
        self, programme: Programme, scenarios: int | None, seed: int
    ):
        """Payments to date (cash + offsets) never exceed the value verified to date."""
        projection = run(programme, scenarios, seed)
        for contract in programme.contracts:
            paid = total(projection, ["outcome_payment", "advance_offset"], contract=contract.id)
            earned = total(projection, ["earned_capped"], contract=contract.id)
            assert_at_most(np.cumsum(earned, axis=1), np.cumsum(paid, axis=1))

    @settings(max_examples=examples(25))
    @given(small_programmes(min_contracts=1), scenario_counts, seeds)
    def test_nothing_paid_after_settlement(
        self, programme: Programme, scenarios: int | None, seed: int
    ):
        """After the settlement month L no outcome is paid and nothing is settled."""
        projection = run(programme, scenarios, seed)
        settled = (
            "outcome_payment",
            "advance_offset",
            "investor_distribution",
            "provider_receipt",
            "receipts_used",
            "guarantee_payment",
            "advance_refund",
            "advance_forgiven",
            "cap_forfeited",
        )
        for contract in programme.contracts:
            later = total(projection, settled, contract=contract.id)
            after = later[:, settlement(programme, contract) + 1 :]
            assert np.array_equal(np.zeros_like(after), after)

    @settings(max_examples=examples(25))
    @given(small_programmes(min_contracts=1, max_gates=3), scenario_counts, seeds)
    def test_no_cost_after_stop(self, programme: Programme, scenarios: int | None, seed: int):
        """From a gate's month, a stopped contract or initiative costs and draws nothing."""
        projection = run(programme, scenarios, seed)
        for gate in programme.gates:
            met = projection.scalars[f"gate_met/{gate.id}"] == 1.0
            stopped = np.zeros_like(met)
            if gate.if_met.action is Action.STOP:
                stopped |= met
            if gate.if_not_met.action is Action.STOP:
                stopped |= ~met
            month = programme.month_index(gate.month)
            if gate.contract is not None:
                contract = programme.find("contracts", gate.contract)
                initiatives = contract.initiatives
                spent = total(
                    projection, ["delivery_cost", "investor_drawdown"], contract=contract.id
                )
                after = spent[stopped, month:]
                assert np.array_equal(np.zeros_like(after), after)
            else:
                assert gate.initiative is not None
                initiatives = (gate.initiative,)
            for initiative in initiatives:
                cost = total(
                    projection,
                    ["grant", "delivery_cost", "unpaid_after_end"],
                    initiative=initiative,
                )
                after = cost[stopped, month:]
                assert np.array_equal(np.zeros_like(after), after)

    @settings(max_examples=examples(25))
    @given(
        small_programmes(min_contracts=1, financing_modes=["investor"], delivered=True),
        scenario_counts,
        seeds,
    )
    def test_no_drawdown_after_last_month(
        self, programme: Programme, scenarios: int | None, seed: int
    ):
        """An investor draws nothing after the contract's last month."""
        projection = run(programme, scenarios, seed)
        for contract in programme.contracts:
            drawn = total(projection, ["investor_drawdown"], contract=contract.id)
            after = drawn[:, programme.month_index(contract.last_month) + 1 :]
            assert np.array_equal(np.zeros_like(after), after)


# -- invariant 4 ------------------------------------------------------------------------------


def without_caps(programme: Programme) -> Programme:
    """The programme without metric or contract caps (fiscal-year caps stay)."""
    uncapped = change_metrics(
        programme,
        lambda _, metric: attrs.evolve(
            metric, cap_per_participant=None, cap_count=None, cap_value=None
        ),
    )
    contracts = [
        attrs.evolve(contract, cap=None, cap_per_participant=None)
        for contract in uncapped.contracts
    ]
    return attrs.evolve(uncapped, contracts=contracts)


def with_running_caps(programme: Programme) -> Programme:
    """The programme with only caps whose running totals grow with what is earned.

    Each cap stage passes a running total that grows with the running total it is given,
    except where a stage re-times what reaches the next one: a count cap reached earlier
    pays outcomes at an earlier (differently indexed) price, a per-participant limit that
    grows over time loses for good what an earlier stage let through too soon, and a
    forfeiting fiscal-year cap loses what a cap reached sooner moved into a year already
    full. So here a metric with a count cap has a constant price (no indexation), a contract
    per-participant cap acts only where no metric cap precedes it, and fiscal-year excess is
    carried.
    """

    def metric(_: OutcomeContract, metric: OutcomeMetric) -> OutcomeMetric:
        if metric.cap_count is None:
            return metric
        return attrs.evolve(metric, indexation=Fixed(0.0))

    indexed = change_metrics(programme, metric)
    contracts = []
    for contract in indexed.contracts:
        metric_caps = any(
            cap is not None
            for x in contract.metrics
            for cap in (x.cap_per_participant, x.cap_count, x.cap_value)
        )
        contracts.append(
            attrs.evolve(
                contract,
                payers=[attrs.evolve(p, cap_excess=CapExcess.CARRY) for p in contract.payers],
                cap_per_participant=None if metric_caps else contract.cap_per_participant,
            )
        )
    return attrs.evolve(indexed, contracts=contracts)


@st.composite
def raised_pairs(
    draw: st.DrawFn, transform: Callable[[Programme], Programme]
) -> tuple[Programme, Programme]:
    """An ungated programme with fixed shares and prices, and the same with each raised or kept."""
    programme = transform(
        draw(small_programmes(min_contracts=1, max_gates=0, financing_modes=UNGATED))
    )
    low: dict[tuple[str, str], tuple[float, float]] = {}
    high: dict[tuple[str, str], tuple[float, float]] = {}
    for contract in programme.contracts:
        for metric in contract.metrics:
            share, price = draw(numbers(0.0, 1.0)), draw(numbers(0.0, 20_000.0))
            low[contract.id, metric.id] = share, price
            high[contract.id, metric.id] = draw(numbers(share, 1.0)), draw(numbers(price, 40_000.0))

    def setting(values: dict[tuple[str, str], tuple[float, float]]) -> Programme:
        def change(contract: OutcomeContract, metric: OutcomeMetric) -> OutcomeMetric:
            share, price = values[contract.id, metric.id]
            return attrs.evolve(metric, share_achieving=Fixed(share), price=Fixed(price))

        return change_metrics(programme, change)

    return setting(low), setting(high)


PAID = ("outcome_payment", "advance_offset")
"""What a payer pays for outcomes: in cash, or by offset against an advance."""


class TestMonotonicity:
    """Invariant 4: a higher share achieving or a higher price never lowers what is paid.

    Same programme and seed, every share and price raised or kept, no gates (a gate reads the
    outcomes and could stop the contract). Read with the cap rules of §4.4 and §4.8.3–4, the
    invariant holds for the value earned under caps whose passed totals grow with their input,
    and for the amounts paid where, besides, no fiscal-year cap forfeits an earlier excess.
    """

    @settings(max_examples=examples(30))
    @given(raised_pairs(without_caps), scenario_counts, seeds)
    def test_without_caps(
        self, pair: tuple[Programme, Programme], scenarios: int | None, seed: int
    ):
        """Without metric or contract caps, value earned rises each month and payments in total."""
        low, high = (run(programme, scenarios, seed) for programme in pair)
        for contract in pair[0].contracts:
            c = contract.id
            earned_low, earned_high = (total(p, ["earned_capped"], contract=c) for p in (low, high))
            assert_at_most(earned_high, earned_low)
            paid_low, paid_high = (total(p, PAID, contract=c).sum(axis=1) for p in (low, high))
            assert_at_most(paid_high, paid_low)

    @settings(max_examples=examples(30))
    @given(raised_pairs(with_running_caps), scenario_counts, seeds)
    def test_with_running_caps(
        self, pair: tuple[Programme, Programme], scenarios: int | None, seed: int
    ):
        """Under caps on running totals, value earned to date and payments in total rise."""
        low, high = (run(programme, scenarios, seed) for programme in pair)
        due = (*PAID, "cap_forfeited")
        for contract in pair[0].contracts:
            c = contract.id
            earned_low, earned_high = (
                np.cumsum(total(p, ["earned_capped"], contract=c), axis=1) for p in (low, high)
            )
            assert_at_most(earned_high, earned_low)
            due_low, due_high = (total(p, due, contract=c).sum(axis=1) for p in (low, high))
            assert_at_most(due_high, due_low)
            paid_low, paid_high = (total(p, PAID, contract=c).sum(axis=1) for p in (low, high))
            assert_at_most(paid_high, paid_low)


# -- invariant 5 ------------------------------------------------------------------------------


def period_of(month: str, resolution: str, fiscal_start: int) -> str:
    """The label of the period a month (``YYYY-MM``) falls in, worked out from its label."""
    year, number = int(month[:4]), int(month[5:7])
    if resolution == "quarter":
        return f"{year:04d}Q{(number - 1) // 3 + 1}"
    if resolution == "year":
        return f"{year:04d}"
    return f"FY{year if number >= fiscal_start else year - 1:04d}"


def first_month(quarter: str) -> str:
    """The first month of a quarter (``YYYYQn``) as ``YYYY-MM``."""
    return f"{quarter[:4]}-{3 * int(quarter[5]) - 2:02d}"


def assert_regrouped(fine: Projection, coarse: Projection, labels: list[str]) -> None:
    """Each coarse period holds the sum of the fine periods labelled with it, and no more; a
    balance holds its last fine period's value."""
    assert tuple(dict.fromkeys(labels)) == coarse.periods
    assert fine.series == coarse.series
    stock = np.array([key.flow in STOCKS for key in fine.series], dtype=bool)
    for p, period in enumerate(coarse.periods):
        members = [n for n, label in enumerate(labels) if label == period]
        expected = fine.values[:, members, :].sum(axis=1)
        expected[:, stock] = fine.values[:, members[-1], stock]
        assert_close(expected, coarse.values[:, p, :], fine.values)
    flows = fine.values[:, :, ~stock]
    assert_close(flows.sum(axis=1), coarse.values[:, :, ~stock].sum(axis=1), flows)


class TestRegrouping:
    """Invariant 5: regrouping months to quarters or years preserves totals to 1e-9."""

    @settings(max_examples=examples(25))
    @given(small_programmes(), scenario_counts, seeds)
    def test_months(self, programme: Programme, scenarios: int | None, seed: int):
        """Months regroup into quarters, years and fiscal years: each period sums its months."""
        monthly = run(programme, scenarios, seed)
        start = programme.fiscal_year_start_month
        for resolution in ("quarter", "year", "fiscal_year"):
            labels = [period_of(month, resolution, start) for month in monthly.periods]
            assert_regrouped(monthly, monthly.by(resolution), labels)

    @settings(max_examples=examples(25))
    @given(small_programmes(), st.integers(3, MAX_SCENARIOS), seeds)
    def test_quarters(self, programme: Programme, scenarios: int, seed: int):
        """Quarters regroup into years, and into fiscal years only when those start a quarter."""
        quarterly = run(programme, scenarios, seed, resolution="quarter")
        assert_close(run(programme, scenarios, seed).by("quarter").values, quarterly.values)
        assert_regrouped(quarterly, quarterly.by("year"), [q[:4] for q in quarterly.periods])
        start = programme.fiscal_year_start_month
        if start in (1, 4, 7, 10):
            labels = [period_of(first_month(q), "fiscal_year", start) for q in quarterly.periods]
            assert_regrouped(quarterly, quarterly.by("fiscal_year"), labels)
        else:
            with pytest.raises(ValueError, match="cannot regroup quarter periods"):
                quarterly.by("fiscal_year")

    @settings(max_examples=examples(15))
    @given(small_programmes(max_contracts=1), scenario_counts)
    def test_refuses_what_does_not_nest(self, programme: Programme, scenarios: int | None):
        """Finer periods from coarser ones, and years from other fiscal years, are refused."""
        monthly = run(programme, scenarios)
        for source, finer in (
            ("quarter", ["month"]),
            ("year", ["month", "quarter"]),
            ("fiscal_year", ["month", "quarter"]),
        ):
            for target in finer:
                with pytest.raises(ValueError, match=f"cannot regroup {source} periods"):
                    monthly.by(source).by(target)
        for source, target in (("year", "fiscal_year"), ("fiscal_year", "year")):
            if programme.fiscal_year_start_month == 1:
                assert_close(monthly.by(target).values, monthly.by(source).by(target).values)
            else:
                with pytest.raises(ValueError, match=f"cannot regroup {source} periods"):
                    monthly.by(source).by(target)


# -- invariant 6 ------------------------------------------------------------------------------


def month_of(programme: Programme, index: int) -> dt.date:
    """The first of the month ``index`` months after the programme's start."""
    position = programme.start.year * 12 + programme.start.month - 1 + index
    return programme.start.replace(year=position // 12, month=position % 12 + 1)


@st.composite
def with_newcomer(draw: st.DrawFn, programme: Programme) -> Programme:
    """The programme with a new stakeholder, its fund and an initiative that fund pays for."""

    def inserted(items: tuple[Any, ...], item: Any) -> tuple[Any, ...]:
        at = draw(st.integers(0, len(items)))
        return (*items[:at], item, *items[at:])

    first = draw(st.integers(0, programme.months - 1))
    years = programme.fiscal_years
    newcomer = Stakeholder("zz-newcomer", "Newcomer", "funder")
    fund = Fund(
        "zz-fund",
        "Newcomer's fund",
        "donations",
        "zz-newcomer",
        amounts={
            year: draw(numbers(0.0, 1_000_000.0)) for year in years[: draw(st.integers(0, 2))]
        },
        carry_over=draw(st.booleans()),
    )
    initiative = Initiative(
        "zz-initiative",
        "Newcomer's initiative",
        "zz-newcomer",
        commitment=Uniform(0.0, draw(numbers(0.0, 1_000_000.0))),
        start=month_of(programme, first),
        duration_months=draw(st.integers(1, programme.months - first)),
        delay=Uniform(0.0, 3.0),
        overrun=Triangular(0.9, 1.0, 1.4),
        indexation=Uniform(0.0, 0.05),
        funds=[FundShare("zz-fund", 1.0)],
    )
    return attrs.evolve(
        programme,
        stakeholders=inserted(programme.stakeholders, newcomer),
        funds=inserted(programme.funds, fund),
        initiatives=inserted(programme.initiatives, initiative),
    )


class TestReproducibility:
    """Invariant 6: same programme and seed, same results; prefix-stable; entities independent."""

    @settings(max_examples=examples(20))
    @given(
        small_programmes(
            kinds=WITHOUT_SAMPLES, min_contracts=1, financing_modes=["investor"], delivered=True
        ),
        st.integers(513, 700),
        seeds,
    )
    def test_chunk_sizes(self, programme: Programme, scenarios: int, seed: int):
        """Chunks of 256, 512 or the default size give identical results, scalars included."""
        first, *others = (
            pg.project(programme, scenarios=scenarios, seed=seed, chunk_size=size)
            for size in (256, 512, None)
        )
        for other in others:
            assert_identical(first, other)

    @settings(max_examples=examples(6))
    @given(small_programmes(kinds=WITHOUT_SAMPLES), st.integers(513, 700), seeds)
    def test_thread_pool(self, programme: Programme, scenarios: int, seed: int):
        """Chunks run on a thread pool give the results of a run in this thread."""
        with cf.ThreadPoolExecutor(max_workers=2) as pool:
            pooled = pg.project(
                programme, scenarios=scenarios, seed=seed, chunk_size=256, executor=pool
            )
        assert_identical(
            pg.project(programme, scenarios=scenarios, seed=seed, chunk_size=256), pooled
        )

    @pytest.mark.parametrize("profile", ["flat", "s-curve", "front-loaded"])
    @pytest.mark.parametrize("seed", [0, 1, 2])
    def test_chunk_sizes_with_delays_past_the_horizon(self, profile: str, seed: int) -> None:
        """Costs a delay pushes past the horizon sum to the same value in any chunk, although
        each chunk tracks the months as far as its own longest delay."""
        work = Initiative(
            "work",
            "Work",
            "city",
            commitment=10_000.0,
            start=D(2021, 1, 1),
            duration_months=7,
            cost_profile=profile,
            delay=Normal(2.0, 12.0, low=0.0),
            funds=[FundShare("budget", 1.0)],
        )
        programme = base_programme(initiatives=[work])
        runs = [pg.project(programme, scenarios=513, seed=seed, chunk_size=n) for n in (256, None)]
        assert_identical(*runs)

    def test_process_pool(self) -> None:
        """Chunks run in worker processes give the results of a run in this process."""
        programme = leeuwarden_oost()
        with cf.ProcessPoolExecutor(max_workers=2) as pool:
            pooled = pg.project(programme, scenarios=600, seed=7, chunk_size=256, executor=pool)
        assert_identical(pg.project(programme, scenarios=600, seed=7, chunk_size=256), pooled)

    @settings(max_examples=examples(10))
    @given(
        small_programmes(kinds=WITHOUT_SAMPLES),
        st.integers(1, 300),
        st.integers(1, 300),
        seeds,
    )
    def test_prefix_stable(self, programme: Programme, n: int, k: int, seed: int):
        """The first n scenarios of a run of n + k are the run of n."""
        short = run(programme, n, seed)
        long = run(programme, n + k, seed)
        assert np.array_equal(short.values, long.values[:n])
        for name, values in short.scalars.items():
            assert np.array_equal(values, long.scalars[name][:n], equal_nan=True), name

    @settings(max_examples=examples(15))
    @given(small_programmes(), st.integers(1, 10), st.integers(1, 10), seeds)
    def test_prefix_stable_with_samples(self, programme: Programme, n: int, k: int, seed: int):
        """Scenario i takes sample i whatever the run's length: prefixes agree with samples."""
        short = run(programme, n, seed)
        long = run(programme, n + k, seed)
        assert np.array_equal(short.values, long.values[:n])
        for name, values in short.scalars.items():
            assert np.array_equal(values, long.scalars[name][:n], equal_nan=True), name

    @settings(max_examples=examples(25))
    @given(small_programmes(), scenario_counts, seeds, st.data())
    def test_unrelated_entity(
        self, programme: Programme, scenarios: int | None, seed: int, data: st.DataObject
    ):
        """A new stakeholder with its own fund and initiative changes no other series."""
        before = run(programme, scenarios, seed)
        after = run(data.draw(with_newcomer(programme)), scenarios, seed)
        position = {key: n for n, key in enumerate(after.series)}
        for n, key in enumerate(before.series):
            assert np.array_equal(before.values[:, :, n], after.values[:, :, position[key]]), key
        for name, values in before.scalars.items():
            assert np.array_equal(values, after.scalars[name], equal_nan=True), name


# -- invariant 7 ------------------------------------------------------------------------------


def degenerate_forms(value: float) -> list[Distribution]:
    """Distributions that can only take ``value``, in every form that allows it."""
    if value < 1.0:
        low, high = value, math.nextafter(value, math.inf)
    else:
        low, high = math.nextafter(value, -math.inf), value
    return [
        Fixed(value),
        Uniform(value, value),
        Triangular(value, value, value),
        Pert(value, value, value),
        Normal(value, 0.0, low=low, high=high),
        Samples((value,) * MAX_SCENARIOS),
        Discrete((value,), (1.0,)),
    ]


LINEAR_KINDS = ("fixed", "uniform", "triangular", "pert", "normal", "lognormal", "beta", "poisson")
"""Independent distributions whose expected-mode figure is their mean (no shared parameters,
no per-scenario time to outcome, no yearly paths)."""


def linear(programme: Programme) -> Programme:
    """The programme with nothing that binds: payments are then linear in every draw.

    No caps of any kind and thresholds of 0; every baseline below every share the metric can
    draw (so ``max(0, s − b)`` is ``s − b``); fixed price indexation (an index multiplies yearly
    rates, whose product's mean is not the product of their means).
    """

    def metric(_: OutcomeContract, metric: OutcomeMetric) -> OutcomeMetric:
        support = pg.support_of(metric.share_achieving)
        assert support is not None
        return attrs.evolve(
            metric,
            baseline=Fixed(max(support[0], 0.0) / 2),
            threshold=0.0,
            cap_per_participant=None,
            cap_count=None,
            cap_value=None,
            indexation=map_distributions(metric.indexation, fixed_mean),
        )

    uncapped = change_metrics(programme, metric)
    contracts = [
        attrs.evolve(
            contract,
            cap=None,
            cap_per_participant=None,
            payers=[
                attrs.evolve(payer, fiscal_year_caps={}, fiscal_year_cap=None)
                for payer in contract.payers
            ],
        )
        for contract in uncapped.contracts
    ]
    return attrs.evolve(uncapped, contracts=contracts)


def assert_every_scenario_expected(expected: Projection, sampled: Projection) -> None:
    """Each Monte Carlo scenario equals the expected-mode run exactly, scalars included."""
    assert expected.series == sampled.series
    for s in range(sampled.scenarios):
        assert np.array_equal(expected.values[0], sampled.values[s]), f"scenario {s}"
    for name, values in expected.scalars.items():
        assert np.array_equal(
            np.broadcast_to(values, sampled.scalars[name].shape),
            sampled.scalars[name],
            equal_nan=True,
        ), name


PAST_THE_HORIZON = base_programme(
    horizon_years=2,
    contracts=[
        hand_contract(
            end=None,
            duration_months=23,
            run_off_months=1,  # settled in the horizon's last month; outcomes fall past it
            verification_lag_months=0,
            payment_schedule="monthly",
            enrolment=Enrolment(
                [
                    EnrolmentWindow(D(2021, 1, 1), 22, per_month=4.863424803802371),
                    EnrolmentWindow(D(2022, 11, 1), 1, per_month=40.0),
                ]
            ),
            metrics=[OutcomeMetric("job", "A job", price=0, share_achieving=1, time_to_outcome=4)],
        )
    ],
)
"""Fixed values only; outcomes reached past the horizon (found by ``programmes()``)."""


class TestExpectedMode:
    """Invariant 7: degenerate uncertainty reproduces expected mode; without binding, its mean."""

    @settings(max_examples=examples(25))
    @given(small_programmes(), st.integers(3, MAX_SCENARIOS), seeds)
    @example(programme=PAST_THE_HORIZON, scenarios=3, seed=0)
    def test_fixed_means(self, programme: Programme, scenarios: int, seed: int):
        """With every distribution fixed at its mean, each scenario equals expected mode."""
        fixed = map_distributions(programme, fixed_mean)
        assert_every_scenario_expected(run(fixed, None), run(fixed, scenarios, seed))

    @settings(max_examples=examples(25))
    @given(small_programmes(), st.integers(3, MAX_SCENARIOS), seeds, st.data())
    def test_degenerate_forms(
        self, programme: Programme, scenarios: int, seed: int, data: st.DataObject
    ):
        """Uniform, triangular, PERT, normal, samples or discrete with one value act as Fixed."""

        def degenerate(dist: Distribution) -> Distribution:
            return data.draw(st.sampled_from(degenerate_forms(point(dist))))

        degenerated = map_distributions(programme, degenerate)
        assert_every_scenario_expected(run(degenerated, None), run(degenerated, scenarios, seed))

    @settings(max_examples=examples(4))
    @given(
        small_programmes(
            min_contracts=1,
            max_gates=0,
            max_parameters=0,
            financing_modes=["provider"],
            kinds=LINEAR_KINDS,
        ),
        seeds,
    )
    def test_mean_where_nothing_binds(self, programme: Programme, seed: int):
        """Where nothing binds, expected mode is within 4 standard errors of the MC mean."""
        unbound = linear(programme)
        expected = pg.project(unbound, resolution="fiscal_year")
        sampled = pg.project(unbound, scenarios=400, seed=seed)
        for contract in unbound.contracts:
            for flow in ("outcomes_achieved", "earned", "outcome_payment"):
                mean = total(expected, [flow], contract=contract.id).sum()
                draws = total(sampled, [flow], contract=contract.id).sum(axis=1)
                error = draws.std(ddof=1) / math.sqrt(len(draws))
                assert abs(draws.mean() - mean) <= 4 * error + floor(mean, draws), flow
